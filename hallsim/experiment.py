"""Replications, summaries with confidence intervals, and parallel execution.

Seeds derive only from (seed, replication index, random source), so results
are identical whatever the number of workers or the order of completion.
No model logic here.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hallsim import engines
from hallsim import metrics as _metrics
from hallsim import streaming as _streaming
from hallsim.engines import ENGINES as ENGINES
from hallsim.limits import check_int, check_replications, check_seed
from hallsim.metrics import METRICS, ReplicationResult
from hallsim.metrics.registry import reported
from hallsim.scenario import Scenario, load_scenario
from hallsim.stats import summarise
from hallsim.streams import make_streams


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    """A Scenario, or the scenario file at a path (ScenarioError if it is invalid)."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | os.PathLike):
        return load_scenario(scenario)
    raise TypeError(
        "expected a Scenario (hallsim.load_scenario) or the path of a scenario file, "
        f"got {type(scenario).__name__}"
    )


_check_engine = engines.check_engine


def trace_replication(scenario: Scenario, seed: int, replication: int, engine: str = "auto"):
    """The raw HallTrace of one replication from the chosen engine.

    ``simpy`` is the reference model; ``fast`` the specialised event loop in
    ``hallsim.engines.fast``; ``auto`` uses the fast one where it supports the
    scenario (``hallsim.engines.choose``).  Both consume the same random streams.
    """
    return engines.run_trace(scenario, make_streams(seed, replication), engine)


def simulate(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    replication: int = 0,
    log: bool = False,
    engine: str = "auto",
    breakdowns: bool = True,
    streaming: bool | None = None,
    metrics: Iterable[str] | None = None,
) -> ReplicationResult:
    """Run one replication; returns metrics, breakdowns and optionally the citizen log.

    ``breakdowns=False`` skips the per-matter/group/period tables (metrics only),
    which is what sweeps need and several times cheaper for a short day.

    ``metrics`` (names from ``hallsim.METRICS``): compute only these, with no
    breakdown tables, e.g. ``metrics=["wait_mean_min", "service_level"]`` for a
    search that needs two; each value is the full computation's, bit for bit.
    None (default): every metric.

    ``streaming`` simulates in segments and folds their metrics, so memory does
    not grow with the horizon (``hallsim.streaming``); wait quantiles are then
    within 0.1% (relative) and ``visits`` is empty.  None (default): stream
    long steady-state runs (100,000 citizens or more) unless a log is asked
    for or the engine is ``simpy``.

    >>> import hallsim
    >>> sc = hallsim.load_scenario("scenarios/mmc_steady_state.toml")  # doctest: +SKIP
    >>> hallsim.simulate(sc, seed=1).metrics["wait_mean_min"]  # doctest: +SKIP

    Bad arguments raise TypeError or ValueError (ScenarioError for a bad file).
    """
    scenario = as_scenario(scenario)
    seed = scenario.run.seed if seed is None else check_seed(seed)
    replication = check_int(replication, "replication", 0)
    _check_engine(engine)
    selection = _metrics.metric_selection(metrics)
    if selection is not None and log:
        raise ValueError("a citizen log comes with every metric: leave metrics=None")
    if streaming is None:
        streaming = not log and engine != "simpy" and _streaming.applies(scenario)
    if streaming:
        if log or engine == "simpy":
            raise ValueError("streaming keeps no citizen log and needs the fast engine")
        # simulate_streamed refuses what it cannot fold (day mode, operations features)
        res = _streaming.simulate_streamed(
            scenario, seed, replication, breakdowns and selection is None
        )
        if selection is not None:  # a long run's segments fold every metric
            res.metrics = {k: v for k, v in res.metrics.items() if k in selection}
            res.visits = {}
        return res
    trace = trace_replication(scenario, seed, replication, engine)
    return _metrics.compute(scenario, trace, log=log, breakdowns=breakdowns, metrics=selection)


def default_workers() -> int:
    return os.cpu_count() or 1


def summarise_values(
    values: Iterable[float], confidence: float = 0.95, metric: str | None = None
) -> dict[str, float | None]:
    """Mean, sd and Student-t interval over the defined values (``hallsim.stats.summarise``)."""
    return summarise(values, confidence, metric)


