"""The staffing advisor: how many windows each period needs to meet a waiting target.

``advise(scenario, target)`` answers "how many windows do I need open each
half hour to keep 90% of waits under 15 minutes?" in two steps:

1. **Erlang estimate** per period (``hall.period_min`` bins from open to
   close) and window group: the period's mean arrival rate (after online
   diversion and no-shows) and the demand-weighted mean service time at that
   group (matter means × ``service_time_factor`` × the attitude multiplier of
   the group's mean clerk × class factors) go into
   ``hallsim.theory.min_servers`` — Erlang C, or Erlang A when citizens
   renege (patience taken as exponential with the scenario's mean).  With
   several groups a matter's demand is split over the groups serving it in
   proportion to their ``count``.  The formula assumes each period is in
   steady state on its own.
2. **Simulation** of the whole day with that roster (common random numbers:
   every candidate roster runs replications 0..R-1 of the same seed).  A
   period is judged on the citizens who *arrive* in it, by the mean over
   replications of the target metric.  In time order, the earliest failing
   period gets one more window (in the group busiest in that period) until
   every period meets the target; then, in time order, each period gives up
   windows (least busy group first) as long as *every* period still meets it
   — a period's waits depend on the queue carried over from earlier periods
   and on the windows open when its late arrivals are called, so the whole
   day is re-checked each time.

In steady-state mode there is one period and the advisor sets each group's
``count``.  Rates are per minute, times in minutes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from hallsim import theory
from hallsim.experiment import trace_replication
from hallsim.intervals import interval
from hallsim.model import SERVED, attitude_multiplier
from hallsim.names import TARGET_METRICS
from hallsim.scenario import Scenario, format_clock


class StaffingError(ValueError):
    """A bad target, or a target the advisor cannot meet (message names the problem)."""


@dataclass(frozen=True)
class Target:
    """A per-period target, e.g. ``wait_p90_min <= 15`` or ``service_level >= 0.9``."""

    metric: str
    op: str  # "<=" or ">="
    value: float

    def met(self, x: float) -> bool:
        """Whether value ``x`` meets the target (an undefined value, NaN, does)."""
        if math.isnan(x):
            return True
        return x <= self.value if self.op == "<=" else x >= self.value

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"


def parse_target(text: str) -> Target:
    """'wait_p90_min<=15' → Target.  Raises StaffingError naming what is wrong."""
    raw = text.strip()
    for op in ("<=", ">="):
        if op in raw:
            metric, _, value = (part.strip() for part in raw.partition(op))
            break
    else:
        raise StaffingError(
            f"expected METRIC<=VALUE or METRIC>=VALUE (e.g. 'wait_p90_min<=15' or "
            f"'service_level>=0.8'), got {text!r}"
        )
    if metric not in TARGET_METRICS:
        raise StaffingError(f"unknown target metric {metric!r}; one of {', '.join(TARGET_METRICS)}")
    want = TARGET_METRICS[metric][0]
    if op != want:
        raise StaffingError(f"{metric} must be bounded with {want}, e.g. '{metric}{want}…'")
    try:
        number = float(value)
    except ValueError:
        raise StaffingError(f"target value {value!r} is not a number") from None
    if not math.isfinite(number):
        raise StaffingError(f"target value must be finite, got {value!r}")
    if metric == "service_level" and not 0 < number < 1:
        raise StaffingError(f"service_level target must be in (0, 1), got {number:g}")
    if metric != "service_level" and not number > 0:
        raise StaffingError(f"{metric} target must be > 0 minutes, got {number:g}")
    return Target(metric, op, number)


# --------------------------------------------------------------------------- periods


def periods(scenario: Scenario) -> list[tuple[float, float]]:
    """[(start, end), ...] in minutes: ``period_min`` bins from open to close (day mode),
    or the statistics window as one period (steady state)."""
    s0, s1 = scenario.stats_window
    if scenario.run.mode != "day":
        return [(s0, s1)]
    width = scenario.hall.period_min
    starts = np.arange(s0, s1, width)
    return [(float(a), float(min(a + width, s1))) for a in starts]


def _mean_rate(scenario: Scenario, a: float, b: float) -> float:
    """Mean arrival rate of the full demand over [a, b), per minute."""
    sched = scenario.rate_schedule()
    bounds = [t for t, _ in sched[1:]] + [scenario.arrival_end_min]
    total = sum(
        r * max(0.0, min(b, t1) - max(a, t0)) for (t0, r), t1 in zip(sched, bounds, strict=True)
    )
    return total / (b - a)


def _group_loads(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Per group g and matter m: share w[g, m] of m's demand at g, mean service s[g, m] (min).

    Each (matter, citizen class) stream is split over the groups able to serve
    it in proportion to their ``count``; class service factors are averaged in.
    """
    n_g, n_m = len(scenario.windows), len(scenario.matters)
    share = np.zeros((n_g, n_m))
    work = np.zeros((n_g, n_m))  # share × class service factor
    names = scenario.class_names
    factors = [1.0] + [k.service_time_factor for k in scenario.classes or []]
    for m, matter in enumerate(scenario.matters):
        shares = scenario.class_shares(m)
        for k, class_share in enumerate([1.0 - sum(shares), *shares]):
            counts = np.array(
                [
                    w.count if w.serves(matter.name) and w.serves_class(names[k]) else 0
                    for w in scenario.windows
                ],
                dtype=float,
            )
            if class_share <= 0 or counts.sum() == 0:
                continue
            split = class_share * counts / counts.sum()
            share[:, m] += split
            work[:, m] += split * factors[k]
    service = np.zeros((n_g, n_m))
    for g, w in enumerate(scenario.windows):
        clerk = np.array(w.attitude_components())
        speed = w.service_time_factor * attitude_multiplier(scenario, clerk)
        for m, matter in enumerate(scenario.matters):
            if share[g, m] > 0:
                service[g, m] = matter.service_min.mean * speed * work[g, m] / share[g, m]
    return share, service


