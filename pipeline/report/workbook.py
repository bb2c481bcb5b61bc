"""A report's tables as a spreadsheet (<report>.xlsx beside its PDF), for managers who finish
their work in Excel.

The tables are the report's own: its HTML is rendered once with the number filters
(money, percent, date, ...) leaving a mark where each value goes and keeping the value; the
report's HTML is that render with each mark replaced by the formatted text, and the
spreadsheet is read from the same render, so it has the report's sections, headers and rows,
in its language, with every value as the marts hold it. One sheet per section (the heading
above its tables); the tables that follow one another under a heading with the same header
row are one sheet, the subheading of each (a rep's name) in a first column when the
subheading says so (data-column, data-value). Amounts are numbers with the currency's
decimals, rates fractions shown as percentages, dates dates, counts integers. Text is always
written as text, never read as a formula or a link.
"""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
import xlsxwriter
from babel.numbers import get_currency_precision, get_currency_symbol
from markupsafe import Markup, escape

from pipeline.report.i18n import Locale
from pipeline.report.typeset import Element, parse, plain

# the filters whose values become typed cells
KINDS = ("money", "cents", "percent", "points", "nps", "number", "days", "date", "month")
SHEET_NAME = 31
FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
CELL_TEXT = 32_767
WIDTH = (8, 60)


@dataclass(frozen=True)
class Value:
    """A value a filter formatted: what the marts hold, how the report wrote it."""

    kind: str
    value: object
    text: str
    digits: int = 0


@dataclass
class _Marks:
    nonce: str = field(default_factory=lambda: secrets.token_hex(6))
    values: list[Value] = field(default_factory=list)

    def mark(self, value: Value) -> Markup:
        self.values.append(value)
        return Markup(f"\ue000{self.nonce}:{len(self.values) - 1}\ue001")

    def pattern(self) -> re.Pattern:
        return re.compile(f"\ue000{self.nonce}:(\\d+)\ue001")


_MARKS: ContextVar[_Marks | None] = ContextVar("marks", default=None)


def typed_filters(locale: Locale) -> dict:
    """The number filters of the templates: the formatted text, or a mark of the value while
    a report is rendered for its spreadsheet."""
    formats = {"money": locale.money, "cents": locale.cents, "percent": locale.percent,
               "points": locale.points, "nps": locale.nps, "number": locale.number,
               "days": lambda value: locale.number(value, 1), "date": locale.date,
               "month": locale.month}

    def typed(kind: str):
        def filter_(value, *args):
            text = formats[kind](value, *args)
            marks = _MARKS.get()
            if marks is None:
                return text
            digits = args[0] if kind == "number" and args else 1 if kind == "days" else 0
            return marks.mark(Value(kind, value, text, digits))
        return filter_

    return {kind: typed(kind) for kind in KINDS}


@contextmanager
def marking():
    """Within it, the number filters leave marks; yields the render's marks."""
    marks = _Marks()
    token = _MARKS.set(marks)
    try:
        yield marks
    finally:
        _MARKS.reset(token)


def unmarked(html: str, marks: _Marks) -> str:
    """The report's HTML: every mark replaced by its value's text, as the filter writes it."""
    return marks.pattern().sub(lambda m: str(escape(marks.values[int(m.group(1))].text)), html)


# --- the tables of a report -----------------------------------------------------------

@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: list[list[Value | str | None]] = field(default_factory=list)
    totals: set[int] = field(default_factory=set)


def sheets(html: str, marks: _Marks, fallback_title: str) -> list[Sheet]:
    """The report's tables, a sheet per section, in the order the report shows them."""
    found: list[Sheet] = []
    heading, subheading, last = fallback_title, None, None
    for element in _walk(parse(html)):
        if element.tag == "h2":
            heading, subheading, last = _text(element, marks), None, None
        elif element.tag == "h3":
            subheading = element
        elif element.tag == "table":
            header, rows, totals = _table(element, marks)
            group = subheading if subheading is not None and "data-column" in \
                subheading.attrs else None
            if group is not None:
                header = [group.attrs["data-column"], *header]
                rows = [[group.attrs.get("data-value", ""), *row] for row in rows]
            if last is not None and last.header == header and (
                    group is not None or subheading is None):
                sheet = last
            else:
                title = heading if subheading is None or group is not None \
                    else _text(subheading, marks)
                sheet = Sheet(title, header)
                found.append(sheet)
            sheet.totals |= {len(sheet.rows) + i for i in totals}
            sheet.rows += rows
            last = sheet
    return found


def _walk(element: Element):
    for child in element.elements():
        if child.tag in ("h2", "h3", "table"):
            yield child
        elif child.tag not in ("head", "style", "script", "title"):
            yield from _walk(child)


def _text(element: Element, marks: _Marks) -> str:
    return plain(unmarked(element.text(), marks))


