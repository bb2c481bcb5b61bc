"""CSV files for people to open in a spreadsheet: every one the product writes goes through
csv_text, so that no text from the CRM is ever taken for a formula (OWASP CSV injection).

A text cell that a spreadsheet would read as a formula gets an apostrophe in front, the mark
by which a spreadsheet takes a cell as text and does not show; every text cell is quoted, so
that a separator inside one never starts another cell. Numbers are written as numbers, and a
text cell that is a plain number (a failure case's -5) is one already: both stay as they are.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata

import pandas as pd

# what a spreadsheet takes as the start of a formula, also in full-width and small forms
# (＝, ﹦, ...), which NFKC folds into these
FORMULA_STARTS = frozenset("=+-@")
TEXT_MARK = "'"
PLAIN_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def neutralise(text: str) -> str:
    """The cell a spreadsheet shows as `text` and never runs: `text` itself, or with an
    apostrophe in front when it could start a formula (or starts with an apostrophe of its
    own, which a spreadsheet would otherwise hide)."""
    if _needs_mark(text) and not PLAIN_NUMBER.fullmatch(text):
        return TEXT_MARK + text
    return text


def _needs_mark(text: str) -> bool:
    if not text:
        return False
    if text[0] == TEXT_MARK or unicodedata.category(text[0]) == "Cc":
        return True  # a tab, CR, LF, NUL...: some spreadsheets drop it and read what follows
    for char in text:
        # blanks and invisible characters in front of a formula hide it from a naive check
        # and are trimmed by some spreadsheets on import
        if char.isspace() or unicodedata.category(char) == "Cf":
            continue
        return unicodedata.normalize("NFKC", char)[:1] in FORMULA_STARTS
    return False


def csv_text(frame: pd.DataFrame) -> str:
    """The frame as CSV text, every text cell neutralised and quoted, numbers bare."""
    cells = frame.copy()
    for column in cells.columns:
        if cells[column].dtype == object or pd.api.types.is_string_dtype(cells[column]):
            cells[column] = cells[column].map(
                lambda value: neutralise(value) if isinstance(value, str) else value)
    buffer = io.StringIO()
    cells.to_csv(buffer, index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    return buffer.getvalue()
