"""The results folder: written here (``write_results``) and read back here
(``load_results``), with the JSON objects of ``--json`` and the tidy tables.

A results folder (from ``run`` or ``compare``) holds:

- ``summary.json``: the contract §3 object plus ``hallsim`` metadata (version,
  command, scenario settings, per-matter/per-group summaries);
- ``replications.parquet`` / ``.csv``: one row per (scenario, replication);
- ``periods.parquet``, ``matters.parquet``, ``groups.parquet``: breakdowns per
  replication (``scenario`` and ``replication`` columns);
- ``citizens.parquet`` with ``--log``: one row per citizen visit;
- ``scenarios/<safe name>.toml``: copies of the input files;
- ``.hallsim-results.json``: what hallsim wrote there (the safe-folder mechanics are in
  ``hallsim.resultsdir``).

Later commands add to it: ``plots/`` (``plot``), ``report.html`` (``report``),
``results.xlsx`` and ``slides/summary.png`` (``export``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from hallsim import __version__
from hallsim.comparison import best_scenario as best_scenario
from hallsim.comparison import paired_differences as paired_differences
from hallsim.experiment import ExperimentResult
from hallsim.metrics.registry import ALL_METRICS, reported
from hallsim.metrics.registry import HIGHER_IS_BETTER as HIGHER_IS_BETTER
from hallsim.names import PLOT_KINDS as PLOT_KINDS  # defined there, light to import
from hallsim.resultsdir import RESULT_FILES as RESULT_FILES
from hallsim.resultsdir import ResultsFolder, json_safe, safe_name
from hallsim.scenario import scenario_to_dict
from hallsim.stats import PREDICTED, interval_note

clean = json_safe  # the one JSON cleaner, in resultsdir


def metric_block(summary: dict[str, dict]) -> dict[str, dict]:
    return {
        m: {k: summary[m][k] for k in ("mean", "ci_low", "ci_high", "sd")}
        for m in reported(summary)
    }


def mark_predicted(obj: Any) -> Any:
    """``obj`` with ``"predicted": true/false`` added to every metric block (a dict with
    "mean" under a metric's name): summary.json says which numbers are model predictions
    (the satisfaction model) rather than simulated counts and times."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in ALL_METRICS and isinstance(v, dict) and "mean" in v:
                out[k] = {**v, "predicted": k in PREDICTED}
            else:
                out[k] = mark_predicted(v)
        return out
    if isinstance(obj, list):
        return [mark_predicted(v) for v in obj]
    return obj


def interval_notes(res: ExperimentResult) -> dict[str, str]:
    """Per metric, why its interval looks as it does (cut at the range, all equal...)."""
    out = {}
    for m in reported(res.summary):
        s = res.summary[m]
        if s["mean"] is None:
            continue
        note = interval_note(m, s["mean"], s["sd"], s["n"], s["ci_low"], s["ci_high"])
        if note:
            out[m] = note
    return out


def run_json(res: ExperimentResult) -> dict:
    """The contract's ``hallsim run --json`` object."""
    return clean(
        {
            "scenario": res.scenario.name,
            "replications": len(res.replications),
            "seed": res.seed,
            "metrics": metric_block(res.summary),
        }
    )


def compare_json(results: list[ExperimentResult]) -> dict:
    """The contract's ``hallsim compare --json`` object, exactly its keys."""
    return clean(
        {
            "scenarios": [r.scenario.name for r in results],
            "replications": len(results[0].replications),
            "seed": results[0].seed,
            "metrics": {r.scenario.name: metric_block(r.summary) for r in results},
            "differences": [
                {k: v for k, v in d.items() if k not in ("sd", "n", "confidence")}
                for d in paired_differences(results)
            ],
        }
    )


def _breakdown_summary(df: pd.DataFrame, key: str) -> list[dict]:
    if df.empty:
        return []
    num = [
        c
        for c in df.columns
        if c not in (key, "replication", "scenario") and pd.api.types.is_numeric_dtype(df[c])
    ]
    return [
        {key: name, **df.loc[df[key] == name, num].mean(numeric_only=True).to_dict()}
        for name in df[key].drop_duplicates()
    ]


def scenario_copy_names(results: list) -> list[str]:
    """``scenarios/<safe name>.toml`` per result (or scenario): a name is a label, not a path."""
    names: list[str] = []
    for r in results:
        base = safe_name(getattr(r, "scenario", r).name)
        name, k = base, 2
        while name in names:
            name, k = f"{base}-{k}", k + 1
        names.append(name)
    return [f"scenarios/{n}.toml" for n in names]


def planned_files(results_or_names: list) -> list[str]:
    return [*RESULT_FILES, *scenario_copy_names(results_or_names)]


def write_results(
    folder: ResultsFolder,
    results: list[ExperimentResult],
    sources: list[Path],
    contract_obj: dict,
    command: str,
    kind: str,
) -> Path:
    """Write a results folder inside an open ResultsFolder; returns the path of summary.json.

    summary.json goes last, and hallsim's previous summary.json first: a folder
    whose writing failed part-way has no summary, and ``plot``/``report`` say
    it is incomplete instead of mixing two runs.  Files of an earlier run that
    this one does not write (a log, plots, a report) are removed when the
    folder is closed; the user's own files are never touched.
    """
    folder.delete("summary.json")
    for src, rel in zip(sources, scenario_copy_names(results), strict=True):
        data = Path(src).read_bytes()
        folder.write_bytes(rel, data)

    def tidy(attr: str) -> pd.DataFrame:
        frames = [
            getattr(r, attr).assign(scenario=r.scenario.name)
            for r in results
            if getattr(r, attr) is not None and len(getattr(r, attr))
        ]
        if not frames:
            return pd.DataFrame()
        df = pd.concat(frames, ignore_index=True)
        return df[["scenario", *[c for c in df.columns if c != "scenario"]]]

    def parquet(df: pd.DataFrame) -> Callable[[Path], None]:
        return lambda p: df.to_parquet(p, index=False)

    def csv(df: pd.DataFrame) -> Callable[[Path], None]:
        return lambda p: df.to_csv(p, index=False)

    reps = tidy("replications")
    folder.write("replications.parquet", parquet(reps))
    folder.write("replications.csv", csv(reps))
    for name in ("periods", "matters", "groups"):
        folder.write(f"{name}.parquet", parquet(tidy(name)))
    classes = tidy("classes")
    if len(classes):
        folder.write("classes.parquet", parquet(classes))
    stations = tidy("stations")  # multi-matter visits and stations (docs/visits.md)
    if len(stations):
        folder.write("stations.parquet", parquet(stations))
    clerks = tidy("clerks")  # per clerk, when clerks differ (docs/kiosks-tidal.md)
    if len(clerks):
        folder.write("clerks.parquet", parquet(clerks))
    folder.write("periods.csv", csv(tidy("periods")))
    log = tidy("log")
    if len(log):
        folder.write("citizens.parquet", parquet(log))

    meta = {
        "kind": kind,
        "version": __version__,
        "command": command,
        "scenario_settings": {r.scenario.name: scenario_to_dict(r.scenario) for r in results},
        "breakdowns": {
            r.scenario.name: {
                "matters": _breakdown_summary(r.matters, "matter"),
                "groups": _breakdown_summary(r.groups, "window_group"),
                **(
                    {"stations": _breakdown_summary(r.stations, "station")}
                    if len(r.stations)
                    else {}
                ),
            }
            for r in results
        },
    }
    if kind == "compare":
        meta["differences_detail"] = paired_differences(results)
    meta["interval_notes"] = {r.scenario.name: interval_notes(r) for r in results}
    summary = mark_predicted({**contract_obj, "hallsim": meta})
    return folder.write_text(
        "summary.json", json.dumps(clean(summary), indent=2, ensure_ascii=False) + "\n"
    )


# --------------------------------------------------------------------------- reading


class ResultsError(Exception):
    """A results folder is missing, incomplete or unsuitable for the requested figure."""


@dataclass
class Results:
    """A results folder read from disk (tables load on first use).

    ``kind`` is "run", "compare" or "sweep"; ``summary`` is summary.json
    (run/compare) or manifest.json (sweep).
    """

    folder: Path
    kind: str
    summary: dict[str, Any]
    _tables: dict[str, pd.DataFrame | None] = field(default_factory=dict, repr=False)

    HINTS: ClassVar[dict[str, str]] = {
        "citizens": "run with --log to write it",
        "results": "written by hallsim sweep",
    }

    def table(self, name: str, required: bool = True) -> pd.DataFrame | None:
        """``<name>.parquet`` as a DataFrame; ResultsError (or None) when absent."""
        if name not in self._tables:
            path = self.folder / f"{name}.parquet"
            if not path.is_file():
                self._tables[name] = None
            else:
                try:
                    self._tables[name] = pd.read_parquet(path)
                except Exception as exc:
                    raise ResultsError(f"{path}: cannot be read ({exc})") from None
        df = self._tables[name]
        if df is None and required:
            hint = self.HINTS.get(name, "the results folder is incomplete")
            raise ResultsError(f"{self.folder / (name + '.parquet')}: missing ({hint})")
        if df is not None and required and df.empty:
            raise ResultsError(f"{self.folder / (name + '.parquet')}: has no rows")
        return df

    @property
    def scenarios(self) -> list[str]:
        """Scenario names in the order of the command line (baseline first)."""
        if self.kind == "compare":
            return list(self.summary["scenarios"])
        if self.kind == "run":
            return [self.summary["scenario"]]
        return []

    @property
    def meta(self) -> dict[str, Any]:
        return self.summary.get("hallsim", {})

    @property
    def settings(self) -> dict[str, dict]:
        """Scenario settings by name (as in summary.json)."""
        return self.meta.get("scenario_settings", {})

    @property
    def replications(self) -> int:
        return int(self.summary.get("replications", 0))

    def metrics(self, scenario: str) -> dict[str, dict]:
        """The contract's metric block (mean, ci_low, ci_high, sd) of one scenario."""
        if self.kind == "compare":
            return self.summary["metrics"][scenario]
        return self.summary["metrics"]

    def target_min(self, scenario: str) -> float:
        """The scenario's service-level target, minutes (contract default 15)."""
        hall = self.settings.get(scenario, {}).get("hall", {})
        return float(hall.get("service_level_target_min", 15.0))

    def check_columns(self, name: str, columns: Iterable[str]) -> pd.DataFrame:
        df = self.table(name)
        assert df is not None
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise ResultsError(
                f"{self.folder / (name + '.parquet')}: incomplete, no column(s) {missing}"
            )
        return df


def _read_json(path: Path) -> dict:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise ResultsError(f"{path}: expected a JSON object")
    return obj


def load_results(folder: str | os.PathLike | Results) -> Results:
    """Open a results folder written by ``hallsim run``, ``compare`` or ``sweep``.

    Raises ``ResultsError`` naming the folder or file when the folder is
    missing, is not a results folder, or lacks its summary/tables.
    """
    if isinstance(folder, Results):
        return folder
    path = Path(folder)
    if not path.is_dir():
        raise ResultsError(f"{path}: no such results folder")
    manifest = path / "manifest.json"
    if manifest.is_file():
        obj = _read_json(manifest)
        if obj.get("kind") == "sweep":
            res = Results(path, "sweep", obj)
            if res.table("results", required=False) is None and (
                res.table("summary", required=False) is None
            ):
                raise ResultsError(f"{path / 'results.parquet'}: missing (sweep incomplete)")
            return res
    summary = path / "summary.json"
    if not summary.is_file():
        raise ResultsError(
            f"{path}: not a hallsim results folder (no summary.json); "
            f"make one with `hallsim run FILE --out {path}`"
        )
    obj = _read_json(summary)
    meta = obj.get("hallsim")
    if not isinstance(meta, dict) or meta.get("kind") not in ("run", "compare"):
        raise ResultsError(
            f"{summary}: incomplete (no 'hallsim' block with kind run|compare); "
            "rerun hallsim run/compare with --out"
        )
    need = ["metrics", "scenarios" if meta["kind"] == "compare" else "scenario"]
    missing = [k for k in need if k not in obj]
    if missing:
        raise ResultsError(f"{summary}: incomplete, no {missing}")
    res = Results(path, meta["kind"], obj)
    res.check_columns("replications", ["scenario", "replication"])
    return res