MAX_WINDOWS = 1000
"""Largest number of windows per group and period the advisor considers."""


def erlang_estimate(scenario: Scenario, target: Target) -> tuple[np.ndarray, np.ndarray]:
    """(windows[g, p], offered load in Erlangs[g, p]) from Erlang C / A per period.

    Ignores return visits, balking and the carry-over between periods: the
    simulation step corrects for these.
    """
    share, service = _group_loads(scenario)
    probs = np.asarray(scenario.matter_probs)
    online = np.array(
        [
            m.online_share if m.online_share is not None else scenario.arrivals.online_share
            for m in scenario.matters
        ]
    )
    no_show = scenario.appointments.no_show if scenario.appointments else 0.0
    came = (1 - online) * (1 - np.asarray(scenario.booked_shares()) * no_show)
    renege = scenario.patience.renege_min if scenario.patience else None
    patience = renege.mean if renege is not None else None
    kwargs: dict = {}
    if target.metric == "wait_mean_min":
        kwargs["max_wait_mean"] = target.value
    elif target.metric == "service_level":
        kwargs.update(service_level=target.value, target_min=scenario.hall.service_level_target_min)
    else:
        q = 0.5 if target.metric == "wait_p50_min" else 0.9
        kwargs.update(service_level=q, target_min=target.value)
    pers = periods(scenario)
    windows = np.zeros((len(scenario.windows), len(pers)), dtype=np.int64)
    load = np.zeros(windows.shape)
    for p, (a, b) in enumerate(pers):
        lam_m = _mean_rate(scenario, a, b) * probs * came  # per matter, per minute
        for g in range(len(scenario.windows)):
            lam = float(np.sum(lam_m * share[g]))
            if lam <= 0:
                continue
            s = float(np.sum(lam_m * share[g] * service[g]) / lam)
            load[g, p] = lam * s
            try:
                windows[g, p] = theory.min_servers(
                    lam, s, mean_patience=patience, max_servers=MAX_WINDOWS, **kwargs
                )
            except ValueError:
                start = format_clock(a) if scenario.run.mode == "day" else "steady state"
                raise StaffingError(
                    f"no roster of up to {MAX_WINDOWS} windows reaches {target} in {start} "
                    f"for window group {scenario.windows[g].name!r} (offered load "
                    f"{load[g, p]:.0f} Erlangs: {60 * lam:.0f} citizens an hour × "
                    f"{s:.1f} min); check arrivals.rate_per_hour and the service times"
                ) from None
    if not load.any():
        raise StaffingError(
            "no citizen comes to a window (arrival rates are zero, or every matter is "
            "online): there is nothing to staff for"
        )
    return windows, load


