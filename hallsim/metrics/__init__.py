"""Metrics: what each metric is (``registry``, light to import) and how it is computed
from an engine's trace (``computation``, loaded on first use: it needs numpy and pandas).

``from hallsim.metrics import compute, METRICS`` works as before; ``METRICS`` and the
registry load without numpy, so ``hallsim --help`` and ``validate`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from hallsim.metrics.registry import METRICS as METRICS
from hallsim.metrics.registry import REGISTRY as REGISTRY
from hallsim.metrics.registry import Metric as Metric


def __getattr__(name: str) -> Any:
    # compute, ReplicationResult, period_starts, ...: from the computation module
    if name.startswith("__"):
        raise AttributeError(name)
    value = getattr(importlib.import_module("hallsim.metrics.computation"), name)
    globals()[name] = value  # later look-ups skip this function
    return value
