"""Long steady-state runs in bounded memory: metrics of segments, combined.

A long replication is simulated by ``engines.run_segments`` in
segments of about ``CHUNK`` citizens; each segment's trace goes through the
usual ``metrics.compute`` and is dropped.  Its metrics and tables are folded
into running totals by rules that make the combination exact: counts and
time integrals add, means are weighted by the count they are a mean over,
maxima take the maximum.  Only the wait quantiles cannot be folded exactly;
they come from a ``QuantileSketch``, whose error is bounded (see there).

So memory depends on the segment size, not on the horizon; a streamed result
has no per-visit arrays (``visits`` is empty) and no citizen log.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hallsim import engines
from hallsim import metrics as _metrics
from hallsim.engines.trace import SERVED
from hallsim.metrics import ReplicationResult
from hallsim.metrics.registry import MAX, QUANTILES, REGISTRY, SAME, SKETCH, SUM
from hallsim.scenario import Scenario
from hallsim.streams import make_streams

__all__ = [
    "CHUNK",
    "MIN_CITIZENS",
    "QUANTILE_ACCURACY",
    "QuantileSketch",
    "applies",
    "expected_citizens",
    "simulate_streamed",
]

CHUNK = 16384  # citizens per segment (about 5 MB of trace)
MIN_CITIZENS = 100_000  # ``simulate`` streams runs expected to be at least this long
QUANTILE_ACCURACY = 1e-3  # relative error of streamed wait quantiles

NAN = float("nan")


class QuantileSketch:
    """Quantiles of non-negative values in memory independent of their number.

    Values are counted in logarithmic buckets (γ^(i-1), γ^i] with γ = (1 + α)
    / (1 − α), as in DDSketch (Masson, Rim & Lee, VLDB 2019); a bucket's
    representative 2γ^i / (γ + 1) is within relative error α of every value
    in it.  Values below ``min_value`` (waits of exactly 0 above all) are
    counted as 0, exactly.  So each order statistic comes back within α of
    its true value (or within ``min_value`` of 0), and a quantile, the same
    linear interpolation between two order statistics as numpy's default,
    within α of the exact quantile.  Memory: one counter per bucket used,
    about ln(max / min) / 2α (7,000 for waits from 0.001 to 1,000 min).
    """

    def __init__(self, accuracy: float = QUANTILE_ACCURACY, min_value: float = 1e-9):
        if not 0 < accuracy < 1:
            raise ValueError(f"accuracy must be in (0, 1), got {accuracy}")
        self.accuracy = accuracy
        self.min_value = min_value
        self.gamma = (1 + accuracy) / (1 - accuracy)
        self._log_gamma = math.log(self.gamma)
        self.zeros = 0
        self.offset = 0  # bucket index of counts[0]
        self.counts = np.zeros(0, dtype=np.int64)

    @property
    def count(self) -> int:
        return self.zeros + int(self.counts.sum())

    def add(self, values: np.ndarray) -> None:
        x = np.asarray(values, dtype=float)
        small = x < self.min_value
        self.zeros += int(small.sum())
        x = x[~small]
        if not len(x):
            return
        k = np.ceil(np.log(x) / self._log_gamma).astype(np.int64)
        lo = min(int(k.min()), self.offset if len(self.counts) else int(k.min()))
        hi = max(int(k.max()), self.offset + len(self.counts) - 1)
        if lo < self.offset or hi >= self.offset + len(self.counts):
            grown = np.zeros(hi - lo + 1, dtype=np.int64)
            start = self.offset - lo
            grown[start : start + len(self.counts)] = self.counts
            self.counts, self.offset = grown, lo
        self.counts += np.bincount(k - self.offset, minlength=len(self.counts))

    def _order_statistic(self, rank: int, cum: np.ndarray) -> float:
        if rank < self.zeros:
            return 0.0
        i = int(np.searchsorted(cum, rank - self.zeros, side="right"))
        return 2 * self.gamma ** (i + self.offset) / (self.gamma + 1)

    def quantiles(self, qs: tuple[float, ...]) -> list[float]:
        """Quantiles by numpy's default (linear) method; NaN when empty."""
        n = self.count
        if n == 0:
            return [NAN for _ in qs]
        cum = np.cumsum(self.counts)
        out = []
        for q in qs:
            pos = q * (n - 1)
            lo = int(pos)
            hi = min(lo + 1, n - 1)
            t = pos - lo
            a, b = self._order_statistic(lo, cum), self._order_statistic(hi, cum)
            out.append(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)
        return out


# How a column combines over segments (hallsim.metrics.registry): add, take the maximum,
# keep the first (equal in every segment), come from a sketch, or -- any other value -- a
# mean weighted by that column (the count it is a mean over).
METRIC_RULES: dict[str, str] = {m.name: m.fold for m in REGISTRY if m.fold != SUM}
# everything else (counts, queue_len_mean, utilisation) adds up

TABLE_RULES: dict[str, dict[str, str]] = {
    "matters": {
        "matter": SAME,
        "wait_mean_min": "served",
        "wait_p90_min": SKETCH,
        "service_level": "arrived",
        "csat": "arrived",
    },
    "groups": {
        "window_group": SAME,
        "windows": SAME,
        "wait_mean_min": "served",
        "wait_p90_min": SKETCH,
    },
    "periods": {
        "period_start_min": SAME,
        "period": SAME,
        "staffed_windows": SAME,
        "wait_mean_min": "served",
    },
    "clerks": {  # clerks who differ in speed (docs/kiosks-tidal.md §4)
        "window": SAME,
        "window_group": SAME,
        "speed_factor": SAME,
        "service_mean_min": "served",
    },
}


