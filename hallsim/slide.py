"""A one-slide 16:9 summary of a run/compare results folder.

``summary_slide(results)`` returns a matplotlib Figure of a 16:9 slide
(12.8 × 7.2 in: 1920 × 1080 px as ``save_figure`` writes it at 150 dpi): the question (the
scenario names), one sentence per alternative saying how it differs from the
baseline, and a tile per key metric and scenario with its mean and 95%
interval.  A tile is marked better or worse only when the stored paired
interval excludes 0; otherwise it says "no clear difference".  Every number
is the stored one (summary.json); predicted satisfaction says it is predicted.
"""

from __future__ import annotations

import os
import textwrap
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from hallsim import decision
from hallsim.fonts import has_cjk
from hallsim.plots import (
    DPI,
    OKABE_ITO,
    Results,
    _finish,  # the report's figures and this slide share one style and font handling
    _style,
    is_percent,
    is_predicted,
    load_results,
)

SLIDE_IN = (12.8, 7.2)
"""A 16:9 slide, inches: 1920 × 1080 pixels at ``SLIDE_DPI``."""
SLIDE_DPI = DPI
"""The resolution ``hallsim.plots.save_figure`` writes PNGs at (150 dpi)."""

KPIS: tuple[tuple[str, str, int], ...] = (
    ("wait_mean_min", "mean wait", -1),
    ("service_level", "called within target", +1),
    ("abandoned", "left unserved / day", -1),
    ("csat", "satisfied (predicted)", +1),
)
"""(metric, tile title, +1 if more is better else -1)."""

BETTER, WORSE, NEUTRAL = OKABE_ITO[0], OKABE_ITO[3], "#8a8a8a"


def _value(metric: str, v: float | None, diff: bool = False) -> str:
    if v is None:
        return "—"
    if is_percent(metric):
        return f"{100 * v:+.1f} pp" if diff else f"{100 * v:.1f}%"
    unit = " min" if metric.endswith("_min") else ""
    return f"{v:+.1f}{unit}" if diff else f"{v:.1f}{unit}"


def _difference(res: Results, scenario: str, metric: str) -> dict[str, Any] | None:
    diffs = res.meta.get("differences_detail") or res.summary.get("differences") or []
    for d in diffs:
        if d.get("scenario") == scenario and d.get("metric") == metric:
            return d
    return None


def judgement(diff: dict[str, Any] | None, better_sign: int) -> str:
    """'better', 'worse' or 'no clear difference' from a stored paired interval."""
    if not diff or diff.get("ci_low") is None or diff.get("ci_high") is None:
        return "no clear difference"
    lo, hi = diff["ci_low"] * better_sign, diff["ci_high"] * better_sign
    if better_sign < 0:
        lo, hi = hi, lo
    if lo > 0:
        return "better"
    if hi < 0:
        return "worse"
    return "no clear difference"


def verdict(res: Results, scenario: str) -> str:
    """One sentence: how ``scenario`` differs from the baseline on the key metrics."""
    baseline = res.scenarios[0]
    parts = []
    for metric, title, sign in KPIS:
        d = _difference(res, scenario, metric)
        word = judgement(d, sign)
        if d is None or word == "no clear difference":
            continue
        amount = _value(metric, abs(d["mean"]), diff=False)
        if is_percent(metric):
            amount = f"{100 * abs(d['mean']):.1f} points"
        parts.append(f"{title} {word} by {amount}")
    if not parts:
        return f"{scenario}: no clear difference from {baseline} on these metrics"
    return f"{scenario} vs {baseline}: " + "; ".join(parts)


