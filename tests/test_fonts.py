"""Chinese text in figures and reports on any machine (hallsim.fonts).

"A fresh machine" is simulated with HALLSIM_SYSTEM_FONTS=0: discovery then
ignores installed fonts and must rely on the bundled subset alone.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from hallsim import fonts, plots

from .test_plots import RUN_KINDS


@pytest.fixture
def fresh_machine(monkeypatch: pytest.MonkeyPatch):
    """Font discovery that sees no installed font and no HALLSIM_CJK_FONT."""
    monkeypatch.setenv("HALLSIM_SYSTEM_FONTS", "0")
    monkeypatch.delenv("HALLSIM_CJK_FONT", raising=False)
    fonts.cjk_families.cache_clear()
    yield
    fonts.cjk_families.cache_clear()


def gb2312_level1() -> list[str]:
    """The 3,755 level-1 hanzi of GB 2312 (rows 16-55), the everyday core."""
    out = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                out.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def test_the_bundled_font_is_small_licensed_and_covers_everyday_hanzi() -> None:
    assert fonts.BUNDLED_FONT.is_file()
    assert fonts.BUNDLED_FONT.stat().st_size < 3_000_000
    assert "SIL OPEN FONT LICENSE" in (fonts.DATA / "OFL.txt").read_text(encoding="utf-8")
    from fontTools.ttLib import TTFont

    font = TTFont(fonts.BUNDLED_FONT)
    assert font["name"].getDebugName(1) == fonts.BUNDLED_FAMILY
    cmap = font.getBestCmap()
    level1 = gb2312_level1()
    assert len(level1) == 3755
    assert not [c for c in level1 if ord(c) not in cmap]
    terms = "平均等候时长15分钟内叫号率一次办结率预测满意率差评率窗口利用率弃号政务服务大厅一窗受理"
    assert not [c for c in terms if ord(c) not in cmap]


def test_a_fresh_machine_uses_the_bundled_font(fresh_machine) -> None:
    assert fonts.cjk_families() == (fonts.BUNDLED_FAMILY,)
    assert fonts.cjk_font() == fonts.BUNDLED_FAMILY


@pytest.mark.parametrize("kind", [*RUN_KINDS, "pdf"])
def test_chinese_names_render_without_missing_glyphs_on_a_fresh_machine(
    fresh_machine, chinese_dir: Path, tmp_path: Path, kind: str
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if kind == "pdf":  # the font embedded in a PDF
            fig = plots.render(chinese_dir, "compare")
            plots.save_figure(fig, tmp_path / "compare.pdf")
        else:
            fig = plots.render(chinese_dir, kind)
            plots.save_figure(fig, tmp_path / f"{kind}.png")
    assert not getattr(fig, "hallsim_missing_glyphs", None)
    messages = [str(w.message) for w in caught]
    missing = [m for m in messages if "missing from font" in m or "no CJK font" in m]
    assert not missing, missing[:3]


def test_svg_keeps_chinese_as_text_and_names_fonts(
    fresh_machine, chinese_dir: Path, tmp_path: Path
) -> None:
    fig = plots.render(chinese_dir, "compare")
    svg = plots.save_figure(fig, tmp_path / "c.svg").read_text(encoding="utf-8")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert any("综合窗口" in t for t in texts)
    assert "'Noto Sans CJK SC'" in svg and "'Microsoft YaHei'" in svg
    assert f"'{fonts.BUNDLED_FAMILY}'" in svg


def test_a_character_no_font_has_is_named_inside_the_figure(fresh_machine) -> None:
    rare = "\u4dae"  # 䶮: CJK Extension A, outside GB 2312 and the subset
    assert rare in fonts.missing_characters([f"窗口{rare}"], ["sans-serif", *fonts.cjk_families()])
    import matplotlib

    fig = Figure()
    with (
        matplotlib.rc_context({"font.family": ["sans-serif", *fonts.cjk_families()]}),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        fig.add_subplot().set_title(f"综合窗口 {rare}")
        assert fonts.mark_missing_glyphs(fig) == [rare]
    notices = [t for t in fig.texts if t.get_gid() == "hallsim-missing-glyphs"]
    assert len(notices) == 1 and rare in notices[0].get_text()
    assert "缺字" in notices[0].get_text() and "CJK font" in notices[0].get_text()


def test_plain_latin_figures_get_no_notice() -> None:
    fig = Figure()
    fig.add_subplot().set_title("mean wait (min) – Δ 90th ≥ 15")
    assert fonts.mark_missing_glyphs(fig) == []
    assert not fig.texts


def test_css_font_face_embeds_only_the_characters_used() -> None:
    css = fonts.css_font_face("综合窗口 vs 分类窗口")
    assert css.startswith("@font-face") and "data:font/woff;base64," in css
    assert len(css) < 20_000  # a handful of glyphs, not the 1.6 MB font
    assert fonts.css_font_face("integrated vs dedicated") == ""


def test_cjk_detection() -> None:
    assert fonts.has_cjk("综合窗口") and fonts.has_cjk("a 社保 b")
    assert not fonts.has_cjk("integrated-3") and not fonts.has_cjk("Δ min – 90th")


def test_chinese_names_render_even_without_any_cjk_font(
    chinese_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plots, "cjk_families", lambda: ())
    monkeypatch.setattr(plots, "cjk_font", lambda: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = plots.plot_compare(chinese_dir)
        path = plots.save_figure(fig, tmp_path / "c.png")
    assert path.stat().st_size > 0
    names = {t.get_text() for t in fig.axes[0].get_yticklabels()}
    assert "综合窗口" in names
    assert fig.hallsim_missing_glyphs  # the notice says which characters are boxes


def test_the_report_names_characters_no_font_has(
    fresh_machine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hallsim import report

    from .conftest import SCENARIOS, simulate_cli

    monkeypatch.setattr(report, "REPORT_FIGURES", report.REPORT_FIGURES[:1])  # one is enough

    rare = "\u4dae"  # outside GB 2312: the bundled subset does not have it
    text = (SCENARIOS / "integrated.toml").read_text(encoding="utf-8")
    scenario = tmp_path / "rare.toml"
    scenario.write_text(text.replace('name = "integrated"', f'name = "综合{rare}"'), "utf-8")
    simulate_cli(["run", str(scenario), "--out", str(tmp_path / "out")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # matplotlib's own missing-glyph warnings
        html = report.build_report(tmp_path / "out")
    assert 'class="glyph-notice"' in html and f"no font for: {rare}" in html