@dataclass
class ExperimentResult:
    """Replications of one scenario as tidy tables (one row per replication etc.)."""

    scenario: Scenario
    seed: int
    replications: pd.DataFrame  # replication, seed, every metric
    matters: pd.DataFrame
    groups: pd.DataFrame
    periods: pd.DataFrame
    classes: pd.DataFrame = field(default_factory=pd.DataFrame)  # per citizen class, if any
    stations: pd.DataFrame = field(default_factory=pd.DataFrame)  # per station (visits.md)
    clerks: pd.DataFrame = field(default_factory=pd.DataFrame)  # per clerk, if they differ
    log: pd.DataFrame | None = None
    summary: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.summary:
            self.summary = {
                m: summarise_values(self.replications[m], metric=m)
                for m in reported(self.replications.columns)
            }


def _replicate_one(args: tuple) -> tuple[int, ReplicationResult]:
    scenario, seed, rep, log, engine, selection = args
    res = simulate(scenario, seed=seed, replication=rep, log=log, engine=engine, metrics=selection)
    res.visits = {}  # not needed by the parent; keeps inter-process traffic small
    return rep, res


class ReplicationsInterrupted(KeyboardInterrupt):
    """Ctrl-C during ``run_replications``; ``partial`` holds the replications finished.

    They are replications 0..k-1 (a prefix), so the partial result is exactly
    what a run with k replications would give.
    """

    def __init__(self, partial: ExperimentResult | None, planned: int):
        super().__init__()
        self.partial = partial
        self.planned = planned


def worker_init() -> None:
    """Pool workers ignore Ctrl-C (the parent decides) and die with their parent.

    Ctrl-C in a terminal reaches the whole process group.  After a SIGKILL of
    the parent nothing would tell the workers to stop (their queue stays open),
    so a watchdog thread exits as soon as the parent is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.25)
        os._exit(1)

    threading.Thread(target=watch, name="hallsim-parent-watch", daemon=True).start()


def worker_pool(workers: int, context: str | None = None) -> ProcessPoolExecutor:
    """The process pool every parallel part of hallsim uses: ``workers`` processes, each
    started with ``worker_init`` (ignores Ctrl-C, dies with its parent). ``context``: a
    multiprocessing start method ("forkserver" where the parent runs threads)."""
    import multiprocessing

    ctx = multiprocessing.get_context(context) if context else None
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=worker_init)


class ctrl_c_held:  # a context manager, named for what its block does
    """Ctrl-C while the block runs is held, and raised as one KeyboardInterrupt when it
    ends, unless an exception already leaves it (main thread only; elsewhere a no-op).

    For shutting a pool down: a second Ctrl-C landing halfway through
    ``ProcessPoolExecutor.shutdown`` (or its process start-up) can leave a worker that
    never gets its stop signal, and the process then waits for it at exit for ever.
    """

    def __enter__(self) -> ctrl_c_held:
        self.hits = 0
        self.installed = threading.current_thread() is threading.main_thread()
        if self.installed:
            self.old = signal.signal(signal.SIGINT, self._hold)
        return self

    def _hold(self, *_: object) -> None:
        self.hits += 1

    def __exit__(self, kind: object, *_: object) -> None:
        if self.installed:
            # None: a handler not set from Python, which cannot be put back; default then
            signal.signal(signal.SIGINT, signal.SIG_DFL if self.old is None else self.old)
        if self.hits and kind is None:
            raise KeyboardInterrupt


POOL_STOP_S = 5.0
"""Seconds an interrupted pool's workers get to die after SIGTERM before SIGKILL."""


