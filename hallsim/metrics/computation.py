"""From a replication's raw trace to metrics: one flat record plus breakdowns.

No random numbers and no plotting here.  Definitions (README, "Run it and read the output"):
citizen statistics count the visits whose ticket time falls in the scenario's
statistics window (day: open..close; steady state: [warmup, warmup+length));
time averages cover the day from open until the last citizen leaves (day
mode) or exactly the statistics window (steady state).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hallsim import satisfaction
from hallsim.engines.trace import BALKED, BLOCKED, MISSED, RENEGED, SERVED, UNSERVED, HallTrace
from hallsim.metrics.registry import METRICS as METRICS
from hallsim.metrics.registry import QUANTILES, REGISTRY
from hallsim.scenario import Scenario, format_clock, scenario_cache

NAN = float("nan")


OUTCOME_NAMES = np.array(
    ["served", "balked", "reneged", "unserved", "blocked", "missed"], dtype=object
)


@dataclass
class ReplicationResult:
    """Everything one replication produced.

    The breakdown tables are kept as plain column dicts and turned into
    DataFrames only when read (``res.matters``); ``experiment.collect`` stacks
    the columns of many replications into one DataFrame each, which is much
    cheaper than building small DataFrames per replication.
    """

    metrics: dict[str, float]
    visits: dict[str, np.ndarray]  # per counted visit, see satisfaction.rating_probabilities
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> columns
    log: pd.DataFrame | None = None  # per-citizen log, only when asked for

    def table(self, name: str) -> pd.DataFrame:
        """A breakdown table: ``matters``, ``groups``, ``periods`` or ``classes``."""
        cols = self.tables.get(name)
        return pd.DataFrame(cols) if cols else pd.DataFrame()

    @property
    def matters(self) -> pd.DataFrame:
        return self.table("matters")

    @property
    def groups(self) -> pd.DataFrame:
        return self.table("groups")

    @property
    def periods(self) -> pd.DataFrame:
        return self.table("periods")

    @property
    def classes(self) -> pd.DataFrame:
        return self.table("classes")


def _columns(rows: list[dict[str, Any]]) -> dict[str, list]:
    return {k: [r[k] for r in rows] for k in rows[0]} if rows else {}


def _quantiles(x: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """Quantiles by numpy's default (linear) method, without np.quantile's overhead.

    The hot path calls this a dozen times per replication on a few hundred
    values, where np.quantile's generality costs more than the sort itself.
    Interpolation uses numpy's own lerp formula, so the values are identical.
    """
    if len(x) == 0:
        return [NAN for _ in qs]
    xs = np.sort(x)
    out = []
    for q in qs:
        pos = q * (len(xs) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(xs) - 1)
        t = pos - lo
        a, b = float(xs[lo]), float(xs[hi])
        out.append(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)
    return out


def _q(x: np.ndarray, q: float) -> float:
    return _quantiles(x, (q,))[0]


def _mean(x: np.ndarray) -> float:
    # x.mean() of a float64 array is np.add.reduce(x) / len(x): the same sum and
    # the same division, bit for bit, without the generic method's overhead
    if not len(x):
        return NAN
    if x.dtype == np.float64:
        return float(np.add.reduce(x)) / len(x)
    return float(x.mean())


def _mean_count(x: np.ndarray) -> float:
    """Mean of an integer count array, equal to ``_mean(x.astype(float))``.

    Float sums of integers below 2**53 are exact in any order, so the integer
    sum converted once gives the same float without the cast.
    """
    return int(x.sum()) / len(x) if len(x) else NAN


class _ScenarioConstants:
    """What ``compute`` needs of a scenario that is the same in every replication.

    Clock strings, rosters and period labels cost more to derive than the
    arithmetic of a short day; scenarios are immutable (frozen models), so this
    is derived once per scenario (see ``_scenario_constants``).
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.day = scenario.run.mode == "day"
        self.s0, self.s1 = scenario.stats_window
        self.open_min = scenario.hall.open_min
        self.close_min = scenario.hall.close_min
        self.target = scenario.hall.service_level_target_min
        self.period_min = scenario.hall.period_min
        self.planned_min = (
            rostered_window_minutes(scenario, self.open_min, self.close_min) if self.day else 0.0
        )
        self.matter_names = scenario.matter_names
        self.uses_classes = scenario.uses_classes()
        self._labels: dict[float, str] = {}  # period start -> label
        self._lists: dict[bytes, tuple[str, ...]] = {}  # the starts' bytes -> their labels
        self._rostered: dict[tuple[float, float], float] = {}  # (a, b) -> window-minutes

    def staffed_windows(self, edges: np.ndarray) -> np.ndarray:
        """Mean staffed windows of the roster in each period between ``edges``.

        The window-minutes of each period are memoised: a day's periods are the same in
        every replication but the last (it ends when the last citizen leaves).
        """
        memo = self._rostered
        if len(memo) > 100_000:  # bounded memory in very long runs
            memo.clear()
        minutes = []
        for a, b in itertools.pairwise(edges.tolist()):
            m = memo.get((a, b))
            if m is None:
                m = memo[a, b] = rostered_window_minutes(self.scenario, a, b)
            minutes.append(m)
        return np.array(minutes) / (edges[1:] - edges[:-1])

    def period_labels(self, starts: np.ndarray) -> list[str]:
        """Label of each period start ('HH:MM' in day mode), memoised.

        A day's table has the same starts in (almost) every replication, so
        whole lists are memoised too, a few of them: a long steady-state run
        (``hallsim.streaming``) asks for ever new ones.
        """
        key = starts.tobytes()
        hit = self._lists.get(key)
        if hit is not None:
            return list(hit)
        labels = self._labels
        if len(labels) > 100_000:  # bounded memory in very long runs
            labels.clear()
        out = []
        for a in starts.tolist():
            label = labels.get(a)
            if label is None:
                label = labels[a] = format_clock(a) if self.day else f"{a:g}"
            out.append(label)
        if len(self._lists) < 16:
            self._lists[key] = tuple(out)
        return out


_scenario_constants = scenario_cache(_ScenarioConstants)  # the per-scenario constants, derived once


