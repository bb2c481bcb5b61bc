"""A report's HTML typeset into its PDF: text stays text, whatever it holds; only the report's
own files are read; the paged features the reports need are there."""

from __future__ import annotations

import re
import struct

import pytest
from pypdf import PdfReader

from pipeline.report.pdf import png, write_pdf
from pipeline.report.typeset import UnknownElement, to_typst

HOSTILE = ['#read("/etc/passwd")', '"]; #panic("typeset") [', "\\\" $x^2$ *bold* _it_ @ref",
           "<label> `raw` // comment /* block", "= not a heading", "#image(\"/etc/passwd\")"]


def page(body: str, lang: str = "en") -> str:
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="page-label" content="Page {page} of {pages}"><title>T</title>'
            f'</head><body><header><h1>Report</h1><p class="meta">As of today</p></header>'
            f'{body}</body></html>')


def text_of(pdf) -> list[str]:
    return [p.extract_text() for p in PdfReader(pdf).pages]


def titles(outline) -> list[str]:
    return [t for item in outline
            for t in (titles(item) if isinstance(item, list) else [item.title])]


def test_texts_that_look_like_markup_are_printed_as_they_are(tmp_path):
    escaped = "".join(f"<p>{value.replace('&', '&amp;').replace('<', '&lt;')}</p>"
                      for value in HOSTILE)
    cells = "".join(f"<tr><td>{value.replace('<', '&lt;')}</td><td class=\"n\">1</td></tr>"
                    for value in HOSTILE)
    write_pdf(page(escaped + f"<table><thead><tr><th>a</th><th class='n'>b</th></tr></thead>"
                             f"<tbody>{cells}</tbody></table>"), tmp_path / "r.pdf", 0)
    lines = "\n".join(text_of(tmp_path / "r.pdf")).splitlines()
    for value in HOSTILE:
        assert value in lines, value
        assert f"{value} 1" in lines, value


def test_only_images_beside_the_report_are_read(tmp_path):
    for source in ("http://example.com/x.png", "file:///etc/passwd", "/etc/passwd",
                   "../secret.svg", "charts/../../x.svg", "data:image/png;base64,AAAA"):
        with pytest.raises(UnknownElement, match="will not fetch"):
            to_typst(page(f'<div class="chart"><img src="{source}" alt="x"></div>'))
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "c.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10"/></svg>', encoding="utf-8")
    write_pdf(page('<div class="chart"><img src="charts/c.svg" alt="c"></div>'),
              tmp_path / "r.pdf", 0)
    assert (tmp_path / "r.pdf").stat().st_size > 0


def test_an_element_without_a_form_in_the_pdf_stops_the_report():
    with pytest.raises(UnknownElement, match="iframe"):
        to_typst(page('<p>see <iframe src="x"></iframe></p>'))
    with pytest.raises(UnknownElement, match="spanning"):
        to_typst(page('<table><tr><td colspan="2">x</td></tr></table>'))


def test_long_tables_repeat_their_header_and_pages_are_numbered(tmp_path):
    rows = "".join(f"<tr><td>row {i}</td><td class='n'>{i}</td></tr>" for i in range(150))
    write_pdf(page("<h2>Rows</h2><table><thead><tr><th>Name</th><th class='n'>Value</th></tr>"
                   f"</thead><tbody>{rows}</tbody></table>"), tmp_path / "r.pdf", 0)
    pages = text_of(tmp_path / "r.pdf")
    assert len(pages) >= 3
    for number, text in enumerate(pages, 1):
        assert "Name Value" in text.splitlines(), number
        assert f"Page {number} of {len(pages)}" in text
        assert text.startswith("Report As of today")  # the running header
    body = "\n".join(pages)
    assert all(f"row {i} {i}" in body.splitlines() for i in range(150))
    assert titles(PdfReader(tmp_path / "r.pdf").outline) == ["Report", "Rows"]


def test_whitespace_collapses_as_in_a_browser(tmp_path):
    write_pdf(page("<p>  one\n   two <strong>three</strong>  four<small>(five)</small> </p>"),
              tmp_path / "r.pdf", 0)
    assert "one two three four(five)" in text_of(tmp_path / "r.pdf")[0].splitlines()


def test_the_same_html_gives_the_same_bytes_and_the_date_it_is_given(tmp_path):
    html = page("<p>同样的输入，同样的字节。</p>", lang="zh-CN")
    write_pdf(html, tmp_path / "a.pdf", 1763596800)
    write_pdf(html, tmp_path / "b.pdf", 1763596800)
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    assert re.search(rb"D:20251120", (tmp_path / "a.pdf").read_bytes())
    assert "同样的输入，同样的字节。" in text_of(tmp_path / "a.pdf")[0]


def test_a_chart_becomes_a_bitmap_twice_its_size(tmp_path):
    (tmp_path / "c.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="72pt" height="36pt" '
        'viewBox="0 0 72 36"><rect width="72" height="36" fill="#3e7cb1"/></svg>',
        encoding="utf-8")
    data = png(tmp_path / "c.svg")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (192, 96)  # an inch by half an inch, at twice 96 dpi
    assert png(tmp_path / "c.svg") == data
