"""Names the command line offers as choices, in a module that imports nothing.

``hallsim --help`` and ``hallsim validate`` build every command's options, so
these tuples must load without numpy, pandas or scipy (benchmarks/startup.py
measures the start-up).  Each is re-exported where it belongs:
``hallsim.metrics.METRICS``, ``hallsim.experiment.ENGINES``,
``hallsim.sweep.BACKENDS``, ``hallsim.outputs.PLOT_KINDS`` and
``hallsim.staffing.TARGET_METRICS`` are these same objects.
"""

from __future__ import annotations

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
    "sweep",
    "tornado",
    "backtest",
)
"""Figures ``hallsim plot --kind`` draws from a results folder (see hallsim.plots)."""

# metric -> the direction a staffing target must take, and what it means
TARGET_METRICS = {
    "wait_mean_min": ("<=", "mean wait of served citizens, minutes"),
    "wait_p50_min": ("<=", "median wait of served citizens, minutes"),
    "wait_p90_min": ("<=", "90th percentile wait of served citizens, minutes"),
    "service_level": (">=", "share of arrivals called within hall.service_level_target_min"),
}

# Contract §3 metrics first, then hallsim's additions.
METRICS = (
    "arrived",
    "served",
    "balked",
    "reneged",
    "abandoned",
    "wait_mean_min",
    "wait_p50_min",
    "wait_p90_min",
    "wait_max_min",
    "service_level",
    "queue_len_mean",
    "queue_len_max",
    "utilisation",
    "time_in_system_mean_min",
    "first_contact_resolution",
    "satisfaction_mean",
    "csat",
    "bad_review_rate",
    # additions
    "unserved",
    "return_visits",
    "returns_later",
    "overtime_min",
    "complaint_rate",
    "overtaken_mean",
    "service_mean_min",
    # operations (docs/operations.md); defined for every scenario
    "wait_mean_booked_min",
    "wait_mean_walkin_min",
    "wait_mean_priority_min",
    "wait_mean_regular_min",
    "overtaken_mean_regular",
    "no_shows",
    "staff_hours",
    "staff_overtime_min",
    # ticket caps, missed calls, the waiting room (docs/mechanisms.md); 0 when not used
    "refused_cap",
    "blocked",
    "missed_calls",
    "missed_lost",
    "missed_wasted_min",
    # predicted share of each 好差评 level: 1 very dissatisfied .. 5 very satisfied
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
)

LOG_FORMATS = ("anonymous-bank", "qms-zh")
"""Built-in ticket-log formats of ``hallsim fit``/``backtest`` (hallsim.ticketlog.FORMATS)."""

PREDICTED = frozenset({"satisfaction_mean", "csat", "bad_review_rate", "complaint_rate"}) | {
    f"rating_{k}" for k in range(1, 6)
}
"""Metrics that are predictions of the satisfaction model, not simulated counts or times."""
