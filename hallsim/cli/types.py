"""Click parameter types shared by every command, so the same value is refused alike.

The bounds live in ``hallsim.limits`` (also used by the Python API).
"""

from __future__ import annotations

import click

from hallsim.limits import MAX_REPLICATIONS, MAX_SEED

REPLICATIONS = click.IntRange(1, MAX_REPLICATIONS)
"""``-r/--replications`` of run, compare, sweep and sensitivity."""

SEED = click.IntRange(0, MAX_SEED)
"""``-s/--seed``: a base seed 0..2^63-1 (seeds are stored in int64 columns)."""


def replications_from(low: int) -> click.IntRange:
    """A replication count of at least ``low`` (e.g. 2 where an interval is needed)."""
    return click.IntRange(low, MAX_REPLICATIONS)