def overtaken_counts(
    arrival: np.ndarray, matter: np.ndarray, stop: np.ndarray, called: np.ndarray
) -> np.ndarray:
    """Per visit: later arrivals of the same matter called before it stopped waiting.

    These are Larson's (1987) "slips".  ``arrival`` must be sorted; ``stop``
    is when each visit stopped waiting (called, or left); ``called`` is when
    it was called (inf if never: a later citizen who gives up overtakes no
    one).  The count for i is #{j > i, same matter, called_j < stop_i}.  A
    suffix minimum finds the visits with any slip at all (none in a single
    ticket queue), and only the later arrivals who came while such a visit
    was waiting are compared, so the loop stays short and vectorised.
    """
    n = len(arrival)
    out = np.zeros(n, dtype=np.int64)
    if n == 0:
        return out
    if np.count_nonzero(matter != matter[0]) == 0:  # one matter: no need to split
        parts: list[Any] = [slice(None)]
    else:
        parts = [np.flatnonzero(matter == m) for m in np.flatnonzero(np.bincount(matter))]
    for idx in parts:
        arr, stop_at, ca = arrival[idx], stop[idx], called[idx]
        k = len(arr)
        # earliest call among later arrivals; i has a slip only if it is before stop_i
        later_min = np.empty(k)
        later_min[:-1] = np.minimum.accumulate(ca[::-1])[::-1][1:]
        later_min[-1] = np.inf
        active = np.flatnonzero(later_min < stop_at)
        if not len(active):
            continue
        reach = np.searchsorted(arr, stop_at[active], side="left") - active - 1
        cnt = np.zeros(k, dtype=np.int64)
        if len(active) <= 16:  # a few visits overtaken (a short day): count one by one
            calls = ca.tolist()
            rows = zip(active.tolist(), reach.tolist(), stop_at[active].tolist(), strict=True)
            cnt[active] = [
                sum(calls[j] < s for j in range(i + 1, i + max(r, 1) + 1)) for i, r, s in rows
            ]
        else:
            rows = np.arange(len(active))  # positions in ``active`` still counting
            d = 1
            while len(rows):
                at = active[rows]
                cnt[at] += ca[at + d] < stop_at[at]
                d += 1
                rows = rows[reach[rows] >= d]
        out[idx] = cnt
    return out


def _level_max(times: np.ndarray, levels: np.ndarray, start: float, end: float) -> float:
    # level in force at ``start`` plus every level set inside (start, end)
    i0 = max(int(np.searchsorted(times, start, side="right")) - 1, 0)
    i1 = int(np.searchsorted(times, end, side="left"))
    return float(levels[i0 : max(i1, i0 + 1)].max())


def rostered_window_minutes(scenario: Scenario, start: float, stop: float) -> float:
    """Window-minutes the roster staffs in [start, stop], all groups (the level at close holds on).

    Without rosters this is every window over the interval.  Minutes; this is
    the *planned* time: finishing a citizen after a window closes is extra.
    """
    total = 0.0
    for g in range(len(scenario.windows)):
        roster = scenario.roster(g)
        bounds = [t for t, _ in roster[1:]] + [np.inf]
        for (t, level), t_next in zip(roster, bounds, strict=True):
            total += level * max(0.0, min(stop, t_next) - max(start, t))
    return total


@dataclass
class _WholeRun:
    """Wait statistics of every served counted visit, shared with the tables.

    A breakdown row that covers every counted visit (one matter, one window
    group) has exactly these values; reusing them saves a mask and a sort.
    """

    n_served: int
    mean: float
    p90: float
    within_target: int  # served waits <= the service level target
    csat: float  # predicted CSAT over every counted visit


def _rating_inputs(
    scenario, trace, counted, served, sub, wait_all, in_hall_all, overtaken, matter
) -> dict[str, np.ndarray]:
    """Each counted visit's inputs to the satisfaction model (one place for the full and
    the selected computation)."""
    n = int(np.count_nonzero(counted))
    clerk = trace.clerks[trace.window[counted]] if n else np.empty((0, 4))
    clerk[~served] = np.nan  # clerk is a fresh copy: only served visits met one
    if trace.kiosk is not None:  # a kiosk has no clerk: the model's neutral attitude
        clerk[served & (sub(trace.window) < 0)] = scenario.satisfaction.attitude_reference
    visits = {
        "wait_min": wait_all,
        "time_in_system_min": in_hall_all,
        "outcome": sub(trace.outcome),
        "settled": sub(trace.settled) & served,
        "overtaken": overtaken,
        "proactiveness": clerk[:, 0],
        "responsibility": clerk[:, 1],
        "care": clerk[:, 2],
        "enthusiasm": clerk[:, 3],
        "matter": matter,
        "window_group": sub(trace.group),
    }
    visits.update(_class_expectations(scenario, trace, counted))
    return visits


def _served_at_windows(trace) -> np.ndarray:
    """Every visit (warm-up included) served at a window: a citizen done at a kiosk is
    served, but at no window."""
    served = trace.outcome == SERVED
    if trace.kiosk is not None:
        served = served & (trace.window >= 0)
    return served


def _window_minutes(trace, const, all_served, all_call, all_end) -> tuple[np.ndarray, np.ndarray]:
    """Each window's busy and staffed minutes (utilisation = their ratio).

    Day: busy over the whole day; staffed from open to close or its last service
    end, or its on-duty spells under a roster. Steady state: both within [s0, s1).
    """
    win_of = trace.window[all_served]
    n_windows = len(trace.window_group)
    s0, s1 = const.s0, const.s1
    if not const.day:
        busy = np.bincount(
            win_of,
            weights=np.maximum(np.minimum(all_end, s1) - np.maximum(all_call, s0), 0.0),
            minlength=n_windows,
        )
        if trace.duty_window is not None:  # elastic windows: staffed only while open
            spell = np.minimum(trace.duty_end_min, s1) - np.maximum(trace.duty_start_min, s0)
            staffed = np.bincount(
                trace.duty_window, weights=np.maximum(spell, 0.0), minlength=n_windows
            )
            return busy, staffed
        return busy, np.full(n_windows, s1 - s0)
    busy = np.bincount(win_of, weights=all_end - all_call, minlength=n_windows)
    if trace.duty_window is not None:  # rosters: the spells each window was on duty
        staffed = np.bincount(
            trace.duty_window,
            weights=trace.duty_end_min - trace.duty_start_min,
            minlength=n_windows,
        )
        return busy, staffed
    last_end = np.full(n_windows, const.close_min)
    if len(win_of):
        np.maximum.at(last_end, win_of, all_end)
    return busy, last_end - const.open_min


