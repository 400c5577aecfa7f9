"""Benchmark: simulated citizens per second, hallsim vs bare SimPy vs Ciw.

Run on demand (never part of the tests)::

    python benchmarks/run.py                 # full run, 2.5-4.5 minutes on 2 CPUs
    python benchmarks/run.py --quick         # smaller workloads, under a minute
    python benchmarks/run.py --only a,b --out /tmp/bench.json

Workloads (see benchmarks/README.md):

(a) steady-state M/M/5, rho = 0.9 (lambda = 1.125/min, mean service 4 min),
    one long replication of 200k citizens (--quick: 20k);
(b) a 10-hour day, 60 citizens/h, 6 windows, lognormal service mean 5 min,
    cv 0.8, 50 replications (--quick: 5);
(c) the richest example scenario in scenarios/, hallsim only: simpy vs fast;
(d) a 100-point sweep x 10 replications of (b)'s day with 1 and 2 workers;
(e) scenarios/operations.toml (rosters, lunch breaks, appointments, a green
    channel), hallsim only: simpy vs fast;
(f) a 24-hour, 100,000-citizen day with every mechanism the fast engine's
    one-pass recursion covers, no citizen log: seconds per replication and peak
    memory (and a 200,000-citizen day beside it); (f2) the same day with rosters,
    breaks, appointments, priority classes and missed calls (the event loop);
(s) start-up: benchmarks/startup.py (--help, validate, the demo run).

The last table lists every target of issue 19 with its measured value.

Every row prints the mean wait next to a reference (Erlang C for (a), the
Allen-Cunneen approximation and the bare SimPy estimate for (b), the SimPy
reference engine for (c)) so that a fast wrong answer is caught.  Timings are
the best of 3 (--quick: 1) with ``time.perf_counter``; a measurement whose
first run takes longer than the repeat budget is not repeated (the number of
timings is recorded).  Seeds are fixed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import multiprocessing
import os
import platform
import random
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SEED = 1

# (a) steady-state M/M/5 at rho = 0.9
A_RATE = 1.125  # arrivals per minute (67.5/h)
A_SERVICE = 4.0  # mean service, minutes (exponential)
A_SERVERS = 5
A_WARMUP = 1000.0  # minutes; waits of citizens arriving earlier are not used
A_BATCHES = 20  # batch means for the confidence interval of one long run

# (b) a 10-hour day
B_RATE_PER_HOUR = 60.0
B_SERVICE_MEAN = 5.0
B_SERVICE_CV = 0.8
B_SERVERS = 6
B_DAY_MIN = 600.0

# (f) a 24-hour day of about 100,000 citizens
F_CITIZENS = 100_000

FEW_METRICS = ["arrived", "wait_mean_min", "service_level"]  # (b): simulate(metrics=...)

FULL = {
    "a_citizens": 200_000,
    "b_reps": 50,
    "c_reps": 50,
    "d_points": 100,  # issue 19 names 100 points x 10 replications
    "d_reps": 10,
    "e_reps": 20,
    "f_reps": 2,
    "s_runs": 7,
    "repeats": 3,
    "repeat_budget_s": 20.0,
}
QUICK = {
    "a_citizens": 20_000,
    "b_reps": 5,
    "c_reps": 5,
    "d_points": 20,
    "d_reps": 5,
    "e_reps": 3,
    "f_reps": 1,
    "s_runs": 2,
    "repeats": 1,
    "repeat_budget_s": 20.0,
}


# --------------------------------------------------------------------------- helpers


def _own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB.

    Linux: ``VmHWM`` from /proc/self/status.  ``resource.getrusage``'s
    ``ru_maxrss`` is not used there because Linux carries it over fork and exec,
    so a freshly spawned child would report its parent's peak.  Elsewhere:
    ``ru_maxrss`` (KiB on Linux, bytes on macOS).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0


def cpu_seconds() -> float:
    """CPU time of this process and of its finished (reaped) children, seconds.

    Next to the wall time it shows whether the machine was busy (CPU/wall well
    below 1 for one process) and how much a pool of workers really ran in parallel.
    """
    t = os.times()  # children: 10 ms resolution; this process: process_time (ns)
    return time.process_time() + t.children_user + t.children_system


def have_fast() -> bool:
    return importlib.util.find_spec("hallsim.engines") is not None


def have_sweep() -> bool:
    return importlib.util.find_spec("hallsim.sweep") is not None


def batch_means(x: np.ndarray, batches: int = A_BATCHES) -> dict:
    """Mean of one long, autocorrelated run with a batch-means t-interval (95% and 99%)."""
    x = np.asarray(x, dtype=float)
    n = len(x) // batches * batches
    means = x[:n].reshape(batches, -1).mean(axis=1)
    se = means.std(ddof=1) / math.sqrt(batches)
    return {
        "mean": float(x.mean()),
        "half95": float(stats.t.ppf(0.975, batches - 1) * se),
        "half99": float(stats.t.ppf(0.995, batches - 1) * se),
        "method": f"batch means, {batches} batches",
    }


def batch_means_of_periods(periods, batches: int = A_BATCHES) -> dict:
    """``batch_means`` from a result's period table (a streamed run keeps no waits).

    Consecutive periods form ``batches`` batches; a batch's mean is its served
    citizens' mean wait.  Each batch is 1/20 of the run, as in ``batch_means``
    over citizens, so the batches are as nearly independent.
    """
    served = periods["served"].to_numpy(dtype=float)
    total = np.nan_to_num(periods["wait_mean_min"].to_numpy(dtype=float)) * served
    k = len(served) // batches * batches
    sums = total[:k].reshape(batches, -1).sum(axis=1)
    counts = served[:k].reshape(batches, -1).sum(axis=1)
    means = sums / counts
    se = means.std(ddof=1) / math.sqrt(batches)
    return {
        "mean": float(total.sum() / served.sum()),
        "half95": float(stats.t.ppf(0.975, batches - 1) * se),
        "half99": float(stats.t.ppf(0.995, batches - 1) * se),
        "method": f"batch means over the period table, {batches} batches",
    }


def rep_means(values: list[float]) -> dict:
    """Mean over replications with a Student-t interval (95% and 99%)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    k = len(x)
    if k < 2:
        return {"mean": float(x.mean()) if k else None, "half95": None, "half99": None}
    se = x.std(ddof=1) / math.sqrt(k)
    return {
        "mean": float(x.mean()),
        "half95": float(stats.t.ppf(0.975, k - 1) * se),
        "half99": float(stats.t.ppf(0.995, k - 1) * se),
        "method": f"t-interval over {k} replications",
    }


def best_of(fn, repeats: int, budget_s: float) -> dict:
    """Call ``fn()`` (returns a dict with ``seconds``) up to ``repeats`` times; keep the best.

    Stops repeating once the time spent exceeds ``budget_s``.
    """
    runs = []
    spent = 0.0
    for _ in range(repeats):
        r = fn()
        runs.append(r)
        spent += r["seconds"]
        if spent > budget_s:
            break
    best = min(runs, key=lambda r: r["seconds"])
    out = dict(best)
    out["timings_s"] = [r["seconds"] for r in runs]
    return out


