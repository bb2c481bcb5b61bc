"""rpt_funnel_stages, rpt_funnel_loss_reasons and rpt_scope_funnel on four hand-traced deals.

Cohort January 2026, team East:
  a  Qualification 01-02 -> Needs Analysis 01-05 -> Identify Decision Makers 01-12 (skips
     Value Proposition) -> Closed Won 01-20
  b  Qualification 01-03 -> Needs Analysis 01-04 -> Value Proposition 01-10 -> Closed Lost
     01-15, amount 300, reason 价格太高
  c  Qualification 01-06 -> Needs Analysis 01-16, still open
  d  Qualification 01-10 -> Closed Lost 01-12, amount 50, no reason
"""

from __future__ import annotations

from datetime import date

import pytest

STAGES = ["Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers",
          "Proposal/Price Quote", "Negotiation/Review"]


@pytest.fixture
def built(crm):
    crm.person("r1", team="East").person("r2", team="West")
    crm.deal("a", owner="r1", stage="Closed Won", amount=1000, created="2026-01-02 00:00:00",
             close="2026-01-20")
    crm.move("a", "Qualification", "Needs Analysis", "2026-01-05 00:00:00")
    crm.move("a", "Needs Analysis", "Identify Decision Makers", "2026-01-12 00:00:00")
    crm.move("a", "Identify Decision Makers", "Closed Won", "2026-01-20 00:00:00")
    crm.deal("b", owner="r1", stage="Closed Lost", amount=300, created="2026-01-03 00:00:00",
             close="2026-01-15", loss_reason="价格太高")
    crm.move("b", "Qualification", "Needs Analysis", "2026-01-04 00:00:00")
    crm.move("b", "Needs Analysis", "Value Proposition", "2026-01-10 00:00:00")
    crm.move("b", "Value Proposition", "Closed Lost", "2026-01-15 00:00:00")
    crm.deal("c", owner="r1", stage="Needs Analysis", amount=70, created="2026-01-06 00:00:00")
    crm.move("c", "Qualification", "Needs Analysis", "2026-01-16 00:00:00")
    crm.deal("d", owner="r1", stage="Closed Lost", amount=50, created="2026-01-10 00:00:00",
             close="2026-01-12")
    crm.move("d", "Qualification", "Closed Lost", "2026-01-12 00:00:00")
    # another team and cohort: one open deal
    crm.deal("e", owner="r2", stage="Qualification", created="2026-02-01 00:00:00")
    return crm.build(as_of="2026-03-31", window_months=2)


def funnel(built, team: str, cohort: str) -> dict[str, dict]:
    rows = built.rows("select * from rpt_funnel_stages where team = ? and cohort_month = ? "
                      "order by stage_order", [team, date.fromisoformat(cohort)])
    return {row["stage"]: row for row in rows}


def test_every_open_stage_has_a_row(built):
    assert list(funnel(built, "East", "2026-01-01")) == STAGES
    assert list(funnel(built, "West", "2026-02-01")) == STAGES


def test_deals_reached_counts_skipped_stages_and_won_deals(built):
    reached = [r["deals_reached"] for r in funnel(built, "East", "2026-01-01").values()]
    assert reached == [4, 3, 2, 1, 1, 1]


def test_deals_lost_where_they_got_furthest(built):
    rows = funnel(built, "East", "2026-01-01")
    lost = {stage: (r["deals_lost_here"], r["lost_amount_here"]) for stage, r in rows.items()}
    assert lost == {"Qualification": (1, 50), "Needs Analysis": (0, 0),
                    "Value Proposition": (1, 300), "Identify Decision Makers": (0, 0),
                    "Proposal/Price Quote": (0, 0), "Negotiation/Review": (0, 0)}


def test_conversion_to_the_next_stage_and_after_the_last_to_won(built):
    rates = [r["conversion_rate"] for r in funnel(built, "East", "2026-01-01").values()]
    assert rates == pytest.approx([3 / 4, 2 / 3, 1 / 2, 1.0, 1.0, 1.0])
    assert funnel(built, "West", "2026-02-01")["Qualification"]["conversion_rate"] == 0
    assert funnel(built, "West", "2026-02-01")["Needs Analysis"]["conversion_rate"] is None


def test_median_days_of_completed_stays(built):
    rows = funnel(built, "East", "2026-01-01")
    # Qualification: a 3, b 1, c 10, d 2 -> 2.5; Needs Analysis: a 7, b 6 (c still in it)
    assert rows["Qualification"]["median_days_in_stage"] == pytest.approx(2.5)
    assert rows["Needs Analysis"]["median_days_in_stage"] == pytest.approx(6.5)
    assert rows["Value Proposition"]["median_days_in_stage"] == pytest.approx(5.0)
    assert rows["Identify Decision Makers"]["median_days_in_stage"] == pytest.approx(8.0)
    assert rows["Proposal/Price Quote"]["median_days_in_stage"] is None


def test_loss_reasons_by_stage(built):
    rows = built.rows("select stage, loss_reason_zh as loss_reason, lost_count, lost_amount "
                      "from rpt_funnel_loss_reasons order by stage_order")
    assert rows == [
        {"stage": "Qualification", "loss_reason": None, "lost_count": 1, "lost_amount": 50},
        {"stage": "Value Proposition", "loss_reason": "价格太高", "lost_count": 1,
         "lost_amount": 300}]


def test_scope_funnel_compares_the_current_window_with_the_previous(built):
    # window of 2 months at 2026-03-31: current Feb-Mar (deal e), previous Dec-Jan (a-d)
    rows = {r["stage"]: r for r in built.rows(
        "select * from rpt_scope_funnel where scope_id = 'company'")}
    qualification = rows["Qualification"]
    assert (qualification["deals_reached"], qualification["previous_deals_reached"]) == (1, 4)
    assert qualification["conversion_rate"] == 0
    assert qualification["previous_conversion_rate"] == pytest.approx(0.75)
    assert qualification["conversion_rate_change"] == pytest.approx(-0.75)
    assert rows["Value Proposition"]["previous_lost_amount_here"] == 300
    assert rows["Value Proposition"]["conversion_rate"] is None


def test_window_boundaries_are_whole_cohort_months(crm):
    crm.person("r1")
    crm.deal("last-of-previous", created="2026-01-31 23:59:59")
    crm.deal("first-of-current", created="2026-02-01 00:00:00")
    crm.deal("before-both", created="2025-11-30 12:00:00")
    crm.build(as_of="2026-03-31", window_months=2)
    row = crm.row("select deals_reached, previous_deals_reached from rpt_scope_funnel "
                  "where scope_id = 'company' and stage = 'Qualification'")
    assert row == {"deals_reached": 1, "previous_deals_reached": 1}


def test_largest_lost_deals_of_the_window(crm):
    crm.person("r1")
    for i, amount in enumerate([10, 500, 30, None, 200, 60, 70, 80, 90, 100, 110, 120]):
        crm.deal(f"x{i}", stage="Closed Lost", amount=amount, created="2026-02-01 00:00:00",
                 close="2026-03-01")
    crm.deal("old", stage="Closed Lost", amount=9999, created="2025-01-01 00:00:00",
             close="2025-02-01")
    crm.build(as_of="2026-03-31", window_months=2)
    rows = crm.rows("select lost_rank, amount from rpt_scope_lost_deals "
                    "where scope_id = 'company' order by lost_rank")
    assert [r["amount"] for r in rows] == [500, 200, 120, 110, 100, 90, 80, 70, 60, 30]
