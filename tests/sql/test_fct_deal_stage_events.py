"""fct_deal_stage_events: one row per deal per stage it entered, with entered_at."""

from __future__ import annotations

from datetime import datetime

import pytest


def events(crm, deal_id: str = "d1") -> dict[str, dict]:
    rows = crm.rows("select * from fct_deal_stage_events where deal_id = ? "
                    "order by entered_at", [deal_id])
    return {row["stage"]: row for row in rows}


def test_first_stage_is_entered_at_created_time_and_each_move_at_its_time(crm):
    crm.person("r1")
    crm.deal("d1", stage="Closed Won", created="2026-01-01 00:00:00")
    crm.move("d1", "Qualification", "Needs Analysis", "2026-01-11 00:00:00")
    crm.move("d1", "Needs Analysis", "Closed Won", "2026-01-16 12:00:00")
    crm.build()
    found = events(crm)
    assert list(found) == ["Qualification", "Needs Analysis", "Closed Won"]
    assert found["Qualification"]["entered_at"] == datetime(2026, 1, 1)
    assert found["Needs Analysis"]["entered_at"] == datetime(2026, 1, 11)
    assert found["Closed Won"]["entered_at"] == datetime(2026, 1, 16, 12)
    assert found["Qualification"]["days_in_stage"] == pytest.approx(10.0)
    assert found["Needs Analysis"]["days_in_stage"] == pytest.approx(5.5)
    assert found["Closed Won"]["days_in_stage"] is None
    assert found["Closed Won"]["is_current"]
    assert found["Qualification"]["left_at"] == datetime(2026, 1, 11)


def test_the_current_stage_counts_days_to_the_end_of_the_as_of_date(crm):
    crm.person("r1").deal("d1", stage="Needs Analysis", created="2026-03-01 00:00:00")
    crm.move("d1", "Qualification", "Needs Analysis", "2026-03-21 12:00:00")
    crm.build(as_of="2026-03-31")
    found = events(crm)
    assert found["Needs Analysis"]["left_at"] is None
    assert found["Needs Analysis"]["days_in_stage"] == pytest.approx(10.5)


def test_a_deal_without_history_entered_its_stage_when_created(crm):
    crm.person("r1").deal("d1", stage="Value Proposition", created="2026-02-02 08:00:00")
    crm.build()
    found = events(crm)
    assert list(found) == ["Value Proposition"]
    assert found["Value Proposition"]["entered_at"] == datetime(2026, 2, 2, 8)


def test_deals_export_newer_than_the_history_adds_the_current_stage(crm):
    crm.person("r1")
    crm.deal("d1", stage="Proposal/Price Quote", created="2026-01-01 00:00:00",
             modified="2026-02-01 00:00:00")
    crm.move("d1", "Qualification", "Needs Analysis", "2026-01-10 00:00:00")
    crm.build()
    found = events(crm)
    assert list(found) == ["Qualification", "Needs Analysis", "Proposal/Price Quote"]
    assert found["Proposal/Price Quote"]["entered_at"] == datetime(2026, 2, 1)


def test_a_history_row_that_keeps_the_stage_starts_no_new_stay(crm):
    crm.person("r1").deal("d1", stage="Needs Analysis", created="2026-01-01 00:00:00")
    crm.move("d1", "Qualification", "Needs Analysis", "2026-01-04 00:00:00")
    crm.move("d1", "Needs Analysis", "Needs Analysis", "2026-01-08 00:00:00")  # amount edit
    crm.build()
    assert events(crm)["Needs Analysis"]["visit_count"] == 1


def test_a_stage_entered_twice_is_one_row_with_both_stays(crm):
    crm.person("r1").deal("d1", stage="Closed Lost", created="2026-01-01 00:00:00")
    crm.move("d1", "Qualification", "Needs Analysis", "2026-01-03 00:00:00")   # 2 days in Q
    crm.move("d1", "Needs Analysis", "Qualification", "2026-01-04 00:00:00")
    crm.move("d1", "Qualification", "Closed Lost", "2026-01-07 00:00:00")     # 3 more
    crm.build()
    qualification = events(crm)["Qualification"]
    assert qualification["visit_count"] == 2
    assert qualification["entered_at"] == datetime(2026, 1, 1)
    assert qualification["left_at"] == datetime(2026, 1, 7)
    assert qualification["days_in_stage"] == pytest.approx(5.0)
