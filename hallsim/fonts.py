"""Fonts with Chinese glyphs for figures and the HTML report.

A fresh machine often has no CJK font, and then matplotlib draws boxes
(tofu) for 综合窗口.  hallsim therefore ships one: **Hallsim Sans SC**
(``hallsim/data/HallsimSansSC-Regular.otf``, 1.6 MB), a subset of Noto Sans
CJK SC (SIL Open Font License 1.1, ``hallsim/data/OFL.txt``) with the 6,763
hanzi of GB 2312, CJK punctuation, full-width forms, Latin and every
character in hallsim's own sources (built by ``tools/make_cjk_font.py``).

Font order for Chinese text (``cjk_families``):

1. ``HALLSIM_CJK_FONT``: path to a font file (.otf/.ttf/.ttc) the user chose;
2. an installed full CJK font (Noto Sans CJK SC, Source Han Sans, WenQuanYi,
   Microsoft YaHei, …; system fonts and the ``mplfonts`` pip package), which
   covers rarer characters than the subset;
3. the bundled subset, always last, so the figure never depends on the machine.

``HALLSIM_SYSTEM_FONTS=0`` ignores installed fonts (2), as on a fresh machine.
A character none of these fonts has is listed in a visible notice inside
the figure (``mark_missing_glyphs``) and the report.

SVG keeps text as text (editable in PowerPoint/WPS) and names a font stack
that Chinese office machines have (``SVG_FONT_STACK``).
"""

from __future__ import annotations

import base64
import importlib.util
import io
import logging
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from matplotlib import font_manager

DATA = Path(__file__).parent / "data"
BUNDLED_FONT = DATA / "HallsimSansSC-Regular.otf"
"""The shipped subset of Noto Sans CJK SC (SIL OFL 1.1)."""
BUNDLED_FAMILY = "Hallsim Sans SC"

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Sarasa Gothic SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
)
"""Installed font families with Chinese glyphs, in order of preference (sans first)."""

SVG_FONT_STACK = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    BUNDLED_FAMILY,
)
"""Fonts an SVG names for its Chinese text, in order: whichever the viewer has."""