def _table(table: Element, marks: _Marks) -> tuple[list[str], list[list], set[int]]:
    head = next(iter(table.elements("thead")), None)
    header_rows = head.elements("tr") if head is not None else []
    bodies = table.elements("tbody") or [table]
    rows = [row for body in bodies for row in body.elements("tr")]
    if not header_rows and rows:
        header_rows, rows = rows[:1], rows[1:]
    header = [_text(cell, marks) for row in header_rows[:1] for cell in _cells(row)]
    totals = {i for i, row in enumerate(rows) if "total" in row.classes}
    return header, [[_cell(cell, marks) for cell in _cells(row)] for row in rows], totals


def _cells(row: Element) -> list[Element]:
    return [cell for cell in row.elements() if cell.tag in ("td", "th")]


def _cell(cell: Element, marks: _Marks) -> Value | str:
    """The value a cell holds when it is one filtered value alone, else its text."""
    text = plain(cell.text())
    whole = marks.pattern().fullmatch(text)
    if whole:
        return marks.values[int(whole.group(1))]
    return plain(unmarked(text, marks))


# --- the workbook ----------------------------------------------------------------------

def workbook(tables: list[Sheet], locale: Locale, *, title: str, created: datetime,
             empty: str) -> bytes:
    """The .xlsx file of a report's sheets; the same bytes for the same tables and date."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"title": title, "created": created})
    formats = _Formats(book, locale)
    names: set[str] = set()
    for sheet in tables or [Sheet(title, [empty])]:
        _write_sheet(book.add_worksheet(sheet_name(sheet.title, names)), sheet, formats)
    book.close()
    return buffer.getvalue()


def sheet_name(title: str, taken: set[str]) -> str:
    """A sheet's name: the title without the characters Excel refuses, at most 31
    characters, and unlike the names `taken` (which it joins) in any case."""
    base = FORBIDDEN.sub(" ", plain(title)).strip("' ") or "Sheet"
    name, number = base[:SHEET_NAME], 1
    while name.casefold() in taken:
        number += 1
        suffix = f" ({number})"
        name = base[:SHEET_NAME - len(suffix)].rstrip() + suffix
    taken.add(name.casefold())
    return name


class _Formats:
    def __init__(self, book, locale: Locale) -> None:
        symbol = get_currency_symbol(locale.currency, locale=locale.language).replace('"', "")
        places = get_currency_precision(locale.currency)
        amount = "#,##0" + ("." + "0" * places if places else "")
        codes = {"money": f'"{symbol}"{amount};-"{symbol}"{amount}',
                 "percent": "0.0%", "points": "+0.0%;-0.0%;0.0%", "nps": "+0;-0;0",
                 "number0": "#,##0", "number1": "#,##0.0", "number2": "#,##0.00",
                 "date": "yyyy-mm-dd", "month": "yyyy-mm"}
        self._book, self._codes, self._made = book, codes, {}

    def get(self, code: str | None, bold: bool = False, header: bool = False):
        key = (code, bold, header)
        if key not in self._made:
            spec = {"num_format": self._codes[code]} if code else {}
            if bold or header:
                spec["bold"] = True
            if header:
                spec |= {"bottom": 1, "text_wrap": True, "valign": "top"}
            self._made[key] = self._book.add_format(spec) if spec else None
        return self._made[key]


def _write_sheet(sheet, table: Sheet, formats: _Formats) -> None:
    widths = [_width(text) for text in table.header]
    for column, text in enumerate(table.header):
        sheet.write_string(0, column, text[:CELL_TEXT], formats.get(None, header=True))
    for number, row in enumerate(table.rows, start=1):
        bold = number - 1 in table.totals
        for column, cell in enumerate(row):
            shown = _write_cell(sheet, number, column, cell, formats, bold)
            if column >= len(widths):
                widths.append(0)
            widths[column] = max(widths[column], _width(shown))
    sheet.freeze_panes(1, 0)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, min(max(width + 2, WIDTH[0]), WIDTH[1]))


def _write_cell(sheet, row: int, column: int, cell, formats: _Formats, bold: bool) -> str:
    """Writes one cell; returns the text it shows, for the column's width."""
    if isinstance(cell, str):
        sheet.write_string(row, column, cell[:CELL_TEXT], formats.get(None, bold))
        return cell
    number, code = typed_value(cell)
    if number is None:
        sheet.write_blank(row, column, None, formats.get(code, bold))
        return ""
    if isinstance(number, date):
        sheet.write_datetime(row, column, datetime(number.year, number.month, number.day),
                             formats.get(code, bold))
        return cell.text
    sheet.write_number(row, column, number, formats.get(code, bold))
    return cell.text


def typed_value(cell: Value) -> tuple[object, str]:
    """The number or date a cell stores, and its format: amounts, rates and counts as the
    marts hold them; a net promoter score on its usual scale of -100 to 100."""
    value = cell.value
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None, _code(cell)
    if cell.kind in ("date", "month"):
        value = pd.Timestamp(value).date()
    elif cell.kind == "nps":
        value = float(value) * 100
    elif cell.kind == "number" and cell.digits == 0 and float(value).is_integer():
        value = int(value)
    else:
        value = float(value)
    return value, _code(cell)


def _code(cell: Value) -> str:
    if cell.kind in ("money", "cents"):
        return "money"
    if cell.kind in ("number", "days"):
        return f"number{min(cell.digits, 2)}"
    return cell.kind


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
