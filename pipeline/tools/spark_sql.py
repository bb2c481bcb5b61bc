"""The marts' SQL for Spark, to read: every model in sql/ as the Spark build runs it
(pipeline/warehouse/spark_dialect.py), with the run's variables as literals and the macros
of sql/macros/ written out in place.

`python -m pipeline.tools.spark_sql --out out/spark_sql` (sqlglot: `pip install -e '.[scale]'`)
writes one <nn>_<model>.sql per model in Spark SQL, in build order. `engine: spark` runs the
same SQL (docs/SCALING.md).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from pipeline.config import load_config
from pipeline.paths import SQL_DIR
from pipeline.warehouse.build import build_order, discover_models
from pipeline.warehouse.spark_dialect import macros, run_variables, to_spark


def transpile(out: Path, sql_dir: Path = SQL_DIR) -> list[str]:
    """Writes <out>/<nn>_<model>.sql in Spark SQL; returns the models, in build order."""
    out.mkdir(parents=True, exist_ok=True)
    defined = macros(sql_dir)
    variables = run_variables(load_config(as_of=date(2026, 11, 20)))
    order = build_order(discover_models(sql_dir))
    for number, model in enumerate(order, start=1):
        spark = to_spark(model.sql, defined, variables)
        (out / f"{number:02d}_{model.name}.sql").write_text(
            f"-- {model.name}, from {model.path.relative_to(sql_dir.parent)} by sqlglot\n"
            f"create or replace table {model.name} as\n{spark};\n", encoding="utf-8")
    return [m.name for m in order]


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/spark_sql"))
    args = parser.parse_args(argv)
    names = transpile(args.out)
    print(f"{len(names)} models in Spark SQL in {args.out}")
    return names


if __name__ == "__main__":
    main()
