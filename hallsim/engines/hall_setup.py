"""What the fast engine's loops derive from a scenario: windows, clerks, return-visit draws.

The one-pass loops (``hallsim.engines.fast``) and the operations loop
(``hallsim.engines.operations_loop``) read the same per-scenario setup (``_Setup``,
derived once per scenario by ``_setup``) and draw return visits the same way
(``_Returns``), so both reproduce the reference's clerk and return-visit draws.
"""

from __future__ import annotations

import copy

import numpy as np

from hallsim.engines.clerks import attitude_multiplier, settle_probability
from hallsim.engines.trace import BALKED, BLOCKED, RENEGED, SERVED
from hallsim.scenario import Scenario, scenario_cache
from hallsim.streams import draw_clerk_speeds, draw_clerks, draw_plan, quantile, return_plan

INF = float("inf")
NAN = float("nan")
_STUCK = 3  # outcome code of a visit that never leaves (no window serves it, no patience)


def kiosk_rates(kiosks, classes: list) -> tuple[list[float], list[float]]:
    """Per citizen class (``None`` for the default class first): kiosk uptake and success.

    A class's own ``kiosk_uptake`` / ``kiosk_success`` wins over the hall's; the
    reference (``simpy_hall``) and the operations loop read the same lists.
    """
    uptake = [
        kiosks.uptake if k is None or k.kiosk_uptake is None else k.kiosk_uptake for k in classes
    ]
    success = [
        kiosks.success if k is None or k.kiosk_success is None else k.kiosk_success for k in classes
    ]
    return uptake, success


def turn_away_rule(scenario: Scenario) -> tuple[int, int]:
    """(balk_at, outcome) for the single-queue loop's ``len(waiting) >= balk_at`` test.

    ``balk_at`` 0 means nobody is turned away (the loop's ``if balk_at``).  A
    waiting room (``hall.max_waiting`` = K - c) that fills before the balking
    threshold turns arrivals away as BLOCKED; with no waiting room at all
    (K = c) every arrival who finds no window free is turned away, which the
    test expresses with -1 (truthy, and every length is >= -1).
    """
    balk_at = scenario.patience.balk_at_queue if scenario.patience else 0
    room = scenario.hall.max_waiting
    if room is None or (balk_at and balk_at < room):
        return balk_at, BALKED
    return (room if room > 0 else -1), BLOCKED


class _Returns:
    """Draws of return visits (``returns.random(3)`` each, ``random(4)`` with a timing
    uniform: ``ReturnPlan.timing``), read in vectorised blocks.

    Blocks are drawn ahead; ``finish`` then rewinds the stream and advances it
    by exactly the number of draws used, as the reference's one ``random(3)``
    per return would (a double takes one draw of the bit generator whatever
    the block size, so the values are the same).
    """

    def __init__(self, scenario: Scenario, rng: np.random.Generator, block: int):
        self.service = draw_plan(scenario).service  # the service quantile of every matter
        self.renege = scenario.renege_by_matter  # one patience dist (or None) per matter
        self.rng = rng
        self.saved = None
        self.block = max(32, block)
        self.used = 0
        self.base: list[list[float]] = [[] for _ in self.service.dists]
        self.patience: list[list[float]] = [[] for _ in self.service.dists]
        self.settle_u: list[float] = []
        plan = return_plan(scenario)
        self.cols = 4 if plan.timing else 3
        self.timing_const = 0.0 if plan.share > 0 else 1.0
        self.timing: list[float] = []

    def _grow(self) -> None:
        if self.saved is None:
            self.saved = self.rng.bit_generator.state
        u = self.rng.random((self.block, self.cols))
        for base_k, q in zip(
            self.base, self.service.each(np.ascontiguousarray(u[:, 0])), strict=True
        ):
            base_k.extend(q.tolist())
        u1 = np.ascontiguousarray(u[:, 1])
        done: dict[int, list[float]] = {}  # matters sharing a patience distribution share it
        for pat_k, dist in zip(self.patience, self.renege, strict=True):
            values = done.get(id(dist))
            if values is None:
                values = done[id(dist)] = (
                    quantile(dist, u1).tolist() if dist is not None else [INF] * self.block
                )
            pat_k.extend(values)
        self.settle_u.extend(u[:, 2].tolist())
        if self.cols == 4:
            self.timing.extend(u[:, 3].tolist())
        else:
            self.timing.extend([self.timing_const] * self.block)
        self.block *= 2

    def draw(self, matter: int) -> tuple[float, float, float, float]:
        j = self.used
        if j == len(self.settle_u):
            self._grow()
        self.used = j + 1
        return self.base[matter][j], self.patience[matter][j], self.settle_u[j], self.timing[j]

    def finish(self) -> None:
        if self.saved is not None:
            self.rng.bit_generator.state = self.saved
            self.rng.random(self.cols * self.used)