# Which metrics need which of compute()'s costlier intermediate results: a caller that
# asks for a few metrics (a sweep, the optimiser) skips the rest.
_PREDICTED = frozenset(m.name for m in REGISTRY if m.predicted)
_USE_OVERTAKEN = frozenset({"overtaken_mean", "overtaken_mean_regular"}) | _PREDICTED
_USE_QUEUE = frozenset({"queue_len_mean", "queue_len_max"})
_USE_WINDOWS = frozenset({"utilisation", "staff_hours", "staff_overtime_min"})
_USE_OPERATIONS = frozenset(
    {
        "wait_mean_booked_min",
        "wait_mean_walkin_min",
        "wait_mean_priority_min",
        "wait_mean_regular_min",
        "overtaken_mean_regular",
        "no_shows",
    }
)


def metric_selection(metrics) -> frozenset[str] | None:
    """The set of metric names a caller asked for (None: every metric).

    Raises ValueError naming an unknown metric or an empty selection.
    """
    if metrics is None:
        return None
    if isinstance(metrics, str):
        metrics = [metrics]
    chosen = frozenset(metrics)
    unknown = sorted(chosen.difference(METRICS))
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {', '.join(METRICS)}")
    if not chosen:
        raise ValueError("metrics: name at least one metric (or None for all)")
    return chosen


def compute(
    scenario: Scenario,
    trace: HallTrace,
    log: bool = False,
    breakdowns: bool = True,
    period_rows: tuple[int, int] | None = None,
    metrics: frozenset[str] | None = None,
) -> ReplicationResult:
    """Metrics of one replication (contract §3) and its breakdown tables.

    ``period_rows`` (k0, k1) limits the period table to those rows of the
    full table (``hallsim.streaming``: a segment of a long run touches only a
    few periods, and the full table would cost O(periods) per segment).

    ``metrics`` (a set from ``metric_selection``): compute only these metrics,
    with no breakdown tables, no log and an empty ``visits``; each value is the
    one the full computation gives, bit for bit.
    """
    if metrics is not None and trace.station is None:
        return _compute_selected(scenario, trace, metrics)
    if metrics is not None:  # visits (docs/visits.md): rows are steps, counted by the
        # first ticket; the shortcut counts rows by their own ticket, so use the full path
        full = compute(scenario, trace, breakdowns=False)
        return ReplicationResult({m: full.metrics[m] for m in METRICS if m in metrics}, {})
    const = _scenario_constants(scenario)
    s0, s1 = const.s0, const.s1
    day = const.day
    # with several steps per visit (docs/visits.md) a citizen's every step counts by
    # their first ticket, so per-queue and per-citizen counts cover the same citizens
    ticket = trace.arrival_min if trace.visit_start_min is None else trace.visit_start_min
    counted, n, sub = _counted_rows(ticket, s0, s1)
    arr = sub(trace.arrival_min)
    outcome = sub(trace.outcome)
    call = sub(trace.call_min)
    end = sub(trace.end_min)
    matter = sub(trace.matter)
    served = outcome == SERVED
    wait_all = np.where(served, call - arr, end - arr)  # abandoners: until they left
    wait = wait_all[served]
    in_hall_all = end - arr  # time in the hall (abandoners: until they left)
    in_hall = in_hall_all[served]
    n_served = int(np.count_nonzero(served))

    # with stations (docs/visits.md) a queue is a (station, matter) pair, not a matter
    queue_key = (
        matter
        if trace.station is None
        else matter + len(scenario.matters) * (sub(trace.station) + 1)
    )
    overtaken = overtaken_counts(
        arr, queue_key, np.where(served, call, end), np.where(served, call, np.inf)
    )

    # time averages: day mode over open..last departure; steady state over [s0, s1)
    t0, t1 = (s0, max(trace.horizon_end_min, const.close_min)) if day else (s0, s1)
    qt, ql = trace.queue_times, trace.queue_levels
    q_levels = ql.astype(float)
    q_area = _step_area(qt, q_levels)  # shared by queue_len_mean and the period table
    span = t1 - t0
    all_served = _served_at_windows(trace)
    all_call, all_end = trace.call_min[all_served], trace.end_min[all_served]
    busy_w, staffed_w = _window_minutes(trace, const, all_served, all_call, all_end)

    visits = _rating_inputs(
        scenario, trace, counted, served, sub, wait_all, in_hall_all, overtaken, matter
    )
    sat_cfg = scenario.satisfaction
    if sat_cfg.enabled and n:
        probs = satisfaction.rating_probabilities(visits, scenario.hall.comfort, sat_cfg)
    else:
        probs = np.empty((0, 5))
    # mean predicted share of each rating level over the visits; the headlines follow
    rating_shares = satisfaction.rating_distribution(probs)
    sat = satisfaction.summarise_shares(rating_shares, sat_cfg)

    wait_mean = _mean(wait)
    overtaken_mean = _mean_count(overtaken)
    if trace.booked is None and trace.klass is None:
        # no booked visits and one (regular) class: every served visit is a
        # regular walk-in, so these are the overall values
        ops = {
            "wait_mean_booked_min": NAN,
            "wait_mean_walkin_min": wait_mean,
            "wait_mean_priority_min": NAN,
            "wait_mean_regular_min": wait_mean,
            "overtaken_mean_regular": overtaken_mean,
            "no_shows": float(trace.no_shows),
        }
    else:
        ops = _operations_metrics(scenario, trace, counted, served, wait, overtaken)
    staffed_sum = staffed_w.sum()
    if day:
        ops["staff_overtime_min"] = max(0.0, float(staffed_sum) - const.planned_min)
    else:
        ops["staff_overtime_min"] = 0.0
    ops["staff_hours"] = float(staffed_sum) / 60.0

    balked = int(np.count_nonzero(outcome == BALKED))
    reneged = int(np.count_nonzero(outcome == RENEGED))
    blocked = int(np.count_nonzero(outcome == BLOCKED))
    missed_lost = int(np.count_nonzero(outcome == MISSED))
    target = const.target
    # every quantile metric of the registry: one call per sample (each call sorts)
    samples = {"wait": wait, "time_in_system": in_hall}
    quantiles = {
        name: value
        for sample, items in QUANTILES.items()
        if items  # a sample no metric asks a quantile of is not sorted
        for (name, _), value in zip(
            items, _quantiles(samples[sample], tuple(q for _, q in items)), strict=True
        )
    }
    p90 = quantiles["wait_p90_min"]
    within = int(np.count_nonzero(wait <= target))
    q_at = _step_at(qt, q_levels, q_area, np.array([t0, t1]))
    metrics = {
        "arrived": float(n),
        "served": float(n_served),
        "balked": float(balked),
        "reneged": float(reneged),
        "abandoned": float(balked + reneged),
        "wait_mean_min": wait_mean,
        "wait_p50_min": quantiles["wait_p50_min"],
        "wait_p90_min": p90,
        "wait_max_min": float(wait.max()) if len(wait) else NAN,
        "service_level": within / n if n else NAN,
        "queue_len_mean": float(q_at[1] - q_at[0]) / span if span > 0 else NAN,
        "queue_len_max": _level_max(qt, ql, t0, t1),
        "utilisation": float(busy_w.sum() / staffed_sum) if staffed_sum > 0 else NAN,
        "time_in_system_mean_min": _mean(in_hall),
        "first_contact_resolution": (
            int(np.count_nonzero(visits["settled"])) / n_served if n_served else NAN
        ),
        "satisfaction_mean": sat["satisfaction_mean"],
        "csat": sat["csat"],
        "bad_review_rate": sat["bad_review_rate"],
        "unserved": float(n - n_served - balked - reneged - blocked - missed_lost),
        "return_visits": float(np.count_nonzero(sub(trace.is_return))),
        "returns_later": float(trace.returns_later),
        "overtime_min": max(0.0, trace.horizon_end_min - const.close_min) if day else 0.0,
        "complaint_rate": sat.get("complaint_rate", NAN),
        "overtaken_mean": overtaken_mean,
        "service_mean_min": _mean((end - call)[served]),
        **ops,
        "refused_cap": float(trace.refused_cap),
        "blocked": float(blocked),
        "missed_calls": float(trace.missed_calls),
        "missed_lost": float(missed_lost),
        "missed_wasted_min": float(trace.missed_wasted_min),
        **{f"rating_{k + 1}": float(share) for k, share in enumerate(rating_shares)},
        **_kiosks_tidal_metrics(const, trace, counted, n, t0, t1),
    }
    for name, value in quantiles.items():
        metrics.setdefault(name, value)
    if trace.citizen_arrival_min is not None:
        metrics.update(_visit_metrics(trace, s0, s1))

    if not breakdowns:  # sweeps need only the metrics: skip the tables
        return ReplicationResult(metrics, visits)
    whole = _WholeRun(n_served, wait_mean, p90, within, sat["csat"])
    result = ReplicationResult(
        metrics,
        visits,
        {
            "matters": _matter_table(
                const,
                *_at_matter_windows(trace, sub, target, matter, served, wait_all, probs, whole),
            )
            | _refused_column(trace, len(const.matter_names)),
            "groups": _group_table(
                scenario, trace, visits["window_group"], served, wait_all, busy_w, staffed_w, whole
            )
            | _role_columns(scenario, trace),
            "periods": _period_table(
                const,
                trace,
                arr,
                served,
                wait,
                (all_call, all_end, trace.group[all_served]),
                (q_levels, q_area),
                t0,
                t1,
                period_rows,
            ),
        },
    )
    if trace.station is not None:
        result.tables["stations"] = _station_table(
            scenario, trace, sub, served, wait_all, in_hall_all, busy_w, staffed_w, span
        )
    if trace.clerk_speed is not None:
        result.tables["clerks"] = _clerk_table(scenario, trace, busy_w, staffed_w)
    if const.uses_classes:
        result.tables["classes"] = _class_table(
            scenario, trace.klass[counted], outcome, wait_all, overtaken, probs, target
        )
    if log:
        result.log = pd.DataFrame(
            {
                "arrival_min": arr,
                "arrival": [format_clock(t) for t in arr] if day else arr,
                "matter": np.asarray(scenario.matter_names, dtype=object)[matter],
                "window_group": [
                    scenario.windows[g].name if g >= 0 else None for g in trace.group[counted]
                ],
                "window": trace.window[counted],
                "wait_min": wait_all,
                "service_min": end - call,
                "outcome": OUTCOME_NAMES[outcome],
                "settled": visits["settled"],
                "is_return": trace.is_return[counted],
                "overtaken": overtaken,
            }
        )
        if trace.klass is not None and const.uses_classes:
            result.log["class"] = np.asarray(scenario.class_names, dtype=object)[
                trace.klass[counted]
            ]
        if trace.booked is not None and scenario.uses_appointments():
            result.log["booked"] = trace.booked[counted]
        if trace.station is not None:  # one row per queue joined (docs/visits.md)
            names = np.asarray([*scenario.station_names, "windows"], dtype=object)
            result.log["station"] = names[trace.station[counted]]
            result.log["matters_done"] = trace.matters_done[counted]
    return result