class _Fold:
    """Running combination of columns (a table, or the metrics as 0-d columns).

    The first ``add`` sets the shape; a later one may cover only ``rows`` of it
    (a segment's rows of the period table).
    """

    def __init__(self, rules: dict[str, str]):
        self.rules = rules
        self.total: dict[str, Any] = {}
        self.weight: dict[str, np.ndarray] = {}

    def add(self, columns: dict[str, Any], rows: slice | None = None) -> None:
        first = not self.total
        at = ... if rows is None else rows
        for name, values in columns.items():
            rule = self.rules.get(name, SUM)
            if rule == SKETCH:
                self.total.setdefault(name, None)
                continue
            if rule == SAME:
                self.total.setdefault(name, values)
                continue
            x = np.asarray(values)  # counts stay integers
            if rule not in (SUM, MAX):  # a mean weighted by column ``rule``
                w = np.asarray(columns[rule], dtype=float)
                x = np.where(w > 0, x * w, 0.0)
                if first:
                    self.weight[name] = w.copy()
                else:
                    self.weight[name][at] += w
            if first:
                self.total[name] = x.copy()
            elif rule == MAX:
                self.total[name][at] = np.fmax(self.total[name][at], x)  # NaN: none yet
            else:
                self.total[name][at] += x

    def result(self) -> dict[str, Any]:
        out = {}
        for name, total in self.total.items():
            if name in self.weight:
                w = self.weight[name]
                with np.errstate(invalid="ignore", divide="ignore"):
                    total = np.where(w > 0, total / np.where(w > 0, w, 1.0), NAN)
            out[name] = total
        return out


def _rows_of(trace, starts: np.ndarray) -> tuple[int, int]:
    """Rows of the period table a segment touches: from its first arrival to its
    last departure (its queue and busy windows lie in between)."""
    if not len(trace.arrival_min):
        return 0, 1
    lo = float(trace.arrival_min[0])
    hi = max(float(trace.end_min.max()), float(trace.queue_times[-1]))
    k0 = max(int(np.searchsorted(starts, lo, side="right")) - 1, 0)
    k1 = min(max(int(np.searchsorted(starts, hi, side="right")), k0 + 1), len(starts))
    return k0, k1


def expected_citizens(scenario: Scenario) -> float:
    """Expected number of first visits over the run (before online diversion)."""
    schedule = scenario.rate_schedule()
    bounds = [s for s, _ in schedule[1:]] + [scenario.arrival_end_min]
    return sum(rate * max(0.0, b - s) for (s, rate), b in zip(schedule, bounds, strict=True))


def applies(scenario: Scenario) -> bool:
    """Does ``simulate`` stream this scenario by default?

    Long steady-state runs that the fast engine runs in segments.  A day is short, so a
    day's memory is bounded anyway.
    """
    return (
        scenario.run.mode == "steady_state"
        and engines.runs_in_segments(scenario)
        and expected_citizens(scenario) >= MIN_CITIZENS
    )


def simulate_streamed(
    scenario: Scenario,
    seed: int,
    replication: int = 0,
    breakdowns: bool = True,
    chunk: int = CHUNK,
) -> ReplicationResult:
    """One replication in bounded memory: ``simulate``'s metrics and tables.

    Equal to the whole run's values up to floating-point rounding, except the
    wait quantiles (``wait_p50_min``, ``wait_p90_min`` and the tables'
    ``wait_p90_min``), which are within ``QUANTILE_ACCURACY`` (relative).
    """
    if scenario.run.mode != "steady_state":
        # a day's time averages run to its last departure and its windows' staffed
        # time to their last service: not sums over segments (and a day is short)
        raise ValueError("streaming is for steady-state runs; a day is simulated whole")
    n_matters, n_groups = len(scenario.matters), len(scenario.windows)
    sketches = {sample: QuantileSketch() for sample in QUANTILES}
    by_matter = [QuantileSketch() for _ in range(n_matters)]
    by_group = [QuantileSketch() for _ in range(n_groups)]
    fold = _Fold(METRIC_RULES)
    tables = {name: _Fold(rules) for name, rules in TABLE_RULES.items()}
    starts = _metrics.period_starts(scenario, *scenario.stats_window)
    segments = engines.run_segments(scenario, make_streams(seed, replication), chunk)
    for i, trace in enumerate(segments):
        # the first segment computes the whole period table, the others their rows
        rows = _rows_of(trace, starts) if i else None
        res = _metrics.compute(scenario, trace, breakdowns=breakdowns, period_rows=rows)
        fold.add(res.metrics)
        served = res.visits["outcome"] == SERVED
        wait = res.visits["wait_min"][served]
        for sample, sketch in sketches.items():  # visits has wait_min, time_in_system_min
            sketch.add(res.visits[f"{sample}_min"][served])
        if breakdowns:
            for name, cols in res.tables.items():
                part = slice(*rows) if rows is not None and name == "periods" else None
                tables[name].add(cols, part)
            matter = res.visits["matter"][served]
            group = res.visits["window_group"][served]
            for k in range(n_matters):
                by_matter[k].add(wait[matter == k])
            for g in range(n_groups):
                by_group[g].add(wait[group == g])
    metrics = {k: NAN if v is None else float(v) for k, v in fold.result().items()}
    for sample, items in QUANTILES.items():
        if not items:
            continue
        values = sketches[sample].quantiles(tuple(q for _, q in items))
        metrics.update({name: value for (name, _), value in zip(items, values, strict=True)})
    if not breakdowns:
        return ReplicationResult(metrics, {})
    out: dict[str, dict[str, Any]] = {}
    for name, table in tables.items():
        cols = table.result()
        if "wait_p90_min" in cols:
            sketches = by_matter if name == "matters" else by_group
            cols["wait_p90_min"] = [s.quantiles((0.9,))[0] for s in sketches]
        out[name] = cols
    return ReplicationResult(metrics, {}, out)