# --------------------------------------------------------------------------- simulation


def roster_scenario(scenario: Scenario, levels: np.ndarray) -> Scenario:
    """The scenario staffed with ``levels[g, p]`` windows (a roster per group; counts in
    steady state).  ``count`` rises where a level needs more windows; breaks are dropped
    (the levels are net of them)."""
    changes: dict = {}
    pers = periods(scenario)
    for g, w in enumerate(scenario.windows):
        row = [int(x) for x in levels[g]]
        if scenario.run.mode != "day":
            changes[f"windows.{g}.count"] = row[0]
            continue
        changes[f"windows.{g}.count"] = max(w.count, max(row))
        changes[f"windows.{g}.staffed"] = staffed_table(row, [a for a, _ in pers])
        if w.breaks:
            changes[f"windows.{g}.breaks"] = None
    return scenario.with_changes(changes, source="staffing advisor")


def staffed_table(levels: list[int], starts: list[float]) -> dict[str, int]:
    """{'HH:MM': windows} with a key only where the level changes (the first always)."""
    out: dict[str, int] = {}
    last = None
    for level, t in zip(levels, starts, strict=True):
        if level != last:
            out[format_clock(t)] = int(level)
            last = level
    return out


def _period_values(scenario: Scenario, target: Target, trace, edges) -> dict[str, np.ndarray]:
    """Per-period target metric, queue at period start and busy minutes per group."""
    s0, s1 = scenario.stats_window
    arr = trace.arrival_min
    counted = (arr >= s0) & (arr < s1)
    served = trace.outcome == SERVED
    wait = np.where(served, trace.call_min - arr, trace.end_min - arr)
    n_p = len(edges)
    value = np.full(n_p + 1, np.nan)  # last entry: the whole statistics window
    slices = [*edges, (s0, s1)]
    for p, (a, b) in enumerate(slices):
        sel = counted & (arr >= a) & (arr < b)
        value[p] = _metric(target, scenario, wait[sel & served], int(sel.sum()))
    queue = np.empty(n_p)
    for p, (a, _) in enumerate(edges):
        i = int(np.searchsorted(trace.queue_times, a, side="right")) - 1
        queue[p] = trace.queue_levels[max(i, 0)]
    n_g = len(scenario.windows)
    busy = np.zeros((n_g, n_p))
    call, end, grp = trace.call_min[served], trace.end_min[served], trace.group[served]
    for p, (a, b) in enumerate(edges):
        overlap = np.clip(np.minimum(end, b) - np.maximum(call, a), 0.0, None)
        busy[:, p] = np.bincount(grp, weights=overlap, minlength=n_g)
    return {"value": value, "queue": queue, "busy": busy}


def _metric(target: Target, scenario: Scenario, waits: np.ndarray, arrived: int) -> float:
    if target.metric == "service_level":
        if arrived == 0:
            return math.nan
        return float(np.sum(waits <= scenario.hall.service_level_target_min) / arrived)
    if len(waits) == 0:
        return math.nan
    if target.metric == "wait_mean_min":
        return float(waits.mean())
    return float(np.quantile(waits, 0.5 if target.metric == "wait_p50_min" else 0.9))


def _replicate(job) -> dict[str, np.ndarray]:
    scenario, target, seed, rep, edges = job
    engine = "simpy" if scenario.uses_operations() else "auto"
    trace = trace_replication(scenario, seed, rep, engine=engine)
    return _period_values(scenario, target, trace, edges)