# --------------------------------------------------------------------------- visits
# Multi-matter visits and stations in sequence (docs/visits.md): with them each trace row
# is one queue joined; these read the per-citizen arrays and the station column.


def _visit_metrics(trace: HallTrace, s0: float, s1: float) -> dict[str, float]:
    """Per citizen (first ticket in the statistics window), not per queue joined."""
    mine = (trace.citizen_arrival_min >= s0) & (trace.citizen_arrival_min < s1)
    complete = trace.citizen_complete[mine]
    done = trace.citizen_matters_done[mine]
    return {
        "citizens": float(np.count_nonzero(mine)),
        "time_in_hall_mean_min": _mean(trace.citizen_in_hall_min[mine][complete]),
        "queues_per_citizen": _mean(trace.citizen_queues[mine].astype(float)),
        "matters_per_citizen": _mean(trace.citizen_matters[mine].astype(float)),
        "left_part_done": float(np.count_nonzero(~complete & (done > 0))),
        "second_trips": float(trace.second_trips),
        "second_trips_later": float(trace.second_trips_later),
    }


def _at_matter_windows(trace, sub, target, matter, served, wait_all, probs, whole):
    """The matter table's inputs restricted to rows at matter windows (not stations)."""
    if trace.station is None:
        return matter, served, wait_all, probs, whole
    at = sub(trace.station) < 0
    w = wait_all[at & served]
    csat = float(np.mean(probs[at][:, 3] + probs[at][:, 4])) if len(probs) and at.any() else NAN
    within = int(np.count_nonzero(w <= target))
    sel = (matter[at], served[at], wait_all[at], probs[at] if len(probs) else probs)
    return (*sel, _WholeRun(len(w), _mean(w), _q(w, 0.9), within, csat))


