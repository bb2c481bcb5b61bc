"""What every report context is made of: scopes, charts, and mart rows for the templates."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from pipeline.report import charts
from pipeline.report.i18n import EMPTY, Locale


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
        self._read: dict[tuple[str, str | None], pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.rows(name)

    def rows(self, name: str, where: str | None = None) -> pd.DataFrame:
        """The scope's rows of the table, or those of them whose boolean column `where`
        holds (a long list's rows the report shows)."""
        key = (name, where)
        if key not in self._read:
            self._read[key] = _frame(self._cursor(name, where))
        return self._read[key]

    def batches(self, name: str, order: str, size: int = 20_000):
        """The scope's rows of the table, `size` at a time in the order of the column
        `order`: a table too long to hold whole (a CSV beside a report)."""
        cursor = self._cursor(name, None, order)
        while len(batch := _frame(cursor, size)):
            yield batch

    def any_rows(self, name: str) -> bool:
        """Whether the table has a row in any scope."""
        self._check(name)
        [(found,)] = self._con.execute(f'select exists (select 1 from "{name}")').fetchall()
        return bool(found)

    def _check(self, name: str, *columns: str | None) -> None:
        if name not in self._names:
            raise KeyError(f"{name} is not a table the reports read (contexts.MARTS)")
        known = self._con.table(name).columns
        for column in columns:
            if column is not None and column not in known:
                raise KeyError(f"{name} has no column {column}")

    def _cursor(self, name: str, where: str | None, order: str | None = None):
        self._check(name, where, order)
        conditions, params = [], []
        if "scope_id" in self._con.table(name).columns:
            conditions.append("scope_id = ?")
            params.append(self._scope_id)
        if where is not None:
            conditions.append(f'"{where}"')
        sql = f'select * from "{name}"'
        if conditions:
            sql += " where " + " and ".join(conditions)
        if order is not None:
            sql += f' order by "{order}"'
        return self._con.cursor().execute(sql, params)


def _frame(cursor, size: int | None = None) -> pd.DataFrame:
    """A query's rows (all, or the next `size`) as a frame; a VARCHAR column of nulls only,
    which arrives as object, gets the string dtype its DuckDB type means."""
    types = {d[0]: str(d[1]) for d in cursor.description}
    data = cursor.df() if size is None else cursor.fetch_df_chunk(max(1, size // 2048))
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