def isolated(fn, *args):
    """Run ``fn(*args)`` in a fresh (spawned) interpreter, so its peak RSS is its own."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


def machine_info() -> dict:
    import ciw
    import simpy

    import hallsim

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
        ).stdout

    try:
        commit = git("rev-parse", "--short", "HEAD").strip()
        # changed tracked files other than this script's own output
        changed = git("status", "--porcelain", "--untracked-files=no").splitlines()
        dirty = any(not line.endswith("benchmarks/results.json") for line in changed)
    except OSError:
        commit, dirty = "", False
    return {
        "cpu_model": cpu,
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "mem_total_gb": mem_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "simpy": simpy.__version__,
        "ciw": ciw.__version__,
        "hallsim": hallsim.__version__,
        "hallsim_commit": commit,
        "uncommitted_changes": dirty,
        "fastpath_present": have_fast(),
        "sweep_present": have_sweep(),
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


# --------------------------------------------------------------------------- scenarios


def mm5_scenario(citizens: int):
    """Workload (a) as a hallsim scenario: arrivals over warm-up + run = citizens / lambda."""
    from hallsim.scenario import scenario_from_dict

    horizon = citizens / A_RATE
    return scenario_from_dict(
        {
            "name": "bench-mm5",
            "run": {
                "mode": "steady_state",
                "warmup_min": A_WARMUP,
                "length_min": horizon - A_WARMUP,
                "seed": SEED,
            },
            "arrivals": {"rate_per_hour": A_RATE * 60},
            "matters": [
                {"name": "any", "share": 1.0, "service_min": {"dist": "exponential", "mean": 4}}
            ],
            "windows": [{"name": "window", "count": A_SERVERS}],
            "attitude_effects": {"enabled": False},
            "satisfaction": {"enabled": False},
        },
        "bench-mm5",
    )


def day_scenario(replications: int = 1):
    """Workload (b) as a hallsim scenario: 08:00-18:00, no reneging, attitude effects off."""
    from hallsim.scenario import scenario_from_dict

    return scenario_from_dict(
        {
            "name": "bench-day",
            "run": {"mode": "day", "replications": replications, "seed": SEED},
            "hall": {"open": "08:00", "close": "18:00"},
            "arrivals": {"rate_per_hour": B_RATE_PER_HOUR},
            "matters": [
                {
                    "name": "any",
                    "share": 1.0,
                    "service_min": {
                        "dist": "lognormal",
                        "mean": B_SERVICE_MEAN,
                        "cv": B_SERVICE_CV,
                    },
                }
            ],
            "windows": [{"name": "window", "count": B_SERVERS}],
            "attitude_effects": {"enabled": False},
            "satisfaction": {"enabled": False},
        },
        "bench-day",
    )


def scenario_features(sc) -> list[str]:
    """Features of a scenario that exercise the model (for choosing workload (c))."""
    feats = []
    if len(sc.matters) > 1:
        feats.append(f"{len(sc.matters)} matters")
    if len(sc.windows) > 1:
        feats.append(f"{len(sc.windows)} window groups")
    if any("*" not in w.matters and len(w.matters) == 1 for w in sc.windows):
        feats.append("dedicated windows")
    if any("*" in w.matters or len(w.matters) > 1 for w in sc.windows) and len(sc.matters) > 1:
        feats.append("integrated windows")
    if sc.layout.queue == "per_window":
        feats.append("per-window queues")
    if isinstance(sc.arrivals.rate_per_hour, dict):
        feats.append("rate table")
    if sc.patience and sc.patience.renege_min is not None:
        feats.append("reneging")
    if sc.patience and sc.patience.balk_at_queue:
        feats.append("balking")
    if sc.attitude_effects.enabled:
        feats.append("attitude effects")
    if sc.satisfaction.enabled:
        feats.append("satisfaction")
    if any(w.service_time_factor != 1.0 for w in sc.windows):
        feats.append("service-time factors")
    return feats


def richest_scenario() -> tuple[Path, list[str]]:
    """The example scenario with the most model features (ties: file name order)."""
    from hallsim import load_scenario

    best = None
    for path in sorted(SCENARIOS.glob("*.toml")):
        feats = scenario_features(load_scenario(path))
        if best is None or len(feats) > len(best[1]):
            best = (path, feats)
    return best


# --------------------------------------------------------------------------- (a) engines
# Each runs one timed replication and returns seconds, citizens simulated, the
# mean wait with a batch-means interval, and the peak RSS of its process.


def a_hallsim(citizens: int, engine: str, whole: bool) -> dict:
    """hallsim: ``simulate`` (engine + metrics) if ``whole`` else ``trace_replication``."""
    import hallsim
    from hallsim.engines.trace import SERVED
    from hallsim.experiment import trace_replication
    from hallsim.streams import demand_chunks, make_streams

    sc = mm5_scenario(citizens)
    rss0 = peak_rss_mb()
    if whole:
        t0, c0 = time.perf_counter(), cpu_seconds()
        res = hallsim.simulate(sc, seed=SEED, replication=0, engine=engine)
        dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        if res.visits:
            wait = batch_means(res.visits["wait_min"][res.visits["outcome"] == SERVED])
        else:  # streamed (hallsim.streaming): no per-citizen waits are kept
            wait = batch_means_of_periods(res.periods)
        # every citizen simulated, including the warm-up (the metrics count only
        # those after it); the demand draw is deterministic for the seed, and
        # counted chunk by chunk so that the count does not add to the peak RSS
        n = sum(len(d.arrival_min) for d in demand_chunks(sc, make_streams(SEED, 0), 65536))
    else:
        t0, c0 = time.perf_counter(), cpu_seconds()
        tr = trace_replication(sc, SEED, 0, engine)
        dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        keep = (tr.arrival_min >= A_WARMUP) & (tr.outcome == SERVED)
        wait = batch_means((tr.call_min - tr.arrival_min)[keep])
        n = len(tr.arrival_min)
    return {
        "seconds": dt,
        "cpu_s": cpu,
        "citizens": int(n),
        "streamed": bool(whole and not res.visits),
        "wait": wait,
        "peak_rss_mb": peak_rss_mb(),
        "baseline_rss_mb": rss0,
    }


def bare_simpy_mmc(rate: float, service_mean: float, servers: int, horizon: float, seed: int):
    """The idiomatic minimal SimPy model: a Resource, one generator per customer, FCFS.

    Customers arrive in [0, horizon); the run continues until all are served.
    Returns (arrival times, waits) in the order service started.
    """
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    windows = simpy.Resource(env, capacity=servers)
    arrivals: list[float] = []
    waits: list[float] = []

    def customer(service):
        arrived = env.now
        with windows.request() as req:
            yield req
            arrivals.append(arrived)
            waits.append(env.now - arrived)
            yield env.timeout(service)

    def source():
        while True:
            yield env.timeout(rng.expovariate(rate))
            if env.now >= horizon:
                return
            env.process(customer(rng.expovariate(1.0 / service_mean)))

    env.process(source())
    env.run()
    return arrivals, waits


def a_bare_simpy(citizens: int) -> dict:
    rss0 = peak_rss_mb()
    t0, c0 = time.perf_counter(), cpu_seconds()
    arrivals, waits = bare_simpy_mmc(A_RATE, A_SERVICE, A_SERVERS, citizens / A_RATE, SEED)
    dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    arr = np.asarray(arrivals)
    w = np.asarray(waits)[arr >= A_WARMUP]
    return {
        "seconds": dt,
        "cpu_s": cpu,
        "citizens": len(arr),
        "wait": batch_means(w),
        "peak_rss_mb": peak_rss_mb(),
        "baseline_rss_mb": rss0,
    }


def a_ciw(citizens: int) -> dict:
    import ciw

    rss0 = peak_rss_mb()
    t0, c0 = time.perf_counter(), cpu_seconds()
    ciw.seed(SEED)
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(A_RATE)],
        service_distributions=[ciw.dists.Exponential(1.0 / A_SERVICE)],
        number_of_servers=[A_SERVERS],
    )
    sim = ciw.Simulation(net)
    sim.simulate_until_max_time(citizens / A_RATE)
    recs = sim.get_all_records()
    dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    arr = np.array([r.arrival_date for r in recs])
    wait = np.array([r.waiting_time for r in recs])
    order = np.argsort(arr, kind="stable")
    arr, wait = arr[order], wait[order]
    return {
        "seconds": dt,
        "cpu_s": cpu,
        "citizens": len(recs),
        "wait": batch_means(wait[arr >= A_WARMUP]),
        "peak_rss_mb": peak_rss_mb(),
        "baseline_rss_mb": rss0,
    }


# --------------------------------------------------------------------------- (b) engines
# Each runs all replications once and returns seconds, citizens and the
# per-replication mean waits.


def time_hallsim(
    sc, seed: int, reps: int, engine: str, whole: bool, metrics: list[str] | None = None
) -> dict:
    """Time hallsim on ``reps`` replications: the whole ``simulate`` or the engine only.

    ``metrics``: ``simulate(..., metrics=...)``, only those metrics (what a sweep or the
    optimiser asks for); the mean wait must be among them.
    """
    import hallsim
    from hallsim.engines.trace import SERVED
    from hallsim.experiment import trace_replication

    means = []
    n = 0
    t0, c0 = time.perf_counter(), cpu_seconds()
    if whole:
        results = [
            hallsim.simulate(sc, seed=seed, replication=r, engine=engine, metrics=metrics)
            for r in range(reps)
        ]
        dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        for res in results:
            n += int(res.metrics["arrived"]) if "arrived" in res.metrics else 0
            means.append(res.metrics["wait_mean_min"])
    else:
        traces = [trace_replication(sc, seed, r, engine) for r in range(reps)]
        dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        s0, s1 = sc.stats_window
        for tr in traces:
            n += len(tr.arrival_min)
            keep = (tr.outcome == SERVED) & (tr.arrival_min >= s0) & (tr.arrival_min < s1)
            means.append(float((tr.call_min - tr.arrival_min)[keep].mean()))
    return {"seconds": dt, "cpu_s": cpu, "citizens": n, "rep_means": means}


def b_hallsim(reps: int, engine: str, whole: bool, metrics: list[str] | None = None) -> dict:
    return time_hallsim(day_scenario(), SEED, reps, engine, whole, metrics)


F_FEATURES = [
    "rate table over 24 h",
    "3 matters",
    "integrated + dedicated window groups",
    "attitude spread",
    "fatigue",
    "return visits",
    "satisfaction",
    "reneging",
    "balking",
    "waiting-room limit",
    "daily caps",
    "crowd at opening",
    "day-to-day variation",
]


def f_scenario(citizens: int = F_CITIZENS):
    """Workload (f): busy_monday.toml's hall stretched to 24 hours and ~100,000 citizens.

    Every mechanism the fast engine covers is on (F_FEATURES); 700 windows keep the
    load near the demo's (utilisation about 0.8). ``citizens``: another size, with the
    windows, daily caps and waiting room scaled alike (the same load; 100,000 gives
    exactly the workload), to show how time and memory grow with the day.
    """
    from hallsim import load_scenario

    k = citizens / 100_000
    shape = [0.5, 0.4, 0.35, 0.35, 0.4, 0.6, 0.9, 1.2, 1.5, 1.7, 1.8, 1.6]
    shape += [1.3, 1.2, 1.5, 1.7, 1.6, 1.3, 1.1, 0.9, 0.8, 0.7, 0.6, 0.55]
    scale = citizens / sum(shape)
    rates = {f"{h:02d}:00": round(s * scale, 1) for h, s in enumerate(shape)}
    # a window group has at most 1,000 windows: a larger hall has more integrated groups
    integrated = round(560 * k)
    parts = -(-integrated // 1000)
    windows = [
        {
            "name": "integrated" if i == 0 else f"integrated_{i + 1}",
            "count": integrated // parts + (i < integrated % parts),
            "matters": ["*"],
            "service_time_factor": 1.1,
            "attitude": 0.7,
            "attitude_sd": 0.1,
        }
        for i in range(parts)
    ]
    windows.append(
        {
            "name": "business",
            "count": round(140 * k),
            "matters": ["business_registration"],
            "attitude": 0.8,
        }
    )
    base = load_scenario(SCENARIOS / "busy_monday.toml")
    return base.with_changes(
        {
            "name": "bench-24h",
            "run.day_type": None,
            "day_types": None,
            "hall.open": "00:00",
            "hall.close": "23:59",
            "hall.max_waiting": round(3000 * k),
            "arrivals.rate_per_hour": rates,
            "arrivals.before_open": {"count": 200},
            "matters.1.daily_cap": round(40000 * k),
            "matters.2.daily_cap": round(30000 * k),
            "windows": windows,
            "patience.balk_at_queue": round(2500 * k),
            "attitude_effects.fatigue_per_hour": 0.01,
        }
    )


F2_FEATURES = [
    "everything in (f)",
    "rosters (60% of the windows at night, 80% in the evening)",
    "lunch breaks",
    "appointments",
    "two priority classes and a green channel",
    "missed calls",
]


def f2_scenario(citizens: int = F_CITIZENS):
    """Workload (f2): (f)'s day with the mechanisms the one-pass engine does not cover.

    Rosters and breaks, appointments, citizen classes with a green channel and missed
    calls (as in operations.toml and docs/mechanisms.md, scaled to the 24-hour hall) run
    in the fast engine's event loop (``operations_loop``), a slower path than (f)'s
    one-pass recursion.
    """
    base = f_scenario(citizens)
    k = citizens / 100_000
    windows = [w.model_dump(exclude_none=True) for w in base.windows]
    for w in windows:  # 60% of the windows at night, 80% in the evening; lunch in two shifts
        n = w["count"]
        w["staffed"] = {"00:00": round(0.6 * n), "07:00": n, "20:00": round(0.8 * n)}
        w["breaks"] = [
            {"start": "11:30", "end": "12:30", "windows": max(1, n // 10)},
            {"start": "12:30", "end": "13:30", "windows": max(1, n // 10)},
        ]
    windows.append(
        {
            "name": "green_channel",
            "count": max(1, round(20 * k)),
            "matters": ["*"],
            "classes": ["elderly", "urgent"],
            "service_time_factor": 1.1,
            "attitude": 0.8,
        }
    )
    return base.with_changes(
        {
            "name": "bench-24h-operations",
            "windows": windows,
            "appointments": {
                "booked_share": 0.25,
                "slot_min": 30,
                "punctuality_mean_min": -5,
                "punctuality_sd_min": 8,
                "grace_min": 10,
                "no_show": 0.10,
            },
            "classes": [
                {"name": "elderly", "share": 0.08, "priority": 1, "service_time_factor": 1.3},
                {"name": "urgent", "share": 0.02, "priority": 2},
            ],
            "missed_calls": {"absent": 0.05},
        }
    )


F2_ENGINE = "hallsim fast (simulate), (f2) + rosters, classes, appointments, missed calls"
F_TWICE_ENGINE = "hallsim fast (simulate), a 200,000-citizen day (hall scaled alike)"


def f_hallsim(
    reps: int, engine: str, whole: bool, variant: str = "f", citizens: int = F_CITIZENS
) -> dict:
    """(f) or (f2) in a fresh process: best replication time and the process's peak memory.

    The base memory is taken after importing what a replication loads (numpy, pandas,
    scipy, the engines and the metrics), so peak minus base is the day's own memory.
    """
    import hallsim.engines.fast
    import hallsim.engines.simpy_hall
    import hallsim.experiment
    import hallsim.metrics.computation  # noqa: F401

    sc = f2_scenario(citizens) if variant == "f2" else f_scenario(citizens)
    rss0 = peak_rss_mb()
    best = None
    for r in range(reps):
        one = time_hallsim(sc, sc.run.seed, 1, engine, whole) | {"replication": r}
        one["rep_seconds"] = one["seconds"]
        if best is None or one["seconds"] < best["seconds"]:
            best = one
    best["baseline_rss_mb"] = rss0
    best["peak_rss_mb"] = peak_rss_mb()
    return best


def lognormal_params(mean: float, cv: float) -> tuple[float, float]:
    """(mu, sigma) of the underlying normal for a lognormal with this mean and cv."""
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)


def bare_simpy_day(seed: int) -> list[float]:
    """Bare SimPy day: Poisson arrivals for 600 min, everyone inside is served. Waits."""
    import simpy

    rng = random.Random(seed)
    mu, sigma = lognormal_params(B_SERVICE_MEAN, B_SERVICE_CV)
    rate = B_RATE_PER_HOUR / 60.0
    env = simpy.Environment()
    windows = simpy.Resource(env, capacity=B_SERVERS)
    waits: list[float] = []

    def customer(service):
        arrived = env.now
        with windows.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(service)

    def source():
        while True:
            yield env.timeout(rng.expovariate(rate))
            if env.now >= B_DAY_MIN:
                return
            env.process(customer(rng.lognormvariate(mu, sigma)))

    env.process(source())
    env.run()
    return waits


def b_bare_simpy(reps: int) -> dict:
    t0, c0 = time.perf_counter(), cpu_seconds()
    days = [bare_simpy_day(SEED * 100_000 + r) for r in range(reps)]
    dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    return {
        "seconds": dt,
        "cpu_s": cpu,
        "citizens": sum(len(w) for w in days),
        "rep_means": [float(np.mean(w)) for w in days],
    }


def b_ciw(reps: int) -> dict:
    import ciw

    mu, sigma = lognormal_params(B_SERVICE_MEAN, B_SERVICE_CV)
    service = ciw.dists.Lognormal(mu, sigma)  # Ciw takes the normal's mean and sd
    assert abs(service.mean - B_SERVICE_MEAN) < 1e-9, service.mean
    t0, c0 = time.perf_counter(), cpu_seconds()
    days = []
    for r in range(reps):
        ciw.seed(SEED * 100_000 + r)
        net = ciw.create_network(
            arrival_distributions=[ciw.dists.Exponential(B_RATE_PER_HOUR / 60.0)],
            service_distributions=[service],
            number_of_servers=[B_SERVERS],
        )
        sim = ciw.Simulation(net)
        sim.simulate_until_max_time(B_DAY_MIN)
        days.append([rec.waiting_time for rec in sim.get_all_records()])
    dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    return {
        "seconds": dt,
        "cpu_s": cpu,
        "citizens": sum(len(w) for w in days),
        "rep_means": [float(np.mean(w)) for w in days],
    }


# --------------------------------------------------------------------------- (c) engines


def e_hallsim(reps: int, engine: str, whole: bool) -> dict:
    return c_hallsim(str(SCENARIOS / "operations.toml"), reps, engine, whole)


def c_hallsim(path: str, reps: int, engine: str, whole: bool) -> dict:
    import hallsim

    sc = hallsim.load_scenario(path)
    return time_hallsim(sc, sc.run.seed, reps, engine, whole)


# --------------------------------------------------------------------------- (d) sweep


D_BASES = ("day", "richest")


def d_grid(base_name: str, points: int, reps: int):
    """(base scenario, swept path, values, description) of the (d) sweep.

    ``day``: workload (b)'s day over its arrival rate, 30 to 66 per hour (rho
    0.42 to 0.92).  ``richest``: workload (c)'s scenario over the first window
    group's service-time factor, 0.8 to 1.2 (runs about twice as long).
    """
    if base_name == "day":
        rates = [round(float(x), 6) for x in np.linspace(30.0, 66.0, points)]
        return (
            day_scenario(replications=reps),
            "arrivals.rate_per_hour",
            rates,
            ("workload (b), rate 30..66/h"),
        )
    from hallsim import load_scenario

    path, _ = richest_scenario()
    base = load_scenario(path).with_changes({"run.replications": reps})
    factors = [round(float(x), 6) for x in np.linspace(0.8, 1.2, points)]
    return (
        base,
        "windows.0.service_time_factor",
        factors,
        (f"{path.name} (workload c), windows.0.service_time_factor 0.8..1.2"),
    )


def d_sweep(
    workers: int, points: int, reps: int, engine: str, start_method: str, base_name: str = "day"
) -> dict:
    """A sweep of ``points`` values x ``reps`` over ``d_grid(base_name, ...)``.

    Uses ``hallsim.sweep.run_sweep`` when it exists, otherwise emulates it with
    ``run_replications(..., workers=)`` per point.  Runs in its own process (see
    ``isolated``) so that the peak RSS it reports is the sweep parent's; worker
    processes are not included.  ``start_method`` restores the platform's
    multiprocessing default, which a spawned process would otherwise inherit.
    """
    import hallsim

    multiprocessing.set_start_method(start_method, force=True)
    base, param, rates, _ = d_grid(base_name, points, reps)
    rss0 = peak_rss_mb()
    marks: dict[str, float] = {}

    def progress(done: int, total: int) -> None:
        if done >= total // 2 and "half" not in marks:
            marks["half"] = peak_rss_mb()
        if done >= total and "all" not in marks:
            marks["all"] = peak_rss_mb()

    if have_sweep():
        from hallsim.sweep import run_sweep

        api = "hallsim.sweep.run_sweep"
        t0, c0 = time.perf_counter(), cpu_seconds()
        own0 = _own_cpu()
        df = run_sweep(
            base,
            {param: rates},
            replications=reps,
            seed=SEED,
            workers=workers,
            engine=engine,
            progress=progress,
        )
        dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        parent_cpu = _own_cpu() - own0
        df = df.sort_values(["point", "replication"])
        citizens = int(df["arrived"].sum())
        wait_by_point = df.groupby("point")["wait_mean_min"].mean().tolist()
    else:
        api = "emulated: hallsim.run_replications per point (hallsim.sweep missing)"
        variants = [base.with_changes({param: x}) for x in rates]
        tables = []
        t0, c0 = time.perf_counter(), cpu_seconds()
        for i, sc in enumerate(variants):
            exp = hallsim.run_replications(
                sc, replications=reps, seed=SEED, workers=workers, engine=engine
            )
            tables.append(exp.replications)  # what a sweep keeps: one row per replication
            progress(i + 1, points)
        dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        citizens = int(sum(t["arrived"].sum() for t in tables))
        wait_by_point = [float(t["wait_mean_min"].mean()) for t in tables]
    return {
        "seconds": dt,
        "cpu_s": cpu,
        "parent_cpu_s": parent_cpu if have_sweep() else None,
        "citizens": citizens,
        "api": api,
        "wait_by_point": [float(x) for x in wait_by_point],
        "swept": {param: rates},
        "baseline_rss_mb": rss0,
        "peak_rss_half_mb": marks.get("half"),
        "peak_rss_all_points_mb": marks.get("all"),
        "peak_rss_mb": peak_rss_mb(),
    }


# --------------------------------------------------------------------------- orchestration


class Bench:
    def __init__(self, cfg: dict, console):
        self.cfg = cfg
        self.console = console
        self.rows: list[dict] = []
        self.workloads: dict[str, dict] = {}

    def log(self, msg: str) -> None:
        self.console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {msg}")

    def measure(self, workload: str, engine: str, fn, *args, isolate: bool = False) -> dict | None:
        """Best-of timing of one engine; errors are recorded, not raised."""
        self.log(f"({workload}) {engine} ...")
        call = (lambda: isolated(fn, *args)) if isolate else (lambda: fn(*args))
        try:
            r = best_of(call, self.cfg["repeats"], self.cfg["repeat_budget_s"])
        except Exception as exc:  # an engine under development may fail: report it
            self.console.print(f"[red]({workload}) {engine} failed: {exc!r}[/red]")
            row = {"workload": workload, "engine": engine, "error": repr(exc)}
            self.rows.append(row)
            return None
        r["citizens_per_s"] = r["citizens"] / r["seconds"]
        row = {"workload": workload, "engine": engine, **r}
        self.rows.append(row)
        self.log(
            f"({workload}) {engine}: {r['citizens']:,} citizens in {r['seconds']:.2f} s "
            f"= {r['citizens_per_s']:,.0f}/s"
        )
        return row

    def skip(self, workload: str, engine: str, why: str) -> None:
        self.console.print(f"[yellow]({workload}) {engine}: skipped, {why}[/yellow]")
        self.rows.append({"workload": workload, "engine": engine, "skipped": why})

    def fast_ok(self, workload: str, engine_label: str, scenario) -> bool:
        if not have_fast():
            self.skip(workload, engine_label, "hallsim.engines does not exist")
            return False
        engines = importlib.import_module("hallsim.engines")
        if lacks := engines.supports(scenario, "fast"):
            self.skip(workload, engine_label, f"the fast engine lacks {', '.join(lacks)}")
            return False
        return True

    # ---- workloads ----------------------------------------------------------

    def run_a(self) -> None:
        from hallsim.theory import mmc

        n = self.cfg["a_citizens"]
        theory = mmc(A_RATE, A_SERVICE, A_SERVERS)
        self.workloads["a"] = {
            "title": f"(a) M/M/5 steady state, rho 0.9, {n:,} citizens, 1 replication",
            "citizens_target": n,
            "horizon_min": n / A_RATE,
            "warmup_min": A_WARMUP,
            "reference": {
                "wait_mean_min": theory.wait_mean,
                "label": "Erlang C (hallsim.theory.mmc), exact",
                "p_wait": theory.p_wait,
            },
        }
        engines = [("simpy", "hallsim simpy")]
        if self.fast_ok("a", "hallsim fast", mm5_scenario(n)):
            engines.append(("fast", "hallsim fast"))
        for eng, label in engines:
            self.measure("a", f"{label} (simulate)", a_hallsim, n, eng, True, isolate=True)
            self.measure("a", f"{label} (engine only)", a_hallsim, n, eng, False, isolate=True)
        if len(engines) > 1:  # memory: a 10x longer run, streamed, should not need 10x
            self.measure(
                "a",
                "hallsim fast (simulate, 10× citizens)",
                a_hallsim,
                10 * n,
                "fast",
                True,
                isolate=True,
            )
        self.measure("a", "bare SimPy", a_bare_simpy, n, isolate=True)
        self.measure("a", "Ciw", a_ciw, n, isolate=True)

    def run_b(self) -> None:
        from hallsim.theory import allen_cunneen

        reps = self.cfg["b_reps"]
        ac = allen_cunneen(B_RATE_PER_HOUR / 60, B_SERVICE_MEAN, B_SERVERS, 1.0, B_SERVICE_CV**2)
        self.workloads["b"] = {
            "title": f"(b) 10-hour day, 60/h, 6 windows, lognormal 5 min cv 0.8, {reps} reps",
            "replications": reps,
            "reference": {
                "wait_mean_min": ac,
                "label": "Allen-Cunneen G/G/c, approximate and steady-state "
                "(a day starts empty, so expect somewhat less)",
            },
        }
        engines = [("simpy", "hallsim simpy")]
        if self.fast_ok("b", "hallsim fast", day_scenario()):
            engines.append(("fast", "hallsim fast"))
        for eng, label in engines:
            self.measure("b", f"{label} (simulate)", b_hallsim, reps, eng, True)
            self.measure("b", f"{label} (engine only)", b_hallsim, reps, eng, False)
        if len(engines) > 1:  # what a sweep or the optimiser computes: a few metrics
            self.measure(
                "b",
                f"hallsim fast (simulate, {len(FEW_METRICS)} metrics)",
                b_hallsim,
                reps,
                "fast",
                True,
                FEW_METRICS,
            )
        self.measure("b", "bare SimPy", b_bare_simpy, reps)
        self.measure("b", "Ciw", b_ciw, reps)
        for row in self.rows:
            if row["workload"] == "b" and "rep_means" in row:
                row["wait"] = rep_means(row["rep_means"])

    def run_c(self) -> None:
        from hallsim import load_scenario

        path, feats = richest_scenario()
        reps = self.cfg["c_reps"]
        rel = str(path.relative_to(ROOT))
        self.workloads["c"] = {
            "title": f"(c) richest example: {rel}, {reps} reps",
            "scenario": rel,
            "features": feats,
            "replications": reps,
            "reference": {"label": "hallsim simpy (reference engine), same seeds"},
        }
        self.log(f"(c) richest example scenario: {rel} ({', '.join(feats)})")
        engines = [("simpy", "hallsim simpy")]
        if self.fast_ok("c", "hallsim fast", load_scenario(path)):
            engines.append(("fast", "hallsim fast"))
        for eng, label in engines:
            self.measure("c", f"{label} (simulate)", c_hallsim, str(path), reps, eng, True)
            self.measure("c", f"{label} (engine only)", c_hallsim, str(path), reps, eng, False)
        for row in self.rows:
            if row["workload"] == "c" and "rep_means" in row:
                row["wait"] = rep_means(row["rep_means"])

    def run_e(self) -> None:
        from hallsim import load_scenario

        reps = self.cfg["e_reps"]
        path = SCENARIOS / "operations.toml"
        self.workloads["e"] = {
            "title": f"(e) scenarios/operations.toml, {reps} reps",
            "replications": reps,
            "reference": {"label": "hallsim simpy (reference engine), same seeds"},
        }
        engines = [("simpy", "hallsim simpy")]
        if self.fast_ok("e", "hallsim fast", load_scenario(path)):
            engines.append(("fast", "hallsim fast"))
        for eng, label in engines:
            self.measure("e", f"{label} (simulate)", e_hallsim, reps, eng, True)
            self.measure("e", f"{label} (engine only)", e_hallsim, reps, eng, False)
        for row in self.rows:
            if row["workload"] == "e" and "rep_means" in row:
                row["wait"] = rep_means(row["rep_means"])

    def run_f(self) -> None:
        reps = self.cfg["f_reps"]
        self.workloads["f"] = {
            "title": f"(f) 24-hour day, ~{F_CITIZENS:,} citizens, every mechanism the fast "
            f"engine covers, no citizen log; best of {reps} replication(s), each timed alone",
            "features": F_FEATURES,
            "target_s": 2.0,
        }
        if not self.fast_ok("f", "hallsim fast", f_scenario()):
            return
        self.measure("f", "hallsim fast (simulate)", f_hallsim, reps, "fast", True, isolate=True)
        self.measure(
            "f", "hallsim fast (engine only)", f_hallsim, reps, "fast", False, isolate=True
        )
        # twice the day (hall scaled alike): memory grows with the day, by how much
        self.measure(
            "f", F_TWICE_ENGINE, f_hallsim, 1, "fast", True, "f", 2 * F_CITIZENS, isolate=True
        )
        # (f2): the same day with what the one-pass engine does not cover (event loop)
        self.workloads["f"]["features_f2"] = F2_FEATURES
        self.measure("f", F2_ENGINE, f_hallsim, reps, "fast", True, "f2", isolate=True)

    def run_s(self) -> None:
        """Start-up: benchmarks/startup.py in a child process, its JSON read back."""
        import tempfile

        runs = self.cfg["s_runs"]
        self.log(f"(s) start-up, {runs} runs of each command ...")
        with tempfile.TemporaryDirectory(prefix="hallsim-bench-") as tmp:
            out = Path(tmp) / "startup.json"
            done = subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "benchmarks" / "startup.py"),
                    "--runs",
                    str(runs),
                    "--json",
                    str(out),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0 or not out.exists():
                self.console.print(f"[red](s) startup.py failed: {done.stderr[-500:]}[/red]")
                return
            data = json.loads(out.read_text())
        self.workloads["s"] = {
            "title": f"(s) start-up, fastest of {runs} fresh processes per command "
            "(benchmarks/startup.py)",
            "startup": data,
        }

    def run_d(self) -> None:
        points, reps, base_name = self.cfg["d_points"], self.cfg["d_reps"], self.cfg["d_base"]
        _, param, _, what = d_grid(base_name, 2, reps)
        if have_sweep():
            note = (
                f"hallsim.sweep.run_sweep(base, {{'{param}': values}}, "
                "replications, seed, workers, engine='auto') into a temporary folder"
            )
        else:
            note = (
                "hallsim.sweep does not exist yet: emulated with "
                "hallsim.run_replications(..., workers=1|2) per point on "
                f'scenario.with_changes({{"{param}": x}}) variants '
                "(a new process pool per point)"
            )
        self.workloads["d"] = {
            "title": f"(d) sweep: {points} points x {reps} reps of {what}, engine auto",
            "points": points,
            "replications": reps,
            "base": base_name,
            "notes": [note],
        }
        method = multiprocessing.get_start_method()
        # 1 and 2 workers alternate (1, 2, 1, 2, ...), so that a machine that
        # slows down or speeds up during the benchmark biases neither side
        labels = {w: f"hallsim auto, {w} worker{'s' if w > 1 else ''}" for w in (1, 2)}
        runs: dict[int, list[dict]] = {1: [], 2: []}
        try:
            for _ in range(self.cfg["repeats"]):
                for w in (1, 2):
                    self.log(f"(d) {labels[w]} ...")
                    runs[w].append(isolated(d_sweep, w, points, reps, "auto", method, base_name))
        except Exception as exc:  # report, as measure() does
            self.console.print(f"[red](d) sweep failed: {exc!r}[/red]")
            self.rows.append({"workload": "d", "engine": "sweep", "error": repr(exc)})
            return
        for w in (1, 2):
            best = dict(min(runs[w], key=lambda r: r["seconds"]))
            best["timings_s"] = [r["seconds"] for r in runs[w]]
            best["citizens_per_s"] = best["citizens"] / best["seconds"]
            self.rows.append({"workload": "d", "engine": labels[w], **best})
            self.log(f"(d) {labels[w]}: best {best['seconds']:.2f} s of {best['timings_s']}")
        info = self.workloads["d"]
        one, two = (min(r["seconds"] for r in runs[w]) for w in (1, 2))
        info["speedup_1_to_2_workers"] = one / two
        pairs = zip(runs[1], runs[2], strict=True)
        info["speedup_pairs"] = [a["seconds"] / b["seconds"] for a, b in pairs]
        # on a loaded machine a second process does not get a second CPU: the CPU each
        # process used is the better guide. With a CPU each, the 2-worker sweep lasts
        # about as long as its busiest process (the parent: validation, its share of the
        # runs, assembly; or the pool worker); 1 worker: the parent's CPU
        if all(r.get("parent_cpu_s") is not None for r in runs[1] + runs[2]):
            one_cpu = min(r["cpu_s"] for r in runs[1])
            busiest = min(max(r["parent_cpu_s"], r["cpu_s"] - r["parent_cpu_s"]) for r in runs[2])
            info["speedup_cpu_critical_path"] = one_cpu / busiest
            info["cpu_1_worker_s"] = one_cpu
            info["cpu_2_workers_busiest_s"] = busiest
        info["identical_results_1_vs_2_workers"] = (
            runs[1][0]["wait_by_point"] == runs[2][0]["wait_by_point"]
        )

    # ---- ratios and checks --------------------------------------------------

    def finish(self) -> None:
        for wl, info in self.workloads.items():
            rows = [r for r in self.rows if r["workload"] == wl and "citizens_per_s" in r]
            bare = next((r for r in rows if r["engine"] == "bare SimPy"), None)
            ciw_ = next((r for r in rows if r["engine"] == "Ciw"), None)
            for r in rows:
                if bare:
                    r["ratio_vs_bare_simpy"] = r["citizens_per_s"] / bare["citizens_per_s"]
                if ciw_:
                    r["ratio_vs_ciw"] = r["citizens_per_s"] / ciw_["citizens_per_s"]
                kind = "(simulate)" if "(simulate" in r["engine"] else "(engine only)"
                ref = next((x for x in rows if x["engine"] == f"hallsim simpy {kind}"), None)
                if ref and r["engine"].startswith("hallsim"):
                    r["ratio_vs_hallsim_simpy"] = r["citizens_per_s"] / ref["citizens_per_s"]
                r["check"] = self.check(wl, r, rows, info)

    def check(self, wl: str, r: dict, rows: list[dict], info: dict) -> str:
        """'ok' if the mean wait agrees with the workload's reference, else 'CHECK: ...'."""
        w = r.get("wait")
        if not w or w.get("mean") is None or w.get("half99") is None:
            return ""
        if wl == "a":
            ref = info["reference"]["wait_mean_min"]
            dev = abs(w["mean"] - ref)
            return "ok" if dev <= w["half99"] else f"CHECK: Erlang C outside 99% CI ({dev:.2f})"
        # (b), (c): compare with the reference simulator (two-sample, 99%)
        ref_name = "bare SimPy" if wl == "b" else "hallsim simpy (simulate)"
        ref = next((x for x in rows if x["engine"] == ref_name), None)
        if ref is None or ref is r or not ref.get("wait"):
            return "reference" if ref is r else ""
        a, b = np.asarray(r["rep_means"]), np.asarray(ref["rep_means"])
        se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        z = (a.mean() - b.mean()) / se if se > 0 else 0.0
        return "ok" if abs(z) < 2.58 else f"CHECK: differs from {ref_name} (z={z:.1f})"


