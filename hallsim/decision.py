"""The decision a results folder supports, in plain words: the question, a one-sentence
verdict with its trade-off, KPI tiles and about eight plain-language rows.

Everything here is read from summary.json (``hallsim.results.Results``); nothing is
computed but differences of stored means already stored as paired intervals.  A
difference is called *better* or *worse* only when its stored paired interval
(Bonferroni-adjusted for more than one alternative) excludes 0; otherwise it is "no
clear difference".  Which way is better comes from the metric registry (``better``);
staffed window hours are a cost, so fewer is better there (``COST_METRICS``).

User-visible words live in ``TEXT`` and ``PLAIN_LABELS`` (English); the report and the
slide look them up there, so a translation replaces these two tables.
"""

from __future__ import annotations

from typing import Any

from hallsim.metrics import registry
from hallsim.results import Results

TILE_METRICS = ("wait_mean_min", "service_level", "abandoned", "csat", "staff_hours")
"""The first screen's KPI tiles, in order (the issue's five: wait, service level,
abandoned, predicted CSAT, staff-hours as the cost)."""

PLAIN_METRICS = (
    "wait_mean_min",
    "wait_p90_min",
    "service_level",
    "abandoned",
    "return_visits",
    "first_contact_resolution",
    "utilisation",
    "csat",
    "bad_review_rate",
    "staff_hours",
)
"""The plain-language rows under the tiles (all-zero rows are left out)."""

COST_METRICS = frozenset({"staff_hours"})
"""Metrics that are a cost: fewer is better (the registry calls them 'neither')."""

UNJUDGED_METRICS = frozenset({"utilisation"})
"""Shown with their difference but never called better or worse: busier windows are
not a goal of the hall by themselves (they come with longer waits)."""

PLAIN_LABELS: dict[str, str] = {
    "wait_mean_min": "Average wait for a window",
    "wait_p90_min": "9 in 10 citizens are called within",
    "service_level": "Called within {target} min",
    "abandoned": "Left without being served, per day",
    "return_visits": "Came back the same day",
    "first_contact_resolution": "Matter settled on the first visit",
    "utilisation": "Share of staffed time the windows are busy",
    "csat": "Satisfied, rating 4–5 (predicted)",
    "bad_review_rate": "Dissatisfied, rating 1–2 (predicted)",
    "staff_hours": "Window hours staffed per day (cost)",
}
"""Plain-language row labels ({target}: the service-level target in minutes)."""

TEXT: dict[str, str] = {
    "question_compare": "Which works better for the hall: {names}?",
    "question_run": "How does {name} serve the hall?",
    "or": " or ",
    "better": "better",
    "worse": "worse",
    "no_clear": "no clear difference",
    "unjudged": "",
    "baseline": "baseline",
    "improves": "{name} improves {what}",
    "by": "{what} by {amount}",
    "worsens": "worsens {what} by {amount}",
    "no_change": "{name} makes no clear difference to {base} on the key measures",
    "adds_hours": "needs {hours} more window hours a day",
    "saves_hours": "saves {hours} window hours a day",
    "same_hours": "needs no extra window hours",
    "run_verdict": "{name}: average wait {wait}, {sl} called within {target} min{abandoned}.",
    "run_abandoned": ", {n} a day leave unserved",
    "points": "{v:.1f} percentage points",
    "minutes": "{v:.1f} min",
    "citizens": "{v:.1f} citizens a day",
    "hours": "{v:.1f}",
    "but": ", but ",
    "and": " and ",
    "then": ", and ",
    "sep": "; ",
}
"""Sentence pieces of the verdict and tiles (English)."""

VERDICT_WHAT: dict[str, str] = {
    "wait_mean_min": "the average wait",
    "service_level": "the share called within {target} min",
    "abandoned": "the number who leave unserved",
    "csat": "predicted satisfaction (rating 4–5)",
}
"""What the verdict says a tile metric changes."""

TILE_TITLES: dict[str, str] = {
    "wait_mean_min": "Average wait",
    "service_level": "Called within {target} min",
    "abandoned": "Left unserved / day",
    "csat": "Satisfied (predicted)",
    "staff_hours": "Window hours / day",
}


VERDICT_GAINS = 2
"""How many of an alternative's clear gains the verdict names (the clearest first)."""


