"""Parameter sweeps: a full grid over dotted scenario paths, in parallel, resumable.

A sweep runs every point of a grid (the cartesian product of the values given
for each dotted path, e.g. ``windows.0.count``) for replications 0..N-1.
Replication r of *every* point uses the streams ``make_streams(seed, r)``:
common random numbers across points, so curves are smooth and differences
between points are paired.  Seeds never depend on the worker, the backend or
the order of completion, so the table is identical for any ``workers``, for
the local process pool and for Dask.

A sweep folder holds

- ``manifest.json``: what the sweep is (scenario hash, grid, replications,
  seed, engine, version, command) and whether it is complete;
- ``parts/part-NNNNNN.parquet``: finished (point, replication) runs, one file
  per finished chunk, each written atomically (temporary file + ``os.replace``);
- at the end, ``results.parquet`` (tidy: one row per point and replication:
  ``point``, one column per swept path, ``replication``, ``seed``, every metric),
  ``summary.parquet`` / ``summary.csv`` (one row per point: ``<metric>_mean``,
  ``_ci_low``, ``_ci_high``, 95% Student t), ``results.csv`` on request and a
  copy of the scenario.  The parts are removed once the results are assembled.

Rerunning the same sweep into the same folder runs only what is missing.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import threading
import time
import tomllib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from hallsim import __version__, fastpath
from hallsim.experiment import ENGINES, default_workers, simulate, worker_init
from hallsim.intervals import interval
from hallsim.limits import check_replications, check_seed
from hallsim.metrics import METRICS
from hallsim.names import BACKENDS
from hallsim.resultsdir import OutputError, ResultsFolder
from hallsim.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_toml,
    plain_value,
    read_input_file,
    scenario_to_dict,
)

MANIFEST = "manifest.json"
PENDING_PREFIX = ".pending-"  # part files a worker is still writing (never counted)
PARTS = "parts"
# a sweep of at most this many runs also keeps its rows in the parent (~340 bytes a
# run: 17 MB at most), so that assembling the results need not read the parts back
MEMORY_RUNS = 50_000
BLOCK_ROWS = 5_000  # the assembly works on about this many rows at a time
# chunk sizing (see _ChunkSizer): runs in each of the first chunks, then seconds per chunk
PROBE_CHUNK = 8
CHUNK_SECONDS = (0.02, 1.0)
MAX_POINTS = 1_000_000
MAX_RANGE_VALUES = 100_000
# paths whose sweep would have no effect: the sweep's own --seed/--replications rule
UNSWEEPABLE = {
    "run.seed": "the sweep's seed comes from --seed (seed=...), not from the scenario",
    "run.replications": "the sweep's replications come from --replications",
}
# our files in a sweep folder (the only ones --force removes)
OWN_FILES = (
    MANIFEST,
    "results.parquet",
    "results.csv",
    "summary.parquet",
    "summary.csv",
    "scenario.toml",
    "scenario.json",
)


class SweepError(ValueError):
    """Bad sweep input (a path, a value, a grid, or a conflicting results folder).

    ``problems`` lists ``(what, message)``; ``what`` names the path and value
    (e.g. ``windows.0.count=-1``).  ``str(err)`` is the user-facing text.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{what}: {msg}" if what else msg for what, msg in problems))


class SweepBackendError(RuntimeError):
    """The Dask cluster could not be started or reached (nothing was written)."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep; finished runs are saved and a rerun resumes."""

    def __init__(self, runs_done: int, runs_total: int, points_done: int, points_total: int):
        self.runs_done = runs_done
        self.runs_total = runs_total
        self.points_done = points_done
        self.points_total = points_total
        super().__init__(
            f"interrupted: {runs_done} of {runs_total} runs done "
            f"({points_done} of {points_total} points); rerun the same command to resume"
        )


# --- parsing values, --set and sweep files ----------------------------------

_NUM = r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUM})\s*:\s*({_NUM})\s*(?::\s*({_NUM})\s*)?$")
_MISSING = object()


def parse_value(text: str) -> Any:
    """One value, TOML-ish: ``3`` → int, ``0.7`` → float, ``true`` → bool,
    ``"a,b"`` / ``'x'`` → str, ``[..]`` / ``{..}`` → list / table; anything else
    is taken as a bare string (``exponential``, ``09:00``)."""
    s = text.strip()
    if not s:
        raise ValueError("empty value")
    try:
        value = tomllib.loads(f"v = {s}")["v"]
    except tomllib.TOMLDecodeError:
        return s
    except RecursionError:
        raise ValueError("arrays or tables nested too deeply") from None
    if not isinstance(value, bool | int | float | str | list | dict):
        return s  # TOML dates and times: keep the text
    return value