# --------------------------------------------------------------------------- output


def _fmt_wait(w: dict | None) -> str:
    if not w or w.get("mean") is None:
        return ""
    if w.get("half95") is None:
        return f"{w['mean']:.2f}"
    return f"{w['mean']:.2f} ± {w['half95']:.2f}"


def _fmt_ratio(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}×"


COLUMNS = [
    ("engine", "left"),
    ("citizens", "right"),
    ("seconds (runs)", "right"),
    ("CPU/wall", "right"),
    ("citizens/s", "right"),
    ("× bare SimPy", "right"),
    ("× Ciw", "right"),
    ("× hallsim simpy", "right"),
    ("mean wait, min (95% CI)", "right"),
    ("check", "left"),
    ("peak RSS, MB", "right"),
]


def table_cells(bench: Bench, wl: str) -> list[list[str]]:
    """The cells of workload ``wl``'s table, one list per row (rich and Markdown)."""
    out = []
    for r in bench.rows:
        if r["workload"] != wl:
            continue
        if "skipped" in r or "error" in r:
            why = r.get("skipped") or f"ERROR {r['error']}"
            out.append([r["engine"], *[""] * 8, why, ""])
            continue
        rss = ""
        if wl in "af" and r.get("peak_rss_mb") is not None:
            rss = f"{r['peak_rss_mb']:.0f} (base {r['baseline_rss_mb']:.0f})"
        elif wl == "d" and r.get("peak_rss_half_mb") is not None:
            rss = f"{r['peak_rss_half_mb']:.0f} → {r['peak_rss_all_points_mb']:.0f}"
        out.append(
            [
                r["engine"],
                f"{r['citizens']:,}",
                f"{r['seconds']:.2f} ({len(r['timings_s'])})",
                f"{r['cpu_s'] / r['seconds']:.0%}" if r.get("cpu_s") is not None else "",
                f"{r['citizens_per_s']:,.0f}",
                _fmt_ratio(r.get("ratio_vs_bare_simpy")),
                _fmt_ratio(r.get("ratio_vs_ciw")),
                _fmt_ratio(r.get("ratio_vs_hallsim_simpy")),
                _fmt_wait(r.get("wait")),
                r.get("check", ""),
                rss,
            ]
        )
    return out


