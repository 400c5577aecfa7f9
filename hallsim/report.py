"""A self-contained HTML report of a run/compare results folder (jinja2).

``build_report(folder)`` reads summary.json and the tables through
``hallsim.plots``, embeds the figures as base64 PNG, and fills
``templates/report.html.j2``.  It computes no statistics: every number is
the one stored in summary.json, only formatted.  The HTML needs no network
(no external ``src``/``href``) and prints cleanly.

    from hallsim.report import build_report
    Path("report.html").write_text(build_report("results/ab"), encoding="utf-8")
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any

import jinja2

from hallsim import __version__
from hallsim.fonts import css_font_face, missing_notice
from hallsim.metrics.registry import KEY_METRICS, VISIT_KEY_METRICS
from hallsim.plots import (
    METRIC_INFO,
    Results,
    ResultsError,
    is_percent,
    is_predicted,
    load_results,
    metric_label,
    render,
    save_figure,
)
from hallsim.replay import replay_context

FONT_FACE_SLOT = "<!-- hallsim:font-face -->"

REPORT_FIGURES = (
    (
        "compare",
        "Key metrics with 95% confidence intervals",
        "Top: each scenario's mean over the replications with its 95% Student-t interval. "
        "Bottom (comparisons): the paired difference to the baseline over common random "
        "numbers; a hollow marker means the interval includes 0 (no clear difference).",
    ),
    (
        "waits",
        "How long citizens wait",
        "Share of citizens called within a given wait; the dashed line is the service-level "
        "target and the dot on each curve is that scenario's service level.",
    ),
    (
        "day",
        "Over the day",
        "Queue length and mean wait by period (mean across replications with 95% bands); "
        "dotted: windows staffed.",
    ),
    (
        "utilisation",
        "Window utilisation by group and period",
        "Busy time ÷ staffed time of each window group in each period, mean across replications.",
    ),
    (
        "satisfaction",
        "Predicted satisfaction (model prediction)",
        "Predicted share of ratings 1–2, 3 and 4–5 on the 1–5 scale. These are outputs of the "
        "satisfaction model below, not survey measurements.",
    ),
)
"""(kind, heading, caption) of each figure in the report, in order."""

DIFFERENCE_METRICS = KEY_METRICS
"""Metrics listed in the paired-differences table (all are in summary.json)."""


# --------------------------------------------------------------------------- formatting


def fmt_value(metric: str, value: float | None, *, diff: bool = False) -> str:
    """A stored metric value for display: shares in %, differences of shares in pp."""
    if value is None:
        return "—"
    if is_percent(metric):
        return f"{100 * value:+.1f} pp" if diff else f"{100 * value:.1f}%"
    if diff:
        return f"{value:+.2f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.2f}"


def fmt_interval(metric: str, block: dict | None, *, diff: bool = False) -> str:
    """'mean [ci_low, ci_high]' from a stored metric block."""
    if not block or block.get("mean") is None:
        return "—"
    text = fmt_value(metric, block["mean"], diff=diff)
    if block.get("ci_low") is not None and block.get("ci_high") is not None:
        lo = fmt_value(metric, block["ci_low"], diff=diff)
        hi = fmt_value(metric, block["ci_high"], diff=diff)
        text += f" [{lo}, {hi}]"
    return text


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        if "dist" in value:
            rest = ", ".join(f"{k} {_plain(v)}" for k, v in value.items() if k != "dist")
            return f"{value['dist']} ({rest})" if rest else str(value["dist"])
        return " · ".join(f"{k} {_plain(v)}" for k, v in value.items())
    return str(value)


def _flatten(settings: dict[str, Any]) -> dict[str, str]:
    """One scenario's settings as 'section.key' → text (matters/windows keyed by name)."""
    out: dict[str, str] = {}
    for section, value in settings.items():
        if section in ("name", "satisfaction"):
            continue
        if section == "matters" and isinstance(value, list):
            for m in value:
                share = m.get("share")
                share_txt = f"{100 * share:.0f}% of demand" if isinstance(share, float) else ""
                service = _plain(m.get("service_min"))
                out[f"matter: {m.get('name')}"] = f"{share_txt}; service {service} min"
        elif section == "windows" and isinstance(value, list):
            for w in value:
                parts = [f"{w.get('count')} × serving {_plain(w.get('matters'))}"]
                parts += [
                    f"{k.replace('_', ' ')} {_plain(v)}"
                    for k, v in w.items()
                    if k not in ("name", "count", "matters")
                ]
                out[f"windows: {w.get('name')}"] = "; ".join(parts)
        elif isinstance(value, dict):
            for k, v in value.items():
                out[f"{section}.{k}"] = _plain(v)
        else:
            out[section] = _plain(value)
    return out