def stop_pool(pool: ProcessPoolExecutor, interrupted: bool = False) -> None:
    """Shut a ``worker_pool`` down, whatever further Ctrl-C arrives meanwhile.

    Normally its workers finish what they run (``shutdown(wait=True)``).  After
    Ctrl-C (``interrupted``) nothing they run is wanted: pending work is cancelled
    and every worker process of the pool (also one started by a start-up that
    Ctrl-C cut short, which the pool does not know) is terminated, with a bounded
    wait, so no exit waits on a worker that never got its stop signal.
    """
    import multiprocessing
    from concurrent.futures import process as _process

    with ctrl_c_held():
        if not interrupted:
            pool.shutdown(wait=True, cancel_futures=True)
            return
        queue = getattr(pool, "_call_queue", None)
        workers = list((getattr(pool, "_processes", None) or {}).values())
        workers += [
            p
            for p in multiprocessing.active_children()
            if getattr(p, "_target", None) is _process._process_worker
            and queue is not None
            and getattr(p, "_args", (None,))[0] is queue
            and p not in workers
        ]
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for p in workers:
            p.terminate()
        deadline = time.monotonic() + POOL_STOP_S
        for p in workers:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(1.0)
        # its workers gone, the pool's thread closes its wake-up pipe and ends: waited for
        # here, or the interpreter's exit could write to that pipe as it closes ("OSError:
        # Bad file descriptor" after the resume message).  Ctrl-C can cut in between the
        # thread's creation and its start: a thread never started is not waited for.
        if manager is not None and manager.ident is not None:
            manager.join(max(1.0, deadline - time.monotonic()))


# Serial seconds of replications left below which ``run_replications`` does not start a
# pool: starting and stopping one costs ~0.1-0.2 s (benchmarks/README.md, "Start-up time").
POOL_WORTH_S = 0.4