def split_values(text: str) -> list[str]:
    """Split on commas that are not inside quotes, ``[...]`` or ``{...}``."""
    out, buf, depth, quote = [], [], 0, ""
    for ch in text:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    out.append("".join(buf))
    return out


def _number(s: str) -> int | float:
    return int(s) if re.fullmatch(r"-?\d+", s) else float(s)


def expand_range(token: str) -> list[int | float] | None:
    """``START:STOP[:STEP]`` → the values from START to STOP *inclusive*.

    ``2:8`` → 2, 3, ..., 8; ``2:8:2`` → 2, 4, 6, 8; ``30:60:7.5`` → 30.0, 37.5,
    ..., 60.0.  A decimal range needs a step.  Returns None if ``token`` is not
    a range; raises ValueError for an empty or malformed one.
    """
    m = _RANGE.match(token)
    if not m:
        return None
    start, stop = _number(m.group(1)), _number(m.group(2))
    step = _number(m.group(3)) if m.group(3) else None
    if step is None:
        if not (isinstance(start, int) and isinstance(stop, int)):
            raise ValueError(
                f"range {token.strip()!r}: a decimal range needs a step, e.g. 0.5:0.9:0.1"
            )
        step = 1
    if step == 0:
        raise ValueError(f"range {token.strip()!r}: the step must not be 0")
    if (stop - start) * step < 0:
        raise ValueError(f"range {token.strip()!r} is empty (start, stop and step disagree)")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_RANGE_VALUES:
        raise ValueError(f"range {token.strip()!r} has {count} values (at most {MAX_RANGE_VALUES})")
    if all(isinstance(x, int) for x in (start, stop, step)):
        return [start + i * step for i in range(count)]
    return [round(start + i * step, 12) for i in range(count)]


def parse_values(text: str, ranges: bool = True) -> list[Any]:
    """``V1,V2,...`` (each a value or, if ``ranges``, a ``START:STOP[:STEP]`` range)."""
    values: list[Any] = []
    for token in split_values(text):
        if not token.strip():
            raise ValueError(f"empty value in {text!r}")
        expanded = expand_range(token) if ranges else None
        values.extend(expanded if expanded is not None else [parse_value(token)])
    return values


def _current(scenario: Scenario | None, path: str) -> Any:
    if scenario is None:
        return _MISSING
    node: Any = scenario.model_dump(mode="python", exclude_none=True)
    for key in path.split("."):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return _MISSING
    return node


def parse_set(text: str, scenario: Scenario | None = None) -> tuple[str, list[Any]]:
    """``PATH=V1,V2,...`` → ``(path, values)``.

    Values are parsed TOML-ish (see ``parse_value``); ``START:STOP[:STEP]``
    expands to a range including STOP.  With a ``scenario``, a path whose
    current value is a string (e.g. ``hall.close``) takes its values as text,
    so ``hall.close=16:00,17:00`` is two times, not a range.  Raises SweepError.
    """
    if "=" not in text:
        raise SweepError([(text, "expected PATH=V1,V2,... e.g. windows.0.count=2,3,4")])
    path, _, rhs = text.partition("=")
    path = path.strip()
    # any key a sweep file can name, e.g. arrivals.rate_per_hour.09:00 or a matter's name
    # in classes.0.matter_shares; only empty parts and stray spaces are refused
    if not path or any(not part or part != part.strip() for part in path.split(".")):
        raise SweepError([(text, "the part before '=' must be a dotted path like windows.0.count")])
    if not rhs.strip():
        raise SweepError([(path, "no values after '='")])
    ranges = not isinstance(_current(scenario, path), str)
    try:
        values = parse_values(rhs, ranges=ranges)
    except ValueError as exc:
        raise SweepError([(f"{path}={rhs}", str(exc))]) from None
    return path, values


def _flatten(table: dict, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, path + ".")
        else:
            yield path, value


