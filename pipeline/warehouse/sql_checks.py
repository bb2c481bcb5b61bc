"""A table's pandera contract, checked inside DuckDB: the table is never copied into pandas.

The contract is the one in pipeline/warehouse/schemas/; this module reads it and runs it
where the data are, for the tables too big to copy (validate.py chooses):

- columns and dtypes (strict, coerce): pandera itself, on the table's first SAMPLE_ROWS rows
  with every value check taken out (a DuckDB column has one type for all its rows);
- not null, Field(unique), Config.unique, every built-in value check (ge, gt, le, lt,
  in_range, eq, ne, isin, notin, str_matches, str_contains, str_startswith, str_endswith,
  str_length) and every @pa.dataframe_check with a SQL twin (schemas/_fields.in_sql): one
  aggregate query, one pass over the table, that counts each check's failing rows; a check
  that fails then lists its first MAX_CASES cases, with the row's rowid as the index;
- a check with no SQL form: pandera in pandas, on the columns that check names only.

The result has the columns of pandera's failure_cases (column, check, failure_case, index).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

import duckdb
import pandas as pd
import pandera.pandas as pa

from pipeline.warehouse.db import frame

SAMPLE_ROWS = 1000
MAX_CASES = 1000
CASE_COLUMNS = ["column", "check", "failure_case", "index"]


@dataclass(frozen=True)
class Test:
    """One check as SQL: `failures` counts the failing rows in an aggregate over the table;
    `cases` selects (failure_case, index) of the first failing rows."""

    column: str
    check: str
    failures: str
    cases: str


def check_table(con: duckdb.DuckDBPyConnection, table: str,
                model: type[pa.DataFrameModel]) -> pd.DataFrame:
    """Every check of `model`'s contract on `table`; the failure cases (none: no rows)."""
    schema = model.to_schema()
    relation = con.table(table)
    types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    found = [_structure(con, table, schema)]
    tests, leftover = _tests(table, schema, model, types)
    if tests:
        counts = con.execute(f"select {', '.join(t.failures for t in tests)} "
                             f"from {_quote(table)}").fetchall()[0]
        for test, failed in zip(tests, counts, strict=True):
            if failed:
                cases = con.execute(test.cases).df()
                if "column" not in cases:
                    cases["column"] = test.column
                found.append(cases.assign(check=test.check))
    for columns, check_schema in leftover:
        found.append(_in_pandas(con, table, [c for c in columns if c in types],
                                check_schema))
    found = [f for f in found if len(f)]
    if not found:
        return pd.DataFrame(columns=CASE_COLUMNS)
    return pd.concat([f[CASE_COLUMNS] for f in found], ignore_index=True)


