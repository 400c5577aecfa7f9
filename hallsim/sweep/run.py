"""Running a sweep: chunks of (point, replication) runs on an executor (serial, a local
process pool, or a Dask cluster), adaptive chunk sizes, interrupt handling."""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import json
import math
import os
import queue
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hallsim.cluster import ClusterError, dask_executor
from hallsim.experiment import default_workers, simulate, worker_pool
from hallsim.metrics import METRICS
from hallsim.names import BACKENDS
from hallsim.resultsdir import MANIFEST as MANIFEST
from hallsim.resultsdir import OWN_FILES as OWN_FILES
from hallsim.resultsdir import OutputError, ResultsFolder
from hallsim.scenario import (
    Scenario,
    scenario_to_dict,
)
from hallsim.sweep import store
from hallsim.sweep.grid import SweepBackendError, SweepError, SweepInterrupted, SweepPlan
from hallsim.sweep.store import (
    PARTS,
    PENDING_PREFIX,
    assemble,
    atomic_write,
    check_folder,
    csv_from_parquet,
    done_mask,
    part_files,
    part_table,
    write_json,
)

PROBE_CHUNK = 8
CHUNK_SECONDS = (0.02, 1.0)
# the rows of a sweep kept in memory (store.MEMORY_RUNS) go to a part file at most this
# long after they finish (on Ctrl-C or an error, at once): a short sweep writes no part
# file, and a killed one loses at most these seconds of runs
UNWRITTEN_SECONDS = 1.0
# --- the task: a chunk of (point, replication) runs, in a worker ------------


