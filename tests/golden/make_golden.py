"""Regenerate the golden outputs in tests/golden/ — ONLY when a change of numbers is intended.

tests/test_golden.py reruns the same commands and requires the same numbers, floating point
identical. A refactor must leave them unchanged; a change to the model, an engine, a metric
or an interval that is meant to move the numbers regenerates them here, in the same commit,
with the reason in the commit message:

    python tests/golden/make_golden.py

Every output is produced in-process through the command line (`hallsim.cli.entry`), with
one worker and few replications, so the whole set takes seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent
ROOT = GOLDEN.parent.parent
SCENARIOS = ROOT / "scenarios"
REPS = ("-r", "3", "--seed", "1", "-w", "1")

# fields that record when, where or with which version something ran, not what it computed
VOLATILE = {"created", "finished", "command", "version", "elapsed_s", "seconds", "path", "out"}


def _cli(*args: str) -> str:
    from hallsim.cli import entry

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
        code = entry(list(args))
    if code != 0:
        raise RuntimeError(f"hallsim {' '.join(args)} exited {code}")
    return buffer.getvalue()


def _strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _table(path: Path) -> dict[str, list[Any]]:
    """A Parquet file as {column: values}; floats keep their full repr in JSON."""
    import pandas as pd

    frame = pd.read_parquet(path)
    out: dict[str, list[Any]] = {}
    for column in frame.columns:
        values = frame[column].tolist()
        out[str(column)] = [
            None if isinstance(v, float) and math.isnan(v) else _plain(v) for v in values
        ]
    return out


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def run_json(name: str, *extra: str) -> Callable[[], Any]:
    def make() -> Any:
        return _strip(
            json.loads(_cli("run", str(SCENARIOS / f"{name}.toml"), "--json", *REPS, *extra))
        )

    return make


def compare_json() -> Any:
    files = [str(SCENARIOS / f"{n}.toml") for n in ("dedicated", "integrated", "hybrid")]
    return _strip(json.loads(_cli("compare", *files, "--json", *REPS)))


def run_folder() -> Any:
    """A --log run's results folder: the citizens table and the per-period/matter tables."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        _cli("run", str(SCENARIOS / "operations.toml"), "-q", "--log", "--out", str(out), *REPS)
        return {
            f: _table(out / f"{f}.parquet")
            for f in ("citizens", "replications", "periods", "matters", "groups")
        }


def sweep_tables() -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sweep"
        _cli(
            "sweep",
            str(SCENARIOS / "integrated.toml"),
            "--set",
            "windows.0.count=4,5",
            "--set",
            "windows.0.attitude=0.6,0.9",
            "-r",
            "2",
            "--seed",
            "1",
            "-w",
            "1",
            "-q",
            "--out",
            str(out),
        )
        return {f: _table(out / f"{f}.parquet") for f in ("results", "summary")}


def example_scenarios() -> list[Path]:
    """The scenario files in scenarios/ (optimiser search spaces live in spaces/)."""
    return sorted(SCENARIOS.glob("*.toml"))


def cases() -> dict[str, Callable[[], Any]]:
    made: dict[str, Callable[[], Any]] = {}
    for path in example_scenarios():
        made[f"run_{path.stem}"] = run_json(path.stem)
    made["run_integrated_simpy"] = run_json("integrated", "--engine", "simpy")
    made["run_operations_simpy"] = run_json("operations", "--engine", "simpy")
    made["compare"] = compare_json
    made["run_folder_operations"] = run_folder
    made["sweep_integrated"] = sweep_tables
    return made


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False, allow_nan=True) + "\n"


def main() -> None:
    for name, make in cases().items():
        (GOLDEN / f"{name}.json").write_text(dumps(make()), encoding="utf-8")
        print(f"wrote tests/golden/{name}.json", file=sys.stderr)


if __name__ == "__main__":
    main()
