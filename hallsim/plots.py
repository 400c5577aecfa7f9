"""Figures from a saved results folder: tables in, matplotlib ``Figure`` out.

Never simulates: every function reads what ``hallsim run``, ``compare`` or
``sweep`` wrote (read by ``hallsim.results.load_results``) and returns a Figure, for notebooks
and for ``hallsim plot`` / ``hallsim report``::

    from hallsim import plots
    fig = plots.plot_compare("results/ab")
    fig.savefig("compare.svg")

Figures are slide-sized (10 × 5.6 in at 150 dpi), use the Okabe–Ito
colour-blind-safe palette, and draw Chinese scenario, matter and window names
with a CJK font (``hallsim.fonts``: installed or bundled).  Units: minutes, citizens,
per cent.  Satisfaction numbers are model predictions and every label says so.
"""

from __future__ import annotations

import io
import json
import math
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from hallsim import i18n
from hallsim.fonts import (
    cjk_families,
    cjk_font,
    has_cjk,
    mark_missing_glyphs,
    name_svg_fonts,
)
from hallsim.i18n import t as _t
from hallsim.metrics.registry import REGISTRY
from hallsim.metrics.registry import bounds as metric_bounds
from hallsim.results import PLOT_KINDS, Results, ResultsError, load_results  # the folder reader
from hallsim.stats import PREDICTED, interval

SLIDE_SIZE_IN = (10.0, 5.6)
"""Default figure size in inches (16:9 slide)."""
DPI = 150
"""Default resolution for PNG output, dots per inch."""

OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#000000",  # black
    "#F0E442",  # yellow (last: weak on white)
)
"""Okabe & Ito (2008) colour-universal-design palette, ordered for lines on white."""

SEQUENTIAL_CMAP = "cividis"
"""Perceptually uniform and readable with colour-vision deficiency (Nuñez et al. 2018)."""

KINDS = PLOT_KINDS  # defined with the results folder layout, so the CLI need not import us

KEY_METRICS = ("wait_mean_min", "wait_p90_min", "service_level", "csat")
"""Metrics shown by ``plot_compare`` by default."""

# metric -> (label, unit); unit "%" means the stored share is shown ×100.
METRIC_INFO: dict[str, tuple[str, str]] = {m.name: (m.label_en, m.unit) for m in REGISTRY}


# --------------------------------------------------------------------------- labels


def is_percent(metric: str) -> bool:
    """True when the metric is a share stored in 0..1 and shown in per cent."""
    return METRIC_INFO.get(metric, ("", ""))[1] == "%"


def is_predicted(metric: str) -> bool:
    """True for the satisfaction model's outputs (predictions, not measurements)."""
    return metric in PREDICTED


def metric_label(metric: str, *, difference: bool = False) -> str:
    """Axis label with unit in the language (hallsim.i18n), e.g. 'mean wait (min)' or
    '平均等候时长（分钟）'; differences of shares in percentage points."""
    if metric not in METRIC_INFO:
        return metric
    label, unit = i18n.metric_label(metric), i18n.unit(metric)
    if difference and unit == "%":
        unit = _t("plot.pp_long")
    if not unit:
        return label
    return f"{label}（{unit}）" if i18n.current() == "zh" else f"{label} ({unit})"


def metric_scale(metric: str) -> float:
    """Factor from stored value to displayed value (100 for shares)."""
    return 100.0 if is_percent(metric) else 1.0


PERCENT_MIN_SPAN = 10.0
"""Smallest span of a percentage axis, percentage points: a 1-point span would make 0.3
points look like a third of the axis (an axis narrower than 0–100% says "axis zoomed")."""
PERCENT_DIFF_MIN_SPAN = 4.0
"""Smallest span of an axis of differences of shares, percentage points."""

TEXT = i18n.Table("plots.t.")
"""Sentence pieces of the figures that are not metric labels (hallsim.i18n)."""


def _cols(ch: str) -> int:
    """Display columns of a character: CJK and full-width forms take two."""
    import unicodedata

    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def wrap_text(text: str, width: int, lines: int | None = None) -> str:
    """``text`` wrapped to ``width`` display columns (a CJK character counts two), breaking
    at spaces or between CJK characters; at most ``lines`` lines, the last ending in '…'
    when text was left out."""
    out: list[str] = []
    for paragraph in str(text).split("\n"):
        line, cols, last_break = "", 0, -1
        for ch in paragraph:
            w = _cols(ch)
            if cols + w > width and line:
                if ch == " ":
                    out.append(line.rstrip())
                    line, cols, last_break = "", 0, -1
                    continue
                if w == 1 and last_break > 0:  # break at the last space or CJK character
                    head, tail = line[:last_break], line[last_break:].lstrip()
                else:
                    head, tail = line, ""
                out.append(head.rstrip())
                line, cols = tail, sum(_cols(c) for c in tail)
                last_break = -1
            line += ch
            cols += w
            if ch == " " or w == 2:
                last_break = len(line)
        out.append(line.rstrip())
    if lines is not None and len(out) > lines:
        out = out[:lines]
        last = out[-1]
        while last and sum(_cols(c) for c in last) + 1 > width:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return "\n".join(out)


def wrap_name(name: str, width: int = 22, lines: int = 3) -> str:
    """A scenario/matter name wrapped for a tick label (CJK characters count double)."""
    return wrap_text(str(name), width, lines)


def value_limits(metric: str, lows, highs, *, difference: bool = False) -> tuple[float, float]:
    """Axis limits (displayed units) covering ``lows``..``highs`` with a margin, inside the
    metric's range (a difference may be negative), with a minimum span for shares."""
    from hallsim.metrics.registry import bounds

    k = metric_scale(metric)
    lo_b, hi_b = bounds(metric)
    lo_b, hi_b = lo_b * k, hi_b * k
    if difference:
        lo_b, hi_b = -(hi_b - lo_b), hi_b - lo_b
    lows = [v for v in lows if v is not None and np.isfinite(v)]
    highs = [v for v in highs if v is not None and np.isfinite(v)]
    if not lows or not highs:
        return (max(lo_b, 0.0), 1.0) if not difference else (-1.0, 1.0)
    lo, hi = min(lows), max(highs)
    if difference:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    pad = 0.12 * (hi - lo) if hi > lo else max(abs(hi) * 0.1, 0.5)
    lo, hi = lo - pad, hi + pad
    if is_percent(metric):
        span = PERCENT_DIFF_MIN_SPAN if difference else PERCENT_MIN_SPAN
        if hi - lo < span:
            mid = (hi + lo) / 2
            lo, hi = mid - span / 2, mid + span / 2
        if hi > hi_b:
            lo, hi = lo - (hi - hi_b), hi_b
        if lo < lo_b:
            lo, hi = lo_b, min(hi_b, hi + (lo_b - lo))
    return max(lo, lo_b), min(hi, hi_b)


def mark_zoomed(ax, metric: str, axis: str = "x") -> None:
    """On a share axis that does not show 0–100%, say so in the axis label."""
    if not is_percent(metric):
        return
    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    if lo > 0.5 or hi < 99.5:
        get, put = (ax.get_xlabel, ax.set_xlabel) if axis == "x" else (ax.get_ylabel, ax.set_ylabel)
        put(f"{get()}\n({TEXT['zoomed'].format(lo=lo, hi=hi)})".strip(), color="#8a2f00")


# --------------------------------------------------------------------------- fonts

_warned_no_cjk = False


def _style_rc(texts: Iterable[str]) -> dict[str, Any]:
    global _warned_no_cjk
    rc: dict[str, Any] = {
        "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 12,
        "axes.titleweight": "bold",
        "axes.labelsize": 11,
        "xtick.labelsize": 10,
        "ytick.labelsize": 10,
        "legend.fontsize": 9,
        "legend.frameon": False,
        "figure.titlesize": 14,
        "figure.titleweight": "bold",
        "svg.fonttype": "none",  # text stays text, editable in PowerPoint/WPS (fonts.py)
        "savefig.dpi": DPI,
    }
    if i18n.current() == "zh" or any(has_cjk(t) for t in texts):
        families = cjk_families()
        if families:
            rc["font.family"] = [*matplotlib.rcParams["font.family"], *families]
        elif not _warned_no_cjk:
            _warned_no_cjk = True
            warnings.warn(
                "hallsim: no CJK font found, Chinese labels will show as boxes; install one "
                "(Debian: apt-get install fonts-wqy-microhei or fonts-noto-cjk; pip: mplfonts) "
                "or set HALLSIM_CJK_FONT to a font file",
                stacklevel=4,
            )
    return rc


@contextmanager
def _style(texts: Iterable[str]) -> Iterator[bool]:
    """Slide style and, when ``texts`` contain CJK, a CJK fallback font.

    Yields whether a CJK fallback font is in use.
    """
    rc = _style_rc(list(texts))
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        if cjk_font() is None:  # already told once; do not repeat it for every glyph
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
        yield "font.family" in rc


