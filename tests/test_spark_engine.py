"""engine: spark (docs/SCALING.md): the sample run with the models on Spark (local mode) makes
the same marts as the DuckDB run, every fct_, dim_ and rpt_ table row for row, and the
reports, validation and delivery after it run unchanged. Without Java (or pyspark) the Spark
tests are skipped, saying why, except under CI=true, where they fail."""

from __future__ import annotations

import logging
import math
import os
import shutil
from dataclasses import replace
from decimal import Decimal

import duckdb
import pytest

from pipeline.__main__ import main
from pipeline.config import load_config
from pipeline.control.run import DRY_RUN, run
from pipeline.errors import ConfigError
from pipeline.paths import SAMPLE_CONFIG, SAMPLE_DIR
from pipeline.warehouse.db import open_warehouse

AS_OF_SAMPLE = "2026-11-20"
MARTS = ("fct_", "dim_", "rpt_")


def _missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "Java is not installed (engine spark needs Java 17)"
    return None


@pytest.fixture(scope="session")
def spark():
    """One Spark session in local mode for the whole test session."""
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {missing}")
        pytest.skip(missing)
    from pyspark.sql import SparkSession

    from pipeline.warehouse.spark import DEFAULT_CONF

    builder = SparkSession.builder.master("local[2]").appName("crm-reports-tests")
    for key, value in {**DEFAULT_CONF, "spark.sql.shuffle.partitions": "1",
                       "spark.default.parallelism": "2",
                       "spark.driver.memory": "1g"}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("OFF")
    # py4j says at exit that it closes its connections, to a stream pytest has closed by then
    logging.getLogger("py4j").setLevel(logging.WARNING)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_run(spark, sample_run, tmp_path_factory):
    """The sample's whole run (reports and the dry-run email too) with engine: spark."""
    out = tmp_path_factory.mktemp("spark_run")
    # one shuffle partition: the sample is small, and Spark's cost is the tasks (the run
    # sets the session's settings again, so they are the run's as well as the session's)
    config = replace(sample_run, out=out, engine="spark", spark_master="local[2]",
                     spark_conf={"spark.sql.shuffle.partitions": "1"})
    run(config, mail=DRY_RUN)
    return config


def _rows(con, table: str, columns: list[str], floats: set[str]) -> list[tuple]:
    """The table's rows, ordered by its exact columns and then by the doubles."""
    order = [c for c in columns if c not in floats] + [c for c in columns if c in floats]
    return con.execute(f'select {", ".join(chr(34) + c + chr(34) for c in columns)} '
                       f'from {table} order by '
                       + ", ".join(f'"{c}" nulls last' for c in order)).fetchall()


def _same(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12) or \
            (math.isnan(left) and math.isnan(right))
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(_same, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    return left == right and type(left) is type(right) or \
        (isinstance(left, Decimal) and isinstance(right, Decimal) and left == right)


def test_the_sample_on_spark_makes_the_same_marts_as_on_duckdb(sample_run, spark_run):
    con = duckdb.connect()
    con.execute(f"attach '{sample_run.published_warehouse}' as duck (read_only)")
    con.execute(f"attach '{spark_run.published_warehouse}' as spark (read_only)")
    tables = [name for (name,) in con.execute(
        "select table_name from duckdb_tables() where database_name = 'duck' "
        "and schema_name = 'main' order by 1").fetchall() if name.startswith(MARTS)]
    assert len(tables) >= 40
    differing = []
    for table in tables:
        shape = {db: con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = ? "
            "and table_name = ? order by column_index", [db, table]).fetchall()
            for db in ("duck", "spark")}
        assert shape["duck"] == shape["spark"], table
        columns = [name for name, _ in shape["duck"]]
        floats = {name for name, type_ in shape["duck"] if type_ in ("DOUBLE", "FLOAT")}
        duck = _rows(con, f"duck.main.{table}", columns, floats)
        spark = _rows(con, f"spark.main.{table}", columns, floats)
        if len(duck) != len(spark):
            differing.append(f"{table}: {len(duck)} rows on DuckDB, {len(spark)} on Spark")
            continue
        for number, (left, right) in enumerate(zip(duck, spark, strict=True)):
            wrong = [c for c, a, b in zip(columns, left, right, strict=True) if not _same(a, b)]
            if wrong:
                at = columns.index(wrong[0])
                differing.append(f"{table} row {number}: {wrong[0]} is {left[at]!r} on "
                                 f"DuckDB, {right[at]!r} on Spark")
                break
    assert not differing, "\n".join(differing)


def test_the_spark_run_validates_reports_and_mails_as_the_duckdb_run(sample_run, spark_run):
    with open_warehouse(spark_run.published_warehouse, read_only=True) as con:
        assert con.execute("select value from pipeline_state where key = 'as_of_date'"
                           ).fetchone()[0] == AS_OF_SAMPLE
    reports = sorted(p.relative_to(spark_run.reports_dir / AS_OF_SAMPLE).as_posix()
                     for p in (spark_run.reports_dir / AS_OF_SAMPLE).rglob("*.pdf"))
    expected = sorted(p.relative_to(sample_run.reports_dir / AS_OF_SAMPLE).as_posix()
                      for p in (sample_run.reports_dir / AS_OF_SAMPLE).rglob("*.pdf"))
    assert reports and reports == expected
    assert sorted(p.name for p in (spark_run.outbox_dir / AS_OF_SAMPLE).iterdir())


def test_the_raw_tables_go_to_spark_as_parquet_and_every_model_comes_back(spark_run):
    folder = spark_run.spark_folder
    assert (folder / "raw" / "raw_crm__deals.parquet").is_file()
    assert (folder / "models" / "rpt_forecast").is_dir()


def test_engine_is_duckdb_or_spark_in_the_settings_and_on_the_command_line(tmp_path, capsys):
    assert load_config(SAMPLE_CONFIG).engine == "duckdb"
    assert load_config(SAMPLE_CONFIG, engine="spark").engine == "spark"
    with pytest.raises(ConfigError, match=r"engine is 'sprak'; it should be duckdb or spark "
                                          r"\(did you mean 'spark'\?\)"):
        load_config(SAMPLE_CONFIG, engine="sprak")
    settings = tmp_path / "pipeline.yaml"
    settings.write_text("engine: spark\nspark_master: local[2]\n"
                        "spark_conf:\n  spark.executor.memory: 8g\n", encoding="utf-8")
    config = load_config(settings)
    assert (config.engine, config.spark_master) == ("spark", "local[2]")
    assert config.spark_conf == {"spark.executor.memory": "8g"}
    settings.write_text("spark_conf:\n  executor.memory: 8g\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1: spark_conf is .*a mapping of Spark settings"):
        load_config(settings)
    code = main(["build", "--engine", "sprak", "--inbox", str(SAMPLE_DIR),
                 "--out", str(tmp_path / "out"), "--config", str(SAMPLE_CONFIG)])
    assert code == 2
    assert "engine is 'sprak'; it should be duckdb or spark" in capsys.readouterr().err


def test_a_selection_is_rebuilt_on_duckdb_only(sample_run, tmp_path):
    from pipeline.warehouse.build import build_models

    shutil.copy(sample_run.published_warehouse, tmp_path / "warehouse.duckdb")
    config = replace(sample_run, out=tmp_path, engine="spark")
    with open_warehouse(tmp_path / "warehouse.duckdb") as con, \
            pytest.raises(ConfigError, match="--select rebuilds models in place on DuckDB"):
        build_models(con, config, select=["rpt_forecast"])
