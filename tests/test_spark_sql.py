"""The marts in Spark SQL (pipeline/warehouse/spark_dialect.py): every model transpiles, with
no DuckDB variable, macro, asof join or epoch() left; the equality of what Spark makes of
them with the DuckDB build is tests/test_spark_engine.py's."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("sqlglot")

import sqlglot  # noqa: E402

from pipeline.tools import spark_sql  # noqa: E402
from pipeline.warehouse import spark_dialect  # noqa: E402
from pipeline.warehouse.build import discover_models  # noqa: E402


def test_every_model_transpiles_to_spark_sql(tmp_path):
    spark_sql.transpile(tmp_path)
    written = {path.stem.split("_", 1)[1]: path.read_text(encoding="utf-8")
               for path in tmp_path.glob("*.sql")}
    assert set(written) == set(discover_models())
    macros = set(spark_dialect.macros())
    for name, text in written.items():
        assert "GETVARIABLE" not in text.upper(), name
        assert not re.search(r"\bASOF\b|\bEPOCH\(|UNIX_TIMESTAMP\(", text, re.I), name
        called = {m.lower() for m in re.findall(r"\b(\w+)\(", text)}
        assert not called & macros, name


def test_an_asof_join_becomes_a_range_join_on_the_next_version():
    sql = ("select deals.id, rates.rate from deals asof left join rates "
           "on deals.currency = rates.currency and deals.day >= rates.rate_date")
    spark = spark_dialect.to_spark(sql, {}, {})
    join = sqlglot.parse_one(spark, read="spark").find(sqlglot.exp.Join)
    assert join.side == "LEFT" and not join.args.get("method")
    assert "LEAD(rate_date) OVER (PARTITION BY currency ORDER BY rate_date" in spark
    assert "rates._asof_next IS NULL OR deals.day < rates._asof_next" in spark


def test_epoch_of_an_interval_is_the_seconds_between_with_fractions():
    spark = spark_dialect.to_spark("select epoch(left_at - entered_at) from visits", {}, {})
    assert ("UNIX_MICROS(CAST(left_at AS TIMESTAMP_LTZ)) - "
            "UNIX_MICROS(CAST(entered_at AS TIMESTAMP_LTZ))") in spark
    assert "1000000.0" in spark
