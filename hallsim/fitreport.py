"""The fit report (HTML + PNG) of ``hallsim fit`` and the backtest figure."""

from __future__ import annotations

import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from hallsim import i18n
from hallsim.i18n import t


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def figures(res) -> dict[str, bytes]:
    """The fit report's figures as PNG bytes, with a CJK font when the text is Chinese."""
    from hallsim.plots import _style

    with _style([res.scenario["name"]]):
        return _figures(res)


def _figures(res) -> dict[str, bytes]:
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
        label=t("fitr.observed"),
    )
    ax.step(x, a["rate_per_hour"], where="mid", label=t("fitr.fitted_rate"))
    ax.set_xticks(x[:: max(1, len(x) // 12)], a["period"][:: max(1, len(x) // 12)])
    ax.set_ylabel(t("fitr.tickets_hour"))
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
        ax.set_xlabel(t("fitr.fitted_q"))
    axes[0][0].set_ylabel(t("fitr.observed_min"))
    out["service_qq.png"] = _png(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for m, (waited, s) in res.km.items():
        line = ax.step(waited, s, where="post", label=t("fitr.km", matter=m))
        if m in res.patience_fits:
            grid = np.linspace(0, max(waited.max(), 1), 200)
            ax.plot(
                grid,
                res.patience_fits[m][0].frozen().sf(grid),
                "--",
                color=line[0].get_color(),
                lw=0.8,
            )
    ax.set_xlabel(t("fitr.waited"))
    ax.set_ylabel(t("fitr.still"))
    ax.set_xlim(0, 30)
    ax.legend(fontsize=7)
    out["patience.png"] = _png(fig)

    r = res.tables["roster"]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for col in ("names", "busy", "busy_while_waiting", "fitted"):
        ax.plot(r["period"], r[col], marker=".", label=t(f"fitr.roster.{col}"))
    ax.tick_params(axis="x", rotation=90)
    ax.set_ylabel(t("fitr.windows"))
    ax.legend()
    out["roster.png"] = _png(fig)
    return out


def _table(df) -> str:
    return df.to_html(index=False, float_format=lambda x: f"{x:.4g}", border=0)


def report_files(res) -> dict[str, bytes]:
    """The fit report's files, by name: report.html and its PNGs (nothing written)."""
    out = dict(figures(res))
    lang = "zh-CN" if i18n.current() == "zh" else "en"
    parts = [
        f"<!doctype html><html lang='{lang}'><meta charset='utf-8'>"
        f"<title>{html.escape(t('fitr.title'))}</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}"
        "table{border-collapse:collapse;font-size:12px}td,th{padding:2px 6px}</style>",
        f"<h1>{html.escape(t('fitr.h1', name=res.scenario['name']))}</h1>",
        f"<p>{html.escape(t('fitr.kept', days=len(res.days), tickets=len(res.log.tickets)))}</p>",
        f"<h2>{t('fitr.dropped')}</h2>",
        _table(res.log.dropped),
        "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in res.notes) + "</ul>",
        f"<h2>{t('fitr.arrivals')}</h2><img src='arrivals.png'>",
        _table(res.tables["days"]),
        f"<h2>{t('fitr.matters')}</h2>",
        _table(res.tables["matters"]),
        "<img src='service_qq.png'><img src='patience.png'>",
        f"<h2>{t('fitr.roster')}</h2><img src='roster.png'>",
        _table(res.tables["roster"]),
        f"<h2>{t('fitr.speed')}</h2>",
        _table(res.tables["windows"]),
    ]
    if "returns" in res.tables:
        parts += [f"<h2>{t('fitr.returns')}</h2>", _table(res.tables["returns"])]
    if "satisfaction" in res.tables:
        parts += [
            f"<h2>{t('fitr.satisfaction')}</h2>",
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
