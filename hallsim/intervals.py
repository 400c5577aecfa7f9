"""Confidence intervals: the one place hallsim computes them.

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

SHARES = frozenset(
    {
        "service_level",
        "abandoned_share",
        "utilisation",
        "first_contact_resolution",
        "csat",
        "bad_review_rate",
        "complaint_rate",
        "rating_1",
        "rating_2",
        "rating_3",
        "rating_4",
        "rating_5",
    }
)
RATINGS = frozenset({"satisfaction_mean"})
COUNTS = frozenset(
    {
        "arrived",
        "served",
        "balked",
        "reneged",
        "abandoned",
        "unserved",
        "return_visits",
        "returns_later",
        "no_shows",
        "queue_len_max",
        "refused_cap",
        "blocked",
        "missed_calls",
        "missed_lost",
    }
)
from hallsim.names import PREDICTED as PREDICTED  # noqa: E402  (defined with the metric names)

NON_NEGATIVE = frozenset(
    {"queue_len_mean", "overtaken_mean", "overtaken_mean_regular", "staff_hours"}
)


def bounds(metric: str) -> tuple[float, float]:
    """The range of a metric's values: shares [0, 1], the mean rating [1, 5], counts,
    times (``*_min``), queue lengths and staff hours [0, inf); anything else unbounded.

    A breakdown column such as ``utilisation[social_security]`` has its metric's range.
    """
    metric = metric.split("[", 1)[0]
    if metric in SHARES:
        return (0.0, 1.0)
    if metric in RATINGS:
        return (1.0, 5.0)
    if metric in COUNTS or metric in NON_NEGATIVE or metric.endswith("_min"):
        return (0.0, math.inf)
    return (-math.inf, math.inf)


def difference_bounds(metric: str) -> tuple[float, float]:
    """The range of a difference of two values of ``metric``."""
    lo, hi = bounds(metric)
    return (lo - hi, hi - lo)


def t_half_width(sd, n, confidence: float = 0.95):
    """Half-width of the two-sided t-interval of a mean: t(1-α/2, n-1) · sd / √n.

    Works on scalars and arrays; NaN where n < 2.
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tq = np.where(n >= 2, stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2), np.nan)
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