class _Setup:
    """Windows, their groups and the constants derived from a scenario.

    Everything here depends on the scenario only, except the clerks when a
    group has ``attitude_sd > 0``: then ``replication`` draws them (with
    ``draw_clerks``) and derives the window speeds and settle probabilities.
    With no spread every clerk is their group's value (draw_clerks adds
    Normal(0, 0) = 0 noise and clips values already in [0, 1]) and the whole
    setup is computed once per scenario; this skips draw_clerks' per-clerk
    generators, which cost ~20 us each, more than simulating a day's citizens.
    """

    def __init__(self, sc: Scenario):
        self.scenario = sc
        names = sc.matter_names
        self.n_matters = len(names)
        group, served = [], []
        for g, wg in enumerate(sc.windows):
            matters = tuple(k for k, m in enumerate(names) if wg.serves(m))
            group += [g] * wg.count
            served += [matters] * wg.count
        self.served = served
        self.window_group = np.array(group, dtype=np.int64)
        fx = sc.attitude_effects
        self.fatigue = fx.fatigue_per_hour / 60.0 if fx.enabled else 0.0
        plan = return_plan(sc)
        # the same-day delay: fixed, or a distribution's quantile of each citizen's
        # timing uniform (delay_of, the reference's own function)
        self.return_delay = plan.fixed_delay if plan.fixed_delay is not None else NAN
        self.delay_of = plan.same_day_delay if plan.fixed_delay is None else None
        self.same_day_share = plan.share
        self.start = sc.arrival_start_min
        self.arrival_end = sc.arrival_end_min
        patience = sc.patience
        self.single = sc.layout.queue == "single"
        if self.single:
            self.balk_at, self.turned_away = turn_away_rule(sc)
            self.lines_room = None
        else:  # lines: balk_at is the chosen line's, the waiting room the whole hall's
            self.balk_at, self.turned_away = (patience.balk_at_queue if patience else 0), BALKED
            self.lines_room = sc.hall.max_waiting
        # patience.balk_probability: (queue lengths, probabilities), or None
        self.balk_curve = patience.balk_curve() if patience else None
        self.renege = patience.renege_min if patience else None
        if any(m.renege_min is not None for m in sc.matters):
            self.renege = sc.renege_by_matter  # per-matter patience: someone may renege
        self.line_choice = sc.layout.line_choice or "shortest_line"
        # windows serving the same matters form a class with one heap of free times
        classes: dict[tuple[int, ...], list[int]] = {}
        for w, m in enumerate(served):
            classes.setdefault(m, []).append(w)
        self.classes = list(classes.items())
        self.eligible = [
            [w for w in range(len(served)) if k in served[w]] for k in range(len(names))
        ]
        self.spread = any(g.attitude_sd != 0 for g in sc.windows)
        # clerk speeds (docs/kiosks-tidal.md §4): given factors are fixed, speed_sd draws
        self.speed_spread = any(g.speed_sd > 0 for g in sc.windows)
        self.clerk_speed = None if self.speed_spread else draw_clerk_speeds(sc, None)
        if not self.spread:
            rows = [g.attitude_components() for g in sc.windows for _ in range(g.count)]
            self.clerks = np.array(rows, dtype=float).reshape(len(rows), 4)
            if not self.speed_spread:
                self._set_clerks(self.clerks, self.clerk_speed)

    def _set_clerks(self, clerks: np.ndarray, clerk_speed: np.ndarray | None = None) -> None:
        sc = self.scenario
        self.clerks = clerks
        self.clerk_speed = clerk_speed
        speed, p_settle = [], []
        memo: dict[bytes, tuple[float, float]] = {}  # clerks of a group are often alike
        for w, g in enumerate(self.window_group.tolist()):
            clerk = clerks[w]
            key = clerk.tobytes()
            if key not in memo:
                memo[key] = (attitude_multiplier(sc, clerk), settle_probability(sc, clerk))
            mult, p = memo[key]
            speed.append(float(sc.windows[g].service_time_factor * mult))
            if clerk_speed is not None:  # as the reference: factor x attitude, then x clerk
                speed[-1] *= float(clerk_speed[w])
            p_settle.append(float(p))
        self.speed = speed
        self.p_settle = p_settle
        # each window's mean service (shortest_expected_wait), as simpy_hall computes it
        self.mean_service = [
            speed[w]
            * sum(sc.matters[k].share * sc.matters[k].service_min.mean for k in self.served[w])
            / max(sum(sc.matters[k].share for k in self.served[w]), 1e-300)
            for w in range(len(speed))
        ]
        # per-code tables for the trace, row = code - _W_LOWEST (codes -5..-1, then windows)
        nw = len(speed)
        self.window_of = np.array([-1] * 5 + list(range(nw)), dtype=np.int64)
        self.group_of = np.concatenate([np.full(5, -1, dtype=np.int64), self.window_group])
        self.outcome_of = np.array(
            [BLOCKED, _STUCK, RENEGED, self.turned_away, BALKED] + [SERVED] * nw, np.int8
        )
        self.p_settle_of = np.array([-1.0] * 5 + p_settle)  # never settled unless served
        self.returns_possible = any(p < 1.0 for p in p_settle)  # settle_u < 1 always
        # the common case for the Kiefer-Wolfowitz loop (see _basic_single)
        self.basic = (
            self.single
            and len(self.classes) == 1
            and len(self.classes[0][0]) == self.n_matters
            and not self.balk_at
            and self.balk_curve is None
            and self.renege is None
            and not self.fatigue
            and not self.returns_possible
        )

    def replication(self, streams: dict[str, np.random.Generator]) -> _Setup:
        """This setup with the clerks of one replication."""
        if not self.spread and not self.speed_spread:
            return self
        setup = copy.copy(self)
        clerks = draw_clerks(self.scenario, streams["attitude"]) if self.spread else self.clerks
        speeds = (
            draw_clerk_speeds(self.scenario, streams["clerk_speed"])
            if self.speed_spread
            else self.clerk_speed
        )
        setup._set_clerks(clerks, speeds)
        return setup


_setup = scenario_cache(_Setup)  # the setup of a scenario, derived once