def settings_rows(res: Results) -> list[dict[str, Any]]:
    """Scenario settings side by side: key, one text per scenario, whether they differ."""
    flat = {n: _flatten(res.settings.get(n, {})) for n in res.scenarios}
    keys: list[str] = []
    for f in flat.values():
        keys += [k for k in f if k not in keys]
    # keep each section together (a window group only one scenario has sits with the others)
    sections: list[str] = []
    for k in keys:
        sec = k.split(":")[0].split(".")[0]
        if sec not in sections:
            sections.append(sec)
    keys.sort(key=lambda k: sections.index(k.split(":")[0].split(".")[0]))
    rows = []
    for k in keys:
        values = [flat[n].get(k, "—") for n in res.scenarios]
        rows.append({"key": k, "cells": values, "differs": len(set(values)) > 1})
    return rows


def headline_rows(res: Results) -> list[dict[str, Any]]:
    """Every stored metric: label, unit, mean [95% CI] per scenario; a cell whose
    interval has a note (cut at the metric's range, all replications equal) ends in
    " *" and ``notes`` lists them."""
    names = res.scenarios
    metrics = list(res.metrics(names[0]))
    stored = (res.summary.get("hallsim") or {}).get("interval_notes") or {}
    rows = []
    for m in metrics:
        label, unit = METRIC_INFO.get(m, (m, ""))
        notes = {n: stored.get(n, {}).get(m) for n in names}
        rows.append(
            {
                "metric": m,
                "label": label,
                "unit": unit,
                "predicted": is_predicted(m),
                "cells": [
                    fmt_interval(m, res.metrics(n).get(m)) + (" *" if notes[n] else "")
                    for n in names
                ],
                "notes": sorted({v for v in notes.values() if v}),
            }
        )
    return rows


def glance(res: Results) -> list[str]:
    """One line per scenario from stored means, e.g. 'mean wait 4.7 min [4.0, 5.5], ...'."""
    lines = []
    for n in res.scenarios:
        m = res.metrics(n)
        parts = []
        w = m.get("wait_mean_min", {})
        if w.get("mean") is not None:
            parts.append(f"mean wait {fmt_interval('wait_mean_min', w)} min")
        sl = m.get("service_level", {}).get("mean")
        if sl is not None:
            parts.append(f"{100 * sl:.0f}% called within {res.target_min(n):g} min")
        ab = m.get("abandoned", {}).get("mean")
        if ab:
            parts.append(f"{ab:.1f} abandoned")
        csat = m.get("csat", {}).get("mean")
        if csat is not None:
            parts.append(f"predicted CSAT {100 * csat:.0f}%")
        lines.append(f"{n}: " + ", ".join(parts))
    return lines


def difference_rows(res: Results) -> list[dict[str, Any]]:
    """Stored paired differences (scenario − baseline) of the key metrics."""
    if res.kind != "compare":
        return []
    diffs = res.meta.get("differences_detail") or res.summary.get("differences") or []
    rows = []
    for d in diffs:
        m = d.get("metric")
        if m not in (*DIFFERENCE_METRICS, *VISIT_KEY_METRICS) or d.get("mean") is None:
            continue
        lo, hi = d.get("ci_low"), d.get("ci_high")
        if lo is None or hi is None:
            verdict = "no interval"
        elif lo > 0:
            verdict = "higher"
        elif hi < 0:
            verdict = "lower"
        else:
            verdict = "no clear difference"
        rows.append(
            {
                "pair": f"{d['scenario']} − {d['baseline']}",
                "label": metric_label(m, difference=True),
                "predicted": is_predicted(m),
                "text": fmt_interval(m, d, diff=True),
                "verdict": verdict,
                "confidence": d.get("confidence"),
            }
        )
    return rows


def assumption_rows(res: Results) -> tuple[list[dict[str, Any]], str]:
    """The satisfaction model's coefficients with the values these scenarios used.

    Reads ``hallsim.satisfaction.COEFFICIENTS`` (name, meaning, unit, kind,
    source, default); without it, the values stored in summary.json only.
    Returns (rows, note).
    """
    used = {n: res.settings.get(n, {}).get("satisfaction", {}) for n in res.scenarios}
    from hallsim import satisfaction

    coefficients: list[Any] = list(satisfaction.COEFFICIENTS)
    rows = []
    if coefficients:
        for c in coefficients:
            name = getattr(c, "name", None) or str(c)
            values = [_plain(used[n].get(name)) if name in used[n] else "—" for n in used]
            rows.append(
                {
                    "name": name,
                    "meaning": getattr(c, "meaning", ""),
                    "unit": getattr(c, "unit", ""),
                    "cells": values,
                    "default": _plain(getattr(c, "default", None)),
                    "kind": getattr(c, "kind", ""),
                    "source": getattr(c, "source", "") or "assumption",
                }
            )
        note = (
            "Coefficients of the predicted-satisfaction model (hallsim.satisfaction): "
            "'sourced' and 'derived' values cite their evidence; 'assumption' marks a value "
            "chosen without direct evidence."
        )
    else:
        keys: list[str] = []
        for u in used.values():
            keys += [k for k in u if k not in keys]
        for k in keys:
            rows.append(
                {
                    "name": k,
                    "meaning": "",
                    "unit": "",
                    "cells": [_plain(used[n].get(k)) for n in used],
                    "default": "",
                    "kind": "",
                    "source": "not documented in this installation (see docs/model.md)",
                }
            )
        note = (
            "The satisfaction model's documented coefficient list is not available in this "
            "installation; the values the scenarios used are shown without sources."
        )
    names = list(used)
    for r in rows:
        r["differs"] = len(set(r["cells"])) > 1
        r["value"] = (
            "; ".join(f"{n}: {v}" for n, v in zip(names, r["cells"], strict=True))
            if r["differs"]
            else r["cells"][0]
        )
    return rows, note