def table_notes(bench: Bench, wl: str) -> list[str]:
    """Lines printed under workload ``wl``'s table."""
    info = bench.workloads[wl]
    notes = []
    ref = info.get("reference", {})
    if "wait_mean_min" in ref:
        notes.append(f"reference mean wait: {ref['wait_mean_min']:.3f} min ({ref['label']})")
    elif ref:
        notes.append(f"reference: {ref['label']}")
    if wl == "a":
        notes.append(
            "mean wait of citizens arriving after the warm-up, with a batch-means 95% CI; "
            "check = Erlang C inside the 99% CI"
        )
        notes.append(
            "peak RSS: VmHWM of a fresh process running only this engine (base: after imports)"
        )
        if any(r.get("streamed") for r in bench.rows if r["workload"] == "a"):
            notes.append(
                "fast simulate rows are streamed (hallsim.streaming, runs of 100k+ citizens): "
                "memory does not grow with the horizon, see the 10× row; their CI is batch "
                "means over the period table"
            )
    if wl == "b":
        bare = next(
            (r for r in bench.rows if r["workload"] == "b" and r["engine"] == "bare SimPy"), None
        )
        if bare and bare.get("wait"):
            notes.append(f"bare SimPy estimate of the same day: {_fmt_wait(bare['wait'])} min")
        notes.append(
            "check = mean of replication means within 99% of bare SimPy's (two-sample z); "
            "Ciw stops at 600 min, so citizens still inside at close are not counted"
        )
    if wl in "cf" and "features" in info:
        notes.append(f"features: {', '.join(info['features'])}")
    if wl == "f":
        notes.append(
            "seconds = the best single replication; peak RSS: VmHWM of the fresh process that "
            "ran the replications (base: after importing numpy, pandas, scipy, the engines "
            "and the metrics); a day is simulated whole, so its memory grows with the day's "
            "citizens (demand and trace arrays), not with a log: compare the 200,000 row"
        )
        if "features_f2" in info:
            notes.append(
                f"(f2) features: {', '.join(info['features_f2'])}; these run in the fast "
                "engine's event loop (operations_loop), not its one-pass recursion"
            )
    if wl == "e":
        notes.append(
            "the fast engine runs this hall in its operations loop (engines/operations_loop.py: "
            "SimPy's event order, tested bit for bit): identical traces"
        )
        notes.append("check = mean of replication means within 99% of the simpy engine's")
    if wl == "d":
        if "speedup_1_to_2_workers" in info:
            pairs = ", ".join(f"{x:.2f}×" for x in info.get("speedup_pairs", []))
            notes.append(
                f"speed-up 1 → 2 workers: {info['speedup_1_to_2_workers']:.2f}× (best of each; "
                f"run by run, alternating: {pairs}); identical results with 1 and 2 workers: "
                f"{info['identical_results_1_vs_2_workers']}"
            )
        if "speedup_cpu_critical_path" in info:
            notes.append(
                f"in CPU time: 1 worker {info['cpu_1_worker_s']:.3f} s; 2 workers, busiest "
                f"process {info['cpu_2_workers_busiest_s']:.3f} s: "
                f"{info['speedup_cpu_critical_path']:.2f}× (what the wall clock shows when "
                "each process has a CPU of its own)"
            )
        notes.append("peak RSS: the sweep's parent process when half → all points were done")
        notes.append(
            "CPU/wall counts the worker processes too: about 200% if 2 workers kept 2 CPUs busy"
        )
        notes.extend(info["notes"])
    return notes