def _figure(**kwargs: Any) -> Figure:
    fig = Figure(figsize=SLIDE_SIZE_IN, dpi=DPI, layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def _finish(fig: Figure, cjk: bool = False) -> Figure:
    """With a CJK fallback font, draw once inside the style context so that tick
    labels made lazily at draw time get it too."""
    if cjk:
        fig.canvas.draw()
    mark_missing_glyphs(fig)
    return fig


FIGURE_FORMATS = ("png", "svg", "pdf")


def save_figure(
    fig: Figure, path: str | os.PathLike | IO[bytes], fmt: str | None = None, dpi: int = DPI
) -> Any:
    """Write a figure as PNG (150 dpi), SVG or PDF; format from ``fmt`` or the path's suffix.

    ``path`` may be a binary file object (then ``fmt`` defaults to png).
    SVG text stays text (editable in PowerPoint/WPS) and names Chinese fonts the
    viewer may have, ending with the bundled one (``hallsim.fonts.name_svg_fonts``).
    """
    if not hasattr(path, "write"):
        path = Path(path)
        fmt = fmt or path.suffix.lstrip(".") or "png"
    fmt = (fmt or "png").lower()
    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"format must be one of {FIGURE_FORMATS}, got {fmt!r}")
    # no dates (the same results give the same bytes); "hallsim" as the maker, which
    # lets a later command replace a file it made (hallsim.resultsdir.SIGNATURE)
    metadata = {
        "svg": {"Date": None, "Creator": "hallsim"},
        "pdf": {"CreationDate": None, "Creator": "hallsim"},
        "png": {"Software": "hallsim"},
    }[fmt]
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "hallsim"}):
        with warnings.catch_warnings():
            if cjk_font() is None:  # the user was told once by _style_rc
                warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
            if fmt != "svg":
                fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
                return path
            buf = io.StringIO()
            fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    svg = name_svg_fonts(buf.getvalue()).encode("utf-8")
    if hasattr(path, "write"):
        path.write(svg)
    else:
        path.write_bytes(svg)
    return path


# --------------------------------------------------------------------------- statistics


def t_summary(df: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Per group: mean, 95% Student-t interval (ci_low, ci_high) and n of ``value``.

    NaN values are left out; groups with one value get no interval.
    """
    g = df.dropna(subset=[value]).groupby(by, sort=True)[value]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    n = out["n"].to_numpy(dtype=float)
    # the same interval as the CLI and JSON: inside the metric's range
    low, high = interval(value, out["mean"].to_numpy(dtype=float), out["sd"].to_numpy(float), n)
    out["ci_low"] = low
    out["ci_high"] = high
    return out


def _clock(x: float, _pos: Any = None) -> str:
    m = round(x)
    return f"{m // 60:02d}:{m % 60:02d}"


def _colours(names: list[str]) -> dict[str, str]:
    return {n: OKABE_ITO[i % len(OKABE_ITO)] for i, n in enumerate(names)}


def _need_scenarios(res: Results, what: str) -> list[str]:
    if res.kind == "sweep":
        raise ResultsError(
            f"{res.folder}: a sweep folder; {what} needs a run or compare folder "
            "(use --kind sweep --metric M)"
        )
    return res.scenarios


def _reps_note(res: Results) -> str:
    n = res.replications
    return _t("plot.replications", n=n, s="s" if n != 1 else "")


# --------------------------------------------------------------------------- plots


WAITS_X_TARGETS = 2.0
"""The wait axis shows at least this many times the service-level target ..."""
WAITS_X_QUANTILE = 0.98
"""... and at most up to this quantile of the served citizens' waits (the long tail of
the last 2% would squeeze the part of the curve that matters)."""


def plot_waits(folder: str | os.PathLike | Results) -> Figure:
    """Wait-time distribution per scenario with the service-level target marked.

    With citizens.parquet (``--log``): the ECDF of the wait from ticket to call
    over all arrived citizens pooled across replications; citizens who leave
    unserved are never called, so the curve's height at the target is the
    service level.  Without it: box plots of the per-replication median and
    90th-percentile waits (the title says so).
    """
    res = load_results(folder)
    names = _need_scenarios(res, "a wait plot")
    colours = _colours(names)
    citizens = res.table("citizens", required=False)
    with _style(names) as cjk:
        fig = _figure()
        ax = fig.add_subplot()
        targets = {n: res.target_min(n) for n in names}
        if citizens is not None and not citizens.empty:
            for c in ("scenario", "wait_min", "outcome"):
                if c not in citizens.columns:
                    raise ResultsError(
                        f"{res.folder / 'citizens.parquet'}: incomplete, no column {c!r}"
                    )
            xmax = max(targets.values()) * WAITS_X_TARGETS
            for name in names:
                d = citizens[citizens["scenario"] == name]
                waits = np.sort(d.loc[d["outcome"] == "served", "wait_min"].to_numpy(float))
                n = len(d)
                if n == 0:
                    continue
                xmax = max(xmax, float(np.quantile(waits, WAITS_X_QUANTILE)) if len(waits) else 0.0)
                y = np.arange(1, len(waits) + 1) / n
                within = float(
                    np.mean((d["outcome"] == "served") & (d["wait_min"] <= targets[name]))
                )
                ax.step(
                    np.r_[0.0, waits, 1e9],
                    np.r_[0.0, y, y[-1] if len(y) else 0.0],
                    where="post",
                    color=colours[name],
                    lw=2,
                    label=_t(
                        "plot.waits.within",
                        name=wrap_name(name, 60, 2),
                        share=f"{100 * within:.0f}",
                        target=f"{targets[name]:g}",
                    ),
                )
                ax.plot([targets[name]], [within], "o", color=colours[name], ms=7, zorder=5)
            ax.set_xlim(0, xmax)
            ax.set_ylim(0, 1.0)  # a share: never beyond 100%
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_xlabel(_t("plot.waits.x"))
            ax.set_ylabel(_t("plot.waits.y"))
            ax.set_title(
                _t("plot.waits.title", reps=_reps_note(res)),
                loc="left",
            )
            # below the axes: never over the curves or the target label
            fig.legend(
                loc="outside lower center",
                title=_t("plot.waits.legend"),
                ncols=1 if max(len(n) for n in names) > 24 else min(len(names), 3),
            )
        else:
            reps = res.check_columns("replications", ["wait_p50_min", "wait_p90_min"])
            data, positions, colors = [], [], []
            for i, name in enumerate(names):
                d = reps[reps["scenario"] == name]
                for j, m in enumerate(("wait_p50_min", "wait_p90_min")):
                    data.append(d[m].dropna().to_numpy(float))
                    positions.append(i * 3 + j)
                    colors.append(colours[name])
            bp = ax.boxplot(
                data, positions=positions, widths=0.7, patch_artist=True, showfliers=True
            )
            for k, box in enumerate(bp["boxes"]):
                box.set_facecolor(colors[k])
                box.set_alpha(0.35 if k % 2 == 0 else 0.8)
            for med in bp["medians"]:
                med.set_color("black")
            ax.set_xticks(
                positions,
                labels=[
                    f"{wrap_name(n, 16)}\n{_t('plot.waits.median')}"
                    if j == 0
                    else f"{wrap_name(n, 16)}\n{_t('plot.waits.p90')}"
                    for n in names
                    for j in (0, 1)
                ],
            )
            ax.set_ylabel(_t("plot.waits.x"))
            ax.set_xlabel(_t("plot.waits.box_x"))
            ax.set_title(
                _t("plot.waits.box_title", reps=_reps_note(res)),
                loc="left",
            )
        ecdf = citizens is not None and not citizens.empty
        for t in sorted(set(targets.values())):
            # the target is a wait: vertical on the ECDF's x axis, horizontal on box plots
            (ax.axvline if ecdf else ax.axhline)(t, color="black", ls="--", lw=1)
            ax.annotate(
                i18n.t("plot.target", target=f"{t:g}"),
                (t, 0.02) if ecdf else (0, t),
                xycoords="data" if ecdf else ("axes fraction", "data"),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize=9,
            )
        return _finish(fig, cjk)


SHORT_LABELS = {m.name: m.short_en for m in REGISTRY if m.short_en}
"""Column titles of ``plot_compare`` (units go on the x axis)."""


def _short_label(metric: str) -> str:
    """A column title of ``plot_compare``: the short English label, or the Chinese one."""
    if i18n.current() == "zh":
        return i18n.metric_label(metric)
    return SHORT_LABELS.get(metric, metric_label(metric))


def _interval(
    block: dict, k: float, metric: str | None = None
) -> tuple[float, float, float] | None:
    """(mean, low, high) in displayed units; with ``metric``, the interval is kept inside
    the metric's range (a stored interval already is; this guards older folders)."""
    if block is None or block.get("mean") is None:
        return None
    mean = block["mean"] * k
    lo = block["ci_low"] * k if block.get("ci_low") is not None else mean
    hi = block["ci_high"] * k if block.get("ci_high") is not None else mean
    if metric is not None:
        from hallsim.metrics.registry import bounds

        b_lo, b_hi = (v * k for v in bounds(metric))
        lo, hi = max(lo, b_lo), min(hi, b_hi)
    return mean, lo, hi


