"""The sweep folder: resumable part files (one per finished chunk, written atomically),
the manifest, and assembling the parts into results.parquet and summary.parquet/.csv.

``hallsim.resultsdir`` holds the safe-folder mechanics this builds on."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from hallsim.resultsdir import MANIFEST as MANIFEST
from hallsim.resultsdir import OWN_FILES as OWN_FILES
from hallsim.resultsdir import ResultsFolder
from hallsim.stats import interval
from hallsim.sweep.grid import SweepError, SweepPlan, json_value

PENDING_PREFIX = ".pending-"  # part files a worker is still writing (never counted)
PARTS = "parts"
# a sweep of at most this many runs also keeps its rows in the parent (~340 bytes a
# run: 17 MB at most), so that assembling the results need not read the parts back
MEMORY_RUNS = 50_000
BLOCK_ROWS = 5_000  # the assembly works on about this many rows at a time
# chunk sizing (see _ChunkSizer): runs in each of the first chunks, then seconds per chunk
# --- the sweep folder -------------------------------------------------------


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: Path, obj: dict) -> None:
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n"
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def part_files(out: Path) -> list[Path]:
    return sorted((out / PARTS).glob("part-*.parquet"))


def _clear(folder: ResultsFolder) -> None:
    """Discard an earlier sweep: only what hallsim wrote there."""
    out = folder.path
    if folder.owns(PARTS):
        shutil.rmtree(out / PARTS, ignore_errors=True)
    for name in OWN_FILES:
        folder.delete(name)


def check_folder(folder: ResultsFolder, plan: SweepPlan, force: bool) -> dict | None:
    """The folder's manifest if it holds this very sweep; refuse another one."""
    out = folder.path
    mpath = out / MANIFEST
    if not out.exists():
        return None
    if not mpath.exists() and folder.owns("summary.json"):
        # a run/compare folder: never mix the two, not even with --force
        raise SweepError(
            [(str(out), "holds the results of a run or compare; choose another --out")]
        )
    if force:
        _clear(folder)  # --force: a fresh start, whatever the sweep folder held
        return None
    if not mpath.exists() or not folder.owns(MANIFEST):
        parts = out / PARTS
        if parts.is_dir() and not any(parts.iterdir()) and not (out / "results.parquet").exists():
            parts.rmdir()  # Ctrl-C before anything was written: nothing to keep
            return None
        if parts.exists() or (out / "results.parquet").exists():
            raise SweepError(
                [
                    (
                        str(out),
                        "holds results without a manifest.json; use --force to discard "
                        "them, or choose another --out",
                    )
                ]
            )
        return None
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        manifest = {}
    want = json.loads(json_value(plan.identity()))
    differ = [k for k in want if json_value(manifest.get(k)) != json_value(want[k])]
    if not differ:
        return manifest
    if force:
        _clear(folder)
        return None
    names = {
        "scenario_hash": "the scenario",
        "parameters": "the swept parameters",
        "grid": "the grid values",
        "replications": f"replications ({manifest.get('replications')} there, "
        f"{plan.replications} now)",
        "seed": f"the seed ({manifest.get('seed')} there, {plan.seed} now)",
        "engine": "the engine",
        "version": "the hallsim version",
        "kind": "the kind of results",
    }
    raise SweepError(
        [
            (
                str(out),
                "holds a different sweep (" + ", ".join(names[k] for k in differ) + " changed); "
                "use --force to discard it, or choose another --out",
            )
        ]
    )


def done_mask(out: Path, plan: SweepPlan) -> tuple[np.ndarray, int]:
    """Runs already in the parts (bool[points * replications]) and the next part number."""
    done = np.zeros(plan.n_runs, dtype=bool)
    nxt = 0
    for f in part_files(out):
        try:
            t = pq.read_table(f, columns=["point", "replication"], use_threads=False)
        except (OSError, pa.ArrowException):
            f.unlink(missing_ok=True)  # cannot happen with atomic writes; be safe
            continue
        pts = t.column("point").to_numpy()
        reps = t.column("replication").to_numpy()
        ok = (pts < plan.n_points) & (reps < plan.replications)
        done[pts[ok] * plan.replications + reps[ok]] = True
        nxt = max(nxt, int(f.stem.split("-")[1]) + 1)
    for pattern in (".*.tmp", f"{PENDING_PREFIX}*"):
        for tmp in (out / PARTS).glob(pattern):
            tmp.unlink(missing_ok=True)  # left by a kill during a write
    return done, nxt


