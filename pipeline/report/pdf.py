"""A report's HTML -> its PDF, typeset by Typst: A4 pages with running headers, page X of Y,
bookmarks from the headings, table headers repeated on every page, the CJK font embedded
(subset) and text that can be extracted.

Typst reads nothing outside the report's own folder (its charts), loads no system font and no
package, and stamps the PDF with the as-of date, so the same inputs give the same bytes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path

import typst

from pipeline.errors import PipelineError
from pipeline.report.fonts import font_path
from pipeline.report.typeset import string, to_typst


def epoch(day: date) -> int:
    """The as-of date as a Unix time: the PDFs' dates, so reruns give the same bytes."""
    return int(datetime.combine(day, time(0), tzinfo=UTC).timestamp())


@cache
def _fonts() -> typst.Fonts:
    """The report font's folder, read once per process; Typst's own fonts only as fallback."""
    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True,
                       font_paths=[str(font_path().parent)])


def _compiler() -> typst.Compiler:
    return typst.Compiler(font_paths=_fonts(), ignore_system_fonts=True)


def write_pdf(html: str, target: Path, source_date_epoch: int) -> None:
    """Typesets `html` into the PDF `target`; its images are read from target's folder."""
    try:
        pdf = _compiler().compile(input=to_typst(html).encode("utf-8"),
                               root=str(target.parent.resolve()), format="pdf",
                               timestamp=source_date_epoch)
    except typst.TypstError as error:
        raise PipelineError(f"{target}: the PDF could not be typeset: {error.message}") from error
    target.write_bytes(pdf)


def png(svg: Path, scale: int = 2) -> bytes:
    """A chart's SVG as a bitmap `scale` times its size at 96 dpi (sharp on high-density
    screens), for email, which shows no SVG: drawn by Typst, a tenth of matplotlib's time."""
    document = ("#set page(width: auto, height: auto, margin: 0pt)\n"
                f"#image({string(svg.name)})\n")
    return _compiler().compile(input=document.encode("utf-8"), root=str(svg.parent.resolve()),
                               format="png", ppi=96 * scale)