def _dot(ax, row: int, mean: float, lo: float, hi: float, colour: str, filled: bool = True):
    """A mean with its interval as a horizontal error bar (hollow: interval includes 0)."""
    ax.errorbar(
        mean,
        row,
        xerr=[[mean - lo], [hi - mean]],
        fmt="o",
        ms=7,
        capsize=4,
        lw=2,
        color=colour,
        mfc=colour if filled else "white",
        clip_on=False,  # a mean at the end of its range (100%) shows whole
    )


def plot_compare(
    folder: str | os.PathLike | Results, metrics: Iterable[str] | None = None
) -> Figure:
    """Each key metric's mean with 95% CI per scenario, and paired differences.

    Top row: mean and 95% Student-t interval over replications (summary.json).
    Bottom row (compare folders): scenario − baseline over common random
    numbers with the stored interval (Bonferroni-adjusted for more than two
    scenarios); hollow markers are differences whose interval contains 0.
    The title states the finding (``hallsim.decision.verdict``); the method is the
    footnote.  Share axes span at least ``PERCENT_MIN_SPAN`` points and say when zoomed.
    """

    from hallsim import decision

    res = load_results(folder)
    names = _need_scenarios(res, "a comparison plot")
    metrics = list(metrics or KEY_METRICS)
    unknown = [m for m in metrics if m not in res.metrics(names[0])]
    if unknown:
        raise ResultsError(f"{res.folder / 'summary.json'}: no metric(s) {unknown}")
    colours = _colours(names)
    diffs = res.meta.get("differences_detail") or res.summary.get("differences") or []
    paired = res.kind == "compare" and len(names) > 1
    finding = decision.verdict(res)
    with _style([*names, finding]) as cjk:
        fig = _figure()
        if paired:
            grid = fig.subplots(
                2,
                len(metrics),
                squeeze=False,
                sharey="row",
                height_ratios=[len(names), len(names) - 1],
            )
            axes, axes_d = grid[0], grid[1]
        else:
            axes, axes_d = fig.subplots(1, len(metrics), squeeze=False, sharey=True)[0], None
        for ax, m in zip(axes, metrics, strict=True):
            k = metric_scale(m)
            lows, highs = [], []
            for i, name in enumerate(names):
                iv = _interval(res.metrics(name).get(m), k, m)
                if iv is None:
                    continue
                mean, lo, hi = iv
                lows.append(lo)
                highs.append(hi)
                _dot(ax, i, mean, lo, hi, colours[name])
                ax.annotate(
                    f"{mean:.1f}",
                    (mean, i),
                    xytext=(0, 7),
                    textcoords="offset points",
                    ha="center",
                    fontsize=9,
                )
            ax.set_title(_short_label(m), fontsize=10)
            ax.set_xlabel(i18n.unit(m))
            ax.set_xlim(*value_limits(m, lows, highs))
            ax.margins(y=0.4)
            ax.grid(axis="x", alpha=0.3)
            mark_zoomed(ax, m)
        axes[0].set_yticks(range(len(names)), labels=[wrap_name(n, 26, 2) for n in names])
        axes[0].invert_yaxis()
        fig.suptitle(
            wrap_text(finding, 100, 4),
            fontsize=11,
            ha="left",
            x=0.01,
        )
        foot = TEXT["compare_method"].format(
            reps=_reps_note(res), crn=TEXT["crn"] if paired else ""
        )
        if paired and axes_d is not None:
            base, others = names[0], names[1:]
            conf = None
            for ax, m in zip(axes_d, metrics, strict=True):
                k = metric_scale(m)
                lows, highs = [], []
                for i, name in enumerate(others):
                    d = next((x for x in diffs if x["scenario"] == name and x["metric"] == m), None)
                    iv = _interval(d, k) if d else None
                    if iv is None:
                        continue
                    conf = d.get("confidence", conf)
                    mean, lo, hi = iv
                    lows.append(lo)
                    highs.append(hi)
                    clear = d.get("ci_low") is not None and (lo > 0 or hi < 0)
                    _dot(ax, i, mean, lo, hi, colours[name], filled=clear)
                ax.axvline(0, color="black", lw=1)
                unit = METRIC_INFO.get(m, (m, ""))[1]
                ax.set_xlabel("Δ " + (_t("plot.pp_long") if unit == "%" else i18n.unit(m)))
                ax.set_xlim(*value_limits(m, lows, highs, difference=True))
                ax.margins(y=0.4)
                ax.grid(axis="x", alpha=0.3)
            axes_d[0].set_yticks(
                range(len(others)), labels=[wrap_name(f"{n} − {base}", 26, 2) for n in others]
            )
            axes_d[0].invert_yaxis()
            if conf and len(names) > 2:
                level = _t("plot.compare.bonferroni", conf=f"{100 * conf:.1f}")
            else:
                level = _t("plot.ci95")
            foot += TEXT["compare_bottom"].format(base=base, level=level)
        fig.supxlabel(wrap_text(foot, 150), fontsize=9, color="#3a3a3a")
        return _finish(fig, cjk)


def group_queue_by_period(res: Results, width: float) -> pd.DataFrame | None:
    """Time-average number waiting per window group and period, mean over replications,
    from citizens.parquet (a citizen waits from ticket to call; one who leaves unserved,
    from ticket until leaving, when the log has that wait).  None without the log."""
    citizens = res.table("citizens", required=False)
    if citizens is None or citizens.empty:
        return None
    need = {"scenario", "replication", "arrival_min", "wait_min", "window_group"}
    if not need <= set(citizens.columns):
        return None
    c = citizens.dropna(subset=["wait_min", "window_group"])
    if c["window_group"].nunique() < 2:
        return None
    periods = res.table("periods")
    assert periods is not None
    starts = np.sort(periods["period_start_min"].unique()).astype(float)
    rows = []
    for (name, group), d in c.groupby(["scenario", "window_group"], sort=False):
        reps = max(1, int(citizens.loc[citizens["scenario"] == name, "replication"].nunique()))
        t0 = d["arrival_min"].to_numpy(float)
        t1 = t0 + d["wait_min"].to_numpy(float)
        for s0 in starts:
            overlap = np.clip(np.minimum(t1, s0 + width) - np.maximum(t0, s0), 0, None)
            rows.append((name, str(group), s0, float(overlap.sum()) / width / reps))
    return pd.DataFrame(rows, columns=["scenario", "group", "period_start_min", "queue"])


GROUP_DASHES = ("-", "--", ":", "-.", (0, (6, 2, 1, 2, 1, 2)), (0, (1, 4)), (0, (8, 3)))
"""Line styles telling window groups apart (colour tells scenarios apart)."""

BAND_ALPHA = 0.12
"""Opacity of a 95% band: three overlapping bands stay readable; each band's edges are
drawn as thin lines so that overlaps do not blur into one colour."""


def _band(ax, x, lo, hi, colour) -> None:
    ax.fill_between(x, lo, hi, color=colour, alpha=BAND_ALPHA, lw=0)
    for edge in (lo, hi):
        ax.plot(x, edge, color=colour, lw=0.6, alpha=0.6)


