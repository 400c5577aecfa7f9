"""An Excel workbook of a run/compare results folder, for the planner's next step.

``write_workbook(results, path)`` writes one .xlsx (openpyxl) with the sheets

- ``Headline``: every stored metric, mean and 95% interval per scenario;
- ``Differences`` (compare): paired differences to the baseline with intervals;
- ``Periods``: per period of the day, means across replications;
- ``Matters`` and ``Window groups``: per matter / per window group, means across replications;
- ``About``: the command, version, seed and replications behind the numbers.

It computes no new statistics: headline and differences are the numbers in
summary.json, and the breakdown sheets are plain means over the replications
of the stored tables.  Shares are stored as fractions with a per-cent number
format, so a spreadsheet computes with them correctly.

Column headers and sheet names come from ``HEADERS`` through ``header()``;
pass ``labels`` (key -> text, e.g. a Chinese table) to replace any of them.
Metric names come from ``hallsim.plots.METRIC_INFO`` unless ``labels`` has
the metric's name.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from hallsim.plots import METRIC_INFO, is_percent, is_predicted
from hallsim.results import Results, ResultsError

HEADERS: dict[str, str] = {
    # sheet names (Excel allows at most 31 characters)
    "sheet.headline": "Headline",
    "sheet.differences": "Differences",
    "sheet.periods": "Periods",
    "sheet.matters": "Matters",
    "sheet.groups": "Window groups",
    "sheet.about": "About",
    # columns
    "metric": "metric",
    "metric_code": "code",
    "unit": "unit",
    "predicted": "model prediction",
    "mean": "mean",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "scenario": "scenario",
    "baseline": "baseline",
    "difference": "difference (scenario − baseline)",
    "confidence": "confidence",
    "reading": "reading",
    "replications": "replications",
    "period": "period",
    "period_start_min": "period start (min after midnight)",
    "matter": "matter",
    "window_group": "window group",
    "windows": "windows",
    "arrivals": "arrivals",
    "arrived": "arrived",
    "served": "served",
    "abandoned": "abandoned",
    "refused_cap": "refused by a daily cap",
    "wait_mean_min": "mean wait (min)",
    "wait_p90_min": "90th percentile wait (min)",
    "queue_len_mean": "mean queue length (citizens)",
    "staffed_windows": "windows staffed",
    "service_level": "service level",
    "csat": "predicted CSAT",
    "utilisation": "utilisation",
    "utilisation_of": "utilisation: {}",
    "yes": "yes",
    "no": "no",
    "higher": "higher",
    "lower": "lower",
    "no clear difference": "no clear difference",
    "no interval": "no interval",
    "item": "item",
    "value": "value",
    "command": "command",
    "version": "hallsim version",
    "seed": "base seed",
    "folder": "results folder",
    "note": "note",
    "note.text": (
        "Means over the replications with 95% Student-t intervals as stored in summary.json; "
        "breakdown sheets are means over the replications. Satisfaction figures (CSAT, "
        "ratings, complaints) are model predictions, not measurements."
    ),
}
"""Every header and sheet name the workbook shows, by key (English)."""

SHARE_FORMAT = "0.0%"
NUMBER_FORMAT = "0.00"


def header(key: str, labels: Mapping[str, str] | None = None) -> str:
    """The text for ``key``: from ``labels`` if given there, else ``HEADERS``, else the
    metric's name from METRIC_INFO, else the key itself."""
    if labels and key in labels:
        return labels[key]
    if key in HEADERS:
        return HEADERS[key]
    if key.startswith("utilisation[") and key.endswith("]"):
        return header("utilisation_of", labels).format(key[len("utilisation[") : -1])
    return METRIC_INFO.get(key, (key, ""))[0]


def _is_share(column: str) -> bool:
    return is_percent(column) or column.startswith("utilisation")


