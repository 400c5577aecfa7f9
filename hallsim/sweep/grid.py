"""Sweep grids: parsing values (``--set``, sweep files), building the grid and planning
it into a validated ``SweepPlan`` (every point checked before anything runs)."""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from hallsim import __version__, engines
from hallsim.cluster import ClusterError
from hallsim.experiment import ENGINES
from hallsim.limits import check_replications, check_seed
from hallsim.metrics import METRICS
from hallsim.resultsdir import MANIFEST as MANIFEST
from hallsim.resultsdir import OWN_FILES as OWN_FILES
from hallsim.scenario import (
    Scenario,
    ScenarioError,
    parse_toml,
    plain_value,
    read_input_file,
    scenario_to_dict,
)

MAX_POINTS = 1_000_000
KEEP_VALIDATED = 5_000  # a plan keeps its points' scenarios up to this many points
MAX_RANGE_VALUES = 100_000
# paths whose sweep would have no effect: the sweep's own --seed/--replications rule
UNSWEEPABLE = {
    "run.seed": "the sweep's seed comes from --seed (seed=...), not from the scenario",
    "run.replications": "the sweep's replications come from --replications",
}


class SweepError(ValueError):
    """Bad sweep input (a path, a value, a grid, or a conflicting results folder).

    ``problems`` lists ``(what, message)``; ``what`` names the path and value
    (e.g. ``windows.0.count=-1``).  ``str(err)`` is the user-facing text.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{what}: {msg}" if what else msg for what, msg in problems))


class SweepBackendError(ClusterError):
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


def json_value(value: Any) -> str:
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
    return pa.string(), [v if isinstance(v, str) else json_value(v) for v in values]


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's settings (canonical JSON)."""
    return hashlib.sha256(json_value(scenario_to_dict(scenario)).encode()).hexdigest()


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: point p ↔ one combination (first parameter varies slowest)."""

    scenario: Scenario
    parameters: tuple[str, ...]
    values: tuple[tuple, ...]
    replications: int
    seed: int
    engine: str = "auto"
    metrics: tuple[str, ...] | None = None  # the metrics computed and kept (None: all)

    def point_scenario(self, point: int) -> Scenario:
        """The scenario of a point: the one validated by ``plan_sweep`` when kept."""
        kept = self.__dict__.get("_validated")
        if kept is not None and kept[point] is not None:
            return kept[point]
        return self.scenario.with_changes(self.changes(point), source=f"point {point}")

    def __getstate__(self) -> dict[str, Any]:
        # the validated scenarios stay in this process: a worker re-derives its points
        state = dict(self.__dict__)
        state.pop("_validated", None)
        return state

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The metric columns of the results, in registry order."""
        return METRICS if self.metrics is None else self.metrics

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
        identity = {
            "kind": "sweep",
            "scenario_hash": scenario_hash(self.scenario),
            "parameters": list(self.parameters),
            "grid": {p: list(v) for p, v in zip(self.parameters, self.values, strict=True)},
            "replications": self.replications,
            "seed": self.seed,
            "engine": self.engine,
            "version": __version__,
        }
        if self.metrics is not None:  # absent for every metric: earlier folders still match
            identity["metrics"] = list(self.metrics)
        return identity

    def param_columns(self) -> list[tuple[str, pa.DataType, list]]:
        return [(p, *_column(list(v))) for p, v in zip(self.parameters, self.values, strict=True)]

    def schema(self) -> pa.Schema:
        fields = [pa.field("point", pa.int64())]
        fields += [pa.field(p, t) for p, t, _ in self.param_columns()]
        fields += [pa.field("replication", pa.int64()), pa.field("seed", pa.int64())]
        fields += [pa.field(m, pa.float64()) for m in self.metric_names]
        return pa.schema(fields)

    def summary_schema(self) -> pa.Schema:
        fields = [pa.field("point", pa.int64())]
        fields += [pa.field(p, t) for p, t, _ in self.param_columns()]
        fields += [pa.field("replications", pa.int64())]
        for m in self.metric_names:
            fields += [pa.field(f"{m}_{s}", pa.float64()) for s in ("mean", "ci_low", "ci_high")]
        return pa.schema(fields)


def _label(changes: dict[str, Any]) -> str:
    return ", ".join(f"{p}={_show(v)}" for p, v in changes.items())


def _show(v: Any) -> str:
    return v if isinstance(v, str) else json_value(v)


def plan_sweep(
    scenario: Scenario,
    grid: dict[str, list | str],
    replications: int | None = None,
    seed: int | None = None,
    engine: str = "auto",
    metrics: Iterable[str] | None = None,
) -> SweepPlan:
    """Validate every point of the grid with ``Scenario.with_changes``; raises SweepError.

    ``metrics``: compute and keep only these metrics (None: all of them).

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
            key = json_value(v)
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
    chosen = None
    if metrics is not None:
        wanted = {metrics} if isinstance(metrics, str) else set(metrics)
        if unknown := sorted(wanted.difference(METRICS)):
            problems.append(("metrics", f"unknown metric(s) {unknown}"))
        elif not wanted:
            problems.append(("metrics", "name at least one metric (or None for all)"))
        chosen = tuple(m for m in METRICS if m in wanted)
    if problems:
        raise SweepError(problems)
    plan = SweepPlan(
        scenario=scenario,
        parameters=tuple(params),
        values=tuple(values),
        replications=reps,
        seed=scenario.run.seed if seed is None else seed,
        engine=engine,
        metrics=chosen,
    )
    if plan.n_points > MAX_POINTS:
        raise SweepError([("", f"the grid has {plan.n_points} points (at most {MAX_POINTS})")])
    seen_msgs: set[str] = set()
    # kept for the points this process runs (one worker, or the parent's share)
    validated: list[Scenario | None] | None = (
        [None] * plan.n_points if plan.n_points <= KEEP_VALIDATED else None
    )
    for point in range(plan.n_points):
        changes = plan.changes(point)
        try:
            point_scenario = scenario.with_changes(changes, source=f"point {point}")
            if validated is not None:
                validated[point] = point_scenario
            if engine == "fast" and (lacks := engines.supports(point_scenario, "fast")):
                problems.append(
                    (
                        f"point {point} ({_label(changes)})",
                        "--engine fast: " + engines.unsupported_message(point_scenario, lacks),
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
    if validated is not None:
        object.__setattr__(plan, "_validated", validated)
    return plan
