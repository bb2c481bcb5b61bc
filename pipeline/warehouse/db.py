"""The warehouse connection, and query helpers that always read a result to its end."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipeline.config import Config


def connect(config: Config, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path: Path = config.warehouse
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set threads = $threads", {"threads": config.threads})
    con.execute("set memory_limit = $limit", {"limit": config.memory_limit})
    return con


def row(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> tuple | None:
    rows = con.execute(sql, params).fetchall() if params is not None else \
        con.execute(sql).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params=None):
    found = row(con, sql, params)
    return found[0] if found else None


def frame(con: duckdb.DuckDBPyConnection, table: str, *, columns: list[str] | None = None,
          limit: int | None = None) -> pd.DataFrame:
    """A table (or some of its columns, or its first rows) as a pandas frame. A VARCHAR column
    holding only nulls arrives as object; it is given the string dtype its DuckDB type means,
    so contracts see the declared type."""
    relation = con.table(table)
    if columns is not None:
        relation = relation.select(*(duckdb.ColumnExpression(c) for c in columns))
    if limit is not None:
        relation = relation.limit(limit)
    data = relation.df()
    for column, type_ in zip(relation.columns, relation.types, strict=True):
        if str(type_) == "VARCHAR" and data[column].dtype == object:
            data[column] = data[column].astype("str")
    return data


def read_state(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    if not scalar(con, "select count(*) from duckdb_tables() "
                  "where table_name = 'pipeline_state'"):
        return None
    return scalar(con, "select value from pipeline_state where key = ?", [key])
