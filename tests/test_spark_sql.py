"""The marts in Spark SQL (pipeline/warehouse/spark_dialect.py): every model transpiles, with
no DuckDB variable, macro, asof join or epoch() left; the equality of what Spark makes of
them with the DuckDB build is tests/test_spark_engine.py's."""

from __future__ import annotations

import re
from datetime import date

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


def _spark(sql: str, defined: dict | None = None, variables: dict | None = None) -> str:
    """The model's Spark SQL on one line, spaces squeezed (none inside parentheses)."""
    spark = " ".join(spark_dialect.to_spark(sql, defined or {}, variables or {}).split())
    return spark.replace("( ", "(").replace(" )", ")")


def test_a_macro_is_written_out_in_place_and_a_cast_of_its_call_stays_a_cast():
    defined = {"plus_one": (["x"], sqlglot.parse_one("x + 1", read="duckdb")),
               "twice_plus_one": (["y"], sqlglot.parse_one("plus_one(y) * 2", read="duckdb"))}
    assert _spark("select plus_one(a)::double as b from t", defined) == \
        "SELECT CAST((a + 1) AS DOUBLE) AS b FROM t"
    assert "((a + 1) * 2)" in _spark("select twice_plus_one(a) from t", defined)


def test_a_run_variable_is_its_value_as_a_literal():
    variables = {"as_of_date": spark_dialect._literal(date(2026, 11, 20)),
                 "tiers": spark_dialect._literal([1, 2]),
                 "currency": spark_dialect._literal("CNY")}
    assert _spark("select getvariable('as_of_date') as d, getvariable('tiers') as t, "
                  "getvariable('currency') as c", variables=variables) == \
        "SELECT CAST('2026-11-20' AS DATE) AS d, ARRAY(1, 2) AS t, 'CNY' AS c"


def test_months_added_or_taken_are_add_months():
    spark = _spark("select day + to_months(3) as a, day - to_months(n + 1) as b from t")
    assert "ADD_MONTHS(day, 3) AS a" in spark
    assert "ADD_MONTHS(day, -(n + 1)) AS b" in spark
    assert "INTERVAL" not in spark


def test_an_expression_over_unnest_goes_inside_the_generator():
    assert _spark("select unnest(days)::date as day from t") == \
        "SELECT EXPLODE(TRANSFORM(days, _value -> CAST(_value AS DATE))) AS day FROM t"
    assert _spark("select unnest(generate_series(1, 3)) + 1 as n") == \
        "SELECT EXPLODE(TRANSFORM(SEQUENCE(1, 3), _value -> _value + 1)) AS n"
    # a bare unnest is left as it is
    assert _spark("select unnest(days) as day from t") == "SELECT EXPLODE(days) AS day FROM t"


def test_functions_by_other_names_on_spark():
    assert "WHERE STRUCT(a, b) IN (SELECT STRUCT(c, d) FROM u)" in \
        _spark("select * from t where row(a, b) in (select row(c, d) from u)")
    # half to even, as a bank rounds
    assert _spark("select round_even(x, 2) from t") == "SELECT BROUND(x, 2) FROM t"
    # DuckDB's list_position is null where the list lacks the value, Spark's 0
    assert _spark("select list_position(l, v) from t") == \
        "SELECT NULLIF(ARRAY_POSITION(l, v), 0) FROM t"


def test_a_division_is_a_double_as_on_duckdb():
    assert _spark("select a / b as r, sum(a) / count(*) as m from t") == \
        "SELECT CAST(a AS DOUBLE) / b AS r, CAST(SUM(a) AS DOUBLE) / COUNT(*) AS m FROM t"


def test_a_double_cast_to_a_decimal_or_rounded_is_rounded_as_duckdb_does():
    # DuckDB scales the double by ten to the digits and rounds half away from zero:
    # 241382.28 / 24 is 10057.59 there (the double is 10057.594999...), where Spark's own cast
    # of the double (its shortest decimal form, 10057.595) would make 10057.60
    assert _spark("select (c / nullif(n, 0))::decimal(18, 2) as x from t") == \
        ("SELECT CAST(CAST(ROUND(((CAST(c AS DOUBLE) / NULLIF(n, 0))) * 100) "
         "AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2)) AS x FROM t")
    assert _spark("select round(c / n, 1) as r from t") == \
        "SELECT (ROUND((CAST(c AS DOUBLE) / n) * 10) / 10.0) AS r FROM t"
    assert "ROUND((CAST(c AS DOUBLE) / n) * 100) / 100.0" in \
        _spark("select round(c / n, 2)::decimal(18, 2) as r from t")
    # a decimal cast to a decimal, or rounded, is rounded alike on both: left as it is
    assert _spark("select round(amount, 2)::decimal(18, 2) as r from t") == \
        "SELECT CAST(ROUND(amount, 2) AS DECIMAL(18, 2)) AS r FROM t"


def test_a_list_in_an_order_keeps_it_on_spark():
    # sqlglot writes collect_list, whose order is the rows' order
    assert _spark("select list(stage order by stage_order) as skipped from t") == \
        ("SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(NAMED_STRUCT('k0_null', stage_order IS "
         "NULL, 'k0', stage_order, 'value', stage))), _element -> _element.value) AS skipped "
         "FROM t")
    with pytest.raises(ValueError, match="only ascending keys"):
        spark_dialect.to_spark("select list(a order by b desc) from t", {}, {})