def plot_day(folder: str | os.PathLike | Results) -> Figure:
    """Queue length and mean wait by period over the day, with windows staffed.

    Lines are means across replications with 95% Student-t bands (light, with edge
    lines); with the citizen log and more than one window group, a panel of the queue
    per window group; the windows staffed in a small panel of their own at the bottom
    (no second y axis).
    """
    res = load_results(folder)
    names = _need_scenarios(res, "a day plot")
    cols = ["scenario", "period_start_min", "queue_len_mean", "wait_mean_min", "staffed_windows"]
    periods = res.check_columns("periods", cols)
    colours = _colours(names)
    starts = np.sort(periods["period_start_min"].unique())
    width = float(np.min(np.diff(starts))) if len(starts) > 1 else 30.0
    day = all(res.settings.get(n, {}).get("run", {}).get("mode", "day") == "day" for n in names)
    by_group = group_queue_by_period(res, width)
    groups = sorted(by_group["group"].unique()) if by_group is not None else []
    styles = GROUP_DASHES
    with _style([*names, *groups]) as cjk:
        fig = _figure()
        ratios = [3, 3, 3, 1.3] if groups else [3, 3, 1.3]
        axes = fig.subplots(len(ratios), 1, sharex=True, height_ratios=ratios)
        ax_q, ax_w, ax_s = axes[0], axes[-2], axes[-1]
        ax_g = axes[1] if groups else None
        for name in names:
            d = periods[periods["scenario"] == name]
            for ax, col in ((ax_q, "queue_len_mean"), (ax_w, "wait_mean_min")):
                t = t_summary(d, ["period_start_min"], col)
                x = t["period_start_min"] + width / 2
                ax.plot(x, t["mean"], color=colours[name], lw=2, label=wrap_name(name, 30, 2))
                _band(ax, x, np.clip(t["ci_low"], 0, None), t["ci_high"], colours[name])
            s = d.groupby("period_start_min")["staffed_windows"].mean()
            ax_s.step(
                np.r_[s.index.to_numpy(float), s.index[-1] + width],
                np.r_[s.to_numpy(float), s.iloc[-1]],
                where="post",
                color=colours[name],
                lw=1.5,
            )
            if ax_g is not None and by_group is not None:
                g = by_group[by_group["scenario"] == name]
                for j, group in enumerate(groups):
                    q = g[g["group"] == group].sort_values("period_start_min")
                    if q.empty:
                        continue
                    ax_g.plot(
                        q["period_start_min"] + width / 2,
                        q["queue"],
                        color=colours[name],
                        ls=styles[j % len(styles)],
                        lw=1.6,
                    )
        ax_s.set_ylim(0, max(1.0, float(periods["staffed_windows"].max()) * 1.2))
        ax_s.set_ylabel(_t("plot.day.staffed"), fontsize=8)
        ax_s.tick_params(labelsize=8)
        ax_q.set_ylim(bottom=0)
        ax_w.set_ylim(bottom=0)
        ax_q.set_ylabel(_t("plot.day.queue_y"), fontsize=9)
        ax_w.set_ylabel(_t("plot.day.wait_y"), fontsize=9)
        ax_q.set_title(_t("plot.day.queue_title"), loc="left", fontsize=10)
        ax_w.set_title(_t("plot.day.wait_title"), loc="left", fontsize=10)
        handles, labels = ax_q.get_legend_handles_labels()
        if ax_g is not None:
            ax_g.set_ylim(bottom=0)
            ax_g.set_ylabel(_t("plot.day.queue_y"), fontsize=9)
            ax_g.set_title(_t("plot.day.group_title"), loc="left", fontsize=10)
            for j, group in enumerate(groups):
                handles.append(Line2D([], [], color="grey", ls=styles[j % len(styles)], lw=1.6))
                labels.append(_t("plot.day.group", group=wrap_name(group, 24, 1)))
        widest = max(len(t) for line in labels for t in line.split("\n"))
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=min(len(labels), 5 if widest <= 16 else 3 if widest <= 26 else 2),
        )
        if day:
            ax_s.xaxis.set_major_formatter(FuncFormatter(_clock))
            ax_s.set_xticks(np.arange(starts[0], starts[-1] + width + 1, 60.0))
            ax_s.set_xlabel(_t("plot.day.x"))
            closes = {res.settings.get(n, {}).get("hall", {}).get("close") for n in names} - {None}
            for c in closes:
                hh, mm = (int(v) for v in c.split(":"))
                for ax in axes:
                    ax.axvline(hh * 60 + mm, color="grey", lw=1, ls="--")
                ax_q.annotate(
                    _t("plot.day.close", time=c),
                    (hh * 60 + mm, 1),
                    xycoords=("data", "axes fraction"),
                    xytext=(3, -12),
                    textcoords="offset points",
                    fontsize=9,
                    color="grey",
                )
        else:
            ax_s.set_xlabel(_t("plot.day.sim_x"))
        fig.suptitle(
            _t("plot.day.title", reps=_reps_note(res), width=f"{width:g}"),
            fontsize=12,
        )
        return _finish(fig, cjk)


CELL_FONT_PT = 11
"""Numbers in heatmap cells, points: a 10-inch figure shown across a 13.3-inch 16:9
slide draws them at 11 × 13.33 / 10 ≈ 14.7 pt (the slide-readable minimum is 14)."""
UTILISATION_MAX_NUMBERED = 20
"""More periods than this and the cells are too narrow for numbers (colour only)."""


def _close_min(res: Results, name: str) -> float | None:
    """The hall's closing time (minutes after midnight) of a day-mode scenario."""
    settings = res.settings.get(name, {})
    if settings.get("run", {}).get("mode", "day") != "day":
        return None
    close = settings.get("hall", {}).get("close")
    if not close:
        return None
    hh, mm = (int(v) for v in str(close).split(":"))
    return hh * 60.0 + mm


def plot_utilisation(folder: str | os.PathLike | Results) -> Figure:
    """Heatmap of window-group utilisation (busy ÷ staffed time) by period.

    One panel per scenario, mean across replications; grey cells had no
    staffed time.
    """
    res = load_results(folder)
    names = _need_scenarios(res, "a utilisation plot")
    periods = res.check_columns("periods", ["scenario", "period_start_min", "period"])
    ucols = [c for c in periods.columns if c.startswith("utilisation[") and c.endswith("]")]
    if not ucols:
        raise ResultsError(
            f"{res.folder / 'periods.parquet'}: incomplete, no utilisation[<group>] columns"
        )
    panels = []
    dropped = set()
    for name in names:
        d = periods[periods["scenario"] == name]
        close = _close_min(res, name)
        if close is not None and (d["period_start_min"] >= close).any():
            # after closing only the last citizens are served: a 100% column there is
            # not the peak of the day (the day plot shows that overtime)
            d = d[d["period_start_min"] < close]
            dropped.add(res.settings[name]["hall"]["close"])
        groups = [c for c in ucols if d[c].notna().any()]
        if not groups:
            continue
        m = d.groupby("period_start_min")[groups].mean()
        labels = d.groupby("period_start_min")["period"].first().reindex(m.index)
        panels.append((name, [g[len("utilisation[") : -1] for g in groups], m, labels))
    if not panels:
        raise ResultsError(f"{res.folder / 'periods.parquet'}: no utilisation values")
    texts = names + [g for _, gs, _, _ in panels for g in gs]
    with _style(texts) as cjk:
        fig = _figure()
        axes = fig.subplots(
            len(panels),
            1,
            squeeze=False,
            sharex=True,
            height_ratios=[len(p[1]) + 0.6 for p in panels],
        )[:, 0]
        cmap = matplotlib.colormaps[SEQUENTIAL_CMAP].with_extremes(bad="#DDDDDD")
        image = None
        for ax, (name, groups, m, _labels) in zip(axes, panels, strict=True):
            values = m.to_numpy(float).T
            image = ax.imshow(
                np.ma.masked_invalid(values),
                aspect="auto",
                cmap=cmap,
                vmin=0,
                vmax=1,
                interpolation="nearest",
            )
            ax.set_yticks(range(len(groups)), labels=[wrap_name(g, 24, 1) for g in groups])
            ax.set_title(wrap_name(name, 90, 1), loc="left", fontsize=11)
            if values.shape[1] <= UTILISATION_MAX_NUMBERED:
                for (r, c), v in np.ndenumerate(values):
                    if np.isfinite(v):
                        ax.text(
                            c,
                            r,
                            f"{100 * v:.0f}",
                            ha="center",
                            va="center",
                            fontsize=CELL_FONT_PT,
                            color="black" if v > 0.55 else "white",
                        )
            for side in ("top", "right", "left", "bottom"):
                ax.spines[side].set_visible(False)
        longest = max(panels, key=lambda p: len(p[3]))
        step = max(1, math.ceil(len(longest[3]) / 10))
        axes[-1].set_xticks(range(0, len(longest[3]), step), labels=list(longest[3].iloc[::step]))
        axes[-1].set_xlabel(_t("plot.util.x"))
        fig.supylabel(_t("plot.util.y"), fontsize=11)
        assert image is not None
        bar = fig.colorbar(image, ax=list(axes), shrink=0.9, pad=0.01)
        bar.set_label(_t("plot.util.bar"))
        bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        title = _t("plot.util.title", reps=_reps_note(res))
        if dropped:
            title += "\n" + TEXT["after_close"].format(close=", ".join(sorted(dropped)))
        fig.suptitle(title, fontsize=12)
        return _finish(fig, cjk)