def _row(bench: Bench, wl: str, engine: str) -> dict | None:
    return next(
        (r for r in bench.rows if r["workload"] == wl and r["engine"] == engine and "seconds" in r),
        None,
    )


def startup_cells(info: dict) -> list[list[str]]:
    """Rows of the start-up table: command, fastest and median wall, fastest CPU."""
    return [
        [
            f"`{r['command']}`",
            f"{r['min_s']:.3f}",
            f"{r['median_s']:.3f}",
            f"{r['cpu_min_s']:.3f}",
            ", ".join(r["heavy_imports"]) or "—",
        ]
        for r in info["startup"]["rows"]
    ]


STARTUP_COLUMNS = ["command", "fastest, s", "median, s", "CPU fastest, s", "heavy libraries"]


def targets(bench: Bench) -> list[list[str]]:
    """Issue 19's targets: [target, measured, met?] from this run's rows."""
    out = []

    def ratio(wl: str, engine: str, key: str) -> float | None:
        r = _row(bench, wl, engine)
        return None if r is None else r.get(key)

    def cpu_ratio(wl: str, engine: str, ref: str) -> float | None:
        """The same ratio in citizens per CPU second (each process's own CPU time)."""
        a, b = _row(bench, wl, engine), _row(bench, wl, ref)
        if not a or not b or not a.get("cpu_s") or not b.get("cpu_s"):
            return None
        return (a["citizens"] / a["cpu_s"]) / (b["citizens"] / b["cpu_s"])

    def add(
        what: str,
        value: float | None,
        goal: float,
        fmt: str,
        lower: bool = False,
        cpu: float | None = None,
    ):
        if value is None:
            out.append([what, "not measured", ""])
            return
        met = value <= goal if lower else value >= goal
        shown = fmt.format(value)
        verdict = "met" if met else "**missed**"
        if cpu is not None:
            shown += f" wall; {fmt.format(cpu)} CPU"
            cpu_met = cpu <= goal if lower else cpu >= goal
            if cpu_met and not met:
                verdict = "missed on the wall clock, met in CPU time"
        out.append([what, shown, verdict])

    fast = "hallsim fast (simulate)"
    add(
        "(a) M/M/5 simulate ≥ 15× bare SimPy",
        ratio("a", fast, "ratio_vs_bare_simpy"),
        15,
        "{:.1f}×",
        cpu=cpu_ratio("a", fast, "bare SimPy"),
    )
    add(
        "(a) M/M/5 simulate ≥ 35× Ciw",
        ratio("a", fast, "ratio_vs_ciw"),
        35,
        "{:.1f}×",
        cpu=cpu_ratio("a", fast, "Ciw"),
    )
    for wl, what in (
        ("b", "(b) 10-hour day"),
        ("c", "(c) richest example"),
        ("e", "(e) operations.toml"),
    ):
        if wl in bench.workloads:
            value = ratio(wl, fast, "ratio_vs_hallsim_simpy")
            if value is None and any(
                r["workload"] == wl and "skipped" in r and r["engine"].startswith("hallsim fast")
                for r in bench.rows
            ):
                out.append(
                    [
                        f"{what}: simulate ≥ 10× the SimPy reference",
                        "fast engine declines it",
                        "**missed**",
                    ]
                )
                continue
            add(
                f"{what}: simulate ≥ 10× the SimPy reference",
                value,
                10,
                "{:.1f}×",
                cpu=cpu_ratio(wl, fast, "hallsim simpy (simulate)"),
            )
    few = _row(bench, "b", f"hallsim fast (simulate, {len(FEW_METRICS)} metrics)")
    full, eng = _row(bench, "b", fast), _row(bench, "b", "hallsim fast (engine only)")
    if few and full and eng:
        per = lambda r: 1e3 * r["seconds"] / bench.cfg["b_reps"]  # noqa: E731
        out.append(
            [
                "short day: compute only the metrics asked for",
                f"engine {per(eng):.2f} ms/day; simulate {per(full):.2f} ms with every metric "
                f"and table, {per(few):.2f} ms with {len(FEW_METRICS)} metrics",
                "met",
            ]
        )
    d = bench.workloads.get("d", {})
    if "speedup_1_to_2_workers" in d:
        add(
            f"(d) sweep {d['points']} points × {d['replications']}: 1 → 2 workers ≥ 1.8×",
            d["speedup_1_to_2_workers"],
            1.8,
            "{:.2f}×",
            cpu=d.get("speedup_cpu_critical_path"),
        )
    f = _row(bench, "f", fast)
    if "f" in bench.workloads:
        add(
            "(f) 24-hour 100,000-citizen day < 2 s per replication",
            None if f is None else f["seconds"],
            2.0,
            "{:.2f} s",
            lower=True,
            cpu=None if f is None else f.get("cpu_s"),
        )
    f2 = _row(bench, "f", F2_ENGINE)
    if f2 is not None:
        add(
            "(f2) the same day with rosters, classes, appointments, missed calls < 2 s",
            f2["seconds"],
            2.0,
            "{:.2f} s",
            lower=True,
            cpu=f2.get("cpu_s"),
        )
    st = bench.workloads.get("s")
    if st:
        rows = {r["command"]: r for r in st["startup"]["rows"]}
        for cmd, goal in (
            ("hallsim --help", 0.3),
            ("hallsim validate scenarios/integrated.toml", 0.3),
            ("hallsim run scenarios/integrated.toml", 1.0),
        ):
            if cmd in rows:
                add(
                    f"`{cmd}` < {goal} s (fastest)",
                    rows[cmd]["min_s"],
                    goal,
                    "{:.3f} s",
                    lower=True,
                    cpu=rows[cmd]["cpu_min_s"],
                )
    return out