def run_replications(
    scenario: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    log: bool = False,
    progress: Callable[[int], None] | None = None,
    engine: str = "auto",
    metrics: Iterable[str] | None = None,
) -> ExperimentResult:
    """Run independent replications 0..N-1 of a scenario (in parallel if workers > 1).

    ``metrics``: compute only these metrics (``simulate``); the breakdown tables are
    then empty and ``summary`` covers these metrics only.

    ``scenario`` is a Scenario or the path of a scenario file.  Bad arguments
    raise TypeError or ValueError (ScenarioError for a bad file), with the
    limits the command line uses (1..100,000 replications, seeds 0..2^63-1).
    Ctrl-C raises ``ReplicationsInterrupted`` carrying the finished prefix.
    With workers > 1 the first one or two replications run in this process, and the
    rest too when they would take less than ``POOL_WORTH_S`` seconds here.
    """
    scenario = as_scenario(scenario)
    n = scenario.run.replications if replications is None else check_replications(replications)
    seed = scenario.run.seed if seed is None else check_seed(seed)
    workers = check_int(workers, "workers", 1)
    _check_engine(engine)
    selection = _metrics.metric_selection(metrics)
    jobs = [(scenario, seed, r, log, engine, selection) for r in range(n)]
    results: dict[int, ReplicationResult] = {}
    try:
        # the first replications run here, timed: when the rest is too little work
        # to pay for starting and stopping a pool, they run here too (same numbers)
        serial = workers <= 1 or n <= 1
        for i, job in enumerate(jobs):
            started = time.perf_counter()
            rep, res = _replicate_one(job)
            results[rep] = res
            if progress:
                progress(1)
            if serial:
                continue
            if (time.perf_counter() - started) * (n - len(results)) < POOL_WORTH_S:
                serial = True  # the rest is little work: it runs here too
            elif i >= 1:  # the second replication (the first pays one-off set-ups)
                break
        if len(results) < n:
            rest = jobs[len(results) :]
            with worker_pool(min(workers, len(rest))) as pool:
                try:
                    # small chunks: cheap enough, and Ctrl-C keeps all but the last few
                    chunk = max(1, min(len(rest) // (4 * workers), 8))
                    for rep, res in pool.map(_replicate_one, rest, chunksize=chunk):
                        results[rep] = res
                        if progress:
                            progress(1)
                except KeyboardInterrupt:
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
    except KeyboardInterrupt:
        done = 0
        while done in results:
            done += 1
        partial = (
            collect(scenario, seed, [results[r] for r in range(done)], selection) if done else None
        )
        raise ReplicationsInterrupted(partial, n) from None
    return collect(scenario, seed, [results[r] for r in range(n)], selection)


def collect(
    scenario: Scenario,
    seed: int,
    results: list[ReplicationResult],
    metrics: Iterable[str] | None = None,
) -> ExperimentResult:
    """Stack per-replication results into tidy tables (one concatenation per table).

    ``metrics``: the metrics the results hold (None: all), which ``summary`` covers."""

    def stack(name: str) -> pd.DataFrame:
        columns: dict[str, list] = {"replication": []}
        for r, res in enumerate(results):
            cols = res.tables.get(name)
            if not cols:
                continue
            n = len(next(iter(cols.values())))
            columns["replication"].extend([r] * n)
            for key, values in cols.items():
                columns.setdefault(key, []).extend(values)
        return pd.DataFrame(columns) if columns["replication"] else pd.DataFrame()

    reps = pd.DataFrame(
        [{"replication": r, "seed": seed, **res.metrics} for r, res in enumerate(results)]
    )
    logs = [res.log.assign(replication=r) for r, res in enumerate(results) if res.log is not None]
    log = None
    if logs:
        log = pd.concat(logs, ignore_index=True)
        log = log[["replication", *[c for c in log.columns if c != "replication"]]]
    summary = {}
    if metrics is not None:  # the others were not computed
        summary = {m: summarise_values(reps[m], metric=m) for m in METRICS if m in set(metrics)}
    return ExperimentResult(
        scenario=scenario,
        seed=seed,
        summary=summary,
        replications=reps,
        matters=stack("matters"),
        groups=stack("groups"),
        periods=stack("periods"),
        classes=stack("classes"),
        stations=stack("stations"),
        clerks=stack("clerks"),
        log=log,
    )


def ci_half_width(values: Iterable[float], confidence: float = 0.95) -> float:
    """Half-width of the Student-t interval of the mean (inf with < 2 defined values)."""
    s = summarise_values(values, confidence)
    if s["ci_high"] is None:
        return math.inf
    return (s["ci_high"] - s["ci_low"]) / 2


def run_until_precision(
    scenario: Scenario | str | Path,
    metric: str = "wait_mean_min",
    half_width: float = 0.5,
    relative: bool = False,
    max_replications: int = 1000,
    min_replications: int = 5,
    batch: int | None = None,
    workers: int = 1,
    seed: int | None = None,
    engine: str = "auto",
    progress: Callable[[int], None] | None = None,
) -> ExperimentResult:
    """Add replications until the 95% CI half-width of ``metric`` is at most the target.

    The target is ``half_width`` in the metric's units, or, with
    ``relative``, that fraction of the current mean (0.05 for "5%").  The
    stopping rule is checked after *every* replication in index order, so the
    result is the smallest n >= ``min_replications`` whose interval is narrow
    enough (or ``max_replications``), whatever ``workers`` and ``batch`` are;
    replications run ``batch`` at a time (default ``2 * workers``) and any
    beyond n are discarded.  The replications used are
    ``len(result.replications)``.  Sequential stopping makes the interval's
    coverage slightly below nominal (Law & Kelton, ch. 9.4.1).
    """
    scenario = as_scenario(scenario)
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    if not half_width > 0:
        raise ValueError(f"the half-width target must be > 0, got {half_width}")
    seed = scenario.run.seed if seed is None else check_seed(seed)
    max_replications = check_replications(max_replications, "max_replications")
    workers = check_int(workers, "workers", 1)
    _check_engine(engine)
    min_replications = max(2, min_replications)
    max_replications = max(min_replications, max_replications)
    batch = max(1, 2 * workers if batch is None else batch)
    results: list[ReplicationResult] = []
    values: list[float] = []

    def reached(n: int) -> bool:
        hw = ci_half_width(values[:n])
        if relative:
            mean = summarise_values(values[:n])["mean"]
            return mean is not None and hw <= half_width * abs(mean)
        return hw <= half_width

    pool = worker_pool(workers) if workers > 1 else None
    try:
        stop = None
        while stop is None and len(results) < max_replications:
            first = len(results)
            want = min_replications if first == 0 else batch
            jobs = [
                (scenario, seed, r, False, engine, None)
                for r in range(first, min(first + want, max_replications))
            ]
            done = pool.map(_replicate_one, jobs) if pool else map(_replicate_one, jobs)
            for _rep, res in done:
                results.append(res)
                values.append(res.metrics[metric])
                if progress:
                    progress(1)
            for n in range(max(first + 1, min_replications), len(results) + 1):
                if reached(n):
                    stop = n
                    break
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    n = stop if stop is not None else len(results)
    return collect(scenario, seed, results[:n])