def read_sweep_file(path: str | Path, scenario: Scenario | None = None) -> dict[str, list]:
    """Parameters from a sweep file (TOML)::

        [parameters]
        "windows.0.count" = [2, 3, 4]          # a list of values
        "arrivals.rate_per_hour" = "30:60:10"  # or a string as after --set PATH=
        "matters.0.service_min" = [{ dist = "exponential", mean = 4 },
                                   { dist = "lognormal", mean = 4, cv = 0.5 }]

    Unquoted dotted keys (``windows.0.count = [...]``) work too.  Raises SweepError.
    """
    try:
        # the checks a scenario file gets: a regular file of at most 10 MB, sane nesting
        data = parse_toml(read_input_file(path, "sweep"))
    except (TypeError, ValueError) as exc:
        raise SweepError([(str(path), f"sweep file: {exc}")]) from None
    unknown = [k for k in data if k != "parameters"]
    if unknown or not isinstance(data.get("parameters"), dict) or not data["parameters"]:
        raise SweepError(
            [
                (
                    str(path),
                    "a sweep file has one table [parameters] mapping dotted paths to value "
                    "lists" + (f"; unknown keys: {', '.join(unknown)}" if unknown else ""),
                )
            ]
        )
    grid: dict[str, list] = {}
    try:
        flat = list(_flatten(data["parameters"]))
    except RecursionError:
        raise SweepError([(str(path), "sweep file: tables nested too deeply")]) from None
    for key, value in flat:
        if isinstance(value, list):
            grid[key] = value
        elif isinstance(value, str):
            grid[key] = parse_set(f"{key}={value}", scenario)[1]
        else:
            grid[key] = [value]
    return grid


def build_grid(
    sets: list[str] | tuple[str, ...] = (),
    sweep_file: str | Path | None = None,
    scenario: Scenario | None = None,
) -> dict[str, list]:
    """The grid from a sweep file (first) and ``--set`` options (in order)."""
    grid: dict[str, list] = {}
    problems: list[tuple[str, str]] = []
    items: list[tuple[str, list]] = []
    if sweep_file is not None:
        items.extend(read_sweep_file(sweep_file, scenario).items())
    for text in sets:
        try:
            items.append(parse_set(text, scenario))
        except SweepError as exc:
            problems.extend(exc.problems)
    for path, values in items:
        if path in grid:
            problems.append((path, "given twice (in --set or the sweep file)"))
        grid[path] = values
    if problems:
        raise SweepError(problems)
    return grid


# --- the plan: a validated grid ---------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _column(values: list) -> tuple[pa.DataType, list]:
    """Arrow type and column values for one swept path (the same for every part)."""
    if all(isinstance(v, bool) for v in values):
        return pa.bool_(), list(values)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return pa.int64(), list(values)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return pa.float64(), [float(v) for v in values]
    if all(isinstance(v, str) for v in values):
        return pa.string(), list(values)
    return pa.string(), [v if isinstance(v, str) else _json(v) for v in values]


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's settings (canonical JSON)."""
    return hashlib.sha256(_json(scenario_to_dict(scenario)).encode()).hexdigest()


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: point p ↔ one combination (first parameter varies slowest)."""

    scenario: Scenario
    parameters: tuple[str, ...]
    values: tuple[tuple, ...]
    replications: int
    seed: int
    engine: str = "auto"

    @property
    def n_points(self) -> int:
        return math.prod(len(v) for v in self.values)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replications

    def indices(self, points: np.ndarray) -> list[np.ndarray]:
        """Index into each parameter's values for the given point numbers."""
        out, rest = [], np.asarray(points, dtype=np.int64)
        for vals in reversed(self.values):
            out.append(rest % len(vals))
            rest = rest // len(vals)
        return out[::-1]

    def changes(self, point: int) -> dict[str, Any]:
        idx = self.indices(np.array([point]))
        return {p: v[int(i[0])] for p, v, i in zip(self.parameters, self.values, idx, strict=True)}

    def identity(self) -> dict[str, Any]:
        """What must match for a folder's finished runs to be reused."""
        return {
            "kind": "sweep",
            "scenario_hash": scenario_hash(self.scenario),
            "parameters": list(self.parameters),
            "grid": {p: list(v) for p, v in zip(self.parameters, self.values, strict=True)},
            "replications": self.replications,
            "seed": self.seed,
            "engine": self.engine,
            "version": __version__,
        }

    def param_columns(self) -> list[tuple[str, pa.DataType, list]]:
        return [(p, *_column(list(v))) for p, v in zip(self.parameters, self.values, strict=True)]

    def schema(self) -> pa.Schema:
        fields = [pa.field("point", pa.int64())]
        fields += [pa.field(p, t) for p, t, _ in self.param_columns()]
        fields += [pa.field("replication", pa.int64()), pa.field("seed", pa.int64())]
        fields += [pa.field(m, pa.float64()) for m in METRICS]
        return pa.schema(fields)

    def summary_schema(self) -> pa.Schema:
        fields = [pa.field("point", pa.int64())]
        fields += [pa.field(p, t) for p, t, _ in self.param_columns()]
        fields += [pa.field("replications", pa.int64())]
        for m in METRICS:
            fields += [pa.field(f"{m}_{s}", pa.float64()) for s in ("mean", "ci_low", "ci_high")]
        return pa.schema(fields)


