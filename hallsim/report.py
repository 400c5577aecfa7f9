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

from hallsim import __version__, decision, i18n
from hallsim.fonts import css_font_face, missing_notice
from hallsim.i18n import t
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
    ("compare", "report.fig.compare", "report.fig.compare.caption"),
    ("waits", "report.fig.waits", "report.fig.waits.caption"),
    ("day", "report.fig.day", "report.fig.day.caption"),
    ("matters", "report.fig.matters", "report.fig.matters.caption"),
    ("utilisation", "report.fig.utilisation", "report.fig.utilisation.caption"),
    ("satisfaction", "report.fig.satisfaction", "report.fig.satisfaction.caption"),
    ("clerks", "report.fig.clerks", "report.fig.clerks.caption"),
)
"""(kind, heading, caption) of each figure in the report, in order: message ids of
hallsim.i18n."""

TEXT = i18n.Table("report.t.")
"""User-visible words of this module that are not metric labels (hallsim.i18n)."""

LOG_FIGURES = frozenset({"matters"})
"""Report figures drawn from citizens.parquet only (``--log``)."""

DIFFERENCE_METRICS = KEY_METRICS
"""Metrics listed in the paired-differences table (all are in summary.json)."""


# --------------------------------------------------------------------------- formatting


def fmt_value(metric: str, value: float | None, *, diff: bool = False) -> str:
    """A stored metric value for display: shares in %, differences of shares in pp."""
    if value is None:
        return "—"
    if is_percent(metric):
        return f"{100 * value:+.1f} {t('pp')}" if diff else f"{100 * value:.1f}%"
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
        return t("yes") if value else t("no")
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


def _flatten(settings: dict[str, Any], replications: int | None = None) -> dict[str, str]:
    """One scenario's settings as 'section.key' → text (matters/windows keyed by name);
    ``run.replications`` is the number actually run (the command line may override
    the file's)."""
    out: dict[str, str] = {}
    for section, value in settings.items():
        if section in ("name", "satisfaction"):
            continue
        if section == "matters" and isinstance(value, list):
            for m in value:
                share = m.get("share")
                share_txt = (
                    t("settings.matter_share", share=f"{100 * share:.0f}")
                    if isinstance(share, float)
                    else ""
                )
                service = t("settings.service", service=_plain(m.get("service_min")))
                out[f"matter: {m.get('name')}"] = f"{share_txt}; {service}"
        elif section == "windows" and isinstance(value, list):
            for w in value:
                parts = [
                    t("settings.serving", count=w.get("count"), matters=_plain(w.get("matters")))
                ]
                parts += [
                    f"{k.replace('_', ' ')} {_plain(v)}"
                    for k, v in w.items()
                    if k not in ("name", "count", "matters")
                ]
                out[f"windows: {w.get('name')}"] = "; ".join(parts)
        elif isinstance(value, dict):
            for k, v in value.items():
                out[f"{section}.{k}"] = _plain(v)
                if (section, k) == ("run", "replications") and replications is not None:
                    out[f"{section}.{k}"] = (
                        str(replications)
                        if v == replications
                        else TEXT["reps_run"].format(run=replications, file=_plain(v))
                    )
        else:
            out[section] = _plain(value)
    return out


def _key_text(key: str) -> str:
    """A settings row's name: the scenario key (code), in Chinese with its Chinese name."""
    if i18n.current() != "zh":
        return key
    for prefix, section in (("matter: ", "matters"), ("windows: ", "windows")):
        if key.startswith(prefix):
            return f"{i18n.scenario_key_zh(section)}：{key[len(prefix) :]}"
    name = i18n.scenario_key_zh(key)
    return f"{key}（{name}）" if name else key