def print_tables(bench: Bench) -> None:
    from rich.table import Table

    con = bench.console
    for wl, info in bench.workloads.items():
        if wl == "s":
            t = Table(title=info["title"], title_justify="left")
            for col in STARTUP_COLUMNS:
                t.add_column(col)
            for cells in startup_cells(info):
                t.add_row(*cells)
            con.print(t)
            continue
        t = Table(title=info["title"], title_justify="left")
        for col, just in COLUMNS:
            t.add_column(col, justify=just, no_wrap=col == "engine")
        for cells in table_cells(bench, wl):
            t.add_row(*cells)
        con.print(t)
        for line in table_notes(bench, wl):
            con.print(f"  {line}")
        con.print()
    t = Table(title="issue 19 targets", title_justify="left")
    for col in ("target", "measured", ""):
        t.add_column(col)
    for cells in targets(bench):
        t.add_row(*cells)
    con.print(t)


def markdown(bench: Bench, info: dict, total: float, mode: str) -> str:
    """All tables as Markdown (for benchmarks/README.md)."""
    dirty = ", plus uncommitted work" if info.get("uncommitted_changes", True) else ""
    lines = [
        f"Machine: {info['cpu_model']}, {info['nproc']} CPUs, {info['mem_total_gb']} GB, "
        f"{info['platform']}; Python {info['python']}, numpy {info['numpy']}, "
        f"simpy {info['simpy']}, ciw {info['ciw']}, hallsim {info['hallsim']} "
        f"(commit {info['hallsim_commit']}{dirty}); {mode} run, "
        f"{info['date_utc']}, {total:.0f} s; load average before/after "
        f"{info.get('loadavg_start')} / {info.get('loadavg_end')}.",
        "",
    ]
    lines += ["**Issue 19 targets**", "", "| target | measured | |", "|---|---|---|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in targets(bench)]
    lines.append("")
    for wl, winfo in bench.workloads.items():
        lines.append(f"**{winfo['title']}**")
        lines.append("")
        if wl == "s":
            lines.append("| " + " | ".join(STARTUP_COLUMNS) + " |")
            lines.append("|---|---:|---:|---:|---|")
            lines += ["| " + " | ".join(c) + " |" for c in startup_cells(winfo)]
            lines.append("")
            continue
        lines.append("| " + " | ".join(c for c, _ in COLUMNS) + " |")
        lines.append("|" + "|".join("---:" if j == "right" else "---" for _, j in COLUMNS) + "|")
        for cells in table_cells(bench, wl):
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        lines.extend(f"- {n}" for n in table_notes(bench, wl))
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small workloads, best of 1 (< 1 min)")
    p.add_argument(
        "--only", default="a,b,c,d,e,f,s", help="comma-separated workloads (default all)"
    )
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results.json"), help="JSON file")
    p.add_argument("--md", default=None, help="also write the tables as Markdown to this file")
    p.add_argument(
        "--d-points",
        type=int,
        default=None,
        help="points of the (d) sweep (default 100; 20 with --quick)",
    )
    p.add_argument(
        "--d-base",
        choices=D_BASES,
        default="day",
        help="what the (d) sweep varies: workload (b)'s day (default) or the richest example",
    )
    args = p.parse_args(argv)

    only = [x.strip() for x in args.only.split(",") if x.strip()]
    bad = [x for x in only if x not in "abcdefs" or len(x) != 1]
    if bad:
        p.error(f"unknown workload(s) {bad}; choose from a, b, c, d, e, f, s")
    cfg = dict(QUICK if args.quick else FULL)
    if args.d_points is not None:
        if args.d_points < 2:
            p.error("--d-points must be at least 2")
        cfg["d_points"] = args.d_points
    cfg["d_base"] = args.d_base
    console = Console(width=170)
    bench = Bench(cfg, console)
    info = machine_info()
    console.print(
        f"[bold]hallsim benchmark[/bold] ({'quick' if args.quick else 'full'}): "
        f"{info['cpu_model']}, {info['nproc']} CPUs, Python {info['python']}, "
        f"numpy {info['numpy']}, simpy {info['simpy']}, ciw {info['ciw']}, "
        f"hallsim {info['hallsim']} ({info['hallsim_commit']})"
    )
    if not info["fastpath_present"]:
        console.print("[yellow]hallsim.engines is missing: 'fast' engine rows are skipped[/]")
    t0 = time.perf_counter()
    for wl in "abcdefs":
        if wl in only:
            getattr(bench, f"run_{wl}")()
    bench.finish()
    total = time.perf_counter() - t0
    info["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    console.print()
    print_tables(bench)
    console.print(f"total benchmark time: {total:.0f} s")

    out = {
        "mode": "quick" if args.quick else "full",
        "settings": cfg,
        "machine": info,
        "total_seconds": total,
        "workloads": bench.workloads,
        "results": bench.rows,
    }
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=float) + "\n")
    console.print(f"results written to {path}")
    if args.md:
        md = markdown(bench, info, total, out["mode"])
        Path(args.md).write_text(md + "\n")
        console.print(f"Markdown tables written to {args.md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
