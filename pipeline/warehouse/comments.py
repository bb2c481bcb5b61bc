"""The contracts' descriptions written into the warehouse with COMMENT ON, so that
duckdb_tables(), duckdb_columns() and any DuckDB client show what each table and column is.

A table is described once it has passed its contract (validate.py calls describe_tables),
so a comment never describes a table that does not match it. COMMENT ON takes no bind
parameter: the text is quoted as an SQL string literal.
"""

from __future__ import annotations

import duckdb
import pandera.pandas as pa

STATE_TABLE = ("pipeline_state", "One row per fact about the build: its build_id, its as-of "
               "date, the settings it was built with, and the build_id that passed "
               "validation.")


def table_description(model: type[pa.DataFrameModel]) -> str:
    return model.Config.description or ""


def column_descriptions(model: type[pa.DataFrameModel]) -> dict[str, str]:
    return {name: column.description or ""
            for name, column in model.to_schema().columns.items()}


def missing_descriptions(schemas: dict[str, type[pa.DataFrameModel]]) -> list[str]:
    """The contracts without a grain ("One row per ...") and the columns without a
    description, as "table" and "table.column"."""
    missing = []
    for name, model in sorted(schemas.items()):
        if not table_description(model).startswith("One row per"):
            missing.append(name)
        missing += [f"{name}.{column}" for column, text in column_descriptions(model).items()
                    if not text.strip()]
    return missing


def describe_tables(con: duckdb.DuckDBPyConnection,
                    schemas: dict[str, type[pa.DataFrameModel]]) -> int:
    """COMMENT ON every table of `schemas` in the warehouse and on each of its columns the
    contract declares; returns the number of comments written. One transaction: a comment
    costs a catalog change, about half a millisecond each inside one, three times that
    alone."""
    present = {}
    for table, column in con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where database_name = current_database() and not internal").fetchall():
        present.setdefault(table, set()).add(column)
    statements = []
    for name, model in sorted(schemas.items()):
        if name not in present:
            continue
        statements.append(f"comment on table {_identifier(name)} is "
                          f"{_string(table_description(model))}")
        statements += [f"comment on column {_identifier(name)}.{_identifier(column)} is "
                       f"{_string(text)}"
                       for column, text in column_descriptions(model).items()
                       if column in present[name]]
    if STATE_TABLE[0] in present:
        statements.append(f"comment on table {STATE_TABLE[0]} is {_string(STATE_TABLE[1])}")
    con.execute("begin transaction")
    try:
        for statement in statements:
            con.execute(statement)
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
    return len(statements)


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