def attitude_rows(res: Results) -> list[dict[str, Any]]:
    """The attitude-effect coefficients (queue side) with the values these scenarios used."""
    from hallsim.robustness import ATTITUDE_COEFFICIENTS
    from hallsim.scenario import AttitudeEffects

    used = {n: res.settings.get(n, {}).get("attitude_effects", {}) for n in res.scenarios}
    fields = AttitudeEffects.model_fields
    rows = []
    for c in ATTITUDE_COEFFICIENTS:
        cells = [_plain(u.get(c.name)) if c.name in u else "—" for u in used.values()]
        differs = len(set(cells)) > 1
        default = fields[c.name].default if c.name in fields else None
        rows.append(
            {
                "name": c.name,
                "value": "; ".join(f"{n}: {v}" for n, v in zip(used, cells, strict=True))
                if differs
                else cells[0],
                "differs": differs,
                "default": _plain(default),
                "neutral": c.neutral,
                "kind": c.kind,
                "source": c.source,
            }
        )
    return rows


def robustness_context(res: Results) -> dict[str, Any] | None:
    """The stored robustness check: its one-line answer, per-metric verdicts, tornado
    figures (mean wait and predicted CSAT)."""
    check = res.summary.get("robustness")
    if not check:
        return None
    verdicts = []
    for v in check.get("verdicts", []):
        flips = "; ".join(
            f"{c['assumption']} = {_plain(c['value'])} → {c['best']}" for c in v["changes"]
        )
        verdicts.append(
            {
                "label": metric_label(v["metric"]),
                "predicted": is_predicted(v["metric"]),
                "best": v["best"],
                "robust": v["robust"],
                "flips": flips or "never",
                "ranking": " > ".join(v.get("ranking", [])),
                "reorders": "; ".join(
                    f"{c['assumption']} = {_plain(c['value'])} → {' > '.join(c['ranking'])}"
                    for c in v.get("ranking_changes", [])
                )
                or "never",
            }
        )
    figures = []
    from hallsim.plots import plot_tornado

    for m in ("wait_mean_min", "csat"):
        if m not in check.get("tornado", {}):
            continue
        buf = io.BytesIO()
        save_figure(plot_tornado(res, m), buf, "png")
        figures.append(
            {
                "metric": m,
                "heading": f"Tornado: {metric_label(m)}",
                "src": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(),
            }
        )
    return {
        "sentence": check.get("sentence", ""),
        "sentence_zh": check.get("sentence_zh", ""),
        "verdicts": verdicts,
        "figures": figures,
        "tried": len({r["assumption"] for r in check.get("rows", [])}),
    }


def decomposition_rows(res: Results) -> list[dict[str, Any]]:
    """Stored split of each mean-wait difference into return visits and the rest."""
    rows = []
    for d in res.summary.get("wait_decomposition", []) or []:

        def text(key: str, d=d) -> str:
            lo, hi = d.get(f"{key}_ci") or (None, None)
            return fmt_interval(
                "wait_mean_min", {"mean": d[key], "ci_low": lo, "ci_high": hi}, diff=True
            )

        share = d.get("returns_share")
        rows.append(
            {
                "pair": f"{d['scenario']} − {d['baseline']}",
                "total": text("total"),
                "returns": text("returns"),
                "rest": text("rest"),
                "share": "—" if share is None else f"{100 * share:.0f}%",
            }
        )
    return rows


def _png_data_uri(res: Results, kind: str) -> tuple[str, list[str]]:
    """The figure as a PNG data URI, and the characters no font could draw in it."""
    fig = render(res, kind)
    buf = io.BytesIO()
    save_figure(fig, buf, "png")
    src = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return src, list(getattr(fig, "hallsim_missing_glyphs", []))


STATION_FIGURE = (
    "stations",
    "Time at each station / 各环节用时",
    "Per station (reception, windows, pick-up): the mean wait (light) and service (dark) "
    "per queue joined, with the 95% interval of the time there (docs/visits.md).",
)


