"""The SimPy hall model: one replication, the reference implementation.

Given a scenario and its random streams, ``run_hall`` simulates one day (or a
steady-state run) and returns a ``HallTrace``: raw per-visit arrays and the
queue-length trace.  No seeding, I/O, printing or pandas here; metrics are
computed from the trace in ``hallsim.metrics``.

Citizens are SimPy processes.  Windows are plain objects: when a window frees
it *calls* the next citizen it may serve by triggering that citizen's
``called`` event, which is how a hall with tickets works.  Waiting citizens
(in queues) are kept apart from those in service (held by a window).
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy

from hallsim.scenario import Scenario
from hallsim.streams import Demand, draw_clerks, draw_demand, quantile

SERVED, BALKED, RENEGED = 0, 1, 2
WAITING, CALLED, GONE = 0, 1, 2


@dataclass
class HallTrace:
    """Raw results of one replication (arrays have one entry per visit)."""

    arrival_min: np.ndarray
    matter: np.ndarray
    window: np.ndarray  # window index, -1 if never served
    group: np.ndarray  # window group index, -1 if never served
    call_min: np.ndarray  # time called to a window (NaN if never called)
    end_min: np.ndarray  # time the citizen left the hall (service end, balk or renege)
    outcome: np.ndarray  # SERVED, BALKED, RENEGED
    settled: np.ndarray  # bool: matter settled at this visit
    is_return: np.ndarray  # bool: a return visit of an unsettled citizen
    queue_times: np.ndarray  # times at which the number waiting changed
    queue_levels: np.ndarray  # number waiting from that time on
    window_group: np.ndarray  # group index of each window
    clerks: np.ndarray  # (windows, 4) attitude components of each window's clerk
    returns_later: int  # unsettled citizens whose return falls after the horizon
    horizon_end_min: float  # when the last citizen left


class _Citizen:
    __slots__ = (
        "arrival",
        "base_service",
        "called",
        "is_return",
        "matter",
        "patience",
        "seq",
        "settle_u",
        "state",
        "window",
    )

    def __init__(self, arrival, matter, base_service, patience, settle_u, is_return):
        self.arrival = arrival
        self.matter = matter
        self.base_service = base_service
        self.patience = patience
        self.settle_u = settle_u
        self.is_return = is_return
        self.state = WAITING
        self.called = None
        self.window = None


class _Window:
    __slots__ = (
        "busy",
        "group",
        "idle_since",
        "index",
        "line",
        "line_count",
        "matters",
        "p_settle",
        "speed",
    )

    def __init__(self, index, group, matters, speed, p_settle, start):
        self.index = index
        self.group = group
        self.matters = matters  # matter indices this window serves
        self.speed = speed  # static service-time multiplier (factor x attitude)
        self.p_settle = p_settle  # P(matter settled at this visit)
        self.busy = False
        self.idle_since = start
        self.line = deque()  # per_window layout: this window's own line
        self.line_count = 0  # citizens waiting in ``line`` (reneged ones removed lazily)


def attitude_multiplier(scenario: Scenario, clerk: np.ndarray) -> float:
    """Static part of the attitude effect on service time (see docs/model.md)."""
    fx = scenario.attitude_effects
    if not fx.enabled:
        return 1.0
    _, resp, care, _ = clerk
    ref = fx.reference_attitude
    return max(
        0.1, 1.0 + fx.care_time_per_unit * (care - ref) + fx.rework_time_per_unit * (ref - resp)
    )


def settle_probability(scenario: Scenario, clerk: np.ndarray) -> float:
    """P(matter settled at this visit) for a clerk (first-contact resolution)."""
    fx = scenario.attitude_effects
    if not fx.enabled:
        return 1.0
    pro, resp, _, _ = clerk
    return float(np.clip(fx.fcr_base + fx.fcr_per_unit * (pro + resp) / 2, 0.0, 1.0))


class _Hall:
    def __init__(self, scenario: Scenario, streams: dict[str, np.random.Generator]):
        self.sc = scenario
        self.env = simpy.Environment(initial_time=scenario.arrival_start_min)
        self.streams = streams
        self.single = scenario.layout.queue == "single"
        patience = scenario.patience
        self.balk_at = patience.balk_at_queue if patience else 0
        self.fatigue = (
            scenario.attitude_effects.fatigue_per_hour / 60.0
            if scenario.attitude_effects.enabled
            else 0.0
        )
        self.open_min = scenario.arrival_start_min

        clerks = draw_clerks(scenario, streams["attitude"])
        self.clerks = clerks
        names = scenario.matter_names
        self.windows: list[_Window] = []
        groups = []
        for g, wg in enumerate(scenario.windows):
            served = [k for k, m in enumerate(names) if wg.serves(m)]
            for _ in range(wg.count):
                i = len(self.windows)
                clerk = clerks[i]
                self.windows.append(
                    _Window(
                        i,
                        g,
                        served,
                        wg.service_time_factor * attitude_multiplier(scenario, clerk),
                        settle_probability(scenario, clerk),
                        self.open_min,
                    )
                )
                groups.append(g)
        self.window_group = np.array(groups, dtype=np.int64)
        self.eligible = [[w for w in self.windows if k in w.matters] for k in range(len(names))]
        # single layout: one FIFO per matter; a window scans the heads of the
        # matters it serves.  Reneged citizens are removed lazily (state GONE).
        self.by_matter = [deque() for _ in names]
        self.waiting = 0
        self.q_times = [self.env.now]
        self.q_levels = [0]
        self.records: list[tuple] = []
        self.returns_later = 0
        self.return_draws = streams["returns"]
        self.routing = streams["routing"]
        self._seq = itertools.count()  # ticket numbers: break ties between equal times

    # -- queue bookkeeping --------------------------------------------------
    def _queue_changed(self, delta: int) -> None:
        self.waiting += delta
        self.q_times.append(self.env.now)
        self.q_levels.append(self.waiting)

    # -- dispatch ---------------------------------------------------------
    def _next_for(self, w: _Window):
        """The citizen window ``w`` calls now, or None (removes them from the queue)."""
        if self.single:
            best = None
            best_key = None
            for k in w.matters:
                q = self.by_matter[k]
                while q and q[0].state == GONE:
                    q.popleft()
                if q:
                    key = (q[0].arrival, q[0].seq)
                    if best_key is None or key < best_key:
                        best, best_key = k, key
            return self.by_matter[best].popleft() if best is not None else None
        line = w.line
        while line and line[0].state == GONE:
            line.popleft()
        return line.popleft() if line else None

    def _start(self, w: _Window, c: _Citizen) -> None:
        w.busy = True
        c.state = CALLED
        c.window = w

    def _release(self, w: _Window) -> None:
        nxt = self._next_for(w)
        if nxt is None:
            w.busy = False
            w.idle_since = self.env.now
            return
        if not self.single:
            w.line_count -= 1
        self._queue_changed(-1)
        self._start(w, nxt)
        nxt.called.succeed()

    # -- citizens -----------------------------------------------------------
    def source(self, demand: Demand):
        env = self.env
        for i in range(len(demand.arrival_min)):
            t = demand.arrival_min[i]
            if t > env.now:
                yield env.timeout(t - env.now)
            c = _Citizen(
                t,
                int(demand.matter[i]),
                demand.base_service_min[i],
                demand.patience_min[i],
                demand.settle_u[i],
                False,
            )
            env.process(self.citizen(c))

    def _choose_line(self, c: _Citizen) -> _Window:
        cands = self.eligible[c.matter]
        sizes = [w.line_count + w.busy for w in cands]
        smallest = min(sizes)
        ties = [w for w, s in zip(cands, sizes, strict=True) if s == smallest]
        if len(ties) == 1:
            return ties[0]
        return ties[int(self.routing.integers(len(ties)))]

    def citizen(self, c: _Citizen):
        env = self.env
        c.seq = next(self._seq)
        w = None
        if self.single:
            idle = [x for x in self.eligible[c.matter] if not x.busy]
            if idle:
                # the window idle longest takes the citizen (ties: lowest index)
                w = min(idle, key=lambda x: (x.idle_since, x.index))
            elif self.balk_at and self.waiting >= self.balk_at:
                self._record(c, None, np.nan, env.now, BALKED)
                return
        else:
            target = self._choose_line(c)
            if not target.busy and target.line_count == 0:
                w = target
            elif self.balk_at and target.line_count >= self.balk_at:
                self._record(c, None, np.nan, env.now, BALKED)
                return
        if w is not None:
            self._start(w, c)
        else:
            c.called = env.event()
            if self.single:
                self.by_matter[c.matter].append(c)
            else:
                target.line.append(c)
                target.line_count += 1
            self._queue_changed(+1)
            if c.patience < np.inf:
                yield c.called | env.timeout(c.patience)
                if c.state != CALLED:
                    c.state = GONE
                    if not self.single:
                        target.line_count -= 1
                    self._queue_changed(-1)
                    self._record(c, None, np.nan, env.now, RENEGED)
                    return
            else:
                yield c.called
            w = c.window
        call = env.now
        speed = w.speed
        if self.fatigue:
            speed *= 1.0 + self.fatigue * (call - self.open_min)
        yield env.timeout(c.base_service * speed)
        settled = c.settle_u < w.p_settle
        self._record(c, w, call, env.now, SERVED, settled)
        if not settled:
            self._schedule_return(c)
        self._release(w)

    def _schedule_return(self, c: _Citizen) -> None:
        back = self.env.now + self.sc.attitude_effects.return_delay_min
        if back >= self.sc.arrival_end_min:
            self.returns_later += 1
            return
        # a return visit draws fresh service, patience and settlement from the
        # returns stream, in the (deterministic) order returns are created
        m = self.sc.matters[c.matter]
        u = self.return_draws.random(3)
        base = float(quantile(m.service_min, u[:1])[0])
        renege = self.sc.patience.renege_min if self.sc.patience else None
        patience = float(quantile(renege, u[1:2])[0]) if renege is not None else np.inf
        r = _Citizen(back, c.matter, base, patience, u[2], True)
        self.env.process(self._return_visit(r))

    def _return_visit(self, c: _Citizen):
        yield self.env.timeout(c.arrival - self.env.now)
        yield from self.citizen(c)

    def _record(self, c, w, call, end, outcome, settled=False):
        self.records.append(
            (
                c.arrival,
                c.matter,
                w.index if w else -1,
                w.group if w else -1,
                call,
                end,
                outcome,
                settled,
                c.is_return,
            )
        )

    def run(self, demand: Demand) -> HallTrace:
        self.env.process(self.source(demand))
        self.env.run()
        rec = self.records
        cols = list(zip(*rec, strict=True)) if rec else [[] for _ in range(9)]
        order = (
            np.lexsort((np.array(cols[5], dtype=float), np.array(cols[0], dtype=float)))
            if rec
            else np.empty(0, dtype=np.int64)
        )

        def col(k, dtype):
            return np.asarray(cols[k], dtype=dtype)[order]

        return HallTrace(
            arrival_min=col(0, float),
            matter=col(1, np.int64),
            window=col(2, np.int64),
            group=col(3, np.int64),
            call_min=col(4, float),
            end_min=col(5, float),
            outcome=col(6, np.int8),
            settled=col(7, bool),
            is_return=col(8, bool),
            queue_times=np.asarray(self.q_times, dtype=float),
            queue_levels=np.asarray(self.q_levels, dtype=np.int64),
            window_group=self.window_group,
            clerks=self.clerks,
            returns_later=self.returns_later,
            # not env.now: patience timeouts of citizens already called stay on
            # the event list and would push the clock past the last departure
            horizon_end_min=float(max(cols[5], default=self.sc.arrival_start_min)),
        )


def run_hall(scenario: Scenario, streams: dict[str, np.random.Generator]) -> HallTrace:
    """Simulate one replication of ``scenario`` with the SimPy reference model."""
    hall = _Hall(scenario, streams)
    demand = draw_demand(scenario, streams)
    return hall.run(demand)
