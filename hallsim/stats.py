"""Statistics: every confidence interval hallsim computes, in one place.

The t-interval of a mean, the same kept inside a metric's range, the paired difference
of two scenarios on common random numbers and the Bonferroni level for a family of such
comparisons.

A replication mean's interval is the Student-t interval, kept inside the
metric's range (``bounds``): a count or a time is never below 0, a share never
outside [0, 1], a rating never outside [1, 5].  The true mean lies in that
range, so cutting the t-interval there never loses coverage.  When every
replication gave the same value the t-interval has zero width; for a count
that was 0 every time the upper end is the "rule of three" (a Poisson count
whose n replications all saw 0 has mean below −ln(0.05)/n ≈ 3/n per
replication at 95%).  ``interval`` is used by the CLI, the JSON outputs, the
report, the plots and the sweeps alike.

Uses ``scipy.special.stdtrit`` (the t quantile) rather than ``scipy.stats``,
which is the same number but keeps the command line's start-up fast.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import stdtrit

from hallsim.metrics import registry as _registry
from hallsim.metrics.registry import COUNTS as COUNTS
from hallsim.metrics.registry import PREDICTED as PREDICTED


def bounds(metric: str) -> tuple[float, float]:
    """The range of a metric's values (``hallsim.metrics.registry``): shares [0, 1], the
    mean rating [1, 5], counts, times, queue lengths and staff hours [0, inf); a name
    not in the registry: [0, inf) for a time (``*_min``), otherwise unbounded.

    A breakdown column such as ``utilisation[social_security]`` has its metric's range.
    """
    return _registry.bounds(metric)


def difference_bounds(metric: str) -> tuple[float, float]:
    """The range of a difference of two values of ``metric``."""
    lo, hi = bounds(metric)
    return (lo - hi, hi - lo)


def t_half_width(sd, n, confidence: float = 0.95):
    """Half-width of the two-sided t-interval of a mean: t(1-α/2, n-1) · sd / √n.

    Works on scalars and arrays; NaN where n < 2.
    """
    n = np.asarray(n, dtype=float)
    # the quantile once per distinct n (a sweep's n is mostly one number): stdtrit is
    # costly per element, and a sweep's summary asks for points x metrics of them
    distinct, where = np.unique(n, return_inverse=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        tq = stdtrit(np.maximum(distinct - 1, 1), 0.5 + confidence / 2)
        tq = np.where(n >= 2, tq[where].reshape(n.shape), np.nan)
        half = tq * np.asarray(sd, dtype=float) / np.sqrt(n)
    return float(half) if half.ndim == 0 else half


def interval(
    metric: str,
    mean,
    sd,
    n,
    confidence: float = 0.95,
    *,
    difference: bool = False,
):
    """(low, high) of the mean of ``n`` replications, inside the metric's range.

    The t-interval mean ± t·sd/√n, cut at ``bounds(metric)`` (or
    ``difference_bounds`` for a paired difference); for a count whose
    replications were all 0, [0, −ln(1 − confidence)/n].  Scalars or arrays
    (NaN where n < 2).
    """
    lo, hi = difference_bounds(metric) if difference else bounds(metric)
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    half = np.asarray(t_half_width(sd, n_arr, confidence), dtype=float)
    with np.errstate(invalid="ignore"):
        low = np.clip(mean - half, lo, hi)
        high = np.clip(mean + half, lo, hi)
        if metric.split("[", 1)[0] in COUNTS and not difference:
            zero = (mean == 0) & (sd == 0) & (n_arr >= 2)
            high = np.where(zero, -np.log1p(-confidence) / np.maximum(n_arr, 1), high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def interval_note(metric: str, mean: float, sd: float | None, n: int, low, high) -> str:
    """Why an interval looks the way it does ("" when it is a plain t-interval)."""
    if n < 2 or sd is None:
        return "one replication: no interval"
    lo, hi = bounds(metric)
    if sd == 0:
        if metric.split("[", 1)[0] in COUNTS and mean == 0:
            return "0 in every replication: upper end by the rule of three"
        return "every replication gave the same value"
    half = t_half_width(sd, n)
    if mean - half < lo or mean + half > hi:
        return f"t-interval cut at the metric's range [{lo:g}, {hi:g}]"
    return ""


def bonferroni(confidence: float, comparisons: int) -> float:
    """Per-comparison level so that ``comparisons`` intervals hold together with
    ``confidence`` (Bonferroni): 1 − (1 − confidence) / comparisons."""
    return 1 - (1 - confidence) / max(comparisons, 1)


def summarise(values, confidence: float = 0.95, metric: str | None = None) -> dict:
    """Mean, sd and Student-t interval over the defined (non-NaN, non-None) values.

    With ``metric`` the interval stays inside that metric's range (``interval``);
    without, it is the plain t-interval.
    """
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    n = len(x)
    if n == 0:
        return {"mean": None, "ci_low": None, "ci_high": None, "sd": None, "n": 0}
    mean = float(x.mean())
    if n == 1:
        return {"mean": mean, "ci_low": None, "ci_high": None, "sd": None, "n": 1}
    sd = float(x.std(ddof=1))
    if metric is None:  # unbounded
        half = t_half_width(sd, n, confidence)
        low, high = mean - half, mean + half
    else:
        low, high = interval(metric, mean, sd, n, confidence)
    return {"mean": mean, "ci_low": low, "ci_high": high, "sd": sd, "n": n}


def paired_difference(metric: str, scenario, baseline, confidence: float = 0.95) -> dict:
    """Mean, sd and interval of ``scenario − baseline`` over paired replications (common
    random numbers), inside the range a difference of ``metric`` can take; replications
    where either value is undefined (NaN) are left out."""
    d = np.asarray(scenario, dtype=float) - np.asarray(baseline, dtype=float)
    d = d[~np.isnan(d)]
    row = {"mean": None, "ci_low": None, "ci_high": None, "sd": None, "n": len(d)}
    if len(d):
        row["mean"] = float(d.mean())
    if len(d) > 1:
        sd = float(d.std(ddof=1))
        low, high = interval(metric, row["mean"], sd, len(d), confidence, difference=True)
        row.update(sd=sd, ci_low=low, ci_high=high)
    return row
