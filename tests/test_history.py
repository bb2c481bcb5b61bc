"""The history layer on consecutive nightly exports: it builds up night after night, the same
files rebuild the same tables, a rerun replaces its date, and an earlier date can be run
after a later one."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.config import load_config
from pipeline.run import run
from pipeline.sample import generate_series

STEPS = ("ingest", "build", "validate", "snapshot")
TABLES = ("fct_deal_history", "int_deal_versions", "rpt_pipeline_waterfall", "fct_deals",
          "rpt_forecast")


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> list[Path]:
    return generate_series(tmp_path_factory.mktemp("series"), 3)


def run_night(inbox: Path, out: Path) -> None:
    logging.disable(logging.INFO)
    try:
        run(load_config(inbox=inbox, out=out, as_of=date.fromisoformat(inbox.name),
                        settle_seconds=0), STEPS)
    finally:
        logging.disable(logging.NOTSET)


def tables(out: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in TABLES}


def test_nightly_runs_build_the_history_and_rebuild_identically(nights, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        for inbox in nights:
            run_night(inbox, out)
    recorded = sorted(p.stem for p in (first / "history" / "deal_states").glob("*.parquet"))
    assert recorded == [inbox.name for inbox in nights]
    with duckdb.connect(str(first / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(distinct as_of_date) from stg_history__deal_states"
                           ).fetchall() == [(2,)]
    assert tables(first) == tables(second)


def test_a_rerun_replaces_its_date_and_an_earlier_date_sees_only_earlier_records(nights,
                                                                               tmp_path):
    out = tmp_path / "out"
    last, earlier = nights[-1], nights[0]
    run_night(last, out)
    recorded = out / "history" / "deal_states" / f"{last.name}.parquet"
    before = recorded.read_bytes()
    run_night(last, out)
    assert recorded.read_bytes() == before
    run_night(earlier, out)  # an earlier date, after the later one
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from stg_history__deal_states").fetchall() == [(0,)]
        assert con.execute("select value from pipeline_state where key = 'as_of_date'"
                           ).fetchall() == [(earlier.name,)]
    assert sorted(p.stem for p in recorded.parent.glob("*.parquet")) == [earlier.name,
                                                                          last.name]
