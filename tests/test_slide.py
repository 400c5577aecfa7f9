"""The one-slide 16:9 summary (hallsim.slide)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from matplotlib.text import Text

from hallsim import slide
from hallsim.plots import load_results, save_figure

from .test_plots import compare_dir  # noqa: F401 (fixture)


def texts_inside(fig) -> list[str]:
    """Texts whose drawn box reaches outside the figure (should be none)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    out = []
    for t in fig.findobj(Text):
        if not t.get_text() or not t.get_visible():
            continue
        b = t.get_window_extent(renderer)
        if b.x0 < box.x0 - 1 or b.x1 > box.x1 + 1 or b.y0 < box.y0 - 1 or b.y1 > box.y1 + 1:
            out.append(t.get_text())
    return out


def test_slide_is_1920_by_1080_and_nothing_is_clipped(
    compare_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    fig = slide.summary_slide(compare_dir)
    png = save_figure(fig, tmp_path / "s.png").read_bytes()
    # PNG: the IHDR chunk holds width and height, big-endian, at bytes 16-24
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (1920, 1080)
    assert not texts_inside(fig)


def test_long_and_chinese_names_stay_on_the_slide(chinese_dir: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = slide.summary_slide(chinese_dir)
    assert not texts_inside(fig)
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_tiles_say_better_only_where_the_stored_interval_excludes_zero(
    compare_dir: Path,  # noqa: F811
) -> None:
    summary = json.loads((compare_dir / "summary.json").read_text(encoding="utf-8"))
    res = load_results(compare_dir)
    fig = slide.summary_slide(res)
    words = [t.get_text() for t in fig.texts]
    expected = []
    for d in summary["differences"]:
        for metric, _title, sign in slide.KPIS:
            if d["metric"] == metric:
                expected.append(slide.judgement(d, sign))
    for word in ("better", "worse"):
        assert words.count(word) == expected.count(word)


@given(
    lo=st.floats(-50, 50, allow_nan=False),
    width=st.floats(0, 50, allow_nan=False),
    sign=st.sampled_from([-1, 1]),
)
def test_judgement_follows_the_interval_and_the_metrics_direction(
    lo: float, width: float, sign: int
) -> None:
    hi = lo + width
    word = slide.judgement({"mean": (lo + hi) / 2, "ci_low": lo, "ci_high": hi}, sign)
    if (sign > 0 and lo > 0) or (sign < 0 and hi < 0):
        assert word == "better"
    elif (sign > 0 and hi < 0) or (sign < 0 and lo > 0):
        assert word == "worse"
    else:
        assert word == "no clear difference"
    assert slide.judgement(None, sign) == "no clear difference"