def run_chunk(
    payload: tuple[Scenario, int, str, list[tuple[int, dict, list[int]]], tuple | None],
    scenario_of: Callable[[int], Scenario] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Run a chunk; returns (points, replications, metrics[run, metric], seconds).

    The metrics are the plan's (``SweepPlan.metric_names``; None: all of them).
    ``scenario_of(point)``: the point's scenario where this process has it (the
    plan's validated ones), else it is derived from the base and the changes.
    Only the metric records travel back: no per-citizen data leaves the worker.
    """
    t0 = time.perf_counter()
    scenario, seed, engine, items, chosen = payload
    names = METRICS if chosen is None else chosen
    points, reps, rows = [], [], []
    for point, changes, rep_list in items:
        if scenario_of is not None:
            sc = scenario_of(point)
        else:
            sc = scenario.with_changes(changes, source=f"point {point}")
        for r in rep_list:
            m = simulate(
                sc, seed=seed, replication=r, engine=engine, breakdowns=False, metrics=chosen
            ).metrics
            points.append(point)
            reps.append(r)
            rows.append([math.nan if m.get(k) is None else m[k] for k in names])
    return (
        np.asarray(points, dtype=np.int64),
        np.asarray(reps, dtype=np.int64),
        np.asarray(rows, dtype=np.float64).reshape(len(rows), len(names)),
        time.perf_counter() - t0,  # for sizing the next chunks (_ChunkSizer)
    )


# The plans of the sweeps running in this process, by ``id``, while their local pool runs.
# A pool started by fork inherits this table with the plan's validated scenarios, so
# its chunks carry the plan's number instead of the plan: no scenario to pickle and
# unpickle, no point's scenario to validate again in the worker for every chunk.
_FORKED_PLANS: dict[int, SweepPlan] = {}


def run_chunk_to_part(
    payload: tuple[SweepPlan | int, list, str | None],
) -> tuple:
    """Run a chunk in a local pool worker, and write its part file there when asked.

    With a parts folder, the parent then only renames the file into place, so
    its CPU stays free for the workers (on 2 cores the parent's Parquet writing
    cost ~8%); returns (temporary file, points, replications, metrics, seconds),
    the metrics also travelling back for a sweep kept in memory (see ``_Parts``).
    Without (None: a sweep kept in memory, whose rows the parent writes every
    UNWRITTEN_SECONDS), returns what ``run_chunk`` does.  The plan is the plan
    itself or, in a forked worker, its number in ``_FORKED_PLANS``.
    """
    plan, items, parts_dir = payload
    if not isinstance(plan, SweepPlan):
        plan = _FORKED_PLANS[plan]
    pts, reps, rows, seconds = run_chunk(_payload(plan, items), plan.point_scenario)
    if parts_dir is None:
        return pts, reps, rows, seconds
    tmp = Path(parts_dir) / f"{PENDING_PREFIX}{os.getpid()}-{uuid.uuid4().hex}.parquet"
    _write_part(part_table(plan, pts, reps, rows), tmp)
    return str(tmp), pts, reps, rows, seconds


def _payload(plan: SweepPlan, items: list) -> tuple:
    return (plan.scenario, plan.seed, plan.engine, items, plan.metrics)


def _write_part(table: pa.Table, path: Path | str) -> None:
    """Write a part file: read back at most once, so written for speed.

    Statistics only on ``point`` (``_point_ranges`` reads them) and no
    dictionaries: faster than the defaults at the same size (benchmarks/README.md,
    "Design measurements").
    """
    pq.write_table(table, path, use_dictionary=False, write_statistics=["point"])


class _ChunkSizer:
    """How many runs the next chunk gets: guided self-scheduling, bounded in time.

    Each chunk takes 1/workers of the runs not yet handed out: big chunks
    first, small ones at the end, so that no worker waits long for the last
    one (guided self-scheduling, Polychronopoulos & Kuck 1987).  A chunk also
    lasts between CHUNK_SECONDS at the seconds per run of the latest finished
    chunk: each chunk costs a task and a part file, and a long one delays
    progress and Ctrl-C (which lets running chunks finish).  Until a chunk has
    finished, PROBE_CHUNK runs.  ``fixed`` (``--chunk-size``) overrides all this.
    Why 1/workers and these bounds: benchmarks/README.md, "Design measurements".
    """

    def __init__(self, total: int, workers: int, fixed: int | None = None):
        self.left = total
        self.workers = max(1, workers)
        self.fixed = fixed
        self.per_run: float | None = None

    def record(self, runs: int, seconds: float) -> None:
        """A chunk finished: ``runs`` runs in ``seconds`` of worker time."""
        self.per_run = max(seconds / max(runs, 1), 1e-9)  # the latest: loads drift

    def next(self) -> int:
        """Runs in the next chunk (0 when all are handed out)."""
        if self.fixed:
            size = self.fixed
        elif self.per_run is None:
            size = PROBE_CHUNK
        else:
            lo, hi = (max(1, int(t / self.per_run)) for t in CHUNK_SECONDS)
            size = min(hi, max(lo, math.ceil(self.left / self.workers)))
        size = min(size, self.left)
        self.left -= size
        return size


def _chunks(
    plan: SweepPlan, pending: np.ndarray, sizes: Iterator[int]
) -> Iterator[list[tuple[int, dict, list[int]]]]:
    start = 0
    for size in sizes:
        flat = pending[start : start + size]
        start += size
        pts, reps = flat // plan.replications, flat % plan.replications
        items: list[tuple[int, dict, list[int]]] = []
        for p, r in zip(pts.tolist(), reps.tolist(), strict=True):
            if items and items[-1][0] == p:
                items[-1][2].append(r)
            else:
                items.append((p, plan.changes(p), [r]))
        yield items


# --- executors --------------------------------------------------------------


class _Serial:
    """In-process 'executor' for one local worker (no pickling, no pool).

    A chunk runs when it is waited for, so that ``_run`` saves the previous
    chunk before the next one runs, as it would with a pool.
    """

    workers = capacity = 1

    parent_share = False

    def __init__(self) -> None:
        self.payloads: dict[cf.Future, tuple] = {}

    def submit_chunk(self, plan: SweepPlan, items: list, parts_dir: Path | None):
        f: cf.Future = cf.Future()
        self.payloads[f] = (_payload(plan, items), plan.point_scenario)
        return f

    def wait(self, futures):
        for f in futures:
            if not f.done():
                f.set_result(run_chunk(*self.payloads.pop(f)))
        return set(futures)

    def close(self, cancel: bool) -> None:
        pass

    def close_while_assembling(self) -> Callable[[], None]:
        return lambda: None


class _Executor:
    """Chunks on a ``concurrent.futures`` executor: the local process pool, or a Dask
    cluster through its executor interface (``Client.get_executor``).

    Local workers share the sweep folder and write their own part files; cluster
    workers may not see it, so their rows travel back and this process writes them.
    """

    def __init__(
        self,
        executor: cf.Executor,
        workers: int,
        shared_folder: bool,
        close: Callable[[bool], None],
        close_in_background: bool,
        parent_share: bool = False,
        forked_plan: bool = False,
    ):
        self.executor = executor
        # the workers were forked with the plan in _FORKED_PLANS: send its number only
        self.forked_plan = forked_plan
        # parent_share: this process runs chunks too, as one of ``workers``
        self.parent_share = parent_share
        self.workers = max(1, workers)
        # chunks in flight: the next one is always there (sharing: see _run_shared)
        self.capacity = self.workers - 1 if parent_share else 2 * self.workers
        self.shared_folder = shared_folder
        self._close = close
        self._close_in_background = close_in_background

    def submit_chunk(self, plan: SweepPlan, items: list, parts_dir: Path | None):
        """``parts_dir``: where a worker that shares this machine's folder writes the
        chunk's part file; None: send the rows back (a sweep kept in memory)."""
        if self.shared_folder:
            ref = id(plan) if self.forked_plan else plan
            where = None if parts_dir is None else str(parts_dir)
            return self.executor.submit(run_chunk_to_part, (ref, items, where))
        return self.executor.submit(run_chunk, _payload(plan, items))

    def wait(self, futures):
        return cf.wait(futures, return_when=cf.FIRST_COMPLETED).done

    def close(self, cancel: bool) -> None:
        # after Ctrl-C: drop queued chunks, let the running ones finish (they are kept)
        self._close(cancel)

    def close_while_assembling(self) -> Callable[[], None]:
        """Start closing; returns the wait for it (local workers take a moment to exit,
        on a core the assembly leaves idle)."""
        if not self._close_in_background:
            self.close(cancel=False)
            return lambda: None
        closing = threading.Thread(target=self.close, args=(False,), name="hallsim-pool-close")
        closing.start()
        return closing.join


def _local_pool(workers: int, plan: SweepPlan) -> _Executor:
    """``workers - 1`` pool processes, and this process runs chunks as the last worker:
    one process fewer to start and stop, and its chunks need no pickling (100 points x
    10 short days: benchmarks/README.md, "Issue 19: every target in one run")."""
    import multiprocessing

    # what a simulation imports, imported before the workers fork: they start warm
    importlib.import_module("hallsim.engines.fast")
    importlib.import_module("hallsim.metrics.computation")
    # the pool forks at its first chunk, after this: the workers inherit the plan
    forked = multiprocessing.get_start_method() == "fork"
    if forked:
        _FORKED_PLANS[id(plan)] = plan
    pool = worker_pool(workers - 1)

    def close(cancel: bool) -> None:
        try:
            pool.shutdown(wait=True, cancel_futures=cancel)
        finally:
            _FORKED_PLANS.pop(id(plan), None)

    return _Executor(
        pool,
        workers,
        shared_folder=True,
        close=close,
        close_in_background=True,
        parent_share=True,
        forked_plan=forked,
    )


def _dask(workers: int, scheduler: str | None) -> _Executor:
    dask = dask_executor(workers, scheduler)
    return _Executor(
        dask.executor,
        dask.workers,
        shared_folder=False,
        close=lambda cancel: dask.close(),
        close_in_background=False,
    )


def _executor(backend: str, workers: int, scheduler: str | None, plan: SweepPlan):
    if backend == "dask":
        return _dask(workers, scheduler)
    if workers <= 1:
        return _Serial()
    return _local_pool(workers, plan)


# --- running and assembling -------------------------------------------------


@dataclass
class SweepOutcome:
    """Where a sweep wrote its results and what this call ran.

    ``table`` is the results table as written, for sweeps of at most
    store.MEMORY_RUNS runs (else None), so that ``run_sweep`` need not read it back.
    """

    out: Path
    results: Path
    points: int
    replications: int
    runs_this_call: int
    seconds: float
    table: pa.Table | None = field(default=None, repr=False)


class _Parts:
    """Writes finished chunks to ``parts/`` and keeps count (parent side, O(points) ints).

    A sweep of at most store.MEMORY_RUNS runs also keeps the rows of this call's
    chunks (``kept``): the assembly then reads only parts from earlier calls.  Those
    chunks (run here or sent back by local workers) are written every
    UNWRITTEN_SECONDS (``flush``), not one by one: they are in memory for the
    assembly, and a part file each cost CPU that runs chunks (benchmarks/README.md,
    workload (d)).
    """

    def __init__(self, out: Path, plan: SweepPlan, progress):
        self.out, self.plan, self.progress = out, plan, progress
        done, self.next_no = done_mask(out, plan)
        self.earlier = part_files(out)  # after _done_mask: without unreadable ones
        self.pending = np.flatnonzero(~done)
        self.remaining = plan.replications - done.reshape(plan.n_points, -1).sum(axis=1)
        self.points_done = int(np.sum(self.remaining == 0))
        self.runs_done = int(done.sum())
        self.ran = 0
        self.kept: list[pa.Table] | None = [] if plan.n_runs <= store.MEMORY_RUNS else None
        self.unwritten: list[pa.Table] = []  # kept chunks that have no part file yet
        # where local pool workers write their chunks' parts; None: they send the rows
        # here, to be written with this process's (a part file each cost the workers'
        # CPU, and the files' renaming and removal this process's)
        self.worker_parts: Path | None = None if self.kept is not None else out / PARTS
        self.written_at = time.monotonic()
        if progress:
            progress(self.points_done, plan.n_points)

    def save(self, result: tuple) -> None:
        """Keep a finished chunk: rows to write, or a part file a worker wrote."""
        if isinstance(result[0], str):
            tmp, pts, reps, rows = result[:4]
            os.replace(tmp, self._next_part())  # atomic: the part is there whole or not at all
            table = None
        else:
            pts, reps, rows = result[:3]
            table = part_table(self.plan, pts, reps, rows)
            if self.kept is None:
                atomic_write(self._next_part(), lambda p: _write_part(table, p))
            else:
                self.unwritten.append(table)
                if time.monotonic() - self.written_at >= UNWRITTEN_SECONDS:
                    self.flush()
        if self.kept is not None:
            # as a table now rather than at the end: the first one pays Arrow's
            # one-off set-up, better spent while the workers run
            if table is None:
                table = part_table(self.plan, pts, reps, rows)
            self.kept.append(table)
        self.ran += len(pts)
        self.runs_done += len(pts)
        np.subtract.at(self.remaining, pts, 1)
        newly = int(np.sum(self.remaining[np.unique(pts)] == 0))
        self.points_done += newly
        if self.progress and newly:
            self.progress(self.points_done, self.plan.n_points)

    def _next_part(self) -> Path:
        self.next_no += 1
        return self.out / PARTS / f"part-{self.next_no - 1:06d}.parquet"

    def flush(self) -> None:
        """Write the kept chunks that have no part file yet, as one part."""
        if self.unwritten:
            table = pa.concat_tables(self.unwritten)
            atomic_write(self._next_part(), lambda p: _write_part(table, p))
            self.unwritten = []
        self.written_at = time.monotonic()

    def keep_unwritten(self) -> None:
        """``flush`` when the sweep stops early (Ctrl-C, an error): a rerun resumes
        from them.  A failure to write them leaves those runs to the rerun."""
        try:
            self.flush()
        except Exception:  # e.g. the disk that failed the sweep: the original error counts
            pass

    def interrupted(self) -> SweepInterrupted:
        p = self.plan
        return SweepInterrupted(self.runs_done, p.n_runs, self.points_done, p.n_points)

    def sources(self) -> list[Path | pa.Table]:
        """What the assembly reads: every part file, or earlier parts and the kept rows."""
        if self.kept is None:
            return part_files(self.out)
        return [*self.earlier, *([pa.concat_tables(self.kept)] if self.kept else [])]


def _run(ex, plan: SweepPlan, parts: _Parts, chunk_size: int | None) -> None:
    """Submit chunks (at most ``ex.capacity`` running or queued) and save each as it finishes.

    On Ctrl-C: chunks already finished are saved, queued ones dropped, running
    ones (local pool) allowed to finish and saved; then SweepInterrupted.
    """
    pending = parts.pending
    sizer = _ChunkSizer(len(pending), ex.workers, chunk_size)
    chunks = _chunks(plan, pending, iter(sizer.next, 0))
    if ex.parent_share:
        _run_shared(ex, plan, parts, sizer, chunks)
        return
    inflight: set = set()  # submitted and not saved yet
    finished: set = set()  # of those, the ones that have finished
    try:
        while True:
            # new chunks first, then save the finished ones: the workers are not
            # kept waiting while this process saves (the first save is slow)
            while (
                len(inflight) - len(finished) < ex.capacity
                and (items := next(chunks, None)) is not None
            ):
                inflight.add(ex.submit_chunk(plan, items, parts.worker_parts))
            for fut in finished:
                inflight.discard(fut)
                parts.save(fut.result())
            if not inflight:
                break
            finished = ex.wait(inflight)
            for fut in finished:
                result = fut.result()
                sizer.record(len(result[1]), result[-1])  # the worker's own time
    except BaseException as exc:
        saved: set = set()

        def drain() -> None:
            for fut in inflight - saved:
                if fut.done() and not fut.cancelled():
                    try:
                        result = fut.result()
                    except Exception:  # failed or lost: those runs stay missing
                        continue
                    parts.save(result)
                    saved.add(fut)

        try:
            drain()  # keep every chunk that has finished
            ex.close(cancel=True)  # local pool: the running chunks finish...
            drain()  # ...and are kept too
        except KeyboardInterrupt:
            pass  # a second Ctrl-C: stop waiting; what is saved stays saved
        if isinstance(exc, KeyboardInterrupt):
            raise parts.interrupted() from None
        raise


def _run_shared(ex, plan: SweepPlan, parts: _Parts, sizer: _ChunkSizer, chunks) -> None:
    """``_run`` when this process is one of the workers (local pool).

    Each pool worker has one chunk at a time, and a finished chunk's callback
    hands that worker the next at once (the pool's thread), so no chunk waits in
    a queue while this process runs one of its own: every chunk is taken when a
    worker is free, which is what keeps guided self-scheduling balanced.  This
    process saves the finished chunks between its own.
    """
    lock = threading.Lock()
    inflight: set = set()
    done: queue.SimpleQueue = queue.SimpleQueue()
    stopping = threading.Event()

    returned: list = []  # chunks the pool refused (a broken pool): run here
    submitting = [0]  # chunks taken for the pool and not yet in ``inflight``

    def next_chunk():  # with ``lock`` held
        if stopping.is_set():
            return None
        return returned.pop() if returned else next(chunks, None)

    def take():
        with lock:
            return next_chunk()

    def submit_next() -> None:
        with lock:
            items = next_chunk()
            if items is None:
                return
            submitting[0] += 1
        try:
            fut = ex.submit_chunk(plan, items, parts.worker_parts)
        except RuntimeError:  # a broken pool: this process runs the chunk
            with lock:
                returned.append(items)
                submitting[0] -= 1
            return
        with lock:
            inflight.add(fut)
            submitting[0] -= 1
        fut.add_done_callback(on_done)

    def on_done(fut) -> None:
        done.put(fut)
        if not fut.cancelled() and fut.exception() is None:
            submit_next()

    def save(fut) -> None:
        result = fut.result()
        with lock:
            sizer.record(len(result[1]), result[-1])
            # out of ``inflight`` before saving: a Ctrl-C during the save must not make
            # the interrupt handler save it again (its part file is renamed once only)
            inflight.discard(fut)
        parts.save(result)

    try:
        for _ in range(ex.capacity):
            submit_next()
        while True:
            while not done.empty():
                save(done.get())
            items = take()
            if items is not None:  # this process's own chunk
                result = run_chunk(_payload(plan, items), plan.point_scenario)
                with lock:
                    sizer.record(len(result[1]), result[-1])
                parts.save(result)
                continue
            with lock:
                idle = not inflight and not submitting[0] and not returned
            if idle:
                break
            if not inflight:  # a chunk on its way to the pool: wait for it
                time.sleep(0.001)
                continue
            save(done.get())
    except BaseException as exc:
        stopping.set()

        def drain() -> None:
            with lock:
                left = list(inflight)
            for fut in left:
                if fut.done() and not fut.cancelled():
                    with lock:
                        inflight.discard(fut)
                    try:
                        parts.save(fut.result())
                    except Exception:  # failed or lost: those runs stay missing
                        continue

        try:
            drain()
            ex.close(cancel=True)
            drain()
        except KeyboardInterrupt:
            pass
        if isinstance(exc, KeyboardInterrupt):
            raise parts.interrupted() from None
        raise


def execute_sweep(
    plan: SweepPlan,
    out: str | Path,
    workers: int | None = None,
    backend: str = "local",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
    csv: bool = False,
    chunk_size: int | None = None,
    source: str | Path | None = None,
    command: str | None = None,
) -> SweepOutcome:
    """Run what is missing of ``plan`` into folder ``out`` and assemble the results.

    ``progress(points_done, points_total)`` is called as points finish.
    Raises SweepError (the folder holds another sweep), SweepBackendError
    (no Dask cluster; nothing written) and SweepInterrupted (Ctrl-C; finished
    runs are kept and a rerun resumes).  Memory in this process stays flat in
    the number of points: finished chunks go straight to disk (a sweep of at
    most store.MEMORY_RUNS runs also keeps its rows, for the assembly).
    """
    if backend not in BACKENDS:
        raise SweepError([("backend", f"must be one of {BACKENDS}, got {backend!r}")])
    try:
        folder = ResultsFolder(out, "sweep", force=force, replace=False)
        folder.check()
        for name in (*OWN_FILES, PARTS):
            folder.check_free(name)
    except OutputError as exc:
        raise SweepError([("", str(exc))]) from None
    try:
        with folder.open():
            try:
                return _execute_sweep(
                    plan,
                    folder,
                    workers,
                    backend,
                    scheduler,
                    progress,
                    force,
                    csv,
                    chunk_size,
                    source,
                    command,
                )
            finally:  # forget what the sweep did not write after all
                for name in (*OWN_FILES, PARTS):
                    if not (folder.path / name).exists():
                        folder.delete(name)
    except OutputError as exc:
        raise SweepError([("", str(exc))]) from None


def _execute_sweep(
    plan, folder, workers, backend, scheduler, progress, force, csv, chunk_size, source, command
) -> SweepOutcome:
    out = folder.path
    workers = default_workers() if workers is None else max(1, int(workers))
    manifest = check_folder(folder, plan, force)
    for name in (*OWN_FILES, PARTS):  # recorded before they exist: a SIGKILL loses nothing
        folder.adopt(name)
    folder.save_record()
    t0 = time.perf_counter()
    results = out / "results.parquet"
    if manifest and manifest.get("complete") and results.exists():
        if csv and not (out / "results.csv").exists():
            csv_from_parquet(results, out / "results.csv")
        if progress:
            progress(plan.n_points, plan.n_points)
        return SweepOutcome(out, results, plan.n_points, plan.replications, 0, 0.0)

    try:  # reach the cluster before writing anything
        ex = _executor(backend, workers, scheduler, plan)
    except ClusterError as exc:
        raise SweepBackendError(exc.scheduler, exc.reason) from None
    try:
        (out / PARTS).mkdir(parents=True, exist_ok=True)
        if manifest is None:
            if source is not None and Path(source).is_file():
                data = Path(source).read_bytes()  # the source may be this very file
                atomic_write(out / "scenario.toml", lambda p: p.write_bytes(data))
            write_json(out / "scenario.json", scenario_to_dict(plan.scenario))
            write_json(
                out / MANIFEST,
                {
                    **plan.identity(),
                    "scenario": plan.scenario.name,
                    "points": plan.n_points,
                    "command": command,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "complete": False,
                },
            )
        parts = _Parts(out, plan, progress)
        if len(parts.pending):
            try:
                _run(ex, plan, parts, chunk_size)
            except BaseException:
                parts.keep_unwritten()
                raise
    except BaseException:
        ex.close(cancel=True)  # idempotent
        raise

    closed = ex.close_while_assembling()
    try:
        table = assemble(out, plan, csv, parts.sources())
    except BaseException:
        parts.keep_unwritten()
        raise
    finally:
        closed()
    mpath = out / MANIFEST
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    manifest.update(complete=True, finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    write_json(mpath, manifest)
    shutil.rmtree(out / PARTS, ignore_errors=True)
    return SweepOutcome(
        out, results, plan.n_points, plan.replications, parts.ran, time.perf_counter() - t0, table
    )