def plot_matters(folder: str | os.PathLike | Results) -> Figure:
    """Heatmap of the mean wait by matter and hour of arrival (citizens.parquet, pooled
    over the replications; served citizens).  One panel per scenario on one colour
    scale, light = shorter wait; cells with fewer than ``MATTERS_MIN_CITIZENS``
    citizens are left grey (too few to say)."""
    res = load_results(folder)
    names = _need_scenarios(res, "a matter-by-hour plot")
    citizens = res.table("citizens")
    assert citizens is not None
    for c in ("scenario", "arrival_min", "matter", "wait_min", "outcome"):
        if c not in citizens.columns:
            raise ResultsError(f"{res.folder / 'citizens.parquet'}: incomplete, no column {c!r}")
    served = citizens[citizens["outcome"] == "served"].dropna(subset=["wait_min"])
    served = served.assign(hour=(served["arrival_min"] // 60).astype(int))
    hours = sorted(served["hour"].unique())
    matters = list(dict.fromkeys(served["matter"].astype(str)))
    grids = []
    for name in names:
        d = served[served["scenario"] == name]
        g = d.groupby(["matter", "hour"])["wait_min"].agg(["mean", "count"])
        mean = g["mean"].where(g["count"] >= MATTERS_MIN_CITIZENS).unstack("hour")
        grids.append(mean.reindex(index=matters, columns=hours).to_numpy(float))
    vmax = max([float(np.nanmax(g)) for g in grids if np.isfinite(g).any()] or [1.0])
    with _style([*names, *matters]) as cjk:
        fig = _figure()
        axes = fig.subplots(len(names), 1, squeeze=False, sharex=True)[:, 0]
        cmap = matplotlib.colormaps[SEQUENTIAL_CMAP + "_r"].with_extremes(bad="#DDDDDD")
        image = None
        for ax, name, values in zip(axes, names, grids, strict=True):
            image = ax.imshow(
                np.ma.masked_invalid(values),
                aspect="auto",
                cmap=cmap,
                vmin=0,
                vmax=vmax,
                interpolation="nearest",
            )
            ax.set_yticks(range(len(matters)), labels=[wrap_name(m, 24, 1) for m in matters])
            ax.set_title(wrap_name(name, 60, 1), loc="left", fontsize=11)
            numbers = len(hours) <= 14 and len(names) * len(matters) <= 12
            for (r, c), v in np.ndenumerate(values):
                if numbers and np.isfinite(v):
                    ax.text(
                        c,
                        r,
                        f"{v:.1f}",
                        ha="center",
                        va="center",
                        fontsize=CELL_FONT_PT,
                        color="black" if v < 0.45 * vmax else "white",
                    )
            for side in ("top", "right", "left", "bottom"):
                ax.spines[side].set_visible(False)
        axes[-1].set_xticks(range(len(hours)), labels=[f"{h:02d}:00" for h in hours])
        axes[-1].set_xlabel(_t("plot.matters.x"))
        assert image is not None
        bar = fig.colorbar(image, ax=list(axes), shrink=0.9, pad=0.01)
        bar.set_label(_t("plot.matters.bar"))
        fig.suptitle(
            _t("plot.matters.title", reps=_reps_note(res), n=MATTERS_MIN_CITIZENS),
            fontsize=12,
        )
        return _finish(fig, cjk)


MATTERS_MIN_CITIZENS = 5
"""A matter × hour cell with fewer served citizens (pooled over replications) is grey."""


SATISFACTION_BANDS = (
    ("1–2 dissatisfied (predicted)", "#D55E00"),
    ("3 neutral (predicted)", "#BBBBBB"),
    ("4–5 satisfied (predicted)", "#0072B2"),
)
RATING_COLOURS = ("#D55E00", "#E69F00", "#BBBBBB", "#56B4E9", "#0072B2")


def plot_satisfaction(folder: str | os.PathLike | Results) -> Figure:
    """Stacked bars of the PREDICTED 1–5 rating distribution per scenario.

    Uses the per-level shares when the replications table has ``rating_1`` ..
    ``rating_5`` columns; otherwise three bands from summary.json: rating 1–2
    (``bad_review_rate``), 4–5 (``csat``) and 3 as the rest.  Model output,
    not survey data.
    """
    res = load_results(folder)
    names = _need_scenarios(res, "a satisfaction plot")
    reps = res.table("replications")
    assert reps is not None
    levels = [f"rating_{k}" for k in range(1, 6)]
    rows: list[tuple[str, list[float], float | None]] = []
    if all(c in reps.columns for c in levels):
        bands = [
            (_t("plot.sat.rating", k=k), c)
            for k, c in zip(range(1, 6), RATING_COLOURS, strict=True)
        ]
        for name in names:
            d = reps.loc[reps["scenario"] == name, levels].mean()
            mean = res.metrics(name).get("satisfaction_mean", {}).get("mean")
            rows.append((name, [float(v) for v in d], mean))
    else:
        bands = [
            (_t(f"plot.sat.band{i}"), colour) for i, (_, colour) in enumerate(SATISFACTION_BANDS)
        ]
        for name in names:
            m = res.metrics(name)
            csat = m.get("csat", {}).get("mean")
            bad = m.get("bad_review_rate", {}).get("mean")
            if csat is None or bad is None:
                raise ResultsError(
                    f"{res.folder / 'summary.json'}: no predicted satisfaction for {name!r} "
                    "(satisfaction model disabled?)"
                )
            rows.append(
                (name, [bad, max(0.0, 1 - csat - bad), csat], m["satisfaction_mean"]["mean"])
            )
    with _style(names) as cjk:
        fig = _figure()
        ax = fig.add_subplot()
        for i, (_name, shares, _mean) in enumerate(rows):
            left = 0.0
            for (label, colour), share in zip(bands, shares, strict=True):
                ax.barh(
                    i,
                    share,
                    left=left,
                    color=colour,
                    edgecolor="white",
                    height=0.6,
                    label=label if i == 0 else None,
                )
                if share >= 0.04:
                    ax.text(
                        left + share / 2,
                        i,
                        f"{100 * share:.0f}%",
                        ha="center",
                        va="center",
                        fontsize=10,
                        color="white" if colour in ("#D55E00", "#0072B2") else "black",
                    )
                left += share
        for i, (_name, shares, mean) in enumerate(rows):
            if not any(np.isfinite(v) for v in shares):  # [satisfaction] enabled = false
                ax.text(
                    0.5,
                    i,
                    _t("plot.sat.off"),
                    ha="center",
                    va="center",
                    fontsize=10,
                    color="#555555",
                )
            elif mean is not None:
                ax.annotate(
                    _t("plot.sat.mean", mean=f"{mean:.2f}"),
                    (1.0, i),
                    xytext=(8, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=10,
                    annotation_clip=False,
                )
        ax.set_yticks(range(len(rows)), labels=[wrap_name(r[0]) for r in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)  # first scenario on top; rows without bars too
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlabel(_t("plot.sat.x"))
        ax.set_ylabel(_t("plot.scenario"))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=len(bands))
        fig.suptitle(
            _t("plot.sat.title", reps=_reps_note(res)),
            x=0.01,
            ha="left",
            fontsize=12,
        )
        return _finish(fig, cjk)


def _sweep_table(res: Results, metric: str, params: list[str]) -> pd.DataFrame:
    """Per sweep point: parameter values, mean, ci_low, ci_high (95% t) of ``metric``."""
    results = res.table("results", required=False)
    if results is not None and not results.empty:
        if metric not in results.columns:
            known = [c for c in results.columns if c in METRIC_INFO]
            raise ResultsError(
                f"{res.folder / 'results.parquet'}: no metric {metric!r} (has {known})"
            )
        missing = [p for p in params if p not in results.columns]
        if missing:
            raise ResultsError(
                f"{res.folder / 'results.parquet'}: no parameter column(s) {missing}"
            )
        return t_summary(results, params, metric)
    summary = res.table("summary")
    assert summary is not None
    cols = [f"{metric}_mean", f"{metric}_ci_low", f"{metric}_ci_high"]
    missing = [c for c in [*params, *cols] if c not in summary.columns]
    if missing:
        raise ResultsError(f"{res.folder / 'summary.parquet'}: no column(s) {missing}")
    out = summary[[*params, *cols]].copy()
    out.columns = [*params, "mean", "ci_low", "ci_high"]
    return out


def _sweep_params(res: Results) -> list[str]:
    params = res.summary.get("parameters")
    if params:
        return [str(p) for p in params]
    df = res.table("results", required=False)
    if df is None:
        df = res.table("summary")
    assert df is not None
    return [c for c in df.columns if "." in c and not c.endswith(("_mean", "_ci_low", "_ci_high"))]


PARAM_LABELS = i18n.Table("plots.param.")
"""Human labels of swept dotted paths ('*' stands for a list index; {group}: the window
group's name in the swept scenario).  Other paths: their last part in words."""


def param_label(res: Results, path: str) -> str:
    """A swept parameter in words, e.g. 'windows.0.count' -> 'windows: integrated'."""
    import re

    parts = path.split(".")
    pattern = ".".join("*" if p.isdigit() else p for p in parts)
    group = ""
    if len(parts) > 1 and parts[1].isdigit():
        scenario = _sweep_scenario(res)
        items = scenario.get(parts[0]) or []
        index = int(parts[1])
        if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
            group = str(items[index].get("name", _t("plot.group_n", n=index + 1)))
        else:
            group = _t("plot.group_n", n=index + 1)
    if pattern in PARAM_LABELS:
        return PARAM_LABELS[pattern].format(group=group)
    last = re.sub(r"_min$", " (min)", parts[-1]).replace("_", " ")
    if i18n.current() == "zh":
        last = i18n.scenario_key_zh(path) or last
    return f"{last}: {group}" if group else last


def _sweep_scenario(res: Results) -> dict[str, Any]:
    """The swept scenario's settings (scenario.json of a sweep folder), or {}."""
    path = res.folder / "scenario.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def metric_number(metric: str, value: float) -> str:
    """One number format per metric for every label of a figure: shares in whole-ish
    per cent (one decimal), everything else with one decimal."""
    if not np.isfinite(value):
        return ""
    return f"{value:.1f}"


def _fmt_param(value: Any) -> str:
    """A swept value as a tick label: 3.0 -> '3', 0.25 -> '0.25'."""
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def _positions(values: list[Any]) -> tuple[np.ndarray, bool]:
    """Numeric x positions, and whether the axis is categorical."""
    try:
        return np.asarray(values, dtype=float), False
    except (TypeError, ValueError):
        return np.arange(len(values), dtype=float), True


def plot_sweep(
    folder: str | os.PathLike | Results,
    metric: str = "wait_mean_min",
    x: str | None = None,
    hue: str | None = None,
) -> Figure:
    """A metric against a swept parameter, with 95% CI bands across replications.

    ``x`` (default: the first swept parameter) is the horizontal axis; ``hue``
    (default: the second, if any) gives one line per value and adds a heatmap
    panel of x × hue.  Any further parameters are held at their first value.
    """
    res = load_results(folder)
    if res.kind != "sweep":
        raise ResultsError(
            f"{res.folder}: not a sweep folder (no manifest.json with kind 'sweep'); "
            "sweep plots need the output of hallsim sweep"
        )
    params = _sweep_params(res)
    if not params:
        raise ResultsError(f"{res.folder / 'manifest.json'}: no swept parameters")
    for p in (x, hue):
        if p is not None and p not in params:
            raise ResultsError(f"{res.folder}: {p!r} was not swept (swept: {params})")
    x = x or params[0]
    if hue is None:
        hue = next((p for p in params if p != x), None)
    elif hue == x:
        raise ResultsError(f"{res.folder}: the line parameter must differ from x ({x!r})")
    table = _sweep_table(res, metric, params)
    held = []
    for p in params:
        if p in (x, hue):
            continue
        first = sorted(table[p].unique())[0]
        table = table[table[p] == first]
        held.append(f"{param_label(res, p)} = {_fmt_param(first)}")
    k = metric_scale(metric)
    xs = sorted(table[x].unique())
    xpos, categorical = _positions(xs)
    where = dict(zip(xs, xpos, strict=True))
    hues = sorted(table[hue].unique()) if hue else [None]
    reps = res.table("results", required=False)
    n_reps = int(reps["replication"].nunique()) if reps is not None and "replication" in reps else 0
    texts = [_fmt_param(v) for v in xs] + [_fmt_param(v) for v in hues] + [metric]
    texts += [param_label(res, p) for p in params]
    with _style(texts) as cjk:
        fig = _figure()
        if hue:
            ax, ax_h = fig.subplots(1, 2, width_ratios=[1.35, 1])
        else:
            ax, ax_h = fig.add_subplot(), None
        for i, h in enumerate(hues):
            d = table if h is None else table[table[hue] == h]
            d = d.assign(_x=d[x].map(where)).sort_values("_x")
            colour = OKABE_ITO[i % len(OKABE_ITO)]
            ax.plot(
                d["_x"],
                d["mean"] * k,
                "o-",
                color=colour,
                lw=2,
                label=None if h is None else _fmt_param(h),
            )
            # every hallsim metric is >= 0: a t-band below zero would only mislead
            lo_b, hi_b = (v * k for v in metric_bounds(metric))
            ax.fill_between(
                d["_x"],
                np.clip(d["ci_low"] * k, lo_b, hi_b),
                np.clip(d["ci_high"] * k, lo_b, hi_b),
                color=colour,
                alpha=0.2,
                lw=0,
            )
        if categorical or len(xs) <= 12:
            ax.set_xticks(xpos, labels=[_fmt_param(v) for v in xs])
        x_label = param_label(res, x)
        hue_label = param_label(res, hue) if hue else ""
        ax.set_xlabel(x_label)
        ax.set_ylabel(metric_label(metric))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: metric_number(metric, v)))
        ax.grid(alpha=0.3)
        if is_percent(metric):
            ax.set_ylim(*value_limits(metric, [ax.get_ylim()[0]], [ax.get_ylim()[1]]))
            mark_zoomed(ax, metric, "y")
        else:
            ax.set_ylim(bottom=0)
        if hue:
            fig.legend(
                title=_t("plot.sweep.line_per", hue=hue_label),
                loc="outside lower center",
                ncols=min(len(hues), 8),
            )
            grid = table.pivot_table(index=hue, columns=x, values="mean", aggfunc="mean")
            grid = grid.reindex(index=hues, columns=xs)
            values = grid.to_numpy(float) * k
            # better is always the light (yellow) end of the map, whatever the metric
            from hallsim.decision import direction

            lower_better = direction(metric) < 0
            cmap = SEQUENTIAL_CMAP + ("_r" if lower_better else "")
            image = ax_h.imshow(values, aspect="auto", cmap=cmap, origin="lower")
            ax_h.set_xticks(range(len(xs)), labels=[_fmt_param(v) for v in xs])
            ax_h.set_yticks(range(len(hues)), labels=[_fmt_param(v) for v in hues])
            ax_h.set_xlabel(x_label)
            ax_h.set_ylabel(hue_label)
            lo, hi = np.nanmin(values), np.nanmax(values)
            for (r, c), v in np.ndenumerate(values):
                if np.isfinite(v):
                    frac = (v - lo) / (hi - lo) if hi > lo else 0.5
                    light = (1 - frac if lower_better else frac) > 0.55
                    ax_h.text(
                        c,
                        r,
                        metric_number(metric, v),
                        ha="center",
                        va="center",
                        fontsize=CELL_FONT_PT,
                        color="black" if light else "white",
                    )
            bar = fig.colorbar(image, ax=ax_h, shrink=0.9)
            bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: metric_number(metric, v)))
            if direction(metric) != 0:
                bar.set_label(metric_label(metric) + "\n" + _t("plot.lighter_better"))
            else:
                bar.set_label(metric_label(metric))
            ax_h.set_title(_t("plot.sweep.pair"), loc="left", fontsize=11)
            for side in ("top", "right", "left", "bottom"):
                ax_h.spines[side].set_visible(False)
        title = _t("plot.sweep.title", metric=metric_label(metric), x=x_label)
        sub = _t("plot.sweep.sub", n=n_reps) if n_reps else _t("plot.sweep.sub_plain")
        if held:
            sub += _t("plot.sweep.held", held=", ".join(held))
        if ax_h is None:
            ax.set_title(sub, loc="left", fontsize=10, fontweight="normal")
            fig.suptitle(title, fontsize=12)
        else:  # two panels: the long subtitle goes under the title, clear of both panels
            fig.suptitle(f"{title}\n{sub}", fontsize=11)
        return _finish(fig, cjk)


