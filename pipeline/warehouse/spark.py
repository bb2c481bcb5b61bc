"""The build on Spark (`engine: spark`): the same models of sql/, run by Spark SQL.

The raw_ tables that ingest wrote into the warehouse go out as Parquet (DuckDB's COPY) to
<spark_folder>/raw/; each model, in build order, runs as Spark SQL (spark_dialect) over the
tables before it and is written as Parquet to <spark_folder>/models/<name>/, then read back
as the view the next models read. Every model comes back into the warehouse, in its layer's
schema and with the column types the DuckDB build gives it, so that the audits, validation,
reports and delivery run on DuckDB as they do after a DuckDB build.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import duckdb

from pipeline.config import Config
from pipeline.errors import ConfigError
from pipeline.warehouse import spark_dialect
from pipeline.warehouse.build import Model, set_run_variables
from pipeline.warehouse.db import schema_of

log = logging.getLogger(__name__)

# settings the session gets unless spark_conf says otherwise: timestamps without a time zone
# and null (not an error) for a division by zero, as DuckDB has them
DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.legacy.sizeOfNull": "false",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
LOCAL_CONF = {"spark.sql.shuffle.partitions": "4", "spark.driver.memory": "2g"}


def spark_session(config: Config):
    """The Spark session for a build: the one already running in this process (a test's,
    a notebook's) or a new one on spark_master with spark_conf."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise ConfigError("engine spark needs pyspark: pip install -e '.[spark]' (and Java "
                          "17, see README)") from error
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise ConfigError("engine spark needs Java 17: install it (apt-get install "
                          "openjdk-17-jre-headless) or set JAVA_HOME")
    conf = {**DEFAULT_CONF, **(LOCAL_CONF if config.spark_master.startswith("local") else {}),
            **{key: str(value) for key, value in config.spark_conf.items()}}
    builder = SparkSession.builder.master(config.spark_master).appName("crm-reports")
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as error:  # the JVM did not start: pyspark's own error says why
        raise ConfigError(f"Spark did not start on {config.spark_master}: {error}") from error


def column_types(con: duckdb.DuckDBPyConnection, config: Config, models: list[Model],
                 sql_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """Each model's columns and DuckDB types, from a DuckDB build over empty raw_ tables."""
    dry = duckdb.connect()
    raw = {t for m in models for t in m.reads if t.startswith("raw_")}
    for table in sorted(raw):
        columns = con.execute(f"describe {table}").fetchall()  # where the search path finds it
        dry.execute(f"create table {table} ("
                    + ", ".join(f'"{name}" {type_}' for name, type_, *_ in columns) + ")")
    set_run_variables(dry, config)
    for path in sorted((sql_dir / "macros").glob("*.sql")):
        dry.execute(path.read_text(encoding="utf-8"))
    types = {}
    for model in models:
        dry.execute(f"create table {model.name} as (\n{model.sql}\n)")
        types[model.name] = [(name, type_) for name, type_, *_ in
                             dry.execute(f"describe {model.name}").fetchall()]
    dry.close()
    return types


def build_on_spark(con: duckdb.DuckDBPyConnection, config: Config, models: list[Model],
                   sql_dir: Path) -> None:
    """Runs `models` (in build order) on Spark and loads every one into the warehouse."""
    spark = spark_session(config)
    folder = config.spark_folder.resolve()
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "raw").mkdir(parents=True)
    types = column_types(con, config, models, sql_dir)
    for table in sorted({t for m in models for t in m.reads if t.startswith("raw_")}):
        path = folder / "raw" / f"{table}.parquet"
        con.execute(f"copy {table} to '{path}' (format parquet)")
        spark.read.parquet(str(path)).createOrReplaceTempView(table)
    defined, variables = spark_dialect.macros(sql_dir), spark_dialect.run_variables(config)
    for model in models:
        path = folder / "models" / model.name
        try:
            spark.sql(spark_dialect.to_spark(model.sql, defined, variables)) \
                .write.mode("overwrite").parquet(str(path))
        except Exception as error:
            raise ConfigError(f"{model.path} on Spark: {str(error).splitlines()[0]}") \
                from error
        spark.read.parquet(str(path)).createOrReplaceTempView(model.name)
        table = f"{schema_of(model.name)}.{model.name}"
        if any(path.glob("*.parquet")):
            columns = ", ".join(f'cast("{name}" as {type_}) as "{name}"'
                                for name, type_ in types[model.name])
            con.execute(f"create or replace table {table} as "
                        f"select {columns} from read_parquet('{path}/*.parquet')")
        else:  # no rows, and no file to say so
            con.execute(f"create or replace table {table} ("
                        + ", ".join(f'"{n}" {t}' for n, t in types[model.name]) + ")")
        log.debug("built %s on Spark", model.name)
