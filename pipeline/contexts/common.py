"""What every report context is made of: scopes, charts, and mart rows for the templates."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from pipeline import charts
from pipeline.i18n import EMPTY, Locale


@dataclass(frozen=True)
class Scope:
    """Whose records a report covers: a manager's subtree, or the company."""

    scope_id: str
    name: str
    folder: str


@dataclass(frozen=True)
class Chart:
    """A chart of a report, written beside it as `file` (SVG)."""

    file: str
    title: str
    svg: str


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows for the templates, with every missing value as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def one(frame: pd.DataFrame) -> dict:
    rows = records(frame)
    return rows[0] if rows else {}


class ScopedMarts:
    """The marts as one scope's reports see them: `marts[name]` is the table's rows of the
    scope when it has a scope_id column, else the whole (small) table; each read once from
    the warehouse, with the scope id as a bind parameter, and only the tables in `names`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, scope_id: str,
                 names: tuple[str, ...]) -> None:
        self._con, self._scope_id, self._names = con, scope_id, names
        self._read: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(f"{name} is not a table the reports read (contexts.MARTS)")
        if name not in self._read:
            self._read[name] = self._rows(name)
        return self._read[name]

    def any_rows(self, name: str) -> bool:
        """Whether the table has a row in any scope."""
        if name not in self._names:
            raise KeyError(f"{name} is not a table the reports read (contexts.MARTS)")
        return bool(self._con.execute(f'select exists (select 1 from "{name}")').fetchone()[0])

    def _rows(self, name: str) -> pd.DataFrame:
        if "scope_id" in self._con.table(name).columns:
            cursor = self._con.execute(f'select * from "{name}" where scope_id = ?',
                                       [self._scope_id])
        else:
            cursor = self._con.execute(f'select * from "{name}"')
        types = {d[0]: str(d[1]) for d in cursor.description}
        data = cursor.df()
        # a VARCHAR column of nulls only arrives as object: give it the string dtype
        for column, type_ in types.items():
            if type_ == "VARCHAR" and data[column].dtype == object:
                data[column] = data[column].astype("str")
        return data


def vector(report: str, name: str, title: str, figure) -> Chart:
    return Chart(f"charts/{report}-{name}.svg", title, charts.svg(figure))


def sentence(locale: Locale, key: str, **values: str) -> str | None:
    """A sentence of a summary from formatted values; None when one of them is missing."""
    if any(value is None or value == EMPTY for value in values.values()):
        return None
    return locale.text(key, **values)