def plot_tornado(folder: str | os.PathLike | Results, metric: str = "wait_mean_min") -> Figure:
    """Tornado chart of the robustness check (``compare --robustness``): per assumption,
    the paired difference scenario − baseline in ``metric`` at the low and high ends of
    its plausible range, largest swing on top; the vertical line is the base
    difference and 0 is marked.  One panel per compared scenario."""
    res = load_results(folder)
    check = res.summary.get("robustness")
    if not check or metric not in check.get("tornado", {}):
        raise ResultsError(
            f"{res.folder / 'summary.json'}: no robustness check for {metric} "
            "(run hallsim compare ... --robustness)"
        )
    panels = check["tornado"][metric]
    pct = is_percent(metric)
    scale = 100.0 if pct else 1.0
    with _style(list(panels)) as cjk:
        fig = _figure()
        axes = fig.subplots(1, len(panels), squeeze=False, sharey=False)[0]
        for ax, (name, bars) in zip(axes, panels.items(), strict=True):
            bars = [b for b in bars if b["swing"] and np.isfinite(b["swing"])][:10][::-1]
            ys = np.arange(len(bars))
            for y, b in zip(ys, bars, strict=True):
                lo, hi = scale * b["low"], scale * b["high"]
                ax.barh(y, hi - lo, left=lo, color=OKABE_ITO[1], alpha=0.8, height=0.6)
                ax.annotate(
                    f"{b['low_value']:g}" if isinstance(b["low_value"], float | int) else "",
                    (lo, y),
                    fontsize=7,
                    ha="right",
                    va="center",
                )
                ax.annotate(
                    f"{b['high_value']:g}" if isinstance(b["high_value"], float | int) else "",
                    (hi, y),
                    fontsize=7,
                    ha="left",
                    va="center",
                )
            ax.set_yticks(ys, [b["assumption"].split(".")[-1] for b in bars], fontsize=8)
            if bars:
                ax.axvline(scale * bars[0]["base"], color="black", lw=1)
            ax.axvline(0, color="grey", lw=0.8, ls=":")
            ax.set_title(f"{name} − {res.scenarios[0]}", fontsize=10)
            ax.set_xlabel(metric_label(metric, difference=True))
            ax.grid(axis="x", alpha=0.3)
        label = metric_label(metric)
        predicted_word = _t("predicted")
        note = (
            _t("predicted_suffix") if is_predicted(metric) and predicted_word not in label else ""
        )
        fig.suptitle(_t("plot.tornado.title", label=label, note=note), fontsize=11)
        return _finish(fig, cjk)


