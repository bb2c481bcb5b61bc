"""Every word of every PDF of the sample run lies on the page's printable area, in both
languages; no word is printed over another; no table header stacks one character per line.

The printable area is the A4 page less its side margins (14 mm, reports/templates/report.typ)
across, and less the 5 mm at the top and bottom edges that printers leave blank (the running
header and the page number sit in the top and bottom margins). Words and their boxes come
from pdfplumber.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pdfplumber
import pytest
import typst

from pipeline.report.pdf import _fonts

MM = 72 / 25.4
SIDE, EDGE, SLACK = 14 * MM, 5 * MM, 0.5
CJK = re.compile(r"[\u4e00-\u9fff]")
CLOSING = set("。，、；：！？）》」』】")


def page_words(pdf: Path) -> list[tuple[int, object, list[dict]]]:
    """(page number, page, words) of each page; a word knows its colour."""
    with pdfplumber.open(pdf) as document:
        return [(number, page, [_inked(word) for word in page.extract_words(
            extra_attrs=["non_stroking_color"], return_chars=True)])
            for number, page in enumerate(document.pages, 1)]


def _inked(word: dict) -> dict:
    """A word's box, less the blank right half of a closing Chinese punctuation mark at its
    end: its ink sits on the left, and a line may end in it set half wide."""
    last = word["chars"][-1]
    if last["text"] in CLOSING:
        word = {**word, "x1": word["x1"] - (last["x1"] - last["x0"]) / 2}
    return word


def words_off_the_page(pages) -> list[str]:
    """'page N: "word" at x0-x1, top-bottom' for each word outside the printable area."""
    found = []
    for number, page, words in pages:
        left, right = SIDE - SLACK, page.width - SIDE + SLACK
        top, bottom = EDGE - SLACK, page.height - EDGE + SLACK
        for word in words:
            if (word["x0"] < left or word["x1"] > right or word["top"] < top
                    or word["bottom"] > bottom):
                found.append(f'page {number}: "{word["text"]}" at '
                             f'{word["x0"] / MM:.1f}-{word["x1"] / MM:.1f} mm across, '
                             f'{word["top"] / MM:.1f}-{word["bottom"] / MM:.1f} mm down')
    return found


def words_on_words(pages) -> list[str]:
    """Characters printed over one another on a line: a cell too narrow for its word. Kerned
    pairs ("Ta") overlap their neighbours' boxes a little, by design."""
    found = []
    for number, _, words in pages:
        lines: dict[int, list[dict]] = {}
        for word in words:
            for char in word["chars"]:
                lines.setdefault(round(char["top"]), []).append(char)
        for line in lines.values():
            line.sort(key=lambda c: c["x0"])
            for left, right in itertools.pairwise(line):
                overlap = left["x1"] - right["x0"]
                if overlap > max(1, 0.3 * min(_width(left), _width(right))) \
                        and _letter(left) and _letter(right):
                    found.append(f'page {number}: "{left["text"]}" runs into '
                                 f'"{right["text"]}" at {right["x0"] / MM:.1f} mm')
    return sorted(set(found))


def stacked_header_characters(pages) -> list[str]:
    """Places where single Chinese characters of a table header (white on the header's
    fill) stand one right above another: a header squeezed to one character per line."""
    found = []
    for number, _, words in pages:
        singles = [w for w in words if len(w["text"]) == 1 and CJK.fullmatch(w["text"])
                   and _white(w["non_stroking_color"])]
        for upper in singles:
            for lower in singles:
                gap = lower["top"] - upper["bottom"]
                if abs(lower["x0"] - upper["x0"]) < 1 and 0 <= gap < upper["bottom"] \
                        - upper["top"]:
                    found.append(f'page {number}: "{upper["text"]}" over '
                                 f'"{lower["text"]}" at {upper["x0"] / MM:.1f} mm')
    return found


def _width(char: dict) -> float:
    return char["x1"] - char["x0"]


def _letter(char: dict) -> bool:
    """A letter, digit or character: not a space, nor a punctuation mark (kerned into its
    neighbour, or a Chinese one that Typst sets half wide next to another)."""
    return char["text"].isalnum()


def _white(color) -> bool:
    return color is not None and len(color) in (1, 3, 4) and (
        all(c > 0.95 for c in color) if len(color) != 4 else all(c < 0.05 for c in color))


def sample_pdfs(reports: Path) -> list[Path]:
    """Every PDF of the run: its date folders are links, which Path.rglob does not follow."""
    return sorted(Path(folder) / name for folder, _, names in os.walk(reports, followlinks=True)
                  for name in names if name.endswith(".pdf"))


def test_each_check_finds_what_it_looks_for(tmp_path):
    """A page made wrong on purpose: words past the right margin, two words on one another,
    a white header squeezed to a character per line."""
    document = """
#set page(paper: "a4", margin: 14mm)
#set text(font: "Noto Sans SC", size: 10pt)
#place(dx: 170mm, dy: 10mm)[Overflowing words]
#place(dy: 30mm)[Hello]
#place(dx: 4pt, dy: 30mm)[World]
#place(dy: 50mm, block(fill: black, width: 4mm, text(fill: white)[赢单数]))
"""
    pdf = tmp_path / "wrong.pdf"
    pdf.write_bytes(typst.Compiler(font_paths=_fonts(), ignore_system_fonts=True).compile(
        input=document.encode(), format="pdf"))
    pages = page_words(pdf)
    assert [w.split('"')[1] for w in words_off_the_page(pages)] == ["Overflowing", "words"]
    assert words_on_words(pages) and all(w.startswith("page 1:") for w in words_on_words(pages))
    assert len(stacked_header_characters(pages)) == 2  # 赢 over 单, 单 over 数


@pytest.fixture(scope="module")
def pdfs(sample_run) -> dict[Path, list]:
    found = sample_pdfs(sample_run.reports_dir / sample_run.as_of.isoformat())
    languages = {"en" if "/en/" in str(p) else "zh" for p in found}
    assert len(found) >= 27 and languages == {"en", "zh"}
    return {pdf: page_words(pdf) for pdf in found}


def test_every_word_of_every_pdf_lies_on_the_printable_area(pdfs):
    off = {str(pdf): words for pdf, pages in pdfs.items()
           if (words := words_off_the_page(pages))}
    assert not off, off


def test_no_word_is_printed_over_another(pdfs):
    overlaps = {str(pdf): found for pdf, pages in pdfs.items()
                if (found := words_on_words(pages))}
    assert not overlaps, overlaps


def test_no_header_stacks_one_character_per_line(pdfs):
    stacked = {str(pdf): found for pdf, pages in pdfs.items()
               if (found := stacked_header_characters(pages))}
    assert not stacked, stacked
