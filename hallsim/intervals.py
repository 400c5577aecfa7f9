"""Student-t confidence intervals: the one place hallsim computes them.

Uses ``scipy.special.stdtrit`` (the t quantile) rather than ``scipy.stats``,
which is the same number but keeps the command line's start-up fast.
"""

from __future__ import annotations

import numpy as np
from scipy.special import stdtrit


def t_half_width(sd, n, confidence: float = 0.95):
    """Half-width of the two-sided t-interval of a mean: t(1-α/2, n-1) · sd / √n.

    Works on scalars and arrays; NaN where n < 2.
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tq = np.where(n >= 2, stdtrit(np.maximum(n - 1, 1), 0.5 + confidence / 2), np.nan)
        half = tq * np.asarray(sd, dtype=float) / np.sqrt(n)
    return float(half) if half.ndim == 0 else half