def _verdict(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return "no interval"
    if lo > 0:
        return "higher"
    if hi < 0:
        return "lower"
    return "no clear difference"


def _unit(metric: str, labels: Mapping[str, str] | None) -> str:
    """A metric's unit; ``labels`` may translate it under the key ``unit:<unit>``."""
    unit = METRIC_INFO.get(metric, ("", ""))[1]
    return (labels or {}).get(f"unit:{unit}", unit)


def headline_table(res: Results, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Metric rows; per scenario its mean and interval (numbers, shares as fractions)."""
    rows = []
    for m in res.metrics(res.scenarios[0]):
        row: dict[str, Any] = {
            header("metric", labels): header(m, labels),
            header("metric_code", labels): m,
            header("unit", labels): _unit(m, labels),
            header("predicted", labels): header("yes" if is_predicted(m) else "no", labels),
        }
        for n in res.scenarios:
            block = res.metrics(n).get(m) or {}
            for key in ("mean", "ci_low", "ci_high"):
                row[f"{n}: {header(key, labels)}"] = block.get(key)
        rows.append(row)
    return pd.DataFrame(rows)


def difference_table(res: Results, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Stored paired differences (scenario − baseline) of every metric summary.json has."""
    diffs = res.meta.get("differences_detail") or res.summary.get("differences") or []
    rows = []
    for d in diffs:
        m = d.get("metric")
        if d.get("mean") is None:
            continue
        rows.append(
            {
                header("scenario", labels): d.get("scenario"),
                header("baseline", labels): d.get("baseline"),
                header("metric", labels): header(m, labels),
                header("metric_code", labels): m,
                header("predicted", labels): header("yes" if is_predicted(m) else "no", labels),
                header("difference", labels): d.get("mean"),
                header("ci_low", labels): d.get("ci_low"),
                header("ci_high", labels): d.get("ci_high"),
                header("confidence", labels): d.get("confidence"),
                header("reading", labels): header(
                    _verdict(d.get("ci_low"), d.get("ci_high")), labels
                ),
            }
        )
    return pd.DataFrame(rows)


def mean_table(res: Results, name: str, keys: list[str]) -> pd.DataFrame | None:
    """Means over the replications of a stored per-replication table, by ``keys``
    (columns keep their stored names; ``replications`` counts what was averaged)."""
    df = res.table(name, required=False)
    if df is None or not len(df):
        return None
    keys = [k for k in keys if k in df.columns]
    values = [
        c
        for c in df.columns
        if c not in (*keys, "replication") and pd.api.types.is_numeric_dtype(df[c])
    ]
    grouped = df.groupby(keys, sort=False)
    out = grouped[values].mean().reset_index()
    out.insert(len(keys), "replications", grouped["replication"].nunique().to_numpy())
    order = {n: i for i, n in enumerate(res.scenarios)}
    if "scenario" in out.columns:
        out = out.sort_values("scenario", key=lambda s: s.map(order), kind="stable")
    return out.reset_index(drop=True)


def about_table(res: Results, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    items = [
        ("command", res.meta.get("command", "")),
        ("version", res.meta.get("version", "")),
        ("seed", res.summary.get("seed")),
        ("replications", res.replications),
        ("folder", str(res.folder)),
        ("note", header("note.text", labels)),
    ]
    return pd.DataFrame(
        [(header(k, labels), v) for k, v in items],
        columns=[header("item", labels), header("value", labels)],
    )


Sheet = tuple[str, pd.DataFrame, list[list[str | None]]]
"""(sheet name, table with its final headers, number format of each data cell)."""


def _formats(df: pd.DataFrame, share: list[list[bool]]) -> list[list[str | None]]:
    floats = [pd.api.types.is_float_dtype(df[c]) for c in df.columns]
    return [
        [
            (SHARE_FORMAT if sh else NUMBER_FORMAT) if f else None
            for f, sh in zip(floats, row, strict=True)
        ]
        for row in share
    ]


def workbook_sheets(res: Results, labels: Mapping[str, str] | None = None) -> list[Sheet]:
    """The workbook's sheets in order, each with per-cell number formats: shares
    (per-cent metrics, utilisation) as 0.0%, other numbers as 0.00."""
    sheets: list[Sheet] = []
    code = header("metric_code", labels)
    conf = header("confidence", labels)
    tables = [("sheet.headline", headline_table(res, labels))]
    if res.kind == "compare":
        tables.append(("sheet.differences", difference_table(res, labels)))
    for key, df in tables:
        if not len(df):
            continue
        share = [[is_percent(m) and c != conf for c in df.columns] for m in df[code]]
        sheets.append((header(key, labels), df, _formats(df, share)))
    for name, keys, key in (
        ("periods", ["scenario", "period_start_min", "period"], "sheet.periods"),
        ("matters", ["scenario", "matter"], "sheet.matters"),
        ("groups", ["scenario", "window_group"], "sheet.groups"),
    ):
        df = mean_table(res, name, keys)
        if df is None:
            continue
        share = [[_is_share(c) for c in df.columns]] * len(df)
        formats = _formats(df, share)
        df = df.rename(columns={c: header(c, labels) for c in df.columns})
        sheets.append((header(key, labels), df, formats))
    about = about_table(res, labels)
    sheets.append((header("sheet.about", labels), about, [[None, None]] * len(about)))
    return sheets


def build_workbook(res: Results, labels: Mapping[str, str] | None = None):
    """The workbook (an ``openpyxl.Workbook``) of a run/compare results folder."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if res.kind == "sweep":
        raise ResultsError(
            f"{res.folder}: a sweep folder; export covers run/compare folders "
            "(a sweep's results.parquet opens in pandas)"
        )
    wb = Workbook()
    wb.remove(wb.active)
    for title, df, formats in workbook_sheets(res, labels):
        ws = wb.create_sheet(title[:31])
        ws.append([str(c) for c in df.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for values, row_formats in zip(df.itertuples(index=False), formats, strict=True):
            ws.append([None if (isinstance(v, float) and pd.isna(v)) else v for v in values])
            for cell, fmt in zip(ws[ws.max_row], row_formats, strict=True):
                if fmt:
                    cell.number_format = fmt
        for j, c in enumerate(df.columns, start=1):
            width = max([len(str(c)), *(len(str(v)) for v in df[c].head(200))])
            ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, width + 2))
        ws.freeze_panes = "B2"
    wb.properties.creator = "hallsim"
    wb.properties.title = " vs ".join(res.scenarios)
    return wb


_DATES = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def workbook_bytes(wb) -> bytes:
    """The .xlsx file: its parts in a fixed order with fixed zip dates and no creation
    dates (same results, same bytes), and docProps/core.xml stored uncompressed first
    so the file begins with its maker ``hallsim`` (resultsdir.SIGNATURE)."""
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w") as dst:
        parts = src.namelist()
        for name in sorted(parts, key=lambda n: (n != "docProps/core.xml", parts.index(n))):
            data = src.read(name)
            core = name == "docProps/core.xml"
            if core:
                data = _DATES.sub(b"", data)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if core else zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()


def write_workbook(
    folder: str | os.PathLike | Results,
    path: str | os.PathLike,
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Write the workbook to ``path`` directly (callers writing into a results folder
    go through ``hallsim.resultsdir``, as ``hallsim export`` does)."""
    from hallsim.results import load_results

    data = workbook_bytes(build_workbook(load_results(folder), labels))
    Path(path).write_bytes(data)
    return Path(path)