def _structure(con, table: str, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Columns present, none undeclared, dtypes: pandera on a sample, value checks taken out."""
    bare = schema.update_columns({name: {"checks": [], "unique": False, "nullable": True}
                                  for name in schema.columns})
    bare.checks = []
    bare.unique = None
    try:
        bare.validate(frame(con, table, limit=SAMPLE_ROWS), lazy=True)
    except pa.errors.SchemaErrors as error:
        return error.failure_cases
    return pd.DataFrame(columns=CASE_COLUMNS)


def _tests(table: str, schema: pa.DataFrameSchema, model, types: dict[str, str]):
    """The SQL tests of a contract, and the (columns, schema) pairs left for pandas."""
    tests, leftover = [], []
    for name, column in schema.columns.items():
        if name not in types:
            continue  # reported by _structure as column_in_dataframe
        value = _quote(name)
        present = f"{value} is not null"
        if types[name] in ("DOUBLE", "FLOAT"):
            present += f" and not isnan({value})"  # pandas reads NaN as missing
        if not column.nullable:
            tests.append(_row_test(table, name, "not_nullable", f"not ({present})", value))
        if column.unique:
            tests.append(_unique_test(table, name, "field_uniqueness", [name]))
        for check in column.checks:
            failing = _failing(check, value)
            if failing is None:
                leftover.append(([name], pa.DataFrameSchema(
                    {name: pa.Column(checks=[check], nullable=True)})))
            else:
                tests.append(_row_test(table, name, check.error or check.name,
                                       f"{present} and ({failing})", value))
    if schema.unique:
        unique = [schema.unique] if isinstance(schema.unique, str) else list(schema.unique)
        tests.append(_unique_test(table, "", "multiple_fields_uniqueness", unique))
    keys = _keys(schema, types)
    for check in schema.checks:
        twin = getattr(_check_function(model, check.name), "sql", None)
        if twin is None:
            leftover.append((_named_columns(model, check.name, schema),
                             pa.DataFrameSchema(checks=[check])))
        elif twin.lstrip().lower().startswith("select"):
            tests.append(_query_test(table, check.name, twin.format(table=_quote(table))))
        else:
            tests.append(_row_test(table, "", check.name,
                                   f"not coalesce(({twin}), false)", keys))
    return tests, leftover


def _row_test(table: str, column: str, check: str, failing: str, value: str) -> Test:
    return Test(column, check, f"count(*) filter (where {failing})",
                f"select {value} as failure_case, rowid as index from {_quote(table)} "
                f"where {failing} order by rowid limit {MAX_CASES}")


def _unique_test(table: str, column: str, check: str, names: list[str]) -> Test:
    """Rows sharing their key with another row; nulls count as one value, as in pandas. Like
    pandera, a key of several columns gives a case per column of each such row."""
    key = ", ".join(_quote(n) for n in names)
    row = f"({key})" if len(names) > 1 else key
    distinct = f"count(distinct {row}) + (count(*) > count({row}))::int"
    rows = (f"select rowid as index, {key} from {_quote(table)} "
            f"qualify count(*) over (partition by {key}) > 1 order by rowid limit {MAX_CASES}")
    each = " union all ".join(f"select {_literal(n)} as \"column\", {_quote(n)}::varchar as "
                              f"failure_case, index from shared" for n in names)
    return Test(column, check, f"count(*) - ({distinct})",
                f"with shared as ({rows}) {each} order by index")


def _query_test(table: str, check: str, query: str) -> Test:
    """A twin that selects the failing groups: each group is a case (no row index)."""
    return Test("", check, f"(select count(*) from ({query}))",
                f"select concat_ws(', ', columns(*)::varchar) as failure_case, "
                f"null as index from ({query}) limit {MAX_CASES}")


def _failing(check: pa.Check, value: str) -> str | None:
    """SQL that is true where a value fails a built-in check; None when it has no SQL form."""
    stats = check.statistics or {}
    name = check.name
    comparisons = {"greater_than_or_equal_to": ("<", "min_value"),
                   "greater_than": ("<=", "min_value"),
                   "less_than_or_equal_to": (">", "max_value"),
                   "less_than": (">=", "max_value"),
                   "equal_to": ("<>", "value"), "not_equal_to": ("=", "value")}
    if name in comparisons and _literal(stats.get(comparisons[name][1])) is not None:
        operator, key = comparisons[name]
        return f"{value} {operator} {_literal(stats[key])}"
    if name == "in_range":
        low, high = _literal(stats.get("min_value")), _literal(stats.get("max_value"))
        if low is None or high is None:
            return None
        below = "<" if stats.get("include_min", True) else "<="
        above = ">" if stats.get("include_max", True) else ">="
        return f"{value} {below} {low} or {value} {above} {high}"
    if name in ("isin", "notin"):
        items = [_literal(v) for v in stats.get("allowed_values", stats.get(
            "forbidden_values", []))]
        if not items or None in items:
            return None
        return f"{value} {'not in' if name == 'isin' else 'in'} ({', '.join(items)})"
    text = f"{value}::varchar"
    patterns = {"str_matches": ("pattern", "^(?:{})"), "str_contains": ("pattern", "{}")}
    if name in patterns and isinstance(stats.get(patterns[name][0]), str):
        key, form = patterns[name]
        return f"not regexp_matches({text}, {_literal(form.format(stats[key]))})"
    if name == "str_startswith" and isinstance(stats.get("string"), str):
        return f"not starts_with({text}, {_literal(stats['string'])})"
    if name == "str_endswith" and isinstance(stats.get("string"), str):
        return f"not ends_with({text}, {_literal(stats['string'])})"
    if name == "str_length":
        low, high = stats.get("min_value"), stats.get("max_value")
        parts = ([f"length({text}) < {int(low)}"] if low is not None else []) + \
            ([f"length({text}) > {int(high)}"] if high is not None else [])
        return " or ".join(parts) or None
    return None


def _literal(value) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


def _keys(schema: pa.DataFrameSchema, types: dict[str, str]) -> str:
    """What names a failing row in a table check's cases: its grain, or its unique column."""
    names = [schema.unique] if isinstance(schema.unique, str) else list(schema.unique or [])
    names = names or [n for n, c in schema.columns.items() if c.unique]
    return _text([n for n in names if n in types] or list(types)[:1])


def _text(names: list[str]) -> str:
    if len(names) == 1:
        return f"{_quote(names[0])}::varchar"
    return "concat_ws(', ', " + ", ".join(f"{_quote(n)}::varchar" for n in names) + ")"


def _check_function(model, name: str):
    method = getattr(model, name, None)
    return getattr(method, "__func__", None)


def _named_columns(model, name: str, schema: pa.DataFrameSchema) -> list[str]:
    """The columns a table check names in its source; all of them when it hands the frame to
    a helper (which may read any)."""
    function = _check_function(model, name)
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return list(schema.columns)
    if re.search(r"(?:\bcls\.|(?<![\w.]))_\w+\(", source):
        return list(schema.columns)
    named = set(re.findall(r"[\"'](\w+)[\"']", source))
    return [c for c in schema.columns if c in named] or list(schema.columns)


def _in_pandas(con, table: str, columns: list[str], schema: pa.DataFrameSchema):
    try:
        schema.validate(frame(con, table, columns=columns), lazy=True)
    except pa.errors.SchemaErrors as error:
        return error.failure_cases
    return pd.DataFrame(columns=CASE_COLUMNS)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
