"""The fit report (HTML + PNG) of ``hallsim fit`` and the backtest figure."""

from __future__ import annotations

import html
import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def figures(res) -> dict[str, bytes]:
    out = {}
    a = res.tables["arrivals"]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    x = np.arange(len(a))
    per_hour = 60 / res.scenario["hall"]["period_min"]
    ax.errorbar(
        x,
        a["mean_per_day"] * per_hour,
        yerr=a["sd_per_day"] * per_hour,
        fmt="o",
        label="observed mean ± sd over days",
    )
    ax.step(x, a["rate_per_hour"], where="mid", label="fitted rate")
    ax.set_xticks(x[:: max(1, len(x) // 12)], a["period"][:: max(1, len(x) // 12)])
    ax.set_ylabel("tickets per hour")
    ax.legend()
    out["arrivals.png"] = _png(fig)

    names = list(res.service_fits)
    fig, axes = plt.subplots(1, len(names), figsize=(3 * len(names), 3), squeeze=False)
    for ax, m in zip(axes[0], names, strict=True):
        xs = np.sort(res.service_samples[m])
        q = (np.arange(1, len(xs) + 1) - 0.5) / len(xs)
        idx = np.unique(np.linspace(0, len(xs) - 1, min(len(xs), 400)).astype(int))
        fq = res.service_fits[m][0].frozen().ppf(q[idx])
        ax.plot(fq, xs[idx], ".", ms=3)
        hi = max(fq.max(), xs.max())
        ax.plot([0, hi], [0, hi], "k--", lw=0.8)
        ax.set_title(f"{m}: {res.service_fits[m][0].dist}", fontsize=9)
        ax.set_xlabel("fitted quantile (min)")
    axes[0][0].set_ylabel("observed (min)")
    out["service_qq.png"] = _png(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for m, (t, s) in res.km.items():
        line = ax.step(t, s, where="post", label=f"{m} Kaplan-Meier")
        if m in res.patience_fits:
            grid = np.linspace(0, max(t.max(), 1), 200)
            ax.plot(
                grid,
                res.patience_fits[m][0].frozen().sf(grid),
                "--",
                color=line[0].get_color(),
                lw=0.8,
            )
    ax.set_xlabel("minutes waited")
    ax.set_ylabel("P(still waiting)")
    ax.set_xlim(0, 30)
    ax.legend(fontsize=7)
    out["patience.png"] = _png(fig)

    r = res.tables["roster"]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for col in ("names", "busy", "busy_while_waiting", "fitted"):
        ax.plot(r["period"], r[col], marker=".", label=col)
    ax.tick_params(axis="x", rotation=90)
    ax.set_ylabel("windows")
    ax.legend()
    out["roster.png"] = _png(fig)
    return out


def _table(df) -> str:
    return df.to_html(index=False, float_format=lambda x: f"{x:.4g}", border=0)


def report_files(res) -> dict[str, bytes]:
    """The fit report's files, by name: report.html and its PNGs (nothing written)."""
    out = dict(figures(res))
    parts = [
        "<!doctype html><meta charset='utf-8'><title>hallsim fit report / 拟合报告</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}"
        "table{border-collapse:collapse;font-size:12px}td,th{padding:2px 6px}</style>",
        f"<h1>Fit report / 拟合报告: {html.escape(res.scenario['name'])}</h1>",
        f"<p>{len(res.days)} days, {len(res.log.tickets)} tickets kept. "
        "Methods: docs/fitting.md.</p>",
        "<h2>Rows dropped / 清洗</h2>",
        _table(res.log.dropped),
        "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in res.notes) + "</ul>",
        "<h2>Arrivals / 到达</h2><img src='arrivals.png'>",
        _table(res.tables["days"]),
        "<h2>Matters, service and patience / 事项、办理时长与耐心</h2>",
        _table(res.tables["matters"]),
        "<img src='service_qq.png'><img src='patience.png'>",
        "<h2>Roster / 排班 (estimated)</h2><img src='roster.png'>",
        _table(res.tables["roster"]),
        "<h2>Windows: relative speed / 窗口相对速度</h2>",
        _table(res.tables["windows"]),
    ]
    if "returns" in res.tables:
        parts += ["<h2>Return visits / 回访 (citizen ids)</h2>", _table(res.tables["returns"])]
    if "satisfaction" in res.tables:
        parts += [
            "<h2>Satisfaction / 满意度 (calibrated from 评价)</h2>",
            _table(res.tables["satisfaction"]),
        ]
    out["report.html"] = "\n".join(parts).encode("utf-8")
    return out


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
    from hallsim.plots import ResultsError, _figure, _style, cjk_font

    zh = cjk_font() is not None  # Chinese beside English only where a font can draw it

    def bi(en: str, cn: str) -> str:
        return f"{en} / {cn}" if zh else en

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
                label=bi("simulated one day, 95%", "单日预测区间"),
            )
            ax.fill_between(
                x,
                col(m, "ci_low", k),
                col(m, "ci_high", k),
                alpha=0.45,
                color="C0",
                step="mid",
                label=bi("simulated mean, 95% CI", "均值置信区间"),
            )
            mean_label = bi("simulated mean", "模拟均值")
            ax.plot(x, col(m, "mean", k), color="C0", lw=1.2, label=mean_label, ds="steps-mid")
            ax.plot(x, col(m, "observed", k), "ko", ms=3.5, label=bi("observed (log)", "实测"))
            ax.set_ylabel(f"{en}\n{cn}" if zh else en, fontsize=8)
            lo = 0.0
            ax.set_ylim(bottom=lo, top=100 if k == 100 and ax.get_ylim()[1] > 100 else None)
            step = max(1, math.ceil(len(x) / 6))
            ax.set_xticks(x[::step], labels[::step], fontsize=7)
            ax.tick_params(axis="y", labelsize=7)
        for ax in axes[len(metrics) :]:
            ax.set_visible(False)
        for ax in axes[-ncol:]:
            if ax.get_visible():
                ax.set_xlabel(bi("period start", "时段"), fontsize=8)
        axes[0].legend(fontsize=6, loc="upper left")
        days, reps = js.get("days"), js.get("replications")
        fig.suptitle(
            f"{bi('Backtest', '回测')}: {js.get('scenario', '')} — {days} observed days, "
            f"{reps} simulated days ({bi('simulated = predicted, not data', '模拟为预测')})",
            fontsize=9,
        )
        if cjk:
            fig.canvas.draw()
    return fig


def backtest_plot(folder):
    """The backtest figure of a folder written by ``hallsim backtest --out``."""
    import json

    from hallsim.plots import ResultsError

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


def backtest_figure(bt) -> bytes:
    """PNG bytes of ``backtest_figure_from_json`` for a Backtest."""
    from hallsim.plots import save_figure

    buf = io.BytesIO()
    save_figure(backtest_figure_from_json(bt.to_json()), buf, "png")
    return buf.getvalue()
