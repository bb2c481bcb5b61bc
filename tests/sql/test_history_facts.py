"""What a deal's history says: close dates pushed, who owned it at close, the team of the
period, steps back in the pipeline; and the reps' slip rates and the stages' velocity."""

from __future__ import annotations

from datetime import date

import pytest


def test_pushes_count_only_later_close_dates_while_open(crm):
    crm.person("r1")
    crm.deal("d1", stage="Closed Lost", close="2026-03-20", created="2026-01-01 09:00:00")
    crm.move("d1", "Qualification", "Qualification", "2026-01-10 09:00:00", close="2026-02-01")
    crm.move("d1", "Qualification", "Qualification", "2026-01-20 09:00:00", close="2026-02-11")
    crm.move("d1", "Qualification", "Qualification", "2026-01-25 09:00:00", close="2026-02-05")
    crm.move("d1", "Qualification", "Needs Analysis", "2026-02-01 09:00:00", close="2026-03-01")
    crm.move("d1", "Needs Analysis", "Closed Lost", "2026-03-20 09:00:00", close="2026-03-20")
    crm.build()
    row = crm.row("select push_count, days_slipped, first_close_date from fct_deals")
    # 02-01 -> 02-11 (+10), 02-05 is earlier (no push), -> 03-01 (+24); the last move closes it
    assert row == {"push_count": 2, "days_slipped": 34, "first_close_date": date(2026, 2, 1)}


def test_slip_rate_of_a_rep(crm):
    crm.person("r1")
    for deal_id, pushes in [("a", 2), ("b", 0), ("c", 1), ("d", 0)]:
        crm.deal(deal_id, stage="Needs Analysis", close="2026-04-30",
                 created="2026-01-01 09:00:00")
        for i in range(pushes):
            crm.move(deal_id, "Qualification", "Qualification", f"2026-02-0{i + 1} 09:00:00",
                     close=f"2026-03-0{i + 2}")
    crm.build()
    row = crm.row("select * from rpt_rep_slippage")
    # a: created with its first edit's date (03-02), pushed to 03-03, then to 04-30 today;
    # c: created with 03-02, pushed to 04-30 today; b and d never moved
    assert (row["open_deals_count"], row["pushed_deals_count"], row["push_count"]) == (4, 2, 3)
    assert row["slip_rate"] == pytest.approx(0.5)


def test_a_deal_counts_for_the_rep_who_owned_it_when_it_closed(crm):
    crm.person("ann", team="East").person("bob", team="West")
    crm.deal("d1", owner="bob", stage="Closed Won", amount=500, close="2026-03-05")
    crm.recorded("2026-03-10", "d1", owner="ann", team="East", stage="Closed Won",
                 status="won", amount=500, close="2026-03-05")
    crm.recorded("2026-03-01", "d1", owner="ann", team="East", amount=500)
    crm.build(as_of="2026-03-31")
    assert crm.row("select owner_id, owner_at_close_id, team from fct_deals") == {
        "owner_id": "bob", "owner_at_close_id": "ann", "team": "East"}
    rows = crm.rows("select owner_id, won_amount from rpt_rep_performance_monthly")
    assert rows == [{"owner_id": "ann", "won_amount": 500}]


def test_a_rep_who_changed_team_counts_in_the_team_of_each_month(crm):
    crm.person("r1", team="West")
    crm.recorded_org("2026-01-15", "r1", "East").recorded_org("2026-02-20", "r1", "West")
    crm.deal("d1", stage="Closed Won", close="2026-01-20").deal(
        "d2", stage="Closed Won", close="2026-03-05")
    crm.build(as_of="2026-03-31")
    rows = crm.rows("select month, team from rpt_rep_performance_monthly order by month")
    assert [(r["month"].isoformat(), r["team"]) for r in rows] == [
        ("2026-01-01", "East"), ("2026-03-01", "West")]


def test_a_step_back_is_a_regression_and_velocity_counts_it(crm):
    crm.person("lead").person("r1", manager="lead")
    crm.deal("d1", stage="Needs Analysis", created="2026-03-01 00:00:00", close="2026-04-30")
    crm.move("d1", "Qualification", "Value Proposition", "2026-03-05 00:00:00")
    crm.move("d1", "Value Proposition", "Needs Analysis", "2026-03-11 00:00:00")
    crm.build(as_of="2026-03-20")
    events = {r["stage"]: r["regression_count"] for r in crm.rows(
        "select stage, regression_count from fct_deal_stage_events")}
    assert events == {"Qualification": 0, "Value Proposition": 0, "Needs Analysis": 1}
    rows = {r["stage"]: r for r in crm.rows(
        "select * from rpt_stage_velocity where scope_id = 'lead'")}
    assert rows["Needs Analysis"]["regressions_count"] == 1
    assert rows["Needs Analysis"]["deals_in_stage_count"] == 1
    # in Needs Analysis since 03-11 00:00, to the end of 03-20: 10 days
    assert rows["Needs Analysis"]["median_days_so_far"] == pytest.approx(10.0)
    assert rows["Value Proposition"]["median_days_to_leave"] == pytest.approx(6.0)
