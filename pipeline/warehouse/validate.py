"""Validate: every table built from sql/ against its pandera contract.

All contracts are checked (lazily, so one run lists every failure); the failure cases go to
out/validation/failures.csv. A table of IN_DATABASE_ROWS rows or more is checked inside
DuckDB (pipeline/warehouse/sql_checks.py: the same contract, one pass, no copy into pandas; at most
sql_checks.MAX_CASES cases listed per failing check); a smaller one is copied into pandas
and validated by pandera there. Any failure stops the run with ValidationFailed (exit 4) before
a report is written. Then the exports' freshness is checked against stale_after_days. A
passing build's tables get their contracts' descriptions as comments (comments.py), and the
build is recorded: the report step renders only that.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from pipeline.config import Config
from pipeline.errors import ConfigError, InputRejected, ValidationFailed
from pipeline.report.spreadsheet import csv_text
from pipeline.warehouse.build import discover_models
from pipeline.warehouse.comments import describe_tables
from pipeline.warehouse.db import frame, read_state, scalar
from pipeline.warehouse.schemas import SCHEMAS
from pipeline.warehouse.sql_checks import check_table

log = logging.getLogger(__name__)

FAILURE_COLUMNS = ["table", "column", "check", "failure_case", "index"]
IN_DATABASE_ROWS = 100_000


def validate_marts(con: duckdb.DuckDBPyConnection, config: Config, *,
                   in_database_rows: int = IN_DATABASE_ROWS) -> None:
    build_id = read_state(con, "build_id")
    if build_id is None:
        raise ValidationFailed("the warehouse has no build to validate; run the build first")
    models = discover_models()
    missing = sorted(set(models) - set(SCHEMAS))
    if missing:
        raise ConfigError(f"tables without a contract in pipeline/warehouse/schemas: {missing}")
    failures, checked, in_database = [], {}, []
    for name in models:
        checked[name] = scalar(con, f'select count(*) from "{name}"')
        if checked[name] >= in_database_rows:
            in_database.append(name)
            cases = check_table(con, name, SCHEMAS[name])
            if len(cases):
                failures.append(_failure_rows(name, cases))
            continue
        try:
            SCHEMAS[name].validate(frame(con, name), lazy=True)
        except pa.errors.SchemaErrors as error:
            failures.append(_failure_rows(name, error.failure_cases))
    _write_results(config.validation_dir, failures, checked, in_database, build_id)
    if failures:
        cases = pd.concat(failures)
        summary = "; ".join(f"{t}: {', '.join(sorted(set(c)))}"
                            for t, c in cases.groupby("table")["check"])
        raise ValidationFailed(f"{len(cases)} failure cases in {cases['table'].nunique()} "
                               f"tables ({summary}); see {config.validation_dir}/failures.csv")
    check_freshness(con, config)
    describe_tables(con, SCHEMAS)
    con.execute("insert or replace into pipeline_state values ('validated_build_id', ?)",
                [build_id])
    log.info("validated %d tables, %d rows", len(checked), sum(checked.values()))


def check_freshness(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """The newest change to a deal in the exports, against the as-of date: an export older
    than stale_after_days warns, or with stale_action: fail stops the run (exit 3)."""
    newest = scalar(con, "select max(newest_record_at)::date from rpt_data_freshness "
                    "where entity = 'deals'")
    if newest is None:
        return
    age = (config.as_of - newest).days
    if age <= config.stale_after_days:
        return
    message = (f"the newest deal change in the exports is from {newest.isoformat()}, {age} "
               f"days before the as-of date {config.as_of.isoformat()} (stale_after_days: "
               f"{config.stale_after_days}); is the nightly export still running?")
    if config.stale_action == "fail":
        raise InputRejected(str(config.inbox), message)
    log.warning(message)


def _failure_rows(table: str, cases: pd.DataFrame) -> pd.DataFrame:
    rows = pd.DataFrame({
        "table": table,
        "column": cases["column"].astype("object").where(cases["column"].notna(), ""),
        "check": cases["check"].astype(str),
        "failure_case": cases["failure_case"].astype(str),
        "index": cases["index"].astype("object"),
    })
    return rows[FAILURE_COLUMNS]


def _write_results(folder: Path, failures: list[pd.DataFrame], checked: dict[str, int],
                   in_database: list[str], build_id: str) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if failures:
        (folder / "failures.csv").write_text(csv_text(pd.concat(failures)), encoding="utf-8")
    summary = {"build_id": build_id, "passed": not failures, "rows_checked": checked,
               "checked_in_database": in_database}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n",
                                         encoding="utf-8")