@dataclass
class Evaluation:
    """One roster simulated: per-period means and 95% t-intervals over replications."""

    levels: np.ndarray  # [group, period]
    mean: np.ndarray  # target metric per period (NaN: undefined in every replication)
    ci_low: np.ndarray
    ci_high: np.ndarray
    day: dict[str, float]  # the metric over the whole statistics window
    queue_at_start: np.ndarray  # mean citizens waiting at each period start
    utilisation: np.ndarray  # [group, period] busy / (windows × period length)

    def failing(self, target: Target) -> list[int]:
        """Periods whose mean misses the target."""
        return [p for p, x in enumerate(self.mean) if not target.met(float(x))]

    def meets(self, target: Target) -> bool:
        """Every period and the whole day (what ``hallsim run`` reports) meet the target."""
        return not self.failing(target) and target.met(float(self.day["mean"]))

    def worst(self, target: Target) -> int:
        """The period furthest on the wrong side of (or closest to) the target."""
        x = np.where(np.isnan(self.mean), -np.inf if target.op == "<=" else np.inf, self.mean)
        return int(np.argmax(x) if target.op == "<=" else np.argmin(x))


def _summary(values: np.ndarray, metric: str) -> tuple[float, float, float]:
    x = values[~np.isnan(values)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    low, high = interval(metric, mean, float(x.std(ddof=1)), len(x))  # inside its range
    return mean, low, high


class _Simulator:
    """Evaluates rosters on common random numbers, caching each one."""

    def __init__(self, scenario, target, replications, seed, workers, progress):
        self.scenario = scenario
        self.target = target
        self.replications = replications
        self.seed = seed
        self.edges = periods(scenario)
        self.pool = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
        self.cache: dict[bytes, Evaluation] = {}
        self.progress = progress
        self.runs = 0

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown(cancel_futures=True)

    def evaluate(self, levels: np.ndarray | None, note: str = "") -> Evaluation:
        """Simulate ``levels`` (None: the scenario as it is)."""
        key = b"as-is" if levels is None else levels.tobytes()
        if key in self.cache:
            return self.cache[key]
        sc = self.scenario if levels is None else roster_scenario(self.scenario, levels)
        jobs = [(sc, self.target, self.seed, r, self.edges) for r in range(self.replications)]
        if self.pool:
            out = list(self.pool.map(_replicate, jobs, chunksize=max(1, len(jobs) // 8)))
        else:
            out = [_replicate(j) for j in jobs]
        self.runs += 1
        if self.progress:
            self.progress(f"roster {self.runs}: {note}" if note else f"roster {self.runs}")
        values = np.array([o["value"] for o in out])  # [rep, period + 1]
        summ = [_summary(values[:, p], self.target.metric) for p in range(values.shape[1])]
        n_p = len(self.edges)
        width = np.array([b - a for a, b in self.edges])
        busy = np.mean([o["busy"] for o in out], axis=0)
        if levels is None:
            levels = _current_levels(self.scenario, self.edges)
        with np.errstate(divide="ignore", invalid="ignore"):
            util = busy / (levels * width[None, :])
        ev = Evaluation(
            levels=levels.copy(),
            mean=np.array([s[0] for s in summ[:n_p]]),
            ci_low=np.array([s[1] for s in summ[:n_p]]),
            ci_high=np.array([s[2] for s in summ[:n_p]]),
            day=dict(zip(("mean", "ci_low", "ci_high"), summ[n_p], strict=True)),
            queue_at_start=np.mean([o["queue"] for o in out], axis=0),
            utilisation=util,
        )
        self.cache[key] = ev
        return ev


def _current_levels(scenario: Scenario, edges) -> np.ndarray:
    """Time-average staffed windows per group and period of the scenario as written."""
    out = np.zeros((len(scenario.windows), len(edges)))
    for g in range(len(scenario.windows)):
        roster = scenario.roster(g)
        bounds = [t for t, _ in roster[1:]] + [np.inf]
        for p, (a, b) in enumerate(edges):
            out[g, p] = sum(
                n * max(0.0, min(b, t1) - max(a, t0))
                for (t0, n), t1 in zip(roster, bounds, strict=True)
            ) / (b - a)
    return out


# --------------------------------------------------------------------------- the advisor


@dataclass
class Advice:
    """The advisor's answer (see ``advise``)."""

    scenario: Scenario  # as given
    staffed: Scenario  # with the advised roster
    target: Target
    replications: int
    seed: int
    periods: list[tuple[float, float]]
    erlang: np.ndarray  # [group, period] Erlang C/A estimate
    offered_load: np.ndarray  # [group, period] Erlangs
    levels: np.ndarray  # [group, period] advised windows
    result: Evaluation  # the advised roster, simulated
    erlang_result: Evaluation  # the Erlang roster, simulated
    current: Evaluation  # the scenario as given, simulated
    runs: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def staff_hours(self) -> float:
        """Planned window-hours of the advised roster over opening hours."""
        width = np.array([b - a for a, b in self.periods])
        return float((self.levels * width[None, :]).sum() / 60.0)

    @property
    def erlang_staff_hours(self) -> float:
        width = np.array([b - a for a, b in self.periods])
        return float((self.erlang * width[None, :]).sum() / 60.0)

    @property
    def current_staff_hours(self) -> float:
        width = np.array([b - a for a, b in self.periods])
        return float((self.current.levels * width[None, :]).sum() / 60.0)

    def toml_snippets(self) -> list[tuple[str, str]]:
        """[(group name, TOML lines to put in that [[windows]] table), ...]."""
        out = []
        for g, w in enumerate(self.staffed.windows):
            lines = []
            original = self.scenario.windows[g]
            if self.scenario.run.mode != "day":
                lines.append(f"count = {w.count}")
            else:
                if w.count != original.count:
                    lines.append(f"count = {w.count}")
                items = ", ".join(f'"{k}" = {v}' for k, v in (w.staffed or {}).items())
                lines.append(f"staffed = {{ {items} }}")
            out.append((w.name, "\n".join(lines)))
        return out


def advise(
    scenario: Scenario,
    target: Target | str,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
    max_windows: int | None = None,
    keep_count: bool = False,
) -> Advice:
    """Fewest windows per period and group meeting ``target`` in every period (see module doc).

    ``replications`` and ``seed`` default to the scenario's run settings, so
    ``hallsim run`` on the pasted roster reproduces ``result.day`` exactly.
    ``max_windows`` caps any group's level (default: 3 × the largest of its
    count and its Erlang estimate, at least 20); StaffingError if the target
    cannot be met below it.  In day mode levels stay within each group's
    ``count`` while the target can be met that way (raising earlier periods to cut a
    carried-over queue of at least one citizen); beyond that they exceed ``count``
    and the snippet raises it.  ``keep_count`` never exceeds ``count`` (raising
    earlier periods whatever their carry-over) and fails if that is not enough.
    """
    if isinstance(target, str):
        target = parse_target(target)
    reps = scenario.run.replications if replications is None else replications
    if reps < 2:
        raise StaffingError("the advisor needs at least 2 replications for its intervals")
    seed = scenario.run.seed if seed is None else seed
    check_scenario(scenario)
    day = scenario.run.mode == "day"
    lowest = 0 if day else 1
    erlang, load = erlang_estimate(scenario, target)
    erlang = np.maximum(erlang, lowest)
    counts = np.array([w.count for w in scenario.windows])
    hard = (
        np.full(len(counts), max_windows)
        if max_windows is not None
        else np.maximum(20, 3 * np.maximum(counts, erlang.max(axis=1)))
    )
    if keep_count:
        hard = np.minimum(hard, counts)
    # day mode: stay within the physical windows (count) while that can work
    limit = np.minimum(counts, hard) if day else hard.copy()
    carry = 0.0 if keep_count else 1.0
    sim = _Simulator(scenario, target, reps, seed, workers, progress)
    pers = periods(scenario)
    label = [format_clock(a) if day else "all" for a, _ in pers]
    notes: list[str] = []
    try:
        current = sim.evaluate(None, "the scenario as written")
        erlang_result = sim.evaluate(erlang.copy(), "Erlang estimate")
        levels = np.minimum(erlang, limit[:, None])
        ev = sim.evaluate(levels, "Erlang estimate within count")
        # Period by period in time order: periods before p are settled; p's level is the
        # fewest windows with which p and every earlier period meet the target (p's
        # windows serve the queue its predecessors pass on).  Later periods keep their
        # Erlang levels until their turn.  Raising only helps earlier periods; lowering
        # is accepted only if they all still meet the target.
        for p in range(len(pers)):

            def ok(e: Evaluation, upto: int = p) -> bool:
                return all(target.met(float(x)) for x in e.mean[: upto + 1])

            while not ok(ev):
                q = next(q for q in range(p + 1) if not target.met(float(ev.mean[q])))
                choice = _raise_choice(levels, limit, load, ev, q, carry)
                if choice is None:
                    if (limit < hard).any():
                        limit = hard.copy()
                        notes.append(
                            f"{target} cannot be met within count by {label[p]}: "
                            "the roster needs more windows, and the snippet raises count"
                        )
                        continue
                    raise StaffingError(
                        f"{target} cannot be met in period {label[q]} with up to "
                        f"{int(hard.max())} windows per group"
                    )
                r, g = choice
                levels[g, r] += 1
                ev = sim.evaluate(
                    levels, f"{label[q]}: {target.metric} {ev.mean[q]:.3g}; +1 at {label[r]}"
                )
            lowered = True
            while lowered:
                lowered = False
                busy = np.nan_to_num(ev.utilisation[:, p], nan=-1.0)
                for g in np.argsort(busy, kind="stable"):
                    if levels[g, p] <= lowest:
                        continue
                    trial = levels.copy()
                    trial[g, p] -= 1
                    tev = sim.evaluate(trial, f"{label[p]}: try {int(trial[:, p].sum())}")
                    # accepted if p and the periods before it still meet the target and
                    # no later period that met it stops meeting it (no queue pushed on)
                    later = range(p + 1, len(pers))
                    if ok(tev) and all(
                        target.met(float(tev.mean[q])) or not target.met(float(ev.mean[q]))
                        for q in later
                    ):
                        levels, ev, lowered = trial, tev, True
                        break
        # the whole day (what `hallsim run` reports; for a percentile it can miss even
        # when every period meets the target): raise the worst period until it holds
        while not ev.meets(target):
            q = ev.worst(target)
            choice = _raise_choice(levels, hard, load, ev, q, carry)
            if choice is None:
                raise StaffingError(
                    f"{target} cannot be met over the day with up to "
                    f"{int(hard.max())} windows per group"
                )
            r, g = choice
            levels[g, r] += 1
            ev = sim.evaluate(
                levels, f"day: {target.metric} {ev.day['mean']:.3g}; +1 at {label[r]}"
            )
        if day and (levels.sum(axis=1)[load.sum(axis=1) > 0] == 0).any():
            raise StaffingError("a window group with demand would never be staffed")
        staffed = roster_scenario(scenario, levels)
        if any(w.breaks for w in scenario.windows):
            notes.append("the scenario's breaks were dropped: the advised levels are net of them")
        return Advice(
            scenario=scenario,
            staffed=staffed,
            target=target,
            replications=reps,
            seed=seed,
            periods=pers,
            erlang=erlang,
            offered_load=load,
            levels=levels,
            result=ev,
            erlang_result=erlang_result,
            current=current,
            runs=sim.runs,
            notes=notes,
        )
    finally:
        sim.close()


def _raise_choice(
    levels, limit, load, ev: Evaluation, p: int, carry: float = 1.0
) -> tuple[int, int] | None:
    """(period, group) to get one more window so that period ``p`` improves.

    The busiest group with demand in ``p`` (a closed one first).  If every group is at
    its limit there, walk back over the periods at their limit to the latest one that
    can take a window, and raise it if it passes on a queue (at least ``carry``
    citizens waiting, on average, when the run at the limit starts); else None.
    """
    for r in range(p, -1, -1):
        cand = [g for g in range(len(limit)) if load[g, r] > 0 and levels[g, r] < limit[g]]
        if cand:
            if r < p and ev.queue_at_start[r + 1] < carry:
                return None  # nothing carried over: more windows earlier would not help
            busiest = [
                math.inf if levels[g, r] == 0 else float(np.nan_to_num(ev.utilisation[g, r]))
                for g in cand
            ]
            return r, cand[int(np.argmax(busiest))]
    return None


def check_scenario(scenario: Scenario) -> None:
    """Raise StaffingError if the advisor cannot work on this scenario."""
    if scenario.run.mode == "day" and scenario.layout.queue != "single":
        raise StaffingError(
            "rosters need layout.queue = 'single'; for a per_window hall in day mode "
            "sweep windows.N.count instead (hallsim sweep)"
        )
