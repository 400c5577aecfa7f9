"""Results on disk and as JSON: the contract's objects and the tidy tables.

A results folder (from ``run`` or ``compare``) holds:

- ``summary.json``: the contract §3 object plus ``hallsim`` metadata (version,
  command, scenario settings, per-matter/per-group summaries);
- ``replications.parquet`` / ``.csv``: one row per (scenario, replication);
- ``periods.parquet``, ``matters.parquet``, ``groups.parquet``: breakdowns per
  replication (``scenario`` and ``replication`` columns);
- ``citizens.parquet`` with ``--log``: one row per citizen visit;
- ``scenarios/<safe name>.toml``: copies of the input files;
- ``.hallsim-results.json``: what hallsim wrote there (see hallsim.resultsdir).

Later commands add to it: ``plots/`` (``plot``), ``report.html`` (``report``),
``results.xlsx`` and ``slides/summary.png`` (``export``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hallsim import __version__
from hallsim.experiment import ExperimentResult
from hallsim.intervals import PREDICTED, interval, interval_note
from hallsim.metrics import METRICS
from hallsim.names import PLOT_KINDS as PLOT_KINDS  # defined there, light to import
from hallsim.resultsdir import ResultsFolder, safe_name
from hallsim.scenario import scenario_to_dict

# Direction of "better" for picking the best scenario.
HIGHER_IS_BETTER = {
    "served",
    "service_level",
    "utilisation",
    "first_contact_resolution",
    "satisfaction_mean",
    "csat",
}


def clean(value: Any) -> Any:
    """JSON-safe: NaN/inf → None, numpy scalars → Python numbers."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def metric_block(summary: dict[str, dict]) -> dict[str, dict]:
    return {m: {k: summary[m][k] for k in ("mean", "ci_low", "ci_high", "sd")} for m in METRICS}


def mark_predicted(obj: Any) -> Any:
    """``obj`` with ``"predicted": true/false`` added to every metric block (a dict with
    "mean" under a metric's name): summary.json says which numbers are model predictions
    (the satisfaction model) rather than simulated counts and times."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in METRICS and isinstance(v, dict) and "mean" in v:
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
    for m in METRICS:
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


def paired_differences(results: list[ExperimentResult], confidence: float = 0.95) -> list[dict]:
    """Scenario − baseline per metric over common random numbers (paired t-interval).

    With more than two scenarios the interval is Bonferroni-adjusted for the
    family of comparisons against the baseline.
    """
    base = results[0]
    k = len(results) - 1
    level = 1 - (1 - confidence) / max(k, 1)
    out = []
    for other in results[1:]:
        for m in METRICS:
            d = (other.replications[m] - base.replications[m]).to_numpy(dtype=float)
            d = d[~np.isnan(d)]
            row = {
                "baseline": base.scenario.name,
                "scenario": other.scenario.name,
                "metric": m,
                "mean": None,
                "ci_low": None,
                "ci_high": None,
                "sd": None,
                "n": len(d),
                "confidence": level,
            }
            if len(d):
                row["mean"] = float(d.mean())
            if len(d) > 1:
                sd = float(d.std(ddof=1))
                low, high = interval(m, row["mean"], sd, len(d), level, difference=True)
                row.update(sd=sd, ci_low=low, ci_high=high)
            out.append(row)
    return out


def best_scenario(results: list[ExperimentResult], metric: str) -> str | None:
    vals = [
        (r.summary[metric]["mean"], r.scenario.name)
        for r in results
        if r.summary[metric]["mean"] is not None
    ]
    if not vals:
        return None
    pick = max if metric in HIGHER_IS_BETTER else min
    return pick(vals)[1]


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


RESULT_FILES = (
    "summary.json",
    "replications.parquet",
    "replications.csv",
    "periods.parquet",
    "periods.csv",
    "matters.parquet",
    "groups.parquet",
    "classes.parquet",
    "citizens.parquet",
)
"""Files a run or compare may write at the top of its folder (scenario copies go in scenarios/)."""


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