def _station_table(
    scenario, trace, sub, served, wait_all, in_hall_all, busy_w, staffed_w, span
) -> dict[str, list]:
    """Per station (the matter windows as "windows"): queues joined, waits, the mean
    number there (Little: time spent there per minute of the statistics window) and
    utilisation."""
    station = sub(trace.station)
    group_station = np.array(
        [
            scenario.station_names.index(w.station) if w.station is not None else -1
            for w in scenario.windows
        ],
        dtype=np.int64,
    )
    window_station = group_station[trace.window_group]
    rows = []
    for s, name in [(-1, "windows"), *enumerate(scenario.station_names)]:
        at = station == s
        ok = at & served
        staffed = staffed_w[window_station == s].sum()
        rows.append(
            {
                "station": name,
                "arrived": int(np.count_nonzero(at)),
                "served": int(np.count_nonzero(ok)),
                "wait_mean_min": _mean(wait_all[ok]),
                "time_at_station_mean_min": _mean(in_hall_all[ok]),
                "in_station_mean": float(in_hall_all[at].sum() / span) if span > 0 else NAN,
                "utilisation": float(busy_w[window_station == s].sum() / staffed)
                if staffed > 0
                else NAN,
            }
        )
    return _columns(rows)


def _counted_rows(ticket: np.ndarray, s0: float, s1: float):
    """The rows whose ticket time is in [s0, s1): (mask, how many, the subset of a column)."""
    counted = (ticket >= s0) & (ticket < s1)
    n = int(np.count_nonzero(counted))
    every = n == len(counted)  # usual in day mode: a copy is cheaper than a mask

    def sub(x: np.ndarray) -> np.ndarray:
        return x.copy() if every else x[counted]

    return counted, n, sub


def _compute_selected(scenario: Scenario, trace: HallTrace, wanted: frozenset[str]):
    """``compute`` for a few metrics: the same formulas, each intermediate result only
    if a wanted metric needs it (see the _USE_* sets). Keep in step with ``compute``."""
    const = _scenario_constants(scenario)
    s0, s1 = const.s0, const.s1
    day = const.day
    counted, n, sub = _counted_rows(trace.arrival_min, s0, s1)
    arr = sub(trace.arrival_min)
    outcome = sub(trace.outcome)
    call = sub(trace.call_min)
    end = sub(trace.end_min)
    served = outcome == SERVED
    wait_all = np.where(served, call - arr, end - arr)
    wait = wait_all[served]
    n_served = int(np.count_nonzero(served))
    out: dict[str, float] = {}
    want = wanted.__contains__

    simple_ops = trace.booked is None and trace.klass is None
    overtaken = None
    if not wanted.isdisjoint(_USE_OVERTAKEN) or (
        not simple_ops and not wanted.isdisjoint(_USE_OPERATIONS)
    ):
        matter = sub(trace.matter)
        overtaken = overtaken_counts(
            arr, matter, np.where(served, call, end), np.where(served, call, np.inf)
        )
    wait_mean = _mean(wait) if want("wait_mean_min") or simple_ops else NAN

    if not wanted.isdisjoint(_PREDICTED):
        visits = _rating_inputs(
            scenario, trace, counted, served, sub, wait_all, end - arr, overtaken, matter
        )
        sat_cfg = scenario.satisfaction
        if sat_cfg.enabled and n:
            probs = satisfaction.rating_probabilities(visits, scenario.hall.comfort, sat_cfg)
        else:
            probs = np.empty((0, 5))
        rating_shares = satisfaction.rating_distribution(probs)
        sat = satisfaction.summarise_shares(rating_shares, sat_cfg)
        out["satisfaction_mean"] = sat["satisfaction_mean"]
        out["csat"] = sat["csat"]
        out["bad_review_rate"] = sat["bad_review_rate"]
        out["complaint_rate"] = sat.get("complaint_rate", NAN)
        for k, share in enumerate(rating_shares):
            out[f"rating_{k + 1}"] = float(share)

    if not wanted.isdisjoint(_USE_OPERATIONS):
        if simple_ops:
            out.update(
                wait_mean_booked_min=NAN,
                wait_mean_walkin_min=wait_mean,
                wait_mean_priority_min=NAN,
                wait_mean_regular_min=wait_mean,
                overtaken_mean_regular=_mean_count(overtaken) if overtaken is not None else NAN,
                no_shows=float(trace.no_shows),
            )
        else:
            out.update(_operations_metrics(scenario, trace, counted, served, wait, overtaken))

    t0, t1 = (s0, max(trace.horizon_end_min, const.close_min)) if day else (s0, s1)
    if not wanted.isdisjoint(_USE_QUEUE):
        qt, ql = trace.queue_times, trace.queue_levels
        if want("queue_len_mean"):
            q_levels = ql.astype(float)
            q_at = _step_at(qt, q_levels, _step_area(qt, q_levels), np.array([t0, t1]))
            span = t1 - t0
            out["queue_len_mean"] = float(q_at[1] - q_at[0]) / span if span > 0 else NAN
        if want("queue_len_max"):
            out["queue_len_max"] = _level_max(qt, ql, t0, t1)
    if not wanted.isdisjoint(_USE_WINDOWS):
        all_served = _served_at_windows(trace)
        all_call, all_end = trace.call_min[all_served], trace.end_min[all_served]
        busy_w, staffed_w = _window_minutes(trace, const, all_served, all_call, all_end)
        staffed_sum = staffed_w.sum()
        out["staff_overtime_min"] = max(0.0, float(staffed_sum) - const.planned_min) if day else 0.0
        out["staff_hours"] = float(staffed_sum) / 60.0
        out["utilisation"] = float(busy_w.sum() / staffed_sum) if staffed_sum > 0 else NAN

    samples = {"wait": lambda: wait, "time_in_system": lambda: (end - arr)[served]}
    for sample, items in QUANTILES.items():
        items = [(name, q) for name, q in items if name in wanted]
        if items:
            values = _quantiles(samples[sample](), tuple(q for _, q in items))
            out.update(zip((name for name, _ in items), values, strict=True))

    def count(code: int) -> int:
        return int(np.count_nonzero(outcome == code))

    cheap = {
        "arrived": lambda: float(n),
        "served": lambda: float(n_served),
        "balked": lambda: float(count(BALKED)),
        "reneged": lambda: float(count(RENEGED)),
        "abandoned": lambda: float(count(BALKED) + count(RENEGED)),
        "wait_mean_min": lambda: wait_mean,
        "wait_max_min": lambda: float(wait.max()) if len(wait) else NAN,
        "service_level": lambda: int(np.count_nonzero(wait <= const.target)) / n if n else NAN,
        "time_in_system_mean_min": lambda: _mean((end - arr)[served]),
        "first_contact_resolution": lambda: (
            int(np.count_nonzero(sub(trace.settled) & served)) / n_served if n_served else NAN
        ),
        "unserved": lambda: float(
            n - n_served - count(BALKED) - count(RENEGED) - count(BLOCKED) - count(MISSED)
        ),
        "return_visits": lambda: float(np.count_nonzero(sub(trace.is_return))),
        "returns_later": lambda: float(trace.returns_later),
        "overtime_min": lambda: max(0.0, trace.horizon_end_min - const.close_min) if day else 0.0,
        "overtaken_mean": lambda: _mean_count(overtaken),
        "service_mean_min": lambda: _mean((end - call)[served]),
        "refused_cap": lambda: float(trace.refused_cap),
        "blocked": lambda: float(count(BLOCKED)),
        "missed_calls": lambda: float(trace.missed_calls),
        "missed_lost": lambda: float(count(MISSED)),
        "missed_wasted_min": lambda: float(trace.missed_wasted_min),
    }
    metrics = {}
    full = None  # a metric this shortcut does not know (a newer mechanism's): the full
    # computation gives it, so a new metric needs no edit here to be selectable
    for name in METRICS:  # registry order, as in the full computation
        if name not in wanted:
            continue
        if name in out:
            metrics[name] = out[name]
        elif name in cheap:
            metrics[name] = cheap[name]()
        else:
            if full is None:
                full = compute(scenario, trace, breakdowns=False).metrics
            metrics[name] = full[name]
    return ReplicationResult(metrics, {})


