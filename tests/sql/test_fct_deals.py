"""fct_deals: one row per deal, its newest record, team and furthest stage."""

from __future__ import annotations

from datetime import date

import pytest


def deal(crm, deal_id: str) -> dict:
    return crm.row("select * from fct_deals where deal_id = ?", [deal_id])


def test_newest_modified_time_wins_whatever_the_file_order(crm):
    crm.person("r1")
    # the newer record is in the earlier file
    crm.deal("d1", stage="Negotiation/Review", amount=500, modified="2026-02-01 10:00:00",
             file_id=1)
    crm.deal("d1", stage="Qualification", amount=100, modified="2026-01-10 10:00:00",
             file_id=2)
    crm.build()
    row = deal(crm, "d1")
    assert (row["stage"], row["amount"]) == ("Negotiation/Review", 500)
    assert crm.rows("select count(*) as n from fct_deals") == [{"n": 1}]


def test_same_modified_time_the_later_file_wins(crm):
    crm.person("r1")
    crm.deal("d1", amount=100, modified="2026-01-10 10:00:00", file_id=1)
    crm.deal("d1", amount=200, modified="2026-01-10 10:00:00", file_id=2)
    crm.build()
    assert deal(crm, "d1")["amount"] == 200


def test_team_and_region_come_from_the_org_chart(crm):
    crm.person("r1", "Ann", team="East", region="华东")
    crm.deal("d1", owner="r1").deal("d2", owner="ghost")
    crm.build()
    assert (deal(crm, "d1")["team"], deal(crm, "d1")["region"]) == ("East", "华东")
    assert deal(crm, "d1")["owner_name"] == "Ann"
    stranger = deal(crm, "d2")
    assert stranger["team"] is None
    assert stranger["owner_name"] == "GHOST"  # the name the CRM gives


@pytest.mark.parametrize("stage, status, order", [
    pytest.param("Qualification", "open", 1, id="open stage"),
    pytest.param("Closed Won", "won", 7, id="won"),
    pytest.param("Closed Lost", "lost", None, id="lost"),
    pytest.param("Closed-Lost to Competition", "lost", None, id="lost to competition"),
    pytest.param("Id. Decision Makers", "open", 4, id="old label of a stage"),
])
def test_status_and_order_come_from_the_stage_mapping(crm, stage, status, order):
    crm.person("r1").deal("d1", stage=stage)
    crm.build()
    row = deal(crm, "d1")
    assert (row["status"], row["stage_order"]) == (status, order)


def test_a_custom_stage_with_probability_zero_is_still_open(crm):
    crm.person("r1").deal("d1", stage="Value Proposition")
    crm.con.execute("update raw_crm__deals set probability = 0")
    crm.build()
    assert deal(crm, "d1")["status"] == "open"


def test_furthest_stage_of_a_deal_that_skipped_stages(crm):
    crm.person("r1")
    crm.deal("d1", stage="Closed Lost", created="2026-01-01 09:00:00")
    crm.move("d1", "Qualification", "Value Proposition", "2026-01-05 09:00:00")
    crm.move("d1", "Value Proposition", "Closed Lost", "2026-01-20 09:00:00")
    crm.build()
    row = deal(crm, "d1")
    assert (row["furthest_stage"], row["furthest_stage_order"]) == ("Value Proposition", 3)


def test_furthest_stage_survives_a_step_back(crm):
    crm.person("r1")
    crm.deal("d1", stage="Closed Lost")
    crm.move("d1", "Qualification", "Proposal/Price Quote", "2026-01-06 09:00:00")
    crm.move("d1", "Proposal/Price Quote", "Needs Analysis", "2026-01-10 09:00:00")
    crm.move("d1", "Needs Analysis", "Closed Lost", "2026-01-20 09:00:00")
    crm.build()
    assert deal(crm, "d1")["furthest_stage"] == "Proposal/Price Quote"


def test_a_won_deal_reached_the_won_stage(crm):
    crm.person("r1")
    crm.deal("d1", stage="Closed Won")
    crm.move("d1", "Qualification", "Closed Won", "2026-01-10 09:00:00")
    crm.build()
    assert (deal(crm, "d1")["furthest_stage"], deal(crm, "d1")["furthest_stage_order"]) == (
        "Closed Won", 7)


def test_a_deal_created_lost_counts_as_reaching_the_first_stage(crm):
    crm.person("r1").deal("d1", stage="Closed Lost")
    crm.build()
    assert deal(crm, "d1")["furthest_stage"] == "Qualification"


def test_dates_and_lineage(crm):
    crm.person("r1").deal("d1", created="2026-01-05 23:59:00", close="2026-03-01")
    crm.build()
    row = deal(crm, "d1")
    assert row["created_date"] == date(2026, 1, 5)
    assert row["close_date"] == date(2026, 3, 1)
    assert row["source"] == "zoho_crm"