def part_table(plan: SweepPlan, pts: np.ndarray, reps: np.ndarray, rows: np.ndarray) -> pa.Table:
    cols: dict[str, pa.Array] = {"point": pa.array(pts, pa.int64())}
    idx = plan.indices(pts)
    for (path, typ, colvals), i in zip(plan.param_columns(), idx, strict=True):
        cols[path] = pa.array([colvals[k] for k in i.tolist()], typ)
    cols["replication"] = pa.array(reps, pa.int64())
    cols["seed"] = pa.array(np.full(len(pts), plan.seed, dtype=np.int64))
    for j, m in enumerate(plan.metric_names):
        cols[m] = pa.array(rows[:, j], pa.float64())
    return pa.table(cols, schema=plan.schema())


def summarise_points(df: pd.DataFrame | pa.Table, plan: SweepPlan) -> pd.DataFrame:
    """One row per point: ``<metric>_mean``, ``_ci_low``, ``_ci_high`` (95% Student t).

    Over the replications where the metric is defined, as ``summarise_values``:
    no interval with fewer than two defined values.  ``df`` is the tidy table
    (a DataFrame or an Arrow table), in any row order.
    """
    return pd.DataFrame(_summary_columns(df, plan))


def _summary_columns(df: pd.DataFrame | pa.Table, plan: SweepPlan) -> dict[str, Any]:
    """``summarise_points`` as numpy columns (the sweep writes them to Arrow directly)."""
    if isinstance(df, pa.Table):

        def column(name: str) -> np.ndarray:
            return df.column(name).to_numpy(zero_copy_only=False)
    else:

        def column(name: str) -> np.ndarray:
            return df[name].to_numpy()

    point = column("point")
    order = np.argsort(point, kind="stable")
    point = point[order]
    starts = np.flatnonzero(np.r_[True, point[1:] != point[:-1]]) if len(point) else point
    sizes = np.diff(np.r_[starts, len(point)])
    cols: dict[str, Any] = {"point": point[starts]}
    for p in plan.parameters:
        cols[p] = column(p)[order[starts]]
    cols["replications"] = sizes
    names = plan.metric_names
    values = np.column_stack([column(m).astype(float) for m in names])[order]
    defined = ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        if len(starts):
            n = np.add.reduceat(defined, starts, axis=0).astype(float)
            mean = np.add.reduceat(np.where(defined, values, 0.0), starts, axis=0) / n
            dev = np.where(defined, values - np.repeat(mean, sizes, axis=0), 0.0)
            ss = np.add.reduceat(dev * dev, starts, axis=0)
        else:
            n = mean = ss = np.empty((0, len(names)))
        sd = np.where(n >= 2, np.sqrt(ss / (n - 1)), np.nan)
    for j, m in enumerate(names):
        cols[f"{m}_mean"] = mean[:, j]
        # inside the metric's range: the interval of the CLI and JSON
        low, high = interval(m, mean[:, j], sd[:, j], n[:, j])
        cols[f"{m}_ci_low"] = low
        cols[f"{m}_ci_high"] = high
    return cols


def _point_ranges(files: list[Path]) -> list[tuple[Path, int, int]]:
    """(file, first point, last point) of each part, from the Parquet statistics."""
    out = []
    for f in files:
        meta = pq.ParquetFile(f).metadata
        lo, hi = None, None
        for g in range(meta.num_row_groups):
            st = meta.row_group(g).column(0).statistics  # column 0 is "point"
            if st is None or not st.has_min_max:
                lo, hi = 0, 2**62
                break
            lo = st.min if lo is None else min(lo, st.min)
            hi = st.max if hi is None else max(hi, st.max)
        if lo is not None:
            out.append((f, lo, hi))
    return out


def _sorted_unique(table: pa.Table, plan: SweepPlan) -> pa.Table:
    """Rows by (point, replication), the first of any duplicate (a chunk run twice).

    Parts of a sweep that ran in one go are already in order: then nothing moves.
    """
    key = (
        table.column("point").to_numpy() * plan.replications
        + table.column("replication").to_numpy()
    )
    if len(key) < 2 or (key[1:] > key[:-1]).all():
        return table
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return table.take(pa.array(order[first]))