def direction(metric: str) -> int:
    """+1 when more is better, -1 when less is better, 0 when neither."""
    if metric in COST_METRICS:
        return -1
    if metric in UNJUDGED_METRICS:
        return 0
    m = registry.get(metric)
    better = m.better if m else "neither"
    return {"higher": 1, "lower": -1}.get(better, 0)


def stored_difference(res: Results, scenario: str, metric: str) -> dict[str, Any] | None:
    """The stored paired difference scenario − baseline of ``metric`` (or None)."""
    diffs = res.meta.get("differences_detail") or res.summary.get("differences") or []
    for d in diffs:
        if d.get("scenario") == scenario and d.get("metric") == metric:
            return d
    return None


def judge(diff: dict[str, Any] | None, metric: str) -> str:
    """'better', 'worse' or 'no_clear' from a stored paired interval and the metric's
    direction ('no_clear' when the interval includes 0 or is missing); 'unjudged' for
    ``UNJUDGED_METRICS``."""
    sign = direction(metric)
    if sign == 0:
        return "unjudged"
    if not diff or diff.get("ci_low") is None or diff.get("ci_high") is None:
        return "no_clear"
    if diff["ci_low"] > 0:
        return "better" if sign > 0 else "worse"
    if diff["ci_high"] < 0:
        return "better" if sign < 0 else "worse"
    return "no_clear"


def fmt(metric: str, value: float | None, *, diff: bool = False) -> str:
    """A stored value for display: shares in % (differences in pp), times in min,
    counts and hours with one decimal."""
    if value is None:
        return "—"
    if registry.is_percent(metric):
        return f"{100 * value:+.1f} pp" if diff else f"{100 * value:.1f}%"
    unit = registry.unit(metric)
    suffix = " min" if unit == "min" else (" h" if unit == "hours" else "")
    return f"{value:+.1f}{suffix}" if diff else f"{value:.1f}{suffix}"


def fmt_range(metric: str, block: dict[str, Any] | None, *, diff: bool = False) -> str:
    """'lo – hi' of a stored interval, or ''."""
    if not block or block.get("ci_low") is None or block.get("ci_high") is None:
        return ""
    return f"{fmt(metric, block['ci_low'], diff=diff)} – {fmt(metric, block['ci_high'], diff=diff)}"


def _amount(metric: str, value: float) -> str:
    v = abs(value)
    if registry.is_percent(metric):
        return TEXT["points"].format(v=100 * v)
    unit = registry.unit(metric)
    if unit == "min":
        return TEXT["minutes"].format(v=v)
    return TEXT["citizens"].format(v=v)


def _label(res: Results, metric: str, scenario: str) -> str:
    text = PLAIN_LABELS.get(metric) or registry.label(metric)
    return text.format(target=f"{res.target_min(scenario):g}")


def question(res: Results, title: str | None = None) -> str:
    """The report's question: ``title`` when given, else from the scenario names."""
    if title:
        return title
    names = res.scenarios
    if res.kind == "compare" and len(names) > 1:
        joined = ", ".join(names[:-1]) + TEXT["or"] + names[-1]
        return TEXT["question_compare"].format(names=joined)
    return TEXT["question_run"].format(name=names[0])


def _effect_size(d: dict[str, Any]) -> float:
    """|mean| over the interval's half-width: how clearly the difference stands out."""
    half = (d["ci_high"] - d["ci_low"]) / 2
    return abs(d["mean"]) / half if half > 0 else float("inf")