def _operations_metrics(scenario, trace, counted, served, wait, overtaken) -> dict[str, float]:
    """Waits of booked / walk-in and priority / regular citizens (served, minutes)."""
    n = int(counted.sum())
    booked = trace.booked[counted] if trace.booked is not None else np.zeros(n, dtype=bool)
    klass = trace.klass[counted] if trace.klass is not None else np.zeros(n, dtype=np.int64)
    priority = np.asarray([0] + [k.priority for k in scenario.classes or []])[klass] > 0
    return {
        "wait_mean_booked_min": _mean(wait[booked[served]]),
        "wait_mean_walkin_min": _mean(wait[~booked[served]]),
        "wait_mean_priority_min": _mean(wait[priority[served]]),
        "wait_mean_regular_min": _mean(wait[~priority[served]]),
        "overtaken_mean_regular": _mean(overtaken[~priority].astype(float)),
        "no_shows": float(trace.no_shows),
    }


def _class_table(scenario, klass, outcome, wait_all, overtaken, probs, target) -> dict[str, list]:
    """Per citizen class ('regular' first): waits, service level, overtakes, predicted ratings.

    Counts come from one bincount each, and each class's served waits are a slice of the
    served waits stably sorted by class (the same values in the same order as a mask
    gives them, so the same means and quantiles).
    """
    names = scenario.class_names
    k_all = len(names)
    served = outcome == SERVED
    k_srv = klass[served]
    w_srv = wait_all[served]

    def count(sel: np.ndarray, weights=None) -> list:
        return np.bincount(sel, weights=weights, minlength=k_all).tolist()

    arrived = count(klass)
    n_srv = count(k_srv)
    abandoned = count(klass[(outcome == BALKED) | (outcome == RENEGED)])
    unserved = count(klass[outcome == UNSERVED])
    within = count(k_srv[w_srv <= target])
    # float sums of integer counts are exact: the same as summing each class's floats
    overtaken_sum = count(klass, overtaken)
    w_by_class = w_srv[np.argsort(k_srv, kind="stable")]
    bounds = [0, *itertools.accumulate(n_srv)]
    rows = []
    for k, name in enumerate(names):
        w = w_by_class[bounds[k] : bounds[k + 1]]
        p = probs[klass == k] if len(probs) else np.empty((0, 5))
        sat = satisfaction.summarise(p, scenario.satisfaction)
        n_k = arrived[k]
        rows.append(
            {
                "class": name,
                "priority": 0 if k == 0 else scenario.classes[k - 1].priority,
                "arrived": n_k,
                "served": n_srv[k],
                "abandoned": abandoned[k],
                "unserved": unserved[k],
                "wait_mean_min": _mean(w),
                "wait_p90_min": _q(w, 0.9),
                "service_level": within[k] / n_k if n_k else NAN,
                "overtaken_mean": overtaken_sum[k] / n_k if n_k else NAN,
                "satisfaction_mean": sat["satisfaction_mean"],
                "csat": sat["csat"],
            }
        )
    return _columns(rows)


def _refused_column(trace: HallTrace, n_matters: int) -> dict[str, list]:
    """Tickets refused per matter by daily caps (docs/mechanisms.md §1); zeros without caps."""
    refused = trace.refused_by_matter
    return {"refused_cap": refused.tolist() if refused is not None else [0] * n_matters}


def _matter_table(const, matter, served, wait_all, probs, whole) -> dict[str, list]:
    rows = []
    n = len(matter)
    n_matters = len(const.matter_names)
    counts = np.bincount(matter, minlength=n_matters)
    if len(probs):  # mean predicted P(rating 4 or 5) per matter, in one pass
        csat_sum = np.bincount(matter, weights=probs[:, 3] + probs[:, 4], minlength=n_matters)
        csat_of = np.divide(
            csat_sum, counts, out=np.full(n_matters, NAN), where=counts > 0
        ).tolist()
    else:
        csat_of = [NAN] * n_matters
    for k, (name, arrived) in enumerate(zip(const.matter_names, counts.tolist(), strict=True)):
        if arrived == n:  # every visit has this matter: the overall statistics
            n_srv, w_mean, w_p90, within = (
                whole.n_served,
                whole.mean,
                whole.p90,
                whole.within_target,
            )
            csat_of[k] = whole.csat  # the headline itself, not a re-summed equal
        else:
            w = wait_all[(matter == k) & served]
            n_srv, w_mean, w_p90 = len(w), _mean(w), _q(w, 0.9)
            within = int(np.count_nonzero(w <= const.target))
        rows.append(
            {
                "matter": name,
                "arrived": arrived,
                "served": n_srv,
                "abandoned": arrived - n_srv,
                "wait_mean_min": w_mean,
                "wait_p90_min": w_p90,
                "service_level": within / arrived if arrived else NAN,
                "csat": csat_of[k],
            }
        )
    return _columns(rows)


