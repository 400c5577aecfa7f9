"""Limits shared by the scenario format, the Python API and every command.

One place for the bounds so that ``run``, ``compare``, ``sweep``,
``sensitivity``, ``staff`` and the API refuse the same values with the same
words.  Nothing here imports anything heavy (the CLI starts fast).
"""

from __future__ import annotations

import math
from typing import Any

MAX_REPLICATIONS = 100_000
"""Most replications any command or API call runs (``-r``, ``run.replications``)."""

MAX_SEED = 2**63 - 1
"""Largest base seed: seeds are stored in Parquet's signed 64-bit integer columns."""

MIN_INT64, MAX_INT64 = -(2**63), 2**63 - 1
"""Every integer in a scenario fits a Parquet int64 column (sweeps store swept values)."""

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest scenario or sweep file read (10 MB; the largest example is under 10 kB)."""


def check_int(value: Any, what: str, low: int, high: int | None = None) -> int:
    """``value`` as an int in [low, high]; TypeError/ValueError naming ``what`` otherwise.

    numpy integers count as integers; booleans, floats and text do not.
    """
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an integer, got {value!r} ({type(value).__name__})")
    if value < low or (high is not None and value > high):
        span = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"{what} must be in {span}, got {value}")
    return value


def check_seed(value: Any, what: str = "seed") -> int:
    """A base seed: an integer in 0..2**63-1."""
    return check_int(value, what, 0, MAX_SEED)


def check_replications(value: Any, what: str = "replications", low: int = 1) -> int:
    """A replication count: an integer in ``low``..MAX_REPLICATIONS."""
    return check_int(value, what, low, MAX_REPLICATIONS)


def check_finite(value: Any, what: str) -> float:
    """A finite number (int or float, not bool); ValueError/TypeError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value