def settings_rows(res: Results) -> list[dict[str, Any]]:
    """Scenario settings side by side: key, one text per scenario, whether they differ."""
    flat = {n: _flatten(res.settings.get(n, {}), res.replications) for n in res.scenarios}
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
        rows.append(
            {"key": k, "name": _key_text(k), "cells": values, "differs": len(set(values)) > 1}
        )
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
        label, unit = (i18n.metric_label(m), i18n.unit(m)) if m in METRIC_INFO else (m, "")
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
                "notes": sorted({i18n.interval_note(v) for v in notes.values() if v}),
            }
        )
    return rows


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
        judgement = decision.judge(d, m)
        verdict = decision.TEXT.get(judgement, "") or TEXT["higher" if d["mean"] > 0 else "lower"]
        rows.append(
            {
                "pair": f"{d['scenario']} − {d['baseline']}",
                "label": metric_label(m, difference=True),
                "predicted": is_predicted(m),
                "text": fmt_interval(m, d, diff=True),
                "verdict": verdict,
                "judgement": judgement,
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
        note = t("report.sat_note")
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
        note = t("report.sat_note_missing")
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
                "heading": t("report.tornado", label=metric_label(m)),
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


def breakdown_rows(res: Results, view: str) -> list[dict[str, Any]]:
    """Per matter (``view='matters'``) or per window group (``'groups'``): one row per
    name with a cell per scenario, from the stored breakdowns in summary.json (means over
    the replications).  Matters: average wait · share called within target · predicted
    CSAT; groups: windows · average wait · busy share."""
    stored = res.meta.get("breakdowns") or {}
    key = "matter" if view == "matters" else "window_group"
    names: list[str] = []
    by: dict[str, dict[str, dict]] = {}
    for n in res.scenarios:
        for row in (stored.get(n) or {}).get(view, []) or []:
            name = str(row.get(key))
            if name not in names:
                names.append(name)
            by.setdefault(name, {})[n] = row
    rows = []
    for name in names:
        cells = []
        for n in res.scenarios:
            r = by[name].get(n)
            if r is None:
                cells.append("—")
                continue
            parts = [fmt_short("wait_mean_min", r.get("wait_mean_min"))]
            if view == "matters":
                parts.append(fmt_short("service_level", r.get("service_level")))
                if r.get("csat") is not None:
                    parts.append(fmt_short("csat", r.get("csat")))
            else:
                parts.insert(0, TEXT["windows_n"].format(n=f"{r.get('windows', 0):g}"))
                parts.append(fmt_short("utilisation", r.get("utilisation")))
            cells.append(" · ".join(parts))
        rows.append({"name": name, "cells": cells})
    return rows


def fmt_short(metric: str, value: float | None) -> str:
    """A breakdown value: shares as whole per cent, minutes with one decimal."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if is_percent(metric):
        return f"{100 * value:.0f}%"
    return f"{value:.1f} min" if metric.endswith("_min") else f"{value:.1f}"


def _png_data_uri(res: Results, kind: str) -> tuple[str, list[str]]:
    """The figure as a PNG data URI, and the characters no font could draw in it."""
    fig = render(res, kind)
    buf = io.BytesIO()
    save_figure(fig, buf, "png")
    src = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return src, list(getattr(fig, "hallsim_missing_glyphs", []))


STATION_FIGURE = ("stations", "report.fig.stations", "report.fig.stations.caption")


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
    has_log = res.table("citizens", required=False) is not None
    figures = REPORT_FIGURES
    if res.table("stations", required=False) is not None:
        figures = (*figures, STATION_FIGURE)
    for kind, heading, caption in figures:
        if kind == "clerks" and res.table("clerks", required=False) is None:
            continue  # only halls whose clerks differ have the table
        if kind in LOG_FIGURES and not has_log:
            continue  # a folder without the citizen log: the figure is left out, not "missing"
        item = {
            "kind": kind,
            "heading": t(heading),
            "caption": t(caption),
            "src": "",
            "missing": "",
        }
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
            seeds[n] = t("report.seeds", seeds=", ".join(map(str, base)), span=span, n=len(ids))
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


def build_report(
    folder: str | os.PathLike | Results, title: str | None = None, lang: str | None = None
) -> str:
    """The HTML report of a run/compare results folder (a str; nothing is written).

    ``lang`` (en, zh) chooses its language; default ``hallsim.i18n.current()``.
    Raises ``ResultsError`` when the folder is missing or incomplete, or is a
    sweep folder (use ``hallsim plot --kind sweep`` there).
    """
    res = load_results(folder)
    first = res.settings.get(res.scenarios[0], {}) if res.scenarios else {}
    with i18n.using(lang, (first.get("report") or {}).get("lang")):
        return _build_report(res, title)


def _build_report(res: Results, title: str | None) -> str:
    if res.kind == "sweep":
        return build_sweep_report(res, title)
    names = res.scenarios
    assumptions, assumptions_note = assumption_rows(res)
    context = {
        "title": decision.question(res, title),
        "verdict": decision.verdict(res),
        "tiles": decision.tiles(res),
        "plain_rows": decision.plain_rows(res),
        "matters": breakdown_rows(res, "matters"),
        "groups": breakdown_rows(res, "groups"),
        "t": t,
        "html_lang": "zh-CN" if i18n.current() == "zh" else "en",
        "kind": res.kind,
        "scenarios": names,
        "baseline": names[0] if res.kind == "compare" else None,
        "replications": res.replications,
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


SWEEP_METRICS = ("wait_mean_min", "service_level", "abandoned", "csat", "staff_hours")
"""The columns of a sweep report's table and its tiles (those the sweep has)."""


def build_sweep_report(res: Results, title: str | None = None) -> str:
    """The HTML report of a sweep folder: the question, a verdict naming the best and
    worst setting per key metric, tiles, one row per setting and the sweep figures."""
    from hallsim.plots import _sweep_params, _sweep_scenario, _sweep_table, param_label, plot_sweep

    hall = _sweep_scenario(res).get("hall") or {}
    target = f"{float(hall.get('service_level_target_min', 15.0)):g}"

    def what(m: str) -> str:
        return decision.VERDICT_WHAT.get(m, metric_label(m)).format(target=target)

    def short(m: str) -> str:
        return decision.TILE_TITLES.get(m, metric_label(m)).format(target=target)

    params = _sweep_params(res)
    if not params:
        raise ResultsError(f"{res.folder / 'manifest.json'}: no swept parameters")
    labels = [param_label(res, p) for p in params]
    tables: dict[str, Any] = {}
    for m in SWEEP_METRICS:
        try:
            tables[m] = _sweep_table(res, m, params).reset_index(drop=True)
        except ResultsError:
            continue
    if not tables:
        raise ResultsError(f"{res.folder}: none of the metrics {SWEEP_METRICS}")
    first = next(iter(tables.values()))

    def setting(i: int, frame) -> str:
        return ", ".join(
            f"{lab} = {_plain(frame.iloc[i][p])}" for lab, p in zip(labels, params, strict=True)
        )

    tiles, clauses = [], []
    for m, tab in tables.items():
        sign = decision.direction(m)
        if sign == 0 or tab["mean"].isna().all():
            continue
        best = int((tab["mean"] * -sign).idxmin())
        worst = int((tab["mean"] * -sign).idxmax())
        cells = []
        cost = m in decision.COST_METRICS
        ends = (
            (best, TEXT["lowest" if cost else "best"], "better"),
            (worst, TEXT["highest" if cost else "worst"], "worse"),
        )
        for i, word, judgement in ends:
            row = tab.iloc[i]
            block = {"mean": row["mean"], "ci_low": row["ci_low"], "ci_high": row["ci_high"]}
            cells.append(
                {
                    "scenario": setting(i, tab),
                    "value": decision.fmt(m, row["mean"]),
                    "range": decision.fmt_range(m, block),
                    "word": word,
                    "judgement": judgement,
                }
            )
        tiles.append(
            {
                "metric": m,
                "title": short(m),
                "predicted": is_predicted(m),
                "cells": cells,
            }
        )
        if m in ("wait_mean_min", "service_level"):
            clauses.append(
                TEXT["sweep_range"].format(
                    what=what(m),
                    lo=decision.fmt(m, tab["mean"].min()),
                    hi=decision.fmt(m, tab["mean"].max()),
                    best=setting(best, tab),
                )
            )
    rows = []
    for i in range(len(first)):
        cells = []
        for m, tab in tables.items():
            r = tab.iloc[i]
            block = {"mean": r["mean"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]}
            cells.append(
                {"value": decision.fmt(m, r["mean"]), "range": decision.fmt_range(m, block)}
            )
        rows.append({"params": [_plain(first.iloc[i][p]) for p in params], "cells": cells})
    figures = []
    for m in tables:
        if m not in ("wait_mean_min", "service_level", "csat"):
            continue
        buf = io.BytesIO()
        save_figure(plot_sweep(res, m), buf, "png")
        figures.append(
            {
                "metric": m,
                "heading": metric_label(m),
                "src": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(),
            }
        )
    question = title or TEXT["sweep_question"].format(
        what=TEXT["and"].join(what(m) for m in list(tables)[:2]), params=TEXT["and"].join(labels)
    )
    grid = res.summary.get("grid") or {}
    context = {
        "title": question,
        "verdict": (TEXT["sep"].join(clauses) + TEXT["end"])[:1].upper()
        + (TEXT["sep"].join(clauses) + TEXT["end"])[1:]
        if clauses
        else "",
        "tiles": tiles,
        "points": len(first),
        "replications": res.replications,
        "param_labels": labels,
        "metric_labels": [short(m) for m in tables],
        "rows": rows,
        "figures": figures,
        "provenance": {
            "command": res.summary.get("command", "—"),
            "version": res.summary.get("version", "—"),
            "report_version": __version__,
            "seed": res.summary.get("seed"),
            "grid": [
                (f"{lab} ({p})", _plain(grid.get(p))) for lab, p in zip(labels, params, strict=True)
            ],
            "folder": str(res.folder),
        },
    }
    html_lang = "zh-CN" if i18n.current() == "zh" else "en"
    html = (
        _environment()
        .get_template("sweep_report.html.j2")
        .render(**context, t=t, html_lang=html_lang)
    )
    return html.replace(FONT_FACE_SLOT, f"<style>{css_font_face(html)}</style>", 1)


def _figure_src(fig) -> str:
    buf = io.BytesIO()
    save_figure(fig, buf, "png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _brief(context: dict[str, Any]) -> str:
    html_lang = "zh-CN" if i18n.current() == "zh" else "en"
    html = (
        _environment()
        .get_template("brief_report.html.j2")
        .render(**context, t=t, html_lang=html_lang)
    )
    return html.replace(FONT_FACE_SLOT, f"<style>{css_font_face(html)}</style>", 1)


def build_staff_report(advice: dict[str, Any], title: str | None = None) -> str:
    """The HTML report of the staffing advisor (``hallsim staff --json`` as a dict): the
    question, the verdict (staff-hours advised vs Erlang vs as written, the whole-day
    figure), the roster chart and one row per period."""
    from hallsim.plots import plot_roster

    metric = str(advice.get("metric", ""))
    name = str(advice.get("scenario", ""))
    target = str(advice.get("target", ""))
    day = advice.get("day") or {}
    hours = advice.get("staff_hours")
    verdict = TEXT["staff_verdict"].format(
        name=name,
        target=target,
        hours=_plain(hours),
        erlang=_plain(advice.get("staff_hours_erlang")),
        written=_plain(advice.get("staff_hours_as_written")),
        day=decision.fmt(metric, day.get("mean")),
        range=decision.fmt_range(metric, day),
    )
    groups = [str(g) for g in advice.get("groups") or []]
    headers = [TEXT["period"]]
    headers += [f"{g}: {TEXT['advised']} ({TEXT['erlang']})" for g in groups]
    headers += [metric_label(metric)]
    rows = []
    for p in advice.get("periods") or []:
        cells = [str(p.get("period", ""))]
        cells += [
            f"{a} ({e})" for a, e in zip(p.get("advised", []), p.get("erlang", []), strict=False)
        ]
        block = p.get(metric) or {}
        cells.append(
            f"{decision.fmt(metric, block.get('mean'))} [{decision.fmt_range(metric, block)}]"
        )
        rows.append(cells)
    return _brief(
        {
            "kind": TEXT["kind_staffing"],
            "title": title or TEXT["staff_question"].format(name=name, target=target),
            "sub": TEXT["staff_sub"].format(
                reps=advice.get("replications"), seed=advice.get("seed")
            ),
            "verdict": verdict,
            "tiles": [],
            "note": " ".join(i18n.staff_note(n) for n in advice.get("notes") or []),
            "figures": [
                {
                    "heading": TEXT["roster_heading"],
                    "src": _figure_src(plot_roster(advice)),
                    "caption": TEXT["roster_caption"],
                }
            ],
            "table": {"heading": TEXT["per_period"], "headers": headers, "rows": rows},
            "provenance": {
                TEXT["prov_scenario"]: name,
                TEXT["prov_target"]: target,
                TEXT["prov_replications"]: _plain(advice.get("replications")),
                TEXT["prov_seed"]: _plain(advice.get("seed")),
                TEXT["prov_rosters"]: _plain(advice.get("rosters_simulated")),
                TEXT["prov_staffed"]: "; ".join(
                    f"{g}: {_plain(w.get('staffed'))}"
                    for g, w in (advice.get("windows") or {}).items()
                ),
                "report_version": __version__,
            },
        }
    )


SENSITIVITY_FIGURES = ("wait_mean_min", "csat")
"""Metrics of the sensitivity report's tornado charts."""


def build_sensitivity_report(sensitivity: dict[str, Any], title: str | None = None) -> str:
    """The HTML report of ``hallsim sensitivity --json`` (as a dict): which assumptions
    move the mean wait and predicted CSAT most (tornado charts) and every row."""
    from hallsim.plots import plot_sensitivity

    name = str(sensitivity.get("scenario", ""))
    rows_in = sensitivity.get("rows") or []
    swings = []
    for m in SENSITIVITY_FIGURES:
        spans: dict[str, float] = {}
        for r in rows_in:
            v = r.get(f"{m}_change")
            if isinstance(v, int | float) and v == v and r.get("assumption") != "(base)":
                spans[r["assumption"]] = max(spans.get(r["assumption"], 0.0), abs(float(v)))
        if spans:
            top = max(spans, key=spans.__getitem__)
            swings.append(
                TEXT["sens_clause"].format(
                    what=decision.VERDICT_WHAT.get(m, metric_label(m)).format(target=""),
                    top=top,
                    amount=decision.fmt(m, spans[top], diff=True).lstrip("+"),
                )
            )
    figures = []
    for m in SENSITIVITY_FIGURES:
        try:
            figures.append(
                {
                    "heading": f"{TEXT['tornado']}: {metric_label(m)}",
                    "src": _figure_src(plot_sensitivity(sensitivity, m)),
                    "caption": TEXT["sens_caption"],
                }
            )
        except ResultsError:
            continue
    headers = [TEXT["assumption"], TEXT["value"], TEXT["base"]]
    headers += [metric_label(m, difference=True) for m in SENSITIVITY_FIGURES]
    rows = []
    for r in rows_in:
        if r.get("assumption") == "(base)":
            continue
        cells = [str(r["assumption"]), _plain(r.get("value")), _plain(r.get("base"))]
        cells += [decision.fmt(m, r.get(f"{m}_change"), diff=True) for m in SENSITIVITY_FIGURES]
        rows.append(cells)
    verdict = TEXT["sep"].join(swings)
    return _brief(
        {
            "kind": TEXT["kind_sensitivity"],
            "title": title or TEXT["sens_question"].format(name=name),
            "sub": TEXT["staff_sub"].format(
                reps=sensitivity.get("replications"), seed=sensitivity.get("seed")
            ),
            "verdict": (verdict[:1].upper() + verdict[1:] + TEXT["end"]) if verdict else "",
            "tiles": [],
            "note": TEXT["sens_note"],
            "figures": figures,
            "table": {"heading": TEXT["every_value"], "headers": headers, "rows": rows},
            "provenance": {
                TEXT["prov_scenario"]: name,
                TEXT["prov_replications"]: _plain(sensitivity.get("replications")),
                TEXT["prov_seed"]: _plain(sensitivity.get("seed")),
                TEXT["prov_visits"]: _plain(sensitivity.get("visits")),
                "report_version": __version__,
            },
        }
    )


def write_report(
    folder: str | os.PathLike,
    out: str | os.PathLike | None = None,
    title: str | None = None,
    lang: str | None = None,
) -> Path:
    """Build the report and write it (default ``FOLDER/report.html``); returns the path."""
    html = build_report(folder, title, lang)
    path = Path(out) if out else Path(folder) / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
