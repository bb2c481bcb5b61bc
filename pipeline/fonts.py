"""The CJK font the reports are set in: Noto Sans SC (SIL OFL), shipped by a pip package.

matplotlib draws the charts with the whole font. For PDFs, one run subsets the font once to
the characters its reports use, and turns the outlines from CFF into TrueType: WeasyPrint
then subsets a few hundred quadratic glyphs per PDF instead of 30,000 CFF ones, which is
what makes a CJK PDF take well under a second.
"""

from __future__ import annotations

import logging
import string
from functools import cache
from pathlib import Path

from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

FAMILY = "Report Sans"
# Always kept in the subset: ASCII, CJK punctuation and full-width forms.
BASE_CHARACTERS = (string.printable + "".join(map(chr, range(0x3000, 0x3040)))
                   + "".join(map(chr, range(0xFF00, 0xFF70))) + "¥€£—–·…“”‘’")


@cache
def font_path() -> Path:
    """The font file; stops the run with a clear message when it cannot be found."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError as error:
        raise ConfigError("the CJK font package pylopdf-fonts-zh-cn is not installed; "
                          "run `make install`") from error
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    if not path.is_file():
        raise ConfigError(f"the CJK font file {path} is missing; reinstall with `make install`")
    return path


@cache
def use_in_matplotlib() -> str:
    """Registers the font with matplotlib and makes it the default; returns its family."""
    from matplotlib import font_manager, pyplot

    path = font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    pyplot.rcParams.update({
        "font.family": [family],
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "crm-nightly-reports",
    })
    return family


def write_subset(texts: list[str], target: Path) -> Path:
    """Writes the font cut down to the characters in `texts` (plus BASE_CHARACTERS)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    characters = set(BASE_CHARACTERS).union(*map(set, texts))
    font = TTFont(str(font_path()), lazy=True, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in characters})
    subsetter.subset(font)
    _to_truetype(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(target))
    covered = set(font.getBestCmap())
    missing = sorted(c for c in characters if ord(c) not in covered and c.isprintable()
                     and not c.isspace())
    if missing:
        log.warning("the report font has no glyph for %s", "".join(missing[:40]))
    return target


def _to_truetype(font) -> None:
    """CFF (cubic) outlines -> glyf (quadratic), in place; within 1 unit of the original."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    if "CFF " not in font:
        return
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"], font["glyf"] = newTable("loca"), glyf
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                  "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                  "maxComponentElements"):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping, post.glyphOrder = 2.0, [], {}, order
    post.maxMemType42 = post.minMemType42 = post.maxMemType1 = post.minMemType1 = 0
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    font.sfntVersion = "\000\001\000\000"
    font["head"].glyphDataFormat = 0