def _group_table(
    scenario, trace, grp, served, wait_all, busy_w, staffed_w, whole
) -> dict[str, list]:
    rows = []
    for g, wg in enumerate(scenario.windows):
        sel = served & (grp == g)
        n_sel = int(np.count_nonzero(sel))
        if n_sel == whole.n_served:  # sel is within served: every served visit
            w_mean, w_p90 = whole.mean, whole.p90
        else:
            w = wait_all[sel]
            w_mean, w_p90 = _mean(w), _q(w, 0.9)
        mine = trace.window_group == g
        staffed = staffed_w[mine].sum()
        rows.append(
            {
                "window_group": wg.name,
                "windows": int(np.count_nonzero(mine)),
                "served": n_sel,
                "wait_mean_min": w_mean,
                "wait_p90_min": w_p90,
                "utilisation": float(busy_w[mine].sum() / staffed) if staffed > 0 else NAN,
            }
        )
    return _columns(rows)


def _covered(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Total time covered by intervals [starts, ends) within each bin of ``edges``.

    Uses F(x) = Σ_i (min(x, e_i) − s_i)⁺ = Σ_{s_i<x}(x − s_i) − Σ_{e_i<x}(x − e_i),
    evaluated at every edge with sorted prefix sums: O((n + bins) log n), which
    keeps long steady-state runs (thousands of periods) linear.
    """
    out = np.zeros(len(edges))
    for pts, add in ((np.sort(starts), True), (np.sort(ends), False)):
        k = pts.searchsorted(edges)  # side="left"
        csum = np.zeros(len(pts) + 1)
        pts.cumsum(out=csum[1:])
        term = k * edges
        term -= csum[k]
        if add:
            out += term
        else:
            out -= term
    return out[1:] - out[:-1]


def _step_area(times: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """∫ level dt from times[0] to each of ``times`` (right-continuous step function)."""
    area = np.empty(max(len(times), 1))
    area[0] = 0.0
    np.cumsum(levels[:-1] * (times[1:] - times[:-1]), out=area[1:])
    return area


def _step_at(times: np.ndarray, levels: np.ndarray, area: np.ndarray, x: np.ndarray) -> np.ndarray:
    """∫ level dt from times[0] to each of ``x``, given ``area = _step_area(times, levels)``."""
    idx = np.searchsorted(times, x, side="right") - 1
    np.maximum(idx, 0, out=idx)  # before the first step: its level (searchsorted <= len)
    return area[idx] + levels[idx] * np.maximum(x - times[idx], 0.0)


def _step_integral(times: np.ndarray, levels: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """∫ level dt within each bin of ``edges`` for a right-continuous step function."""
    at = _step_at(times, levels, _step_area(times, levels), edges)
    return at[1:] - at[:-1]


def period_starts(scenario: Scenario, t0: float, t1: float) -> np.ndarray:
    """Start of each period of the period table over [t0, t1] (at least one)."""
    return np.arange(t0, t1, scenario.hall.period_min) if t1 > t0 else np.array([t0])


def _period_table(
    const, trace, arr, served, wait, served_all, queue, t0, t1, rows=None
) -> dict[str, Any]:
    """Per period of ``hall.period_min``: arrivals, waits, queue and utilisation by group.

    ``served_all`` is (call, end, group) of every served visit, counted or
    not; ``queue`` the float queue levels and their ``_step_area``; ``rows``
    (k0, k1) the rows of the full table to compute (all if None).
    """
    scenario = const.scenario
    all_starts = period_starts(scenario, t0, t1)
    k0, k1 = rows if rows is not None else (0, len(all_starts))
    last = k1 == len(all_starts)  # the table's last row: closed on the right
    starts = all_starts[k0:k1]
    nbins = len(starts)
    edges = np.empty(nbins + 1)
    edges[:-1] = starts
    edges[-1] = max(t1, all_starts[-1] + 1e-9) if last else all_starts[k1]
    lengths = edges[1:] - edges[:-1]
    call, end, grp = served_all
    rostered = trace.duty_window is not None
    duty_group = trace.window_group[trace.duty_window] if rostered else None

    # period of each counted visit: edges[b] <= arrival < edges[b + 1]
    bin_of = np.searchsorted(edges, arr, side="right") - 1
    srv_bin = bin_of[served]
    ok = (srv_bin >= 0) & (srv_bin < nbins)
    if np.count_nonzero(ok) < len(ok):
        srv_bin, wait = srv_bin[ok], wait[ok]
    served_n = np.bincount(srv_bin, minlength=nbins)
    wait_sum = np.bincount(srv_bin, weights=wait, minlength=nbins)
    wait_mean = np.where(served_n > 0, wait_sum / np.maximum(served_n, 1), np.nan)
    # arrivals as np.histogram(arr, bins=edges) counts them: the last bin is closed
    arr_bin = np.where(arr == edges[-1], nbins - 1, bin_of) if last else bin_of
    inside = (arr_bin >= 0) & (arr_bin < nbins)
    if np.count_nonzero(inside) < len(inside):
        arr_bin = arr_bin[inside]
    q_levels, q_area = queue
    q_at = _step_at(trace.queue_times, q_levels, q_area, edges)
    table = {
        "period_start_min": starts.astype(float),
        "period": const.period_labels(starts),
        "arrivals": np.bincount(arr_bin, minlength=nbins),
        "served": served_n,
        "wait_mean_min": wait_mean,
        "queue_len_mean": (q_at[1:] - q_at[:-1]) / lengths,
        "staffed_windows": np.full(nbins, float(len(trace.window_group))),
    }
    if rostered:  # time-average of the roster's staffed windows over the period
        table["staffed_windows"] = const.staffed_windows(edges)
    for g, wg in enumerate(scenario.windows):
        mine = grp == g
        if np.count_nonzero(mine) < len(mine):
            busy = _covered(call[mine], end[mine], edges)
        else:  # one group served everyone
            busy = _covered(call, end, edges)
        if rostered:  # busy / time on duty (incl. finishing after a window closes)
            on = duty_group == g
            staffed = _covered(trace.duty_start_min[on], trace.duty_end_min[on], edges)
            util = np.divide(busy, staffed, out=np.full(nbins, np.nan), where=staffed > 0)
        else:
            util = busy / (wg.count * lengths) if wg.count else np.full(nbins, np.nan)
        table[f"utilisation[{wg.name}]"] = util
    return table


# --------------------------------------------------- kiosks, helpers, tidal windows, clerks
def _kiosks_tidal_metrics(const, trace, counted, n, t0, t1) -> dict[str, float]:
    """Kiosk uptake and failures, helper use, tidal switches (docs/kiosks-tidal.md).

    Shares are of the counted arrivals (uptake, counter demand avoided) or of the
    kiosk sessions (failure rate); NaN when the scenario has no kiosks (helpers,
    tidal windows) rather than 0, so that a hall without them shows no value.
    """
    out = dict.fromkeys(KIOSK_TIDAL_METRICS, NAN)
    if trace.kiosk is not None:
        k = trace.kiosk[counted]
        tried = int(np.count_nonzero(k != 0))
        sessions = int(np.count_nonzero((k == 1) | (k == 2)))
        done = int(np.count_nonzero(k == 1))
        out["kiosk_uptake"] = tried / n if n else NAN
        out["kiosk_failure_rate"] = (sessions - done) / sessions if sessions else NAN
        out["counter_demand_avoided"] = done / n if n else NAN
        kc = trace.kiosk_call_min[counted]
        started = ~np.isnan(kc)
        arr = trace.arrival_min[counted]
        out["kiosk_wait_mean_min"] = _mean(kc[started] - arr[started]) if started.any() else NAN
        used = (trace.kiosk == 1) | (trace.kiosk == 2)  # every session, counted or not
        busy = _busy_within(trace.kiosk_call_min[used], trace.kiosk_end_min[used], t0, t1)
        span = const.scenario.kiosks.count * (t1 - t0)
        out["kiosk_utilisation"] = busy / span if span > 0 else NAN
    if trace.helper_busy_min is not None:
        span = const.scenario.helpers.count * (t1 - t0)
        busy = _busy_within(trace.helper_start_min, trace.helper_end_min, t0, t1)
        out["helper_utilisation"] = busy / span if span > 0 else NAN
        out["helped"] = float(trace.helped)
    if trace.role is not None:
        out["tidal_switches"] = float(trace.tidal_switches)
        length = trace.role_end_min - trace.role_start_min
        out["tidal_role_min"] = float(length[trace.role == 1].sum())
        out["tidal_changing_min"] = float(length[trace.role == -1].sum())
    return out


def _busy_within(starts: np.ndarray, ends: np.ndarray, t0: float, t1: float) -> float:
    """Minutes of the spells [start, end) inside [t0, t1) (the time-average window)."""
    return float(np.maximum(np.minimum(ends, t1) - np.maximum(starts, t0), 0.0).sum())


KIOSK_TIDAL_METRICS = (
    "kiosk_uptake",
    "kiosk_failure_rate",
    "counter_demand_avoided",
    "kiosk_wait_mean_min",
    "kiosk_utilisation",
    "helper_utilisation",
    "helped",
    "tidal_switches",
    "tidal_role_min",
    "tidal_changing_min",
)


def _clerk_table(scenario, trace, busy_w, staffed_w) -> dict[str, list]:
    """One row per window's clerk: speed factor, citizens served, busy time, utilisation."""
    served = (trace.outcome == SERVED) & (trace.window >= 0)
    win = trace.window[served]
    n_windows = len(trace.window_group)
    count = np.bincount(win, minlength=n_windows)
    service = np.bincount(
        win, weights=trace.end_min[served] - trace.call_min[served], minlength=n_windows
    )
    names = [scenario.windows[g].name for g in trace.window_group]
    return {
        "window": list(range(n_windows)),
        "window_group": names,
        "speed_factor": trace.clerk_speed.tolist(),
        "served": count.tolist(),
        "service_mean_min": [
            float(s / c) if c else NAN for s, c in zip(service, count, strict=True)
        ],
        "busy_min": busy_w.tolist(),
        "utilisation": [
            float(b / t) if t > 0 else NAN for b, t in zip(busy_w, staffed_w, strict=True)
        ],
    }


def _class_expectations(scenario, trace, counted) -> dict[str, np.ndarray]:
    """Per-visit desired and adequate waits when a citizen class sets its own (else none)."""
    classes = scenario.classes or []
    if trace.klass is None or not any(
        c.desired_wait_min is not None or c.adequate_wait_min is not None for c in classes
    ):
        return {}
    sat = scenario.satisfaction
    desired = np.array(
        [sat.desired_wait_min]
        + [
            sat.desired_wait_min if c.desired_wait_min is None else c.desired_wait_min
            for c in classes
        ]
    )
    adequate = np.array(
        [sat.adequate_wait_min]
        + [
            sat.adequate_wait_min if c.adequate_wait_min is None else c.adequate_wait_min
            for c in classes
        ]
    )
    k = trace.klass[counted]
    return {"desired_wait_min": desired[k], "adequate_wait_min": adequate[k]}


def _role_columns(scenario, trace) -> dict[str, list]:
    """Window-minutes each group spent in its home role, tidal role (elastic: closed,
    open) and changing role; no columns without tidal or elastic windows."""
    if trace.role is None:
        return {}
    length = trace.role_end_min - trace.role_start_min
    group = trace.window_group[trace.role_window]
    n = len(scenario.windows)
    switching = np.array([w.tidal is not None or w.elastic is not None for w in scenario.windows])
    out = {}
    for name, role in (("home_role_min", 0), ("tidal_role_min", 1), ("changing_role_min", -1)):
        sel = trace.role == role
        minutes = np.bincount(group[sel], weights=length[sel], minlength=n)
        out[name] = np.where(switching, minutes, NAN).tolist()  # undefined: no roles
    return out
