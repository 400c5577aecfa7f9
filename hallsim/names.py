"""Names the command line offers as choices, in a module that imports nothing heavy.

``hallsim --help`` and ``hallsim validate`` build every command's options, so
these tuples must load without numpy, pandas or scipy (benchmarks/startup.py
measures the start-up).  Each is re-exported where it belongs:
``hallsim.metrics.METRICS``, ``hallsim.experiment.ENGINES``,
``hallsim.sweep.BACKENDS``, ``hallsim.results.PLOT_KINDS`` and
``hallsim.staffing.TARGET_METRICS`` are these same objects.
"""

from __future__ import annotations

# every metric list is derived from the one registry (light: no numpy)
from hallsim.metrics.registry import METRICS as METRICS
from hallsim.metrics.registry import PREDICTED as PREDICTED
from hallsim.metrics.registry import TARGET_METRICS as TARGET_METRICS

ENGINES = ("auto", "simpy", "fast")
"""Simulation engines: ``simpy`` the reference model, ``fast`` the specialised loop."""

BACKENDS = ("local", "dask")
"""Where a sweep runs: a local process pool, or a Dask cluster (``hallsim[cluster]``)."""

PLOT_KINDS = (
    "waits",
    "compare",
    "day",
    "utilisation",
    "satisfaction",
    "matters",
    "sweep",
    "tornado",
    "backtest",
    "stations",
    "clerks",
)
"""Figures ``hallsim plot --kind`` draws from a results folder (see hallsim.plots)."""

LOG_FORMATS = ("anonymous-bank", "qms-zh")
"""Built-in ticket-log formats of ``hallsim fit``/``backtest`` (hallsim.ticketlog.FORMATS)."""
