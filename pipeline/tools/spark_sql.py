"""The marts' SQL for Spark: every model in sql/ transpiled from DuckDB's dialect by sqlglot,
with the run's variables as literals and the macros of sql/macros/ written out in place.

`python -m pipeline.tools.spark_sql --out out/spark_sql` (sqlglot: `pip install -e '.[scale]'`)
writes one <model>.sql per model in Spark SQL, in build order, and lists the models that keep
a construct Spark SQL has no equal for (docs/SCALING.md says what each needs). Nothing here
runs in the nightly pipeline: it shows that the same marts can move to a distributed engine.
"""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from pipeline.config import load_config
from pipeline.paths import SQL_DIR
from pipeline.warehouse.build import build_order, discover_models, set_run_variables

MACRO = re.compile(r"create or replace macro (\w+)\(([^)]*)\) as\s+(.*?);", re.S | re.I)
# what sqlglot passes through or maps to a function of another meaning
NOT_IN_SPARK = {"asof join": r"\basof\b", "epoch() of an interval": r"\bepoch\(",
                "string_agg ... order by": r"\bstring_agg\("}


def run_variables() -> dict[str, exp.Expression]:
    """The values build.py sets, read back from DuckDB, as Spark literals."""
    con = duckdb.connect()
    set_run_variables(con, load_config(as_of=date(2026, 11, 20)))
    names = [n for (n,) in con.execute("select name from duckdb_variables()").fetchall()]
    values = {}
    for name in names:
        value = con.execute("select getvariable(?)", [name]).fetchall()[0][0]
        values[name] = _literal(value)
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
        name = node.name.lower() if isinstance(node, exp.Func) else ""
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


def transpile(out: Path, sql_dir: Path = SQL_DIR) -> dict[str, list[str]]:
    """Writes <out>/<nn>_<model>.sql in Spark SQL; returns the models left with a construct
    Spark lacks, and which."""
    out.mkdir(parents=True, exist_ok=True)
    defined, variables = macros(sql_dir), run_variables()
    left = {}
    for number, model in enumerate(build_order(discover_models(sql_dir)), start=1):
        tree = inline(sqlglot.parse_one(model.sql, read="duckdb"), defined, variables)
        spark = tree.sql(dialect="spark", pretty=True)
        (out / f"{number:02d}_{model.name}.sql").write_text(
            f"-- {model.name}, from {model.path.relative_to(sql_dir.parent)} by sqlglot\n"
            f"create or replace table {model.name} as\n{spark};\n", encoding="utf-8")
        lacking = [what for what, pattern in NOT_IN_SPARK.items()
                   if re.search(pattern, model.sql, re.I)]
        if lacking:
            left[model.name] = lacking
    return left


def main(argv: list[str] | None = None) -> dict[str, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/spark_sql"))
    args = parser.parse_args(argv)
    left = transpile(args.out)
    count = len(list(args.out.glob("*.sql")))
    print(f"{count} models in Spark SQL in {args.out}; {len(left)} keep a construct that "
          "needs a hand:")
    for name, lacking in sorted(left.items()):
        print(f"  {name}: {', '.join(lacking)}")
    return left


if __name__ == "__main__":
    main()
