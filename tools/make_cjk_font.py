"""Build hallsim/data/HallsimSansSC-Regular.otf: a subset of Noto Sans CJK SC.

Why a subset: a fresh machine often has no font with Chinese glyphs, and then
matplotlib draws boxes (tofu) in place of 综合窗口.  The full Noto Sans CJK
collection is ~100 MB; the 6,763 hanzi of GB 2312 (levels 1 and 2, the set
that covers everyday simplified Chinese) plus Latin, CJK punctuation,
full-width forms and every character in hallsim's own sources fit in ~3 MB.

Licence: Noto Sans CJK is under the SIL Open Font License 1.1 (reserved font
name "Source"), which allows subsetting and redistribution with the font; a
modified version carries a new name, hence "Hallsim Sans SC".  The OFL text
ships beside the font (hallsim/data/OFL.txt).

Run (Debian: `apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb x`):

    python tools/make_cjk_font.py x/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "hallsim" / "data" / "HallsimSansSC-Regular.otf"
FAMILY = "Hallsim Sans SC"


def gb2312_hanzi() -> set[str]:
    """Every character of GB 2312 rows 16-87 (levels 1 and 2 hanzi) and 1-9 (symbols)."""
    chars = set()
    for row in [*range(0xA1, 0xAA), *range(0xB0, 0xF8)]:
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def project_characters() -> set[str]:
    """Every non-ASCII character in hallsim's sources, docs and scenarios."""
    chars: set[str] = set()
    for pattern in ("hallsim/**/*.py", "hallsim/**/*.j2", "docs/*.md", "scenarios/*", "*.md"):
        for p in ROOT.glob(pattern):
            if p.is_file():
                chars |= set(p.read_text(encoding="utf-8", errors="ignore"))
    return {c for c in chars if ord(c) > 0x7F}


def main(source: str) -> None:
    collection = TTCollection(source)
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == "Noto Sans CJK SC")
    ranges = [
        range(0x20, 0x7F),  # ASCII
        range(0xA0, 0x180),  # Latin-1, Latin Extended-A
        range(0x2000, 0x2070),  # general punctuation
        range(0x2150, 0x2200),  # number forms, arrows
        range(0x25A0, 0x2600),  # geometric shapes (► ‖ ● ■ of the replay controls)
        range(0x3000, 0x3040),  # CJK symbols and punctuation
        range(0xFF00, 0xFFF0),  # half-width and full-width forms
    ]
    chars = {chr(c) for r in ranges for c in r} | gb2312_hanzi() | project_characters()
    options = subset.Options()
    options.layout_features = []  # matplotlib does no shaping; alternates only add glyphs
    options.drop_tables += ["GSUB", "GPOS", "VORG", "vhea", "vmtx"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False  # hinting is most of the size; matplotlib's Agg does not need it
    options.desubroutinize = False
    sub = subset.Subsetter(options)
    sub.populate(unicodes={ord(c) for c in chars})
    sub.subset(font)
    name = font["name"]
    for rec in list(name.names):
        if rec.nameID in (1, 16):
            rec.string = FAMILY
        elif rec.nameID == 3:
            rec.string = f"{FAMILY}; subset of Noto Sans CJK SC made by hallsim"
        elif rec.nameID == 4:
            rec.string = f"{FAMILY} Regular"
        elif rec.nameID == 6:
            rec.string = "HallsimSansSC-Regular"
    font["CFF "].cff.fontNames = ["HallsimSansSC-Regular"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(OUT)
    cmap = font.getBestCmap()
    print(f"{OUT}: {OUT.stat().st_size / 1e6:.2f} MB, {len(cmap)} characters")


if __name__ == "__main__":
    main(sys.argv[1])
