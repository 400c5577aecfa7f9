"""Figures that cannot mislead: every kind drawn for 1, 2 and 3 scenarios with long
Chinese and English names keeps all its text inside the figure, and its value axes
inside the metric's range (shares 0–100%, everything else ≥ 0).

The results are small real runs (3 replications, --log) of the example scenarios
renamed; the checks are geometric (tight bounding boxes of every drawn text artist)
and need no expected numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import PercentFormatter

from hallsim import plots
from hallsim.slide import summary_slide

from .conftest import simulate_cli as simulate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

LONG_NAMES = (
    "综合窗口改革试点方案（社保、公积金、企业开办一窗通办，下午延时服务）",
    "Dedicated windows per matter with the afternoon shift extended by one hour",
    "混合窗口 hybrid layout with a general window group 综合受理",
)
FILES = ("integrated.toml", "dedicated.toml", "hybrid.toml")
RUN_KINDS = ("waits", "compare", "day", "matters", "utilisation", "satisfaction")


def _renamed(folder: Path, file: str, name: str) -> Path:
    text = (SCENARIOS / file).read_text(encoding="utf-8")
    stem = file.removesuffix(".toml")
    text = text.replace(f'name = "{stem}"', f'name = "{name}"', 1)
    assert name in text
    text = text.replace('"social_security"', '"社会保险待遇申领与社保关系转移接续"')
    path = folder / file
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=(1, 2, 3), ids=("1-scenario", "2-scenarios", "3-scenarios"))
def long_names_dir(request, tmp_path_factory: pytest.TempPathFactory) -> Path:
    n = request.param
    base = tmp_path_factory.mktemp(f"long{n}")
    files = [str(_renamed(base, f, name)) for f, name in zip(FILES[:n], LONG_NAMES, strict=False)]
    out = base / "out"
    simulate(["run" if n == 1 else "compare", *files, "--log", "--out", str(out)])
    return out


def text_outside(fig: Figure) -> list[str]:
    """Drawn, non-empty text artists whose tight box leaves the figure (1-px tolerance)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    # tick labels of ticks outside the view interval exist but are not drawn
    all_ticks, drawn = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                all_ticks |= {id(tick.label1), id(tick.label2)}
            for tick in axis._update_ticks():
                drawn |= {id(tick.label1), id(tick.label2)}
    bad = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        if id(t) in all_ticks and id(t) not in drawn:
            continue
        box = t.get_window_extent(renderer)
        if box.width == 0 and box.height == 0:
            continue
        if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1:
            bad.append(f"{t.get_text()!r} at {box.bounds}")
    return bad


def axes_out_of_range(fig: Figure) -> list[str]:
    """Value axes outside their range: a per-cent axis beyond 0–100%, any other value
    axis below 0.  Differences (Δ), heat maps and categorical axes are not value axes."""
    bad = []
    for ax in fig.axes:
        if ax.images or not ax.get_visible():
            continue
        for which in ("x", "y"):
            axis = ax.xaxis if which == "x" else ax.yaxis
            label = axis.get_label().get_text()
            lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
            lo, hi = min(lo, hi), max(lo, hi)
            if isinstance(axis.get_major_formatter(), PercentFormatter):
                top = axis.get_major_formatter().xmax
                if lo < -1e-9 or hi > top * (1 + 1e-9):
                    bad.append(f"{label or which}: {lo}..{hi} (per cent of {top})")
            elif label.startswith("%") or "(%)" in label:
                if lo < -1e-9 or hi > 100 + 1e-9:
                    bad.append(f"{label}: {lo}..{hi}")
            elif label in ("min", "mean wait\n(min)", "waiting\n(citizens)"):
                if lo < -1e-9:
                    bad.append(f"{label}: {lo}..{hi}")
    return bad


@pytest.mark.parametrize("kind", RUN_KINDS)
def test_no_text_is_clipped_and_axes_stay_in_range(long_names_dir: Path, kind: str) -> None:
    fig = plots.render(long_names_dir, kind)
    assert text_outside(fig) == []
    assert axes_out_of_range(fig) == []


def test_the_summary_slide_keeps_long_names_inside(long_names_dir: Path) -> None:
    assert text_outside(summary_slide(long_names_dir)) == []


def test_a_share_axis_never_spans_less_than_the_minimum() -> None:
    # a CSAT panel of 81.0 to 82.0% once made 0.3 points look like a third of the axis
    lo, hi = plots.value_limits("csat", [81.0], [82.0])
    assert hi - lo >= plots.PERCENT_MIN_SPAN
    lo, hi = plots.value_limits("service_level", [97.0], [100.0])
    assert hi <= 100.0 and hi - lo >= plots.PERCENT_MIN_SPAN
    lo, hi = plots.value_limits("wait_mean_min", [0.0], [3.0])
    assert lo >= 0.0
    lo, hi = plots.value_limits("csat", [0.5], [1.5], difference=True)
    assert lo <= 0.0 and hi - lo >= plots.PERCENT_DIFF_MIN_SPAN


def test_sweep_roster_and_sensitivity_figures_keep_text_inside(tmp_path: Path) -> None:
    from .test_plots import write_sweep
    from .test_report import advice_dict, sensitivity_dict

    folder = write_sweep(tmp_path / "sweep")
    for metric in ("wait_mean_min", "service_level"):
        fig = plots.render(folder, "sweep", metric=metric)
        assert text_outside(fig) == [] and axes_out_of_range(fig) == []
    advice = advice_dict() | {"groups": [LONG_NAMES[0]]}
    assert text_outside(plots.plot_roster(advice)) == []
    assert text_outside(plots.plot_sensitivity(sensitivity_dict())) == []


def test_heatmap_numbers_are_slide_readable(long_names_dir: Path) -> None:
    """Cell numbers of the heat maps are at least 14 pt when the figure fills a 16:9
    slide (13.33 in wide, PowerPoint's default)."""
    for kind in ("utilisation", "matters"):
        fig = plots.render(long_names_dir, kind)
        scale = 13.333 / fig.get_figwidth()
        cells = [t for ax in fig.axes if ax.images for t in ax.texts]
        assert cells, kind
        assert min(t.get_fontsize() for t in cells) * scale >= 14, kind