def station_rows(res: Results) -> list[dict[str, Any]]:
    """Per scenario and station: queues joined, wait, time there, number there,
    utilisation (means over replications); empty without stations.parquet."""
    st = res.table("stations", required=False)
    if st is None or st.empty:
        return []
    if "scenario" not in st.columns:
        st = st.assign(scenario=res.scenarios[0])
    means = st.groupby(["scenario", "station"], sort=False).mean(numeric_only=True)
    return [
        {
            "scenario": scenario,
            "station": station,
            "arrived": f"{row['arrived']:.1f}",
            "wait": f"{row['wait_mean_min']:.2f}",
            "time": f"{row['time_at_station_mean_min']:.2f}",
            "number": f"{row['in_station_mean']:.2f}",
            "utilisation": f"{100 * row['utilisation']:.0f}%",
        }
        for (scenario, station), row in means.iterrows()
    ]


def figure_items(res: Results) -> list[dict[str, str]]:
    """Each report figure as a PNG data URI, or the reason it is not available."""
    items = []
    figures = REPORT_FIGURES
    if res.table("stations", required=False) is not None:
        figures = (*figures, STATION_FIGURE)
    for kind, heading, caption in figures:
        item = {"kind": kind, "heading": heading, "caption": caption, "src": "", "missing": ""}
        try:
            item["src"], glyphs = _png_data_uri(res, kind)
            item["missing_glyphs"] = missing_notice(glyphs) if glyphs else ""
        except ResultsError as exc:
            item["missing"] = str(exc)
        items.append(item)
    return items


def provenance(res: Results) -> dict[str, Any]:
    """Command, versions, seeds and replications that produced the results."""
    reps = res.table("replications")
    assert reps is not None
    seeds: dict[str, str] = {}
    for n in res.scenarios:
        d = reps[reps["scenario"] == n]
        if "seed" in d.columns and len(d):
            base = sorted({int(s) for s in d["seed"]})
            ids = sorted(int(r) for r in d["replication"])
            span = f"{ids[0]}–{ids[-1]}" if len(ids) > 1 else str(ids[0])
            seeds[n] = (
                f"seed {', '.join(map(str, base))}, replications {span}: {len(ids)} "
                "independent sets of random streams, each derived from (seed, replication)"
            )
    files = sorted(p.name for p in (res.folder / "scenarios").glob("*.toml"))
    return {
        "command": res.meta.get("command", "—"),
        "version": res.meta.get("version", "—"),
        "report_version": __version__,
        "seed": res.summary.get("seed"),
        "replications": res.summary.get("replications"),
        "seeds": seeds,
        "folder": str(res.folder),
        "files": files,
    }


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("hallsim", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def build_report(folder: str | os.PathLike | Results) -> str:
    """The HTML report of a run/compare results folder (a str; nothing is written).

    Raises ``ResultsError`` when the folder is missing or incomplete, or is a
    sweep folder (use ``hallsim plot --kind sweep`` there).
    """
    res = load_results(folder)
    if res.kind == "sweep":
        raise ResultsError(
            f"{res.folder}: a sweep folder; the report covers run/compare folders "
            "(plot a sweep with: hallsim plot DIR --kind sweep --metric M)"
        )
    names = res.scenarios
    assumptions, assumptions_note = assumption_rows(res)
    best = res.summary.get("best") if res.kind == "compare" else None
    context = {
        "title": (" vs ".join(names) if len(names) > 1 else names[0]),
        "kind": res.kind,
        "scenarios": names,
        "baseline": names[0] if res.kind == "compare" else None,
        "replications": res.replications,
        "best": best,
        "best_label": metric_label(best["metric"]) if best and best.get("metric") else "",
        "glance": glance(res),
        "descriptions": [res.settings.get(n, {}).get("description", "") for n in names],
        "settings": settings_rows(res),
        "headline": headline_rows(res),
        "differences": difference_rows(res),
        "bonferroni": len(names) > 2,
        "figures": figure_items(res),
        "assumptions": assumptions,
        "assumptions_note": assumptions_note,
        "attitude_assumptions": attitude_rows(res),
        "robustness": robustness_context(res),
        "decomposition": decomposition_rows(res),
        "stations": station_rows(res),
        "provenance": provenance(res),
        "replay": replay_context(res),
    }
    html = _environment().get_template("report.html.j2").render(**context)
    # Chinese text shows on a machine without a CJK font: the bundled font, subset to this page
    return html.replace(FONT_FACE_SLOT, f"<style>{css_font_face(html)}</style>", 1)


def write_report(folder: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Build the report and write it (default ``FOLDER/report.html``); returns the path."""
    html = build_report(folder)
    path = Path(out) if out else Path(folder) / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