def _short(name: str, width: int = 40) -> str:
    return textwrap.shorten(name, width, placeholder="…") if " " in name else (
        name if len(name) <= width // (2 if has_cjk(name) else 1) else
        name[: width // (2 if has_cjk(name) else 1) - 1] + "…"
    )  # fmt: skip


def summary_slide(folder: str | os.PathLike | Results, title: str | None = None) -> Figure:
    """The one-slide summary (see the module docstring)."""
    res = load_results(folder)
    names = res.scenarios[:3]
    baseline = names[0]
    compare = res.kind == "compare" and len(names) > 1
    with _style(names) as cjk:
        fig = Figure(figsize=SLIDE_IN, dpi=SLIDE_DPI)
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
        # the report's question (hallsim.decision), wrapped to the slide's width
        question = decision.question(res, title)
        title_lines = textwrap.wrap(question, 36 if has_cjk(question) else 70)[:2]
        if len(textwrap.wrap(question, 36 if has_cjk(question) else 70)) > 2:
            title_lines[-1] = title_lines[-1][:-1] + "…"
        fig.text(
            0.04, 0.95, "\n".join(title_lines), fontsize=22 if len(title_lines) > 1 else 26,
            fontweight="bold", va="top",
        )  # fmt: skip
        sub_y = 0.95 - 0.075 * len(title_lines) - 0.01
        sub = f"{res.replications} replications"
        if compare:
            sub += f" on common random numbers · baseline {_short(baseline)}"
        fig.text(0.04, sub_y, sub, fontsize=13, color="#5a5a5a", va="top")
        lines = []
        width = 62 if has_cjk(" ".join(names)) else 120
        for n in names[1:] if compare else []:
            lines += textwrap.wrap(verdict(res, n), width, subsequent_indent="    ")
        lines = lines[:6]
        for i, line in enumerate(lines):
            fig.text(0.04, sub_y - 0.055 - 0.04 * i, line, fontsize=14, va="top")
        top = sub_y - 0.055 - 0.04 * len(lines) - 0.05
        bottom = 0.09
        rows, cols = len(names), len(KPIS)
        left, label_w, gap = 0.04, 0.16, 0.012
        tile_w = (1 - left - label_w - 0.03 - gap * (cols - 1)) / cols
        tile_h = min(0.3 if rows == 1 else 0.2, (top - bottom - gap * (rows - 1)) / rows)
        for j, (_metric, head, _) in enumerate(KPIS):
            x = left + label_w + j * (tile_w + gap)
            fig.text(x + 0.01, top + 0.005, head, fontsize=13, fontweight="bold", va="bottom")
        for i, n in enumerate(names):
            y = top - (i + 1) * tile_h - i * gap
            label = textwrap.fill(n, 7 if has_cjk(n) else 16, max_lines=3, placeholder="…")
            fig.text(left, y + tile_h / 2, label, fontsize=15, fontweight="bold", va="center")
            for j, (metric, _head, sign) in enumerate(KPIS):
                x = left + label_w + j * (tile_w + gap)
                block = res.metrics(n).get(metric) or {}
                word = "" if (n == baseline or not compare) else judgement(
                    _difference(res, n, metric), sign
                )  # fmt: skip
                colour = {"better": BETTER, "worse": WORSE}.get(word, NEUTRAL)
                fig.add_artist(
                    FancyBboxPatch(
                        (x, y), tile_w, tile_h, boxstyle="round,pad=0,rounding_size=0.01",
                        transform=fig.transFigure, facecolor=colour, alpha=0.12,
                        edgecolor=colour, linewidth=1.5,
                    )
                )  # fmt: skip
                fig.text(
                    x + 0.012, y + tile_h * 0.5, _value(metric, block.get("mean")),
                    fontsize=24, fontweight="bold", va="center",
                )  # fmt: skip
                lo, hi = block.get("ci_low"), block.get("ci_high")
                ci = f"95% CI {_value(metric, lo)} – {_value(metric, hi)}" if lo is not None else ""
                fig.text(x + 0.012, y + tile_h * 0.17, ci, fontsize=11, color="#3a3a3a",
                         va="center")  # fmt: skip
                note = word if word else ("baseline" if compare else "")
                if note:
                    fig.text(x + tile_w - 0.01, y + tile_h * 0.85, note, fontsize=11,
                             color=colour if word else NEUTRAL, ha="right", va="center",
                             fontweight="bold")  # fmt: skip
        predicted = [m for m, _, _ in KPIS if is_predicted(m)]
        foot = (
            "Satisfied (predicted): share rating 4–5 predicted by the satisfaction model, "
            "not a survey."
        )
        if predicted:
            fig.text(0.04, 0.035, foot, fontsize=11, color="#8a2f00", va="bottom")
        fig.text(0.96, 0.035, "hallsim", fontsize=11, color="#8a8a8a", ha="right", va="bottom")
        return _finish(fig, cjk)