_CJK_FILE = re.compile(
    r"(notosans.*cjk|notoserif.*cjk|sourcehan|wqy|wenquanyi|simhei|msyh|droidsansfallback"
    r"|uming|ukai|sarasa)",
    re.IGNORECASE,
)
_CJK_TEXT = re.compile("[\u2e80-\u9fff\u3000-\u303f\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    """True when the text contains CJK characters (Chinese, Japanese, Korean)."""
    return bool(_CJK_TEXT.search(str(text)))


def system_fonts_allowed() -> bool:
    """False when ``HALLSIM_SYSTEM_FONTS=0``: use only the bundled font (a fresh machine)."""
    return os.environ.get("HALLSIM_SYSTEM_FONTS", "1").strip().lower() not in ("0", "no", "false")


def _add_font(path: str | os.PathLike) -> str | None:
    """Register a font file with matplotlib; its family name, or None if unreadable."""
    try:
        font_manager.fontManager.addfont(str(path))
        return font_manager.FontProperties(fname=str(path)).get_name()
    except Exception:  # an unreadable font file must never break plotting
        return None


def _register_extra_fonts() -> None:
    """Register installed CJK fonts matplotlib's cached list may not know about:
    fonts shipped by the ``mplfonts`` pip package (Noto Sans CJK SC) and system
    CJK fonts installed after matplotlib built its font cache."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            for f in sorted(Path(loc, "fonts").glob("NotoSansCJK*.otf")):
                _add_font(f)
    known = {Path(f.fname).name for f in font_manager.fontManager.ttflist}
    try:
        system = font_manager.findSystemFonts()
    except Exception:
        system = []
    for f in sorted(system):
        if _CJK_FILE.search(Path(f).name) and Path(f).name not in known:
            _add_font(f)


def _installed_cjk_family() -> str | None:
    _register_extra_fonts()
    # the font cache may list fonts from a user's folders: only count files that exist
    names = {
        f.name
        for f in font_manager.fontManager.ttflist
        if f.name != BUNDLED_FAMILY and Path(f.fname).is_file()
    }
    for family in CJK_FAMILIES:
        if family in names:
            return family
    for name in sorted(names):
        if "CJK" in name or name.startswith(("Source Han", "WenQuanYi", "Noto Sans SC")):
            return name
    return None


@lru_cache(maxsize=1)
def cjk_families() -> tuple[str, ...]:
    """Font families for Chinese text, best first; the bundled subset is always last
    (empty only if the package's font file is missing)."""
    families: list[str] = []
    env = os.environ.get("HALLSIM_CJK_FONT")
    if env and Path(env).is_file():
        name = _add_font(env)
        if name:
            families.append(name)
    if system_fonts_allowed():
        name = _installed_cjk_family()
        if name and name not in families:
            families.append(name)
    if BUNDLED_FONT.is_file() and _add_font(BUNDLED_FONT) == BUNDLED_FAMILY:
        families.append(BUNDLED_FAMILY)
    return tuple(families)


def cjk_font() -> str | None:
    """The preferred family with Chinese glyphs, or None if there is none."""
    families = cjk_families()
    return families[0] if families else None


class _QuietFallbackWeight(logging.Filter):
    """Drop font_manager's 'Failed to find font weight bold for <CJK font>' notices:
    most CJK fonts ship one weight and the regular one is the right fallback."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to find font weight" not in record.getMessage()


logging.getLogger("matplotlib.font_manager").addFilter(_QuietFallbackWeight())


# --------------------------------------------------------------------------- missing glyphs


@lru_cache(maxsize=64)
def _charmap(path: str) -> frozenset[int]:
    try:
        return frozenset(font_manager.get_font(path).get_charmap())
    except Exception:
        return frozenset()


def covered(families: Iterable[str]) -> frozenset[int]:
    """Code points that at least one of ``families`` (or matplotlib's default) draws."""
    import matplotlib

    names = list(families)
    for generic in ("sans-serif", "serif", "monospace"):
        if generic in names:
            names[names.index(generic) : names.index(generic) + 1] = list(
                matplotlib.rcParams[f"font.{generic}"]
            )
    points: set[int] = set()
    for name in [*names, "DejaVu Sans"]:
        try:
            path = font_manager.findfont(
                font_manager.FontProperties(family=name), fallback_to_default=False
            )
        except Exception:
            continue
        points |= _charmap(path)
    return frozenset(points)


def missing_characters(texts: Iterable[str], families: Iterable[str]) -> list[str]:
    """Characters of ``texts`` that none of ``families`` has a glyph for (sorted, unique)."""
    have = covered(tuple(families))
    chars = {c for t in texts for c in str(t) if not c.isspace() and c.isprintable()}
    return sorted(c for c in chars if ord(c) not in have)


def missing_notice(chars: list[str]) -> str:
    """The bilingual one-line notice for characters without a glyph."""
    shown = "".join(chars[:12]) + ("…" if len(chars) > 12 else "")
    return (
        f"缺字 / no font for: {shown} — 请安装中文字体 / install a CJK font "
        "(Debian: fonts-noto-cjk) or set HALLSIM_CJK_FONT"
    )


def mark_missing_glyphs(fig) -> list[str]:
    """If text in ``fig`` has characters no available font draws, say so inside the
    figure (bottom-left, in red) and return them; otherwise return []."""
    import matplotlib
    from matplotlib.text import Text

    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    chars = missing_characters(texts, matplotlib.rcParams["font.family"])
    if chars:
        fig.text(
            0.005, 0.005, missing_notice(chars), fontsize=8, color="#B00020", ha="left",
            va="bottom", gid="hallsim-missing-glyphs",
        )  # fmt: skip
        fig.hallsim_missing_glyphs = chars
    return chars


# --------------------------------------------------------------------------- SVG and HTML


def name_svg_fonts(svg: str) -> str:
    """Name ``SVG_FONT_STACK`` wherever the SVG's text uses the bundled font, so that
    PowerPoint/WPS show the text in a Chinese font the viewing machine has."""
    stack = ", ".join(f"'{f}'" for f in SVG_FONT_STACK) + ", sans-serif"
    return svg.replace(f"'{BUNDLED_FAMILY}'", stack)


CSS_UNICODE_RANGE = "U+2E80-2FFF, U+3000-303F, U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, U+FF00-FFEF"
"""Characters the report's CJK face draws: radicals, CJK punctuation, hanzi, full-width forms."""

CSS_LOCAL_FONTS = (
    "Noto Sans CJK SC",
    "NotoSansCJKsc-Regular",
    "Source Han Sans SC",
    "SourceHanSansSC-Regular",
    "Microsoft YaHei",
    "PingFang SC",
)
"""Installed fonts the report's CJK face prefers to its embedded glyphs."""


def css_font_face(text: str) -> str:
    """A CSS ``@font-face`` rule for the family ``Hallsim Sans SC`` that draws the
    CJK characters of ``text`` (``CSS_UNICODE_RANGE``): an installed Chinese font
    if the machine has one, else the bundled font's glyphs for exactly these
    characters, embedded (a few kB).  The report's font stack names this family
    first, so Chinese never depends on the browser's fallback search (headless
    Chromium on a machine without CJK fonts drew boxes for bold text that began
    with a hanzi).  Empty when ``text`` has no CJK or the font is missing."""
    chars = {c for c in text if has_cjk(c)}
    if not chars or not BUNDLED_FONT.is_file():
        return ""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(BUNDLED_FONT)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.flavor = "woff"
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(unicodes={ord(c) for c in chars})
    sub.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    local = ", ".join(f"local('{f}')" for f in CSS_LOCAL_FONTS)
    return (
        f"@font-face {{ font-family: '{BUNDLED_FAMILY}'; font-weight: 100 900; "
        f"unicode-range: {CSS_UNICODE_RANGE}; "
        f"src: {local}, url(data:font/woff;base64,{data}) format('woff'); }}"
    )