def assemble(
    out: Path, plan: SweepPlan, csv: bool, sources: list[Path | pa.Table] | None = None
) -> pa.Table | None:
    """Parts → results.parquet (sorted by point, replication; no duplicates) + summary.

    ``sources`` are part files and tables of rows kept in memory (default:
    every part file).  Works in blocks of points, reading only the parts that
    hold them, so memory stays bounded (about 5,000 rows at a time) whatever
    the grid size.  Returns the results table for sweeps of at most
    MEMORY_RUNS runs, else None.
    """
    schema, sschema = plan.schema(), plan.summary_schema()
    block = max(1, BLOCK_ROWS // plan.replications)  # points per block
    if sources is None:
        sources = part_files(out)
    files = [f for f in sources if not isinstance(f, pa.Table)]
    everything = (0, plan.n_points - 1)
    if plan.n_points <= block:  # one block reads every part: no need for their ranges
        ranges = [(f, *everything) for f in files]
    else:
        ranges = _point_ranges(files)
    ranges += [(t, *everything) for t in sources if isinstance(t, pa.Table)]
    written: list[pa.Table] | None = [] if plan.n_runs <= MEMORY_RUNS else None
    targets = {
        "results.parquet": out / "results.parquet",
        "summary.parquet": out / "summary.parquet",
        "summary.csv": out / "summary.csv",
    }
    if csv:
        targets["results.csv"] = out / "results.csv"
    tmp = {k: v.with_name(f".{v.name}.{os.getpid()}.tmp") for k, v in targets.items()}
    try:
        with (
            pq.ParquetWriter(tmp["results.parquet"], schema) as rw,
            pq.ParquetWriter(tmp["summary.parquet"], sschema) as sw,
            cf.ThreadPoolExecutor(1, thread_name_prefix="hallsim-assemble") as io,
        ):

            def write_tidy(table: pa.Table, first: bool) -> None:
                rw.write_table(table)
                if csv:
                    _append_csv(table, tmp["results.csv"], header=first)

            for a in range(0, plan.n_points, block):
                b = min(a + block, plan.n_points)
                pieces = []
                for f, lo, hi in ranges:
                    if hi < a or lo >= b:
                        continue
                    # ParquetFile: lighter than read_table (no dataset layer)
                    t = f if isinstance(f, pa.Table) else pq.ParquetFile(f).read()
                    if t.schema != schema:
                        t = t.cast(schema)
                    pts = t.column("point").to_numpy()
                    pieces.append(t.filter(pa.array((pts >= a) & (pts < b))))
                table = _sorted_unique(
                    pa.concat_tables(pieces) if pieces else schema.empty_table(), plan
                )
                if table.num_rows != (b - a) * plan.replications:
                    raise RuntimeError(
                        f"sweep parts in {out / PARTS} are incomplete for points {a}..{b - 1}"
                    )
                # the tidy table is written while the summary is computed and
                # written (Arrow's writers release the GIL): one block at a time
                tidy = io.submit(write_tidy, table, a == 0)
                if written is not None:
                    written.append(table)
                summ = pa.table(_summary_columns(table, plan), schema=sschema)
                sw.write_table(summ)
                _append_csv(summ, tmp["summary.csv"], header=a == 0)
                tidy.result()
                del table, summ, pieces
                pa.default_memory_pool().release_unused()
        for k, v in targets.items():
            os.replace(tmp[k], v)
    finally:
        for t in tmp.values():
            t.unlink(missing_ok=True)
    return None if written is None else pa.concat_tables(written)


def _append_csv(table: pa.Table, path: Path, header: bool) -> None:
    """Append rows to a CSV file (Arrow's writer: several times faster than pandas').

    Missing values are written as empty fields, NaN as ``nan``; both read
    back as NaN with pandas.  Column names are quoted only where needed when
    this pyarrow can (``quoting_header``, pyarrow >= 17).
    """
    try:
        options = pcsv.WriteOptions(include_header=header, quoting_header="none")
    except TypeError:  # older pyarrow: every column name quoted, still valid CSV
        options = pcsv.WriteOptions(include_header=header)
    if any("," in n or '"' in n or "\n" in n for n in table.column_names):
        options = pcsv.WriteOptions(include_header=header)
    with open(path, "ab") as f:
        pcsv.write_csv(table, f, options)


def csv_from_parquet(src: Path, dst: Path) -> None:
    def write(p: Path) -> None:
        for i, batch in enumerate(pq.ParquetFile(src).iter_batches(batch_size=100_000)):
            _append_csv(pa.Table.from_batches([batch]), p, header=i == 0)

    atomic_write(dst, write)