# --------------------------------------------------------------------------- stations


def plot_stations(folder: str | os.PathLike | Results) -> Figure:
    """Per station (docs/visits.md): mean wait and mean service there, per scenario.

    One bar per (station, scenario): the wait, then the service time, stacked; the
    whisker is the 95% Student-t interval of the time at the station over replications.
    """
    res = load_results(folder)
    names = _need_scenarios(res, "a stations plot")
    st = res.table("stations", required=False)
    if st is None or st.empty:
        raise ResultsError(
            f"{res.folder / 'stations.parquet'}: missing (only scenarios with [visits] or "
            "[[stations]] write it)"
        )
    if "scenario" not in st.columns:
        st = st.assign(scenario=names[0])
    total = t_summary(st, ["scenario", "station"], "time_at_station_mean_min")
    wait = st.groupby(["scenario", "station"])["wait_mean_min"].mean()
    stations = list(dict.fromkeys(st["station"]))
    colours = _colours(names)
    with _style(names + stations) as cjk:
        fig = _figure()
        ax = fig.subplots()
        height = 0.8 / max(len(names), 1)
        for j, name in enumerate(names):
            for i, station in enumerate(stations):
                row = total[(total.scenario == name) & (total.station == station)]
                if row.empty:
                    continue
                y = i + j * height
                w = float(wait.get((name, station), np.nan))
                t = float(row["mean"].iloc[0])
                ax.barh(y, w, height, color=colours[name], alpha=0.45)
                ax.barh(
                    y, t - w, height, left=w, color=colours[name], label=name if i == 0 else None
                )
                lo, hi = row["ci_low"].iloc[0], row["ci_high"].iloc[0]
                if np.isfinite(lo) and np.isfinite(hi):
                    ax.plot([lo, hi], [y, y], color="black", linewidth=1)
        ax.set_yticks(
            [i + height * (len(names) - 1) / 2 for i in range(len(stations))], labels=stations
        )
        ax.invert_yaxis()
        ax.set_xlabel(_t("plot.stations.xlabel"))
        ax.set_title(_t("plot.stations.title", reps=_reps_note(res)), loc="left")
        ax.legend(frameon=False, fontsize=9)
        return _finish(fig, cjk)


def plot_roster(advice: dict[str, Any]) -> Figure:
    """The staffing advisor's roster (``hallsim staff --json`` as a dict): top, the
    windows per period of each group, advised (simulation-checked, solid) and Erlang's
    (dashed); bottom, the target metric per period achieved by the advised roster
    (95% interval) and by Erlang's roster, with the target as a line."""
    periods = advice.get("periods") or []
    if not periods:
        raise ResultsError("staffing advice: no periods")
    groups = [str(g) for g in advice.get("groups") or ["windows"]]
    metric = str(advice.get("metric", "service_level"))
    target_text = str(advice.get("target", ""))
    import re

    found = re.search(r"([<>]=)\s*([0-9.]+)", target_text)
    goal = float(found.group(2)) if found else None
    k = metric_scale(metric)
    starts = np.array([float(p["start_min"]) for p in periods])
    ends = np.array([float(p["end_min"]) for p in periods])
    with _style([*groups, str(advice.get("scenario", ""))]) as cjk:
        fig = _figure()
        ax_w, ax_m = fig.subplots(2, 1, sharex=True, height_ratios=[1, 1.2])
        for j, g in enumerate(groups):
            colour = OKABE_ITO[j % len(OKABE_ITO)]
            for key, ls, what in (
                ("advised", "-", _t("plot.roster.advised")),
                ("erlang", "--", "Erlang"),
            ):
                ys = np.array([float(p[key][j]) for p in periods])
                ax_w.step(
                    np.r_[starts, ends[-1]],
                    np.r_[ys, ys[-1]],
                    where="post",
                    color=colour,
                    ls=ls,
                    lw=2 if ls == "-" else 1.4,
                    label=f"{wrap_name(g, 24, 1)}: {what}",
                )
        ax_w.set_ylim(bottom=0)
        ax_w.set_ylabel(_t("plot.roster.staffed"))
        ax_w.set_title(
            _t(
                "plot.roster.title",
                hours=f"{advice.get('staff_hours', 0):g}",
                erlang=f"{advice.get('staff_hours_erlang', 0):g}",
            ),
            loc="left",
            fontsize=10,
        )
        ax_w.legend(loc="upper left", ncols=2, fontsize=8)
        mids = (starts + ends) / 2
        achieved = [p.get(metric) or {} for p in periods]
        mean = np.array([np.nan if a.get("mean") is None else a["mean"] * k for a in achieved])
        lo = np.array([np.nan if a.get("ci_low") is None else a["ci_low"] * k for a in achieved])
        hi = np.array([np.nan if a.get("ci_high") is None else a["ci_high"] * k for a in achieved])
        ax_m.errorbar(
            mids,
            mean,
            yerr=[np.clip(mean - lo, 0, None), np.clip(hi - mean, 0, None)],
            fmt="o-",
            color=OKABE_ITO[0],
            lw=1.6,
            capsize=3,
            label=_t("plot.roster.advised_sim"),
        )
        erl = [p.get(f"{metric}_erlang_roster") for p in periods]
        ax_m.plot(
            mids,
            [np.nan if v is None else v * k for v in erl],
            "s--",
            color=OKABE_ITO[3],
            lw=1.2,
            ms=4,
            label=_t("plot.roster.erlang_sim"),
        )
        if goal is not None:
            ax_m.axhline(goal * k, color="black", lw=1, ls=":")
            ax_m.annotate(
                _t("plot.roster.target", target=target_text),
                (0, goal * k),
                xycoords=("axes fraction", "data"),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize=9,
            )
        ax_m.set_ylabel(metric_label(metric))
        if is_percent(metric):
            ax_m.set_ylim(*value_limits(metric, [np.nanmin(lo)], [np.nanmax(hi)]))
            mark_zoomed(ax_m, metric, "y")
        else:
            ax_m.set_ylim(bottom=0)
        ax_m.legend(loc="best", fontsize=8)
        ax_m.xaxis.set_major_formatter(FuncFormatter(_clock))
        ax_m.set_xticks(np.arange(starts[0], ends[-1] + 1, 60.0))
        ax_m.set_xlabel(_t("plot.roster.x"))
        fig.suptitle(
            _t(
                "plot.roster.suptitle",
                name=advice.get("scenario", ""),
                target=target_text,
                n=advice.get("replications", "?"),
            ),
            fontsize=12,
        )
        return _finish(fig, cjk)


def plot_sensitivity(sensitivity: dict[str, Any], metric: str = "wait_mean_min") -> Figure:
    """Tornado chart of ``hallsim sensitivity --json`` (as a dict): per assumption, the
    range of the change in ``metric`` from the base over its plausible values, largest
    swing on top (at most 12)."""
    rows = [r for r in sensitivity.get("rows") or [] if r.get("assumption") != "(base)"]
    key = f"{metric}_change"
    spans: dict[str, list[float]] = {}
    for r in rows:
        v = r.get(key)
        if v is None or not np.isfinite(v):
            continue
        spans.setdefault(str(r["assumption"]), []).append(float(v))
    if not spans:
        raise ResultsError(f"sensitivity: no changes of {metric}")
    k = metric_scale(metric)
    bars = sorted(
        (
            (a, min(0.0, *v) * k, max(0.0, *v) * k)
            for a, v in spans.items()
            if max(abs(x) for x in v) > 0  # an assumption that does not touch this metric
        ),
        key=lambda t: t[2] - t[1],
    )[-12:]
    if not bars:
        raise ResultsError(f"sensitivity: no assumption changes {metric}")
    label = metric_label(metric, difference=True)
    with _style([*(a for a, _, _ in bars), str(sensitivity.get("scenario", ""))]) as cjk:
        fig = _figure()
        ax = fig.add_subplot()
        ys = np.arange(len(bars))
        for y, (_a, lo, hi) in zip(ys, bars, strict=True):
            ax.barh(y, hi - lo, left=lo, color=OKABE_ITO[1], alpha=0.85, height=0.6)
        ax.set_yticks(ys, [wrap_name(a, 40, 1) for a, _, _ in bars], fontsize=9)
        ax.axvline(0, color="black", lw=1)
        ax.set_xlabel(_t("plot.sens.x", label=label))
        ax.grid(axis="x", alpha=0.3)
        predicted = _t("predicted")
        note = _t("predicted_suffix") if is_predicted(metric) and predicted not in label else ""
        fig.suptitle(
            _t(
                "plot.sens.title",
                name=sensitivity.get("scenario", ""),
                label=metric_label(metric),
                note=note,
            ),
            fontsize=11,
        )
        return _finish(fig, cjk)


