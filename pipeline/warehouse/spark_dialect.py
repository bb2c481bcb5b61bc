"""What differs between the engines, in one place: a model of sql/ (DuckDB SQL) as Spark SQL.

sqlglot transpiles the routine part (casts, `qualify`, `filter (where ...)`, list functions
and lambdas, `arg_max`, `generate_series`). What it cannot, this module does, and
docs/SCALING.md lists the same:

- the macros of sql/macros/ are written out in place (macros may call macros);
- `getvariable()` becomes the run's value as a literal (what build.py sets on DuckDB);
- an asof join becomes a range join on the right side's `[valid_from, next valid_from)`,
  which keeps the same one row (DuckDB keeps asof joins: they are its fastest way);
- `epoch()` of an interval (seconds between two timestamps) becomes the difference of the
  two timestamps in microseconds over a million (sqlglot would read it as unix_timestamp);
- `date + to_months(n)` is add_months; an expression over unnest() goes inside the generator;
  row() is struct(), round_even bround, list_position array_position (null for 0);
- a division is a double, as on DuckDB, and a double cast to a decimal or rounded is rounded
  as DuckDB rounds it;
- `list(x order by k)` keeps its order (sqlglot's collect_list would lose it).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from pipeline.config import Config
from pipeline.paths import SQL_DIR

MACRO = re.compile(r"create or replace macro (\w+)\(([^)]*)\) as\s+(.*?);", re.S | re.I)
# the constructs a model may use that this module rewrites for Spark, by how they read
REWRITTEN = {"asof join": r"\basof\b", "epoch() of an interval": r"\bepoch\(",
             "create macro": r"\w+\(", "getvariable()": r"\bgetvariable\("}
NEXT = "_asof_next"


def run_variables(config: Config) -> dict[str, exp.Expression]:
    """The values build.py sets on DuckDB, read back from DuckDB, as Spark literals."""
    from pipeline.warehouse.build import set_run_variables

    con = duckdb.connect()
    set_run_variables(con, config)
    values = {}
    for (name,) in con.execute("select name from duckdb_variables()").fetchall():
        values[name] = _literal(con.execute("select getvariable(?)", [name]).fetchall()[0][0])
    return values


def _literal(value) -> exp.Expression:
    if isinstance(value, list):
        return exp.Array(expressions=[_literal(v) for v in value])
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "date")
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def macros(sql_dir: Path = SQL_DIR) -> dict[str, tuple[list[str], exp.Expression]]:
    found = {}
    for path in sorted((sql_dir / "macros").glob("*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        for name, params, body in MACRO.findall(text):
            found[name.lower()] = ([p.strip() for p in params.split(",") if p.strip()],
                                   sqlglot.parse_one(body, read="duckdb"))
    return found


def inline(tree: exp.Expression, defined: dict, variables: dict) -> exp.Expression:
    """Macro calls written out (macros may call macros), getvariable() as literals."""

    def replace(node: exp.Expression) -> exp.Expression:
        # a macro is a function call by its name (not, say, a cast of one)
        name = node.name.lower() if isinstance(node, exp.Anonymous) else \
            node.sql_name().lower() if isinstance(node, exp.Func) else ""
        if isinstance(node, exp.Anonymous) and name == "getvariable":
            return variables[node.expressions[0].name].copy()
        if isinstance(node, exp.Func) and name in defined:
            params, body = defined[name]
            args = dict(zip(params, node.expressions or list(node.args.values()),
                            strict=False))
            written = body.copy().transform(
                lambda n: args[n.name].copy() if isinstance(n, exp.Column)
                and not n.table and n.name in args else n)
            return exp.Paren(this=inline(written, defined, variables))
        return node

    return tree.transform(replace)


def asof_as_range_join(tree: exp.Expression) -> exp.Expression:
    """`l asof left join r on <equalities> and l.x >= r.y` as a left join of r with the next
    y of the same keys, on `r.y <= l.x < next y`: one right row per left row, as the asof
    join gives (of rows tied on y, the last in the window order, as DuckDB keeps one)."""
    for join in list(tree.find_all(exp.Join)):
        if join.args.get("method", "").upper() != "ASOF":
            continue
        right = join.this
        alias = right.alias_or_name
        conditions = list(join.args["on"].flatten()) if isinstance(join.args["on"], exp.And) \
            else [join.args["on"]]
        keys = [c for c in conditions if isinstance(c, exp.EQ)]
        ranges = [c for c in conditions if isinstance(c, exp.GTE)]
        if len(ranges) != 1 or len(keys) + 1 != len(conditions):
            raise ValueError(f"asof join on {alias}: only equalities and one >= are rewritten")
        left_at, right_at = ranges[0].this, ranges[0].expression
        if right_at.table != alias:
            raise ValueError(f"asof join on {alias}: the >= must compare with {alias}'s column")
        partition = [side for key in keys for side in (key.this, key.expression)
                     if side.table == alias]
        window = exp.Window(
            this=exp.Anonymous(this="lead", expressions=[exp.column(right_at.name)]),
            partition_by=[exp.column(c.name) for c in partition],
            order=exp.Order(expressions=[exp.Ordered(this=exp.column(right_at.name))]))
        table = right.copy()
        table.set("alias", None)
        subquery = exp.select(exp.Star(), exp.alias_(window, NEXT)).from_(table) \
            .subquery(alias)
        next_at = exp.column(NEXT, table=alias)
        on = exp.and_(*keys, ranges[0],
                      exp.or_(exp.Is(this=next_at, expression=exp.Null()),
                              exp.LT(this=left_at.copy(), expression=next_at.copy())))
        join.set("this", subquery)
        join.set("method", None)
        join.set("on", on)
    return tree


def epoch_of_intervals(tree: exp.Expression) -> exp.Expression:
    """epoch(b - a) of two timestamps: the seconds between them, fractions included."""

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous | exp.Func) and node.name.lower() == "epoch" \
                or isinstance(node, exp.TimeToUnix):
            argument = node.this if isinstance(node, exp.TimeToUnix) else \
                (node.expressions or [node.this])[0]
            if isinstance(argument, exp.Sub):
                micros = [exp.Anonymous(this="unix_micros", expressions=[
                    exp.cast(side.copy(), exp.DataType.build("timestampltz"))]) for side in
                    (argument.this, argument.expression)]
                return exp.Paren(this=exp.Div(
                    this=exp.Paren(this=exp.Sub(this=micros[0], expression=micros[1])),
                    expression=exp.Literal.number("1000000.0")))
        return node

    return tree.transform(replace)


def month_arithmetic(tree: exp.Expression) -> exp.Expression:
    """`day + to_months(n)` and `day - to_months(n)` as add_months (a date)."""

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Add | exp.Sub) and isinstance(node.expression, exp.Anonymous) \
                and node.expression.name.lower() == "to_months":
            months = month_arithmetic(node.expression.expressions[0].copy())
            if isinstance(node, exp.Sub):
                months = exp.Neg(this=exp.Paren(this=months))
            return exp.Anonymous(this="add_months",
                                 expressions=[month_arithmetic(node.this.copy()), months])
        return node

    return tree.transform(replace)


def generators_outermost(tree: exp.Expression) -> exp.Expression:
    """`unnest(list)::date` or `unnest(list) + 1` in a select list: Spark takes a generator
    only outermost, so the expression goes inside, over each element:
    explode(transform(list, value -> value::date))."""
    for select in list(tree.find_all(exp.Select)):
        for projection in select.expressions:
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            explode = inner.find(exp.Explode)
            if explode is None or explode is inner:
                continue
            value = exp.to_identifier("_value")
            array = explode.this.copy()
            explode.replace(exp.column(value))
            element = exp.Lambda(this=inner.copy(), expressions=[value])
            inner.replace(exp.Explode(this=exp.Anonymous(this="transform",
                                                         expressions=[array, element])))
    return tree


def functions_by_other_names(tree: exp.Expression) -> exp.Expression:
    """row(a, b, ...), a value of several columns compared as one, as struct(a, b, ...);
    round_even (half to even, as a bank rounds) as bround; list_position as
    array_position."""

    def replace(node: exp.Expression) -> exp.Expression:
        name = node.name.lower() if isinstance(node, exp.Anonymous) else ""
        if name == "row":
            return exp.Struct(expressions=node.expressions)
        if name == "round_even":
            return exp.Anonymous(this="bround", expressions=node.expressions)
        if name == "list_position":  # null, not 0, when the list lacks the value
            return exp.Nullif(this=exp.Anonymous(this="array_position",
                                                 expressions=node.expressions),
                              expression=exp.Literal.number(0))
        return node

    return tree.transform(replace)


def divisions_in_double(tree: exp.Expression) -> exp.Expression:
    """`a / b` is a double on DuckDB whatever a and b are; Spark divides decimals as decimals
    of a limited scale (10 digits), so the numerator goes in as a double."""
    for division in list(tree.find_all(exp.Div)):
        division.set("this", exp.cast(division.this.copy(), "double"))
    return tree


def ordered_lists(tree: exp.Expression) -> exp.Expression:
    """`list(value order by key, ...)`: sqlglot writes collect_list, which loses the order.
    The values go in a struct behind their keys (each key's nulls last, as DuckDB orders),
    the structs are sorted and the values taken back out:
    transform(array_sort(collect_list(named_struct(...))), e -> e.value)."""
    for aggregate in list(tree.find_all(exp.ArrayAgg)):
        if not isinstance(aggregate.this, exp.Order):
            continue
        order = aggregate.this
        fields: list[exp.Expression] = []
        for number, key in enumerate(order.expressions):
            if key.args.get("desc") or key.args.get("nulls_first"):
                raise ValueError("list(... order by ...): only ascending keys, nulls last, "
                                 "are rewritten")
            fields += [exp.Literal.string(f"k{number}_null"),
                       exp.Is(this=key.this.copy(), expression=exp.Null()),
                       exp.Literal.string(f"k{number}"), key.this.copy()]
        fields += [exp.Literal.string("value"), order.this.copy()]
        collected = exp.ArrayAgg(this=exp.Anonymous(this="named_struct", expressions=fields))
        element = exp.to_identifier("_element")
        aggregate.replace(exp.Anonymous(this="transform", expressions=[
            exp.Anonymous(this="array_sort", expressions=[collected]),
            exp.Lambda(this=exp.Dot(this=exp.column(element), expression=exp.to_identifier(
                "value")), expressions=[element])]))
    return tree


def _is_double(node: exp.Expression) -> bool:
    """Whether a value is a double on DuckDB, as far as its form says: a division, a cast to
    double, round() of a double, or arithmetic (or greatest/least/coalesce/abs) over one."""
    if isinstance(node, exp.Div):
        return True
    if isinstance(node, exp.Cast):
        return node.to.this in (exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT)
    if isinstance(node, exp.Paren | exp.Neg | exp.Round | exp.Abs):
        return _is_double(node.this)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul):
        return _is_double(node.this) or _is_double(node.expression)
    if isinstance(node, exp.Greatest | exp.Least | exp.Coalesce):
        return any(_is_double(a) for a in [node.this, *node.expressions])
    return False


def _scaled(value: exp.Expression, digits: int) -> exp.Expression:
    return exp.Mul(this=exp.Paren(this=value), expression=exp.Literal.number(10 ** digits))


def doubles_rounded_as_duckdb(tree: exp.Expression) -> exp.Expression:
    """A double cast to a decimal, or rounded to some digits, as DuckDB does it: the double
    times ten to the digits, rounded half away from zero, over ten to the digits. (Spark
    rounds the double's shortest decimal form: 10057.595 (a division) is 10057.60 there and
    10057.59 on DuckDB, whose double is 10057.594999...)"""

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.DECIMAL \
                and _is_double(node.this) and len(node.to.expressions) == 2:
            digits = int(node.to.expressions[1].this.name)
            value = doubles_rounded_as_duckdb(node.this.copy())
            whole = exp.cast(exp.Round(this=_scaled(value, digits)),
                             exp.DataType.build("decimal(38, 0)"))
            return exp.Cast(this=exp.Mul(this=whole, expression=exp.Literal.number(
                f"{10 ** -digits:.{digits}f}")) if digits else whole, to=node.to.copy())
        if isinstance(node, exp.Round) and _is_double(node.this) \
                and isinstance(node.args.get("decimals"), exp.Literal) \
                and int(node.args["decimals"].name) > 0:
            digits = int(node.args["decimals"].name)
            value = doubles_rounded_as_duckdb(node.this.copy())
            return exp.Paren(this=exp.Div(
                this=exp.Round(this=_scaled(value, digits)),
                expression=exp.Literal.number(f"{10 ** digits}.0")))
        return node

    return tree.transform(replace)


def to_spark(sql: str, defined: dict, variables: dict) -> str:
    """One model's select in Spark SQL."""
    tree = inline(sqlglot.parse_one(sql, read="duckdb"), defined, variables)
    tree = month_arithmetic(epoch_of_intervals(asof_as_range_join(tree)))
    tree = ordered_lists(functions_by_other_names(generators_outermost(tree)))
    tree = doubles_rounded_as_duckdb(divisions_in_double(tree))
    return tree.sql(dialect="spark", pretty=True)