def alternative_verdict(res: Results, scenario: str) -> str:
    """One clause: the alternative's clearest gain, its clearest loss, and its staff cost."""
    base = res.scenarios[0]
    gains, losses = [], []
    for m in TILE_METRICS:
        if m in COST_METRICS:
            continue
        d = stored_difference(res, scenario, m)
        word = judge(d, m)
        if word not in ("better", "worse") or d is None:
            continue
        (gains if word == "better" else losses).append((_effect_size(d), m, d))
    gains.sort(key=lambda t: -t[0])
    losses.sort(key=lambda t: -t[0])
    if not gains and not losses:
        text = TEXT["no_change"].format(name=scenario, base=base)
    else:
        parts = []
        if gains:
            target = f"{res.target_min(scenario):g}"
            pieces = [
                TEXT["by"].format(
                    what=VERDICT_WHAT[m].format(target=target), amount=_amount(m, d["mean"])
                )
                for _, m, d in gains[:VERDICT_GAINS]
            ]
            parts.append(TEXT["improves"].format(name=scenario, what=TEXT["and"].join(pieces)))
        if losses:
            _, m, d = losses[0]
            what = VERDICT_WHAT[m].format(target=f"{res.target_min(scenario):g}")
            prefix = scenario + " " if not gains else ""
            parts.append(prefix + TEXT["worsens"].format(what=what, amount=_amount(m, d["mean"])))
        text = TEXT["but"].join(parts)
    hours = stored_difference(res, scenario, "staff_hours")
    if hours is not None and hours.get("mean") is not None:
        word = judge(hours, "staff_hours")
        if word == "no_clear" or abs(hours["mean"]) < 0.5:
            cost = TEXT["same_hours"]
        else:
            key = "adds_hours" if hours["mean"] > 0 else "saves_hours"
            cost = TEXT[key].format(hours=TEXT["hours"].format(v=abs(hours["mean"])))
        text += TEXT["then"] + cost
    return text


def verdict(res: Results) -> str:
    """The one-sentence verdict with its trade-off (compare), or a one-line summary (run)."""
    names = res.scenarios
    if res.kind == "compare" and len(names) > 1:
        return TEXT["sep"].join(alternative_verdict(res, n) for n in names[1:]) + "."
    n = names[0]
    m = res.metrics(n)
    ab = (m.get("abandoned") or {}).get("mean")
    return TEXT["run_verdict"].format(
        name=n,
        wait=fmt("wait_mean_min", (m.get("wait_mean_min") or {}).get("mean")),
        sl=fmt("service_level", (m.get("service_level") or {}).get("mean")),
        target=f"{res.target_min(n):g}",
        abandoned=TEXT["run_abandoned"].format(n=f"{ab:.1f}") if ab else "",
    )


def _cell(res: Results, scenario: str, metric: str, compare: bool) -> dict[str, Any]:
    block = res.metrics(scenario).get(metric) or {}
    cell: dict[str, Any] = {
        "scenario": scenario,
        "value": fmt(metric, block.get("mean")),
        "range": fmt_range(metric, block),
        "judgement": "",
        "word": "",
        "diff": "",
    }
    if compare and scenario != res.scenarios[0]:
        d = stored_difference(res, scenario, metric)
        word = judge(d, metric)
        cell.update(
            judgement=word,
            word=TEXT[word],
            diff=fmt(metric, d.get("mean"), diff=True) if d else "",
        )
    elif compare:
        cell["word"] = TEXT["baseline"]
    return cell


def _present(res: Results, metric: str) -> bool:
    return any((res.metrics(n).get(metric) or {}).get("mean") is not None for n in res.scenarios)


def tiles(res: Results) -> list[dict[str, Any]]:
    """One tile per KPI: its title, whether predicted, and a cell per scenario (value,
    interval, and for alternatives the paired difference worded better/worse)."""
    compare = res.kind == "compare" and len(res.scenarios) > 1
    out = []
    for m in TILE_METRICS:
        if not _present(res, m):
            continue
        title = TILE_TITLES[m].format(target=f"{res.target_min(res.scenarios[0]):g}")
        out.append(
            {
                "metric": m,
                "title": title,
                "predicted": registry.is_predicted(m),
                "cells": [_cell(res, n, m, compare) for n in res.scenarios],
            }
        )
    return out


def _all_zero(res: Results, metric: str) -> bool:
    for n in res.scenarios:
        block = res.metrics(n).get(metric) or {}
        if block.get("mean") not in (None, 0, 0.0):
            return False
    return True


def plain_rows(res: Results) -> list[dict[str, Any]]:
    """About eight plain-language rows: label, and per scenario its value, interval and
    (alternatives) the difference worded better/worse.  Rows that are 0 (or absent) in
    every scenario are left out."""
    compare = res.kind == "compare" and len(res.scenarios) > 1
    rows = []
    for m in PLAIN_METRICS:
        if not _present(res, m) or _all_zero(res, m):
            continue
        rows.append(
            {
                "metric": m,
                "label": _label(res, m, res.scenarios[0]),
                "predicted": registry.is_predicted(m),
                "cells": [_cell(res, n, m, compare) for n in res.scenarios],
            }
        )
    return rows
