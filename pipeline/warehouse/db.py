"""The warehouse connection, and query helpers that always read a result to its end.

Each layer's tables live in a schema of their own and the marts in main, so that a client
opening the warehouse lists the marts first and `select * from rpt_forecast` works with no
settings. Every connection the product opens searches all of them, main first, so the SQL of
sql/ names tables unqualified.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.config import Config

# a table's schema by the start of its name; the marts (dim_, fct_, rpt_) are in main
SCHEMAS = {"raw_": "raw", "stg_": "staging", "int_": "intermediate", "pipeline_": "pipeline"}
SEARCH_PATH = ("main", "raw", "staging", "intermediate", "pipeline")


def connect(config: Config, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path: Path = config.warehouse
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set threads = $threads", {"threads": config.threads})
    con.execute("set memory_limit = $limit", {"limit": config.memory_limit})
    use_schemas(con, create=not read_only)
    return con


def open_warehouse(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A warehouse file opened as any client would, but searching every layer's schema."""
    con = duckdb.connect(str(path), read_only=read_only)
    use_schemas(con, create=False)
    return con


def schema_of(table: str) -> str:
    return next((schema for prefix, schema in SCHEMAS.items() if table.startswith(prefix)),
                "main")


def use_schemas(con: duckdb.DuckDBPyConnection, first: str = "main", *,
                create: bool = True) -> None:
    """Search the layers' schemas (creating them unless `create` is false), `first` first:
    an unqualified `create table` goes to the first schema of the search path."""
    if create:
        for schema in SEARCH_PATH:
            con.execute(f"create schema if not exists {schema}")
    present = {row[0] for row in con.execute(
        "select schema_name from duckdb_schemas() "
        "where database_name = current_database()").fetchall()}
    path = [first, *(s for s in SEARCH_PATH if s != first)]
    con.execute("set search_path = $path", {"path": ",".join(s for s in path if s in present)})


@contextmanager
def creating_in(con: duckdb.DuckDBPyConnection, schema: str):
    """Unqualified tables created inside go to `schema`; then main is first again."""
    use_schemas(con, schema)
    try:
        yield
    finally:
        use_schemas(con)


def drop_misplaced(con: duckdb.DuckDBPyConnection, names: set[str] = frozenset()) -> None:
    """Drops the tables outside their schema (as a warehouse built before the layers had
    schemas holds them) that are about to be built (`names`) or have a newer copy in their
    own schema: the search path would find them first."""
    tables = con.execute("select schema_name, table_name from duckdb_tables() "
                         "where database_name = current_database() and not temporary"
                         ).fetchall()
    placed = {(schema, table) for schema, table in tables}
    for schema, table in tables:
        if schema != schema_of(table) and schema in SEARCH_PATH and (
                table in names or (schema_of(table), table) in placed):
            con.execute(f'drop table "{schema}"."{table}"')


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
