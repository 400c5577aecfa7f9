"""The fit report (HTML + PNG) of ``hallsim fit`` and the backtest figure."""

from __future__ import annotations

import html
import io

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


def backtest_figure(bt) -> bytes:
    """PNG bytes of ``backtest_figure_from_json`` for a Backtest."""
    from hallsim.plots import backtest_figure_from_json, save_figure

    buf = io.BytesIO()
    save_figure(backtest_figure_from_json(bt.to_json()), buf, "png")
    return buf.getvalue()