def plot_clerks(folder: str | os.PathLike | Results) -> Figure:
    """Each clerk's utilisation and mean service time, with their speed factor.

    From ``clerks.parquet`` (written when clerks differ in speed: windows.N.speed_sd or
    speed_factors; docs/kiosks-tidal.md); one row of panels per scenario, means over
    the replications.
    """
    res = load_results(folder)
    names = _need_scenarios(res, "a per-clerk plot")
    clerks = res.table("clerks", required=False)
    if clerks is None or clerks.empty:
        raise ResultsError(
            f"{res.folder / 'clerks.parquet'}: missing (written when clerks differ in speed: "
            "windows.N.speed_sd or speed_factors)"
        )
    rows = []
    for name in names:
        d = clerks[clerks["scenario"] == name]
        if d.empty:
            continue
        m = d.groupby("window").agg(
            group=("window_group", "first"),
            speed=("speed_factor", "mean"),
            util=("utilisation", "mean"),
            service=("service_mean_min", "mean"),
        )
        rows.append((name, m))
    texts = names + [str(g) for _, m in rows for g in m["group"]]
    with _style(texts) as cjk:
        fig = _figure()
        axes = fig.subplots(len(rows), 2, squeeze=False)
        for (name, m), (ax_u, ax_s) in zip(rows, axes, strict=True):
            labels = [
                f"{g} #{w} (×{s:.2f})" for w, g, s in zip(m.index, m.group, m.speed, strict=True)
            ]
            y = np.arange(len(m))
            ax_u.barh(y, m.util.to_numpy(float), color="#0072B2")
            ax_u.set_yticks(y, labels=labels, fontsize=8)
            ax_u.invert_yaxis()
            ax_u.set_xlim(0, 1)
            ax_u.xaxis.set_major_formatter(PercentFormatter(1.0))
            ax_u.set_title(_t("plot.clerks.util", name=name), loc="left", fontsize=10)
            ax_s.barh(y, m.service.to_numpy(float), color="#E69F00")
            ax_s.set_yticks(y, labels=[])
            ax_s.invert_yaxis()
            ax_s.set_title(_t("plot.clerks.service"), loc="left", fontsize=10)
        axes[-1, 0].set_xlabel(_t("plot.clerks.util_x"))
        axes[-1, 1].set_xlabel(_t("plot.clerks.minutes"))
        fig.suptitle(
            _t("plot.clerks.title", reps=_reps_note(res)),
            fontsize=12,
        )
        return _finish(fig, cjk)


PLOTS: dict[str, Callable[..., Figure]] = {
    "waits": plot_waits,
    "compare": plot_compare,
    "day": plot_day,
    "utilisation": plot_utilisation,
    "satisfaction": plot_satisfaction,
    "matters": plot_matters,
    "sweep": plot_sweep,
    "tornado": plot_tornado,
    "stations": plot_stations,
    "clerks": plot_clerks,
}


# --------------------------------------------------------------------------- backtest


# metric -> (English, Chinese) label and the factor to the unit shown
BACKTEST_PANELS = {
    "arrived": ("tickets per day", "日取号数", 1.0),
    "abandoned_share": ("abandoned (%)", "弃号率(%)", 100.0),
    "wait_mean_min": ("mean wait of served (min)", "平均等候(分钟)", 1.0),
    "wait_p90_min": ("90th-percentile wait (min)", "90%等候(分钟)", 1.0),
    "service_level": ("service level (%)", "服务水平(%)", 100.0),
    "utilisation": ("utilisation (%)", "窗口利用率(%)", 100.0),
}


def backtest_figure_from_json(js: dict, source: str = "backtest.json"):
    """Observed vs simulated per period for the main metrics: the simulated mean, its
    95% confidence band (the mean's uncertainty) and the 95% one-day prediction band
    (where an observed day should fall); observed values as black dots."""
    zh = i18n.current() == "zh"

    periods = js.get("periods")
    if not isinstance(periods, list) or not periods or not isinstance(js.get("overall"), dict):
        raise ResultsError(f"{source}: not a backtest result (no periods / overall)")
    metrics = [m for m in BACKTEST_PANELS if all(isinstance(p.get(m), dict) for p in periods)]
    if not metrics:
        raise ResultsError(f"{source}: none of the backtest metrics {list(BACKTEST_PANELS)}")
    labels = [str(p.get("start", "")) for p in periods]
    x = np.arange(len(periods))

    def col(m, key, k):
        return np.array(
            [np.nan if p[m].get(key) is None else float(p[m][key]) * k for p in periods]
        )

    with _style(["模拟"] if zh else []) as cjk:
        fig = _figure()
        ncol = 3 if len(metrics) > 4 else 2
        nrow = math.ceil(len(metrics) / ncol)
        axes = fig.subplots(nrow, ncol, squeeze=False, sharex=True).ravel()
        for ax, m in zip(axes, metrics, strict=False):
            en, cn, k = BACKTEST_PANELS[m]
            ax.fill_between(
                x,
                col(m, "pi_low", k),
                col(m, "pi_high", k),
                alpha=0.18,
                color="C0",
                step="mid",
                label=_t("plot.bt.one_day"),
            )
            ax.fill_between(
                x,
                col(m, "ci_low", k),
                col(m, "ci_high", k),
                alpha=0.45,
                color="C0",
                step="mid",
                label=_t("plot.bt.mean_ci"),
            )
            mean_label = _t("plot.bt.mean")
            ax.plot(x, col(m, "mean", k), color="C0", lw=1.2, label=mean_label, ds="steps-mid")
            ax.plot(x, col(m, "observed", k), "ko", ms=3.5, label=_t("plot.bt.observed"))
            ax.set_ylabel(cn if zh else en, fontsize=8)
            lo = 0.0
            ax.set_ylim(bottom=lo, top=100 if k == 100 and ax.get_ylim()[1] > 100 else None)
            step = max(1, math.ceil(len(x) / 6))
            ax.set_xticks(x[::step], labels[::step], fontsize=7)
            ax.tick_params(axis="y", labelsize=7)
        for ax in axes[len(metrics) :]:
            ax.set_visible(False)
        for ax in axes[-ncol:]:
            if ax.get_visible():
                ax.set_xlabel(_t("plot.util.x"), fontsize=8)
        axes[0].legend(fontsize=6, loc="upper left")
        days, reps = js.get("days"), js.get("replications")
        fig.suptitle(
            _t("plot.bt.title", scenario=js.get("scenario", ""), days=days, reps=reps), fontsize=9
        )
        if cjk:
            fig.canvas.draw()
    return fig


def backtest_plot(folder):
    """The backtest figure of a folder written by ``hallsim backtest --out``."""
    path = Path(folder) / "backtest.json"
    if not path.is_file():
        raise ResultsError(f"{folder}: no backtest.json (write one with hallsim backtest --out)")
    try:
        js = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(js, dict):
        raise ResultsError(f"{path}: not a backtest result")
    return backtest_figure_from_json(js, str(path))


SLIDE_DPI = 192
"""Resolution of the ``slides/`` set: a 10 × 5.6 in figure becomes 1920 × 1075 px."""


def applicable(folder: str | os.PathLike | Results) -> list[tuple[str, str | None]]:
    """(kind, metric) of every figure that applies to a results folder, in slide order:
    a sweep folder gets a sweep figure per key metric it has; a run/compare folder every
    run kind its tables allow (the matter × hour heatmap needs the citizen log, the
    tornado a robustness check, the clerks figure a clerks table)."""
    res = load_results(folder)
    if res.kind == "sweep":
        table = res.table("results", required=False)
        if table is None:
            table = res.table("summary")
        assert table is not None
        cols = set(table.columns)
        have = [m for m in KEY_METRICS if m in cols or f"{m}_mean" in cols]
        return [("sweep", m) for m in have]
    kinds: list[tuple[str, str | None]] = [("compare", None), ("waits", None), ("day", None)]
    if res.table("citizens", required=False) is not None:
        kinds.append(("matters", None))
    kinds += [("utilisation", None), ("satisfaction", None)]
    tornado = (res.summary.get("robustness") or {}).get("tornado", {})
    kinds += [("tornado", m) for m in ("wait_mean_min", "csat") if m in tornado]
    if res.table("clerks", required=False) is not None:  # clerks who differ in speed
        kinds.append(("clerks", None))
    return kinds


def render(
    folder: str | os.PathLike | Results,
    kind: str,
    *,
    metric: str | None = None,
    x: str | None = None,
    hue: str | None = None,
) -> Figure:
    """The Figure of one ``kind`` (see ``KINDS``) for a results folder."""
    if kind == "backtest":  # a folder of hallsim backtest --out
        return backtest_plot(folder)
    if kind not in PLOTS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    res = load_results(folder)
    if kind == "sweep":
        return plot_sweep(res, metric or "wait_mean_min", x=x, hue=hue)
    if res.kind == "sweep":
        raise ResultsError(f"{res.folder}: a sweep folder; use --kind sweep --metric M")
    if kind == "compare" and metric:
        return plot_compare(res, [metric])
    if kind == "tornado":
        return plot_tornado(res, metric or "wait_mean_min")
    return PLOTS[kind](res)
