"""Contracts checked inside DuckDB: on a real warehouse file, a bad row is caught as pandera
in pandas catches it, listed in failures.csv, and stops the run with exit code 4."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pandas as pd
import pandera.pandas as pa
import pytest

from pipeline.errors import ValidationFailed
from pipeline.warehouse.db import frame, open_warehouse
from pipeline.warehouse.schemas import SCHEMAS
from pipeline.warehouse.sql_checks import check_table
from pipeline.warehouse.validate import validate_marts

FIRST = "where rowid = (select min(rowid) from {t})"


@pytest.fixture
def warehouse(sample_run, tmp_path):
    """A copy of the sample run's warehouse, and a config whose out/ is tmp_path."""
    config = replace(sample_run, out=tmp_path)
    shutil.copy(sample_run.published_warehouse, config.published_warehouse)
    with open_warehouse(config.published_warehouse) as con:
        yield con, config


def test_the_sample_passes_every_contract_checked_in_duckdb(warehouse):
    con, config = warehouse
    validate_marts(con, config, in_database_rows=0)
    summary = json.loads((config.validation_dir / "summary.json").read_text("utf-8"))
    assert summary["passed"]
    assert set(summary["checked_in_database"]) == set(SCHEMAS)


BAD_ROWS = [
    pytest.param("fct_deals", f"update {{t}} set owner_id = null {FIRST}", "owner_id",
                 "not_nullable", id="null in a non-nullable column"),
    pytest.param("fct_deals", "insert into {t} select * from {t} limit 1", "deal_id",
                 "field_uniqueness", id="a duplicate in a unique column"),
    pytest.param("stg_crm__deal_stage_history", "insert into {t} select * from {t} limit 1",
                 "history_id", "multiple_fields_uniqueness", id="the grain twice"),
    pytest.param("fct_deals", f"update {{t}} set status = 'maybe' {FIRST}", "status",
                 "isin(['open', 'won', 'lost'])", id="a value outside isin"),
    pytest.param("fct_deals", f"update {{t}} set amount = -1 {FIRST}", "amount",
                 "greater_than_or_equal_to(0)", id="a negative amount"),
    pytest.param("fct_deal_stage_events",
                 "update {t} set left_at = entered_at - interval 1 day "
                 "where rowid = (select min(rowid) from {t} where left_at is not null)", "",
                 "left_after_entering", id="a table check with a SQL twin"),
    pytest.param("int_deal_stage_visits",
                 "update {t} set left_at = null "
                 "where rowid = (select min(rowid) from {t} where left_at is not null)", "",
                 "one_current_stay_per_deal", id="a grouped table check with a SQL twin"),
    pytest.param("rpt_scope_performance",
                 "update {t} set won_count = won_count + 1 "
                 "where rowid = (select min(rowid) from {t} where owner_id is not null)",
                 None, "totals_add_up", id="a table check without SQL, in pandas"),
    pytest.param("fct_deals", "alter table {t} add column surprise integer", None,
                 "column_in_schema", id="an undeclared column"),
]


@pytest.mark.parametrize(("table", "breaking", "column", "check"), BAD_ROWS[:3])
def test_a_bad_row_checked_in_duckdb_is_caught(warehouse, table, breaking, column, check):
    con, config = warehouse
    con.execute(breaking.format(t=table))
    with pytest.raises(ValidationFailed) as error:
        validate_marts(con, config, in_database_rows=0)
    assert error.value.exit_code == 4
    cases = pd.read_csv(config.validation_dir / "failures.csv", keep_default_na=False)
    assert set(cases["table"]) == {table}
    found = cases[cases["check"] == check]
    assert len(found), cases
    if column is not None:
        assert column in set(found["column"])
    summary = json.loads((config.validation_dir / "summary.json").read_text("utf-8"))
    assert table in summary["checked_in_database"]


@pytest.mark.parametrize(("table", "breaking", "column", "check"), BAD_ROWS)
def test_duckdb_and_pandas_fail_the_same_checks(warehouse, table, breaking, column, check):
    """Every kind of check: DuckDB finds the bad row, and names the checks pandera names."""
    con, _ = warehouse
    con.execute(breaking.format(t=table))
    in_database = set(check_table(con, table, SCHEMAS[table])["check"].astype(str))
    with pytest.raises(pa.errors.SchemaErrors) as error:
        SCHEMAS[table].validate(frame(con, table), lazy=True)
    in_pandas = set(error.value.failure_cases["check"].astype(str))
    assert check in in_database
    assert in_database == in_pandas
    cases = check_table(con, table, SCHEMAS[table])
    if column is not None:
        assert column in set(cases.loc[cases["check"] == check, "column"])