def _label(changes: dict[str, Any]) -> str:
    return ", ".join(f"{p}={_show(v)}" for p, v in changes.items())


def _show(v: Any) -> str:
    return v if isinstance(v, str) else _json(v)


def plan_sweep(
    scenario: Scenario,
    grid: dict[str, list | str],
    replications: int | None = None,
    seed: int | None = None,
    engine: str = "auto",
) -> SweepPlan:
    """Validate every point of the grid with ``Scenario.with_changes``; raises SweepError.

    A string in place of a value list is parsed as after ``--set PATH=``.
    Problems name the swept path and value (or the whole point when the
    problem lies between fields, e.g. shares no longer summing to 1).
    """
    problems: list[tuple[str, str]] = []
    if not grid:
        problems.append(("", "nothing to sweep: give --set PATH=V1,V2,... or --sweep-file"))
    if engine not in ENGINES:
        problems.append(("engine", f"must be one of {ENGINES}, got {engine!r}"))
    params, values = [], []
    for path, vals in grid.items():
        if isinstance(vals, str):
            try:
                vals = parse_set(f"{path}={vals}", scenario)[1]
            except SweepError as exc:
                problems.extend(exc.problems)
                continue
        # lists, tuples, ranges and numpy arrays all work; numpy numbers become Python ones
        vals = plain_value(
            list(vals) if isinstance(vals, Iterable) and not isinstance(vals, dict) else [vals]
        )
        if path in UNSWEEPABLE:
            problems.append((path, f"cannot be swept: {UNSWEEPABLE[path]}"))
        if not vals:
            problems.append((path, "no values"))
        seen = set()
        for v in vals:
            key = _json(v)
            if key in seen:
                problems.append((f"{path}={_show(v)}", "value listed twice"))
            seen.add(key)
        params.append(path)
        values.append(tuple(vals))
    reps = scenario.run.replications
    if replications is not None:
        try:
            reps = check_replications(replications)
        except (TypeError, ValueError) as exc:
            problems.append(("", str(exc)))
    if seed is not None:
        try:
            seed = check_seed(seed)
        except (TypeError, ValueError) as exc:
            problems.append(("", str(exc)))
    if problems:
        raise SweepError(problems)
    plan = SweepPlan(
        scenario=scenario,
        parameters=tuple(params),
        values=tuple(values),
        replications=reps,
        seed=scenario.run.seed if seed is None else seed,
        engine=engine,
    )
    if plan.n_points > MAX_POINTS:
        raise SweepError([("", f"the grid has {plan.n_points} points (at most {MAX_POINTS})")])
    seen_msgs: set[str] = set()
    for point in range(plan.n_points):
        changes = plan.changes(point)
        try:
            point_scenario = scenario.with_changes(changes, source="sweep")
            if engine == "fast" and not fastpath.supports(point_scenario):
                mechanism = fastpath.unsupported_mechanism(point_scenario)
                what = mechanism or "rosters, appointments and citizen classes"
                problems.append(
                    (
                        f"point {point} ({_label(changes)})",
                        f"--engine fast: {what} need the simpy engine; use --engine auto",
                    )
                )
                break
        except ScenarioError as exc:
            for where, msg in exc.problems:
                hit = [p for p in params if where == p or where.startswith(p + ".")]
                what = (
                    f"{hit[0]}={_show(changes[hit[0]])}"
                    if hit
                    else f"point {point} ({_label(changes)}): {where}"
                )
                key = f"{what if hit else where}: {msg}"  # first point of each kind
                if key not in seen_msgs:
                    seen_msgs.add(key)
                    problems.append((what, msg))
            if len(problems) >= 20:
                problems.append(("", "(further problems not shown)"))
                break
    if problems:
        raise SweepError(problems)
    return plan


# --- the task: a chunk of (point, replication) runs, in a worker ------------


