"""rpt_rep_performance_monthly: one row per owner per month with a closed deal, activity or
target, up to the as-of date. Expected values are worked out by hand in the comments."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def built(crm):
    crm.person("r1", team="East").person("r2", team="West")
    # January: two won (100 + 300), one lost (200), target 500
    crm.deal("d1", owner="r1", stage="Closed Won", amount=100, close="2026-01-10")
    crm.deal("d2", owner="r1", stage="Closed Won", amount=300, close="2026-01-20")
    crm.deal("d3", owner="r1", stage="Closed Lost", amount=200, close="2026-01-25")
    crm.target("r1", "2026-01", 500)
    # February: no closed deal, three activities (a call, a meeting, a task due)
    crm.call("r1", "2026-02-03 10:00:00").meeting("r1", "2026-02-04 15:00:00")
    crm.task("r1", "2026-02-05", status="Not Started")
    # March: a deal created in January, won in March; a zero target; an open deal
    crm.deal("d4", owner="r1", stage="Closed Won", amount=250, created="2026-01-07 09:00:00",
             close="2026-03-15")
    crm.deal("d6", owner="r1", stage="Negotiation/Review", amount=999, close="2026-03-20")
    crm.target("r1", "2026-03", 0)
    crm.task("r1", "2026-03-31").task("r1", "2026-04-01").task("r1", None)
    # after the as-of date: neither the won deal nor the target counts
    crm.deal("d5", owner="r1", stage="Closed Won", amount=700, close="2026-04-02")
    crm.target("r1", "2026-04", 900)
    # r2 has no target and only a loss, without an amount
    crm.deal("d7", owner="r2", stage="Closed Lost", amount=None, close="2026-03-03")
    return crm.build(as_of="2026-03-31")


def month(built, owner: str, first_day: str) -> dict:
    return built.row("select * from rpt_rep_performance_monthly where owner_id = ? "
                     "and month = ?", [owner, date.fromisoformat(first_day)])


def test_rows_are_the_months_with_a_closed_deal_activity_or_target(built):
    rows = built.rows("select owner_id, month from rpt_rep_performance_monthly order by 1, 2")
    assert [(r["owner_id"], r["month"].isoformat()) for r in rows] == [
        ("r1", "2026-01-01"), ("r1", "2026-02-01"), ("r1", "2026-03-01"),
        ("r2", "2026-03-01")]


def test_a_month_with_wins_losses_and_a_target(built):
    row = month(built, "r1", "2026-01-01")
    assert (row["won_count"], row["won_amount"]) == (2, 400)
    assert (row["lost_count"], row["lost_amount"]) == (1, 200)
    assert row["win_rate"] == pytest.approx(2 / 3)
    assert row["win_rate_amount"] == pytest.approx(400 / 600)
    assert row["avg_won_amount"] == 200
    assert row["target_won_amount"] == 500
    assert row["attainment_rate"] == pytest.approx(0.8)
    assert row["team"] == "East"


def test_a_month_with_no_closed_deals_has_null_rates(built):
    row = month(built, "r1", "2026-02-01")
    assert (row["won_count"], row["lost_count"], row["won_amount"]) == (0, 0, 0)
    assert row["win_rate"] is None
    assert row["win_rate_amount"] is None
    assert row["avg_won_amount"] is None
    assert row["activities_count"] == 3


def test_a_deal_counts_in_the_month_of_its_closing_date(built):
    row = month(built, "r1", "2026-03-01")
    assert (row["won_count"], row["won_amount"]) == (1, 250)
    assert row["activities_count"] == 1  # the task due 03-31; not 04-01, not undated


def test_a_zero_target_gives_null_attainment(built):
    row = month(built, "r1", "2026-03-01")
    assert row["target_won_amount"] == 0
    assert row["attainment_rate"] is None


def test_a_rep_with_no_target(built):
    row = month(built, "r2", "2026-03-01")
    assert row["target_won_amount"] is None
    assert row["attainment_rate"] is None
    assert (row["lost_count"], row["lost_amount"]) == (1, 0)
    assert row["win_rate"] == 0
    assert row["win_rate_amount"] is None  # 0 / (0 + 0)


def test_nothing_after_the_as_of_date(built):
    later = built.rows("select * from rpt_rep_performance_monthly where month > ?",
                       [date(2026, 3, 31)])
    assert later == []


def test_a_task_due_after_the_as_of_date_is_no_activity_yet(crm):
    # as of 03-20: a call on 03-10 and a task due today count; a task due tomorrow, in the
    # same month, does not, even marked completed
    crm.person("r1", team="East")
    crm.call("r1", "2026-03-10 10:00:00")
    crm.task("r1", "2026-03-20", status="Not Started")
    crm.task("r1", "2026-03-21", status="Completed")
    crm.build(as_of="2026-03-20")
    assert month(crm, "r1", "2026-03-01")["activities_count"] == 2
