"""The CJK font the reports are set in: Noto Sans SC (SIL OFL), shipped by a pip package.

matplotlib draws the charts with it; Typst (pipeline/report/pdf.py) embeds the glyphs each PDF uses.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pipeline.errors import ConfigError


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
