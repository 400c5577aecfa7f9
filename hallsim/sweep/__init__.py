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

Modules: ``grid`` (parsing and planning), ``run`` (executors, chunks), ``store`` (the
resumable part store, manifest and assembly); this package holds the Python API.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa

from hallsim.cluster import require_dask as require_dask
from hallsim.names import BACKENDS as BACKENDS
from hallsim.resultsdir import MANIFEST as MANIFEST
from hallsim.resultsdir import OWN_FILES as OWN_FILES
from hallsim.scenario import Scenario, load_scenario
from hallsim.sweep.grid import (
    SweepBackendError,
    SweepError,
    SweepInterrupted,
    SweepPlan,
    build_grid,
    parse_set,
    parse_value,
    plan_sweep,
    read_sweep_file,
)
from hallsim.sweep.run import SweepOutcome as SweepOutcome
from hallsim.sweep.run import execute_sweep
from hallsim.sweep.store import summarise_points

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
    metrics: list[str] | None = None,
) -> pd.DataFrame:
    """Run a full-grid sweep and return the tidy table (one row per point and replication).

    ``grid`` maps dotted paths to value lists (or ``"2:8"``-style strings),
    e.g. ``{"windows.0.count": [2, 3, 4], "windows.0.attitude": [0.5, 0.9]}``.
    Every point is validated before anything runs (SweepError otherwise).
    Replication r of every point uses ``make_streams(seed, r)``: common random
    numbers across points.  With ``out`` the folder is kept (and a rerun
    resumes); without, a temporary folder is used.  ``metrics``: compute and keep
    only these metrics (None: all), e.g. ``["wait_mean_min", "service_level"]``.

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
    plan = plan_sweep(scenario, grid, replications, seed, engine, metrics)
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

    Saves reading the file back (mostly the first import of pyarrow's dataset
    layer).  With text columns the file is read all
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
