"""The history layer on consecutive nightly exports: it builds up night after night, the same
files rebuild the same tables, a rerun replaces its date, and an earlier date can be run
after a later one."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.control.run import run
from pipeline.tools.sample import generate_series
from pipeline.warehouse.db import open_warehouse

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
    with open_warehouse(out / "warehouse.duckdb", read_only=True) as con:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in TABLES}


def test_nightly_runs_build_the_history_and_rebuild_identically(nights, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        for inbox in nights:
            run_night(inbox, out)
    recorded = sorted(p.stem for p in (first / "history" / "deal_states").glob("*.parquet"))
    assert recorded == [inbox.name for inbox in nights]
    with open_warehouse(first / "warehouse.duckdb", read_only=True) as con:
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
    with open_warehouse(out / "warehouse.duckdb", read_only=True) as con:
        assert con.execute("select count(*) from stg_history__deal_states").fetchall() == [(0,)]
        assert con.execute("select value from pipeline_state where key = 'as_of_date'"
                           ).fetchall() == [(earlier.name,)]
    assert sorted(p.stem for p in recorded.parent.glob("*.parquet")) == [earlier.name,
                                                                          last.name]


# --- numbers that hold from one night to the next ------------------------------------------
#
# Three nights of small Zoho exports, run in order into one out/ folder; the
# reports' numbers for a past date are read after each night. Every deal has an owner of its
# own, all in team East under "boss". The fiscal quarter is January-March; the month window
# opens at the end of 2026-02-28, before any of the nights.
#
#   P  ann  70,000  created 02-20 in Qualification, closing 03-28; night 2: pulled in to 03-14
#                   and advanced to Needs Analysis (no CRM history says when)
#   G  bob  70,000  created 02-20; night 2: 90,000 (no CRM history)
#   R  cat  30,000  created 02-20; deleted from the CRM before night 2
#   H  dan  50,000  created 02-20, first seen in Needs Analysis closing 03-25; night 2 brings
#                   its Zoho Stage History: until 03-05 it was closing 04-30 (next quarter)

NIGHTS = ("2026-03-10", "2026-03-11", "2026-03-12")
ORG_CSV = ("user_id,name,email,manager_id,team,region\nboss,Boss,,,,\n"
           + "".join(f"{uid},{uid.title()},,boss,East,R1\n"
                     for uid in ("100001", "100002", "100003", "100004")))
ZOHO_DEALS = ("Record Id,Deal Owner.id,Deal Name,Amount,Closing Date,Stage,Created Time,"
              "Modified Time\n")
CREATED = "2026-02-20 09:00:00"


def zoho_deal(number: int, name: str, amount: int, close: str, stage: str, modified: str) -> str:
    return (f"zcrm_20000{number},zcrm_10000{number},{name},{amount},{close},{stage},{CREATED},"
            f"{modified}\n")


def write_night(inbox: Path, night: int) -> None:
    inbox.mkdir(parents=True)
    (inbox / "org.csv").write_text(ORG_CSV, encoding="utf-8")
    deals = ZOHO_DEALS + zoho_deal(4, "H", 50000, "2026-03-25", "Needs Analysis",
                                   "2026-03-05 09:00:00")
    if night == 1:
        deals += (zoho_deal(1, "P", 70000, "2026-03-28", "Qualification", CREATED)
                  + zoho_deal(2, "G", 70000, "2026-03-28", "Qualification", CREATED)
                  + zoho_deal(3, "R", 30000, "2026-03-28", "Qualification", CREATED))
    else:
        deals += (zoho_deal(1, "P", 70000, "2026-03-14", "Needs Analysis",
                            "2026-03-11 09:00:00")
                  + zoho_deal(2, "G", 90000, "2026-03-28", "Qualification",
                              "2026-03-11 09:00:00"))
        (inbox / "Deals_Stage_History.csv").write_text(
            "Record Id,Deal Name.id,Stage,Moved To,Amount,Closing Date,Modified Time\n"
            "zcrm_300001,zcrm_200004,Qualification,Needs Analysis,50000,2026-04-30,"
            "2026-02-25 09:00:00\n"
            "zcrm_300002,zcrm_200004,Needs Analysis,Needs Analysis,50000,2026-03-25,"
            "2026-03-05 09:00:00\n", encoding="utf-8")
    (inbox / "Deals.csv").write_text(deals, encoding="utf-8")


def read_night(out: Path) -> dict:
    with open_warehouse(out / "warehouse.duckdb", read_only=True) as con:
        def rows(sql: str) -> dict:
            return {r[0]: r[1:] if len(r) > 2 else r[1] for r in con.execute(sql).fetchall()}
        return {
            "pushes": rows("select deal_name, push_count, days_slipped from fct_deals"),
            "slip_rates": rows("select owner_id, slip_rate from rpt_rep_slippage"),
            "month_openings": rows(
                "select owner_id, amount from rpt_pipeline_waterfall "
                "where window_kind = 'waterfall_month' and movement = 'opening'"),
            "company_month_opening": con.execute(
                "select amount from rpt_scope_waterfall where scope_id = 'company' "
                "and window_kind = 'waterfall_month' and movement = 'opening'").fetchone()[0],
            "month_movements": rows(
                "select owner_id, movement, amount from rpt_pipeline_waterfall "
                "where window_kind = 'waterfall_month' "
                "and movement not in ('opening', 'closing')"),
            "day_movements": rows(
                "select owner_id, movement from rpt_pipeline_waterfall "
                "where window_kind = 'waterfall_day' "
                "and movement not in ('opening', 'closing', 'unchanged')"),
        }


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> list[dict]:
    """What each of the three nights reported, read right after it ran."""
    root = tmp_path_factory.mktemp("two_nights")
    out, reported = root / "out", []
    for night, day in enumerate(NIGHTS, start=1):
        inbox = root / day
        write_night(inbox, min(night, 2))
        run_night(inbox, out)
        reported.append(read_night(out))
    return reported


def test_a_change_without_crm_history_is_no_push_back_to_the_deals_creation(series):
    first, second, _ = series
    # P's close date came 14 days nearer: a pull-in, never a push
    assert first["pushes"]["P"] == second["pushes"]["P"] == (0, 0)
    assert first["slip_rates"]["100001"] == second["slip_rates"]["100001"] == 0


def test_the_openings_night_1_reported_hold_on_night_2(series):
    first, second, _ = series
    for owner in ("100001", "100002", "100003"):  # P, G, and R deleted since
        assert second["month_openings"][owner] == first["month_openings"][owner]
    assert first["month_openings"]["100002"] == Decimal("70000.00")
    assert second["month_movements"]["100001"] == ("advanced", Decimal("0.00"))
    assert second["month_movements"]["100002"] == ("expanded", Decimal("20000.00"))


def test_a_deal_deleted_from_the_crm_keeps_its_openings_and_leaves_once(series):
    first, second, third = series
    assert second["month_openings"]["100003"] == Decimal("30000.00")
    assert second["month_movements"]["100003"] == ("removed", Decimal("-30000.00"))
    assert second["day_movements"]["100003"] == "removed"     # gone since night 1
    assert "100003" not in third["day_movements"]               # not again on night 3
    assert third["month_movements"]["100003"] == ("removed", Decimal("-30000.00"))


def test_the_crms_own_history_for_a_past_date_does_change_it(series):
    first, second, _ = series
    # H was first seen closing this quarter; its Stage History, exported on night 2, says it
    # was closing next quarter at the month's opening
    assert first["month_openings"]["100004"] == Decimal("50000.00")
    assert second["month_openings"]["100004"] == 0
    assert second["month_movements"]["100004"] == ("pulled_in", Decimal("50000.00"))
    # the company: P 70,000 + G 70,000 + R 30,000 (+ H 50,000 on night 1)
    assert first["company_month_opening"] == Decimal("220000.00")
    assert second["company_month_opening"] == Decimal("170000.00")