def run_chunk(
    payload: tuple[Scenario, int, str, list[tuple[int, dict, list[int]]]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Run a chunk; returns (points, replications, metrics[run, METRICS], seconds).

    Only the metric records travel back: no per-citizen data leaves the worker.
    """
    t0 = time.perf_counter()
    scenario, seed, engine, items = payload
    points, reps, rows = [], [], []
    for point, changes, rep_list in items:
        sc = scenario.with_changes(changes, source=f"point {point}")
        for r in rep_list:
            m = simulate(sc, seed=seed, replication=r, engine=engine, breakdowns=False).metrics
            points.append(point)
            reps.append(r)
            rows.append([math.nan if m.get(k) is None else m[k] for k in METRICS])
    return (
        np.asarray(points, dtype=np.int64),
        np.asarray(reps, dtype=np.int64),
        np.asarray(rows, dtype=np.float64).reshape(len(rows), len(METRICS)),
        time.perf_counter() - t0,  # for sizing the next chunks (_ChunkSizer)
    )


def run_chunk_to_part(
    payload: tuple[SweepPlan, list, str],
) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, float]:
    """Run a chunk and write its part file in the worker (local pool only).

    The parent then only renames the file into place, so its CPU stays free
    for the workers (on 2 cores the parent's Parquet writing cost ~8%).
    Returns (temporary file, points, replications, metrics, seconds); the
    metrics also travel back so that the parent can keep a small sweep's
    rows in memory (see ``_Parts``).
    """
    plan, items, parts_dir = payload
    pts, reps, rows, seconds = run_chunk((plan.scenario, plan.seed, plan.engine, items))
    tmp = Path(parts_dir) / f"{PENDING_PREFIX}{os.getpid()}-{uuid.uuid4().hex}.parquet"
    _write_part(_part_table(plan, pts, reps, rows), tmp)
    return str(tmp), pts, reps, rows, seconds


def _write_part(table: pa.Table, path: Path | str) -> None:
    """Write a part file: read back at most once, so written for speed.

    Statistics only on ``point`` (``_point_ranges`` reads them) and no
    dictionaries: half the time of the defaults (1.2 instead of 2.2 ms for
    500 runs), at the same size.
    """
    pq.write_table(table, path, use_dictionary=False, write_statistics=["point"])


# --- the sweep folder -------------------------------------------------------


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_json(path: Path, obj: dict) -> None:
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n"
    _atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def _part_files(out: Path) -> list[Path]:
    return sorted((out / PARTS).glob("part-*.parquet"))


def _clear(folder: ResultsFolder) -> None:
    """Discard an earlier sweep: only what hallsim wrote there."""
    out = folder.path
    if folder.owns(PARTS):
        shutil.rmtree(out / PARTS, ignore_errors=True)
    for name in OWN_FILES:
        folder.delete(name)


def _check_folder(folder: ResultsFolder, plan: SweepPlan, force: bool) -> dict | None:
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
    want = json.loads(_json(plan.identity()))
    differ = [k for k in want if _json(manifest.get(k)) != _json(want[k])]
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


def _done_mask(out: Path, plan: SweepPlan) -> tuple[np.ndarray, int]:
    """Runs already in the parts (bool[points * replications]) and the next part number."""
    done = np.zeros(plan.n_runs, dtype=bool)
    nxt = 0
    for f in _part_files(out):
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


class _ChunkSizer:
    """How many runs the next chunk gets: guided self-scheduling, bounded in time.

    Each chunk takes 1/workers of the runs not yet handed out: big chunks
    first, small ones at the end, so that no worker waits long for the last
    one (guided self-scheduling, Polychronopoulos & Kuck 1987).  A chunk also
    lasts between CHUNK_SECONDS at the seconds per run of the latest finished
    chunk: each chunk costs a task and a part file (~3 ms of CPU), and a long
    one delays progress and Ctrl-C (which lets running chunks finish).  Until
    a chunk has finished, PROBE_CHUNK runs.  ``fixed`` (``--chunk-size``)
    overrides all this.

    Measured on 2 cores (4,000 runs of 0.5 ms): 1/workers rather than 1/(two
    chunks in flight per worker) means 12 chunks instead of 21, and a lower
    bound of 0.02 s rather than 0.05 s lets the workers finish within ~10 ms
    of each other instead of ~30; together ~30 ms less of a 1.2 s sweep.
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


def _part_table(plan: SweepPlan, pts: np.ndarray, reps: np.ndarray, rows: np.ndarray) -> pa.Table:
    cols: dict[str, pa.Array] = {"point": pa.array(pts, pa.int64())}
    idx = plan.indices(pts)
    for (path, typ, colvals), i in zip(plan.param_columns(), idx, strict=True):
        cols[path] = pa.array([colvals[k] for k in i.tolist()], typ)
    cols["replication"] = pa.array(reps, pa.int64())
    cols["seed"] = pa.array(np.full(len(pts), plan.seed, dtype=np.int64))
    for j, m in enumerate(METRICS):
        cols[m] = pa.array(rows[:, j], pa.float64())
    return pa.table(cols, schema=plan.schema())


# --- executors --------------------------------------------------------------


class _Serial:
    """In-process 'executor' for one local worker (no pickling, no pool).

    A chunk runs when it is waited for, so that ``_run`` saves the previous
    chunk before the next one runs, as it would with a pool.
    """

    workers = capacity = 1

    def __init__(self) -> None:
        self.payloads: dict[cf.Future, tuple] = {}

    def submit_chunk(self, plan: SweepPlan, items: list, parts_dir: Path):
        f: cf.Future = cf.Future()
        self.payloads[f] = (plan.scenario, plan.seed, plan.engine, items)
        return f

    def wait(self, futures):
        for f in futures:
            if not f.done():
                f.set_result(run_chunk(self.payloads.pop(f)))
        return set(futures)

    def close(self, cancel: bool) -> None:
        pass

    def close_while_assembling(self) -> Callable[[], None]:
        return lambda: None


class _Pool:
    def __init__(self, workers: int):
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, initializer=worker_init)
        self.workers = workers
        self.capacity = 2 * workers  # chunks in flight: the next one is always there

    def submit_chunk(self, plan: SweepPlan, items: list, parts_dir: Path):
        # local workers share the folder: they write their own part files
        return self.pool.submit(run_chunk_to_part, (plan, items, str(parts_dir)))

    def wait(self, futures):
        return cf.wait(futures, return_when=cf.FIRST_COMPLETED).done

    def close(self, cancel: bool) -> None:
        # after Ctrl-C: drop queued chunks, let the running ones finish (they are kept)
        self.pool.shutdown(wait=True, cancel_futures=cancel)

    def close_while_assembling(self) -> Callable[[], None]:
        """Start closing the pool; returns the wait for it.

        The workers take ~10 ms to exit: on a core the assembly leaves idle.
        """
        closing = threading.Thread(target=self.close, args=(False,), name="hallsim-pool-close")
        closing.start()
        return closing.join


def require_dask() -> None:
    """Raise ImportError naming the extra ``hallsim[cluster]`` when Dask is missing."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "the dask backend needs the optional Dask packages, which did not import "
            f'({exc}); install them with: pip install "hallsim[cluster]"'
        ) from exc


class _Dask:
    def __init__(self, workers: int, scheduler: str | None):
        require_dask()
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            self.client = Client(scheduler, timeout="10s")
        else:
            import logging

            self.cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.capacity = 2 * self.workers

    def submit_chunk(self, plan: SweepPlan, items: list, parts_dir: Path):
        # cluster workers may not see this folder: rows travel back, the parent writes
        return self.submit((plan.scenario, plan.seed, plan.engine, items))

    def submit(self, payload):
        return self.client.submit(run_chunk, payload, pure=False)

    def wait(self, futures):
        from dask.distributed import wait

        return set(wait(list(futures), return_when="FIRST_COMPLETED").done)

    def close(self, cancel: bool) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def close_while_assembling(self) -> Callable[[], None]:
        self.close(cancel=False)
        return lambda: None


def _executor(backend: str, workers: int, scheduler: str | None):
    if backend == "dask":
        return _Dask(workers, scheduler)
    if workers <= 1:
        return _Serial()
    return _Pool(workers)


# --- running and assembling -------------------------------------------------


@dataclass
class SweepOutcome:
    """Where a sweep wrote its results and what this call ran.

    ``table`` is the results table as written, for sweeps of at most
    MEMORY_RUNS runs (else None), so that ``run_sweep`` need not read it back.
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

    A sweep of at most MEMORY_RUNS runs also keeps the rows of this call's
    chunks (``kept``): the assembly then reads only parts from earlier calls.
    """

    def __init__(self, out: Path, plan: SweepPlan, progress):
        self.out, self.plan, self.progress = out, plan, progress
        done, self.next_no = _done_mask(out, plan)
        self.earlier = _part_files(out)  # after _done_mask: without unreadable ones
        self.pending = np.flatnonzero(~done)
        self.remaining = plan.replications - done.reshape(plan.n_points, -1).sum(axis=1)
        self.points_done = int(np.sum(self.remaining == 0))
        self.runs_done = int(done.sum())
        self.ran = 0
        self.kept: list[pa.Table] | None = [] if plan.n_runs <= MEMORY_RUNS else None
        if progress:
            progress(self.points_done, plan.n_points)

    def save(self, result: tuple) -> None:
        """Keep a finished chunk: rows to write, or a part file a worker wrote."""
        path = self.out / PARTS / f"part-{self.next_no:06d}.parquet"
        if isinstance(result[0], str):
            tmp, pts, reps, rows = result[:4]
            os.replace(tmp, path)  # atomic: the part is either there whole or not at all
            table = None
        else:
            pts, reps, rows = result[:3]
            table = _part_table(self.plan, pts, reps, rows)
            _atomic_write(path, lambda p: _write_part(table, p))
        if self.kept is not None:
            # as a table now rather than at the end: the first one costs ~10 ms
            # (Arrow's one-off set-up), better spent while the workers run
            if table is None:
                table = _part_table(self.plan, pts, reps, rows)
            self.kept.append(table)
        self.next_no += 1
        self.ran += len(pts)
        self.runs_done += len(pts)
        np.subtract.at(self.remaining, pts, 1)
        newly = int(np.sum(self.remaining[np.unique(pts)] == 0))
        self.points_done += newly
        if self.progress and newly:
            self.progress(self.points_done, self.plan.n_points)

    def interrupted(self) -> SweepInterrupted:
        p = self.plan
        return SweepInterrupted(self.runs_done, p.n_runs, self.points_done, p.n_points)

    def sources(self) -> list[Path | pa.Table]:
        """What the assembly reads: every part file, or earlier parts and the kept rows."""
        if self.kept is None:
            return _part_files(self.out)
        return [*self.earlier, *([pa.concat_tables(self.kept)] if self.kept else [])]


def _run(ex, plan: SweepPlan, parts: _Parts, chunk_size: int | None) -> None:
    """Submit chunks (at most ``ex.capacity`` running or queued) and save each as it finishes.

    On Ctrl-C: chunks already finished are saved, queued ones dropped, running
    ones (local pool) allowed to finish and saved; then SweepInterrupted.
    """
    pending = parts.pending
    sizer = _ChunkSizer(len(pending), ex.workers, chunk_size)
    chunks = _chunks(plan, pending, iter(sizer.next, 0))
    inflight: set = set()  # submitted and not saved yet
    finished: set = set()  # of those, the ones that have finished
    try:
        while True:
            # new chunks first, then save the finished ones: the workers are not
            # kept waiting while this process saves (the first save costs ~10 ms)
            while (
                len(inflight) - len(finished) < ex.capacity
                and (items := next(chunks, None)) is not None
            ):
                inflight.add(ex.submit_chunk(plan, items, parts.out / PARTS))
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
    most MEMORY_RUNS runs also keeps its rows, for the assembly).
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
    manifest = _check_folder(folder, plan, force)
    for name in (*OWN_FILES, PARTS):  # recorded before they exist: a SIGKILL loses nothing
        folder.adopt(name)
    folder.save_record()
    t0 = time.perf_counter()
    results = out / "results.parquet"
    if manifest and manifest.get("complete") and results.exists():
        if csv and not (out / "results.csv").exists():
            _csv_from_parquet(results, out / "results.csv")
        if progress:
            progress(plan.n_points, plan.n_points)
        return SweepOutcome(out, results, plan.n_points, plan.replications, 0, 0.0)

    try:  # reach the cluster before writing anything
        ex = _executor(backend, workers, scheduler)
    except (OSError, TimeoutError) as exc:
        where = f"the dask scheduler at {scheduler}" if scheduler else "a dask LocalCluster"
        raise SweepBackendError(f"cannot reach {where}: {exc}") from None
    try:
        (out / PARTS).mkdir(parents=True, exist_ok=True)
        if manifest is None:
            if source is not None and Path(source).is_file():
                data = Path(source).read_bytes()  # the source may be this very file
                _atomic_write(out / "scenario.toml", lambda p: p.write_bytes(data))
            _write_json(out / "scenario.json", scenario_to_dict(plan.scenario))
            _write_json(
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
            _run(ex, plan, parts, chunk_size)
    except BaseException:
        ex.close(cancel=True)  # idempotent
        raise

    closed = ex.close_while_assembling()
    try:
        table = _assemble(out, plan, csv, parts.sources())
    finally:
        closed()
    mpath = out / MANIFEST
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    manifest.update(complete=True, finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    _write_json(mpath, manifest)
    shutil.rmtree(out / PARTS, ignore_errors=True)
    return SweepOutcome(
        out, results, plan.n_points, plan.replications, parts.ran, time.perf_counter() - t0, table
    )


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
    values = np.column_stack([column(m).astype(float) for m in METRICS])[order]
    defined = ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        if len(starts):
            n = np.add.reduceat(defined, starts, axis=0).astype(float)
            mean = np.add.reduceat(np.where(defined, values, 0.0), starts, axis=0) / n
            dev = np.where(defined, values - np.repeat(mean, sizes, axis=0), 0.0)
            ss = np.add.reduceat(dev * dev, starts, axis=0)
        else:
            n = mean = ss = np.empty((0, len(METRICS)))
        sd = np.where(n >= 2, np.sqrt(ss / (n - 1)), np.nan)
    for j, m in enumerate(METRICS):
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


def _assemble(
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
        sources = _part_files(out)
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


def _csv_from_parquet(src: Path, dst: Path) -> None:
    def write(p: Path) -> None:
        for i, batch in enumerate(pq.ParquetFile(src).iter_batches(batch_size=100_000)):
            _append_csv(pa.Table.from_batches([batch]), p, header=i == 0)

    _atomic_write(dst, write)


# --- the Python API ---------------------------------------------------------


def run_sweep(
    scenario: Scenario | str | Path,
    grid: dict[str, list | str],
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    backend: str = "local",
    scheduler: str | None = None,
    out: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    engine: str = "auto",
    force: bool = False,
    csv: bool = False,
    chunk_size: int | None = None,
) -> pd.DataFrame:
    """Run a full-grid sweep and return the tidy table (one row per point and replication).

    ``grid`` maps dotted paths to value lists (or ``"2:8"``-style strings),
    e.g. ``{"windows.0.count": [2, 3, 4], "windows.0.attitude": [0.5, 0.9]}``.
    Every point is validated before anything runs (SweepError otherwise).
    Replication r of every point uses ``make_streams(seed, r)``: common random
    numbers across points.  With ``out`` the folder is kept (and a rerun
    resumes); without, a temporary folder is used.

    >>> import hallsim
    >>> from hallsim.sweep import run_sweep
    >>> sc = hallsim.load_scenario("scenarios/integrated.toml")  # doctest: +SKIP
    >>> df = run_sweep(sc, {"windows.0.count": [8, 9, 10]}, replications=5)  # doctest: +SKIP
    >>> df.groupby("windows.0.count").wait_mean_min.mean()  # doctest: +SKIP
    """
    source = None
    if not isinstance(scenario, Scenario):
        source = Path(scenario)
        scenario = load_scenario(source)
    plan = plan_sweep(scenario, grid, replications, seed, engine)
    kwargs = dict(
        workers=workers,
        backend=backend,
        scheduler=scheduler,
        progress=progress,
        force=force,
        csv=csv,
        chunk_size=chunk_size,
        source=source,
    )
    if out is not None:
        return _results_frame(execute_sweep(plan, out, **kwargs))
    with tempfile.TemporaryDirectory(prefix="hallsim-sweep-") as tmp:
        return _results_frame(execute_sweep(plan, Path(tmp) / "sweep", **kwargs))


def _results_frame(res: SweepOutcome) -> pd.DataFrame:
    """The results as ``pd.read_parquet`` gives them, from the table kept if there is one.

    Saves reading the file back (~15 ms, most of it importing pyarrow's
    dataset layer the first time).  With text columns the file is read all
    the same: their pandas dtype depends on the pandas version and options,
    which ``read_parquet`` knows and ``to_pandas`` may not.
    """
    table = res.table
    if table is None or any(pa.types.is_string(f.type) for f in table.schema):
        return pd.read_parquet(res.results)
    return table.to_pandas()


def read_results(folder: str | Path) -> pd.DataFrame:
    """The tidy table of a finished sweep folder."""
    return pd.read_parquet(Path(folder) / "results.parquet")


__all__ = [
    "SweepBackendError",
    "SweepError",
    "SweepInterrupted",
    "SweepPlan",
    "build_grid",
    "execute_sweep",
    "parse_set",
    "parse_value",
    "plan_sweep",
    "read_results",
    "read_sweep_file",
    "run_sweep",
    "summarise_points",
]
