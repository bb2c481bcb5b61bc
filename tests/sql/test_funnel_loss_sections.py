"""rpt_scope_loss_pareto, rpt_scope_funnel_leaks, the company benchmark in rpt_scope_funnel
and rpt_scope_at_risk_deals, on hand-made deals. As of 2026-03-31, a three-month window.

lead -> r1, r2 (East); lead2 -> r3 (West). Lost deals created in the window:
  L1 r1 500 价格太高 Web        Qualification
  L2 r1 300 价格太高 Web        Qualification
  L3 r2 400 预算不足 Referral   Needs Analysis
  L4 r2 100 (no reason, no source) Qualification
  L5 r3 1000 预算不足 Web       Qualification
  W  r3 won 50
  L6 r1 9999, created before the window: not counted
"""

from __future__ import annotations

import pytest


@pytest.fixture
def team(crm):
    crm.person("boss", team=None).person("lead", manager="boss", team="East")
    crm.person("r1", manager="lead").person("r2", manager="lead")
    crm.person("lead2", manager="boss", team="West").person("r3", manager="lead2", team="West")
    return crm


@pytest.fixture
def lost(team):
    def lose(deal_id, owner, amount, reason, source, created="2026-01-05 09:00:00"):
        team.deal(deal_id, owner=owner, stage="Closed Lost", amount=amount, close="2026-02-01",
                  loss_reason=reason, lead_source=source, created=created)

    lose("L1", "r1", 500, "价格太高", "Web")
    lose("L2", "r1", 300, "价格太高", "Web")
    lose("L3", "r2", 400, "预算不足", "Referral")
    team.move("L3", "Qualification", "Needs Analysis", "2026-01-10 09:00:00")
    team.move("L3", "Needs Analysis", "Closed Lost", "2026-02-01 09:00:00")
    lose("L4", "r2", 100, None, None)
    lose("L5", "r3", 1000, "预算不足", "Web")
    lose("L6", "r1", 9999, "价格太高", "Web", created="2025-12-15 09:00:00")
    team.deal("W", owner="r3", stage="Closed Won", amount=50, close="2026-02-01")
    return team.build(as_of="2026-03-31", window_months=3)


def test_the_pareto_of_loss_reasons(lost):
    rows = lost.rows("select pareto_rank, loss_reason_zh as loss_reason, lost_count, "
                     "lost_amount, amount_share, cumulative_share from rpt_scope_loss_pareto "
                     "where scope_id = 'lead' order by pareto_rank")
    assert [(r["loss_reason"], r["lost_count"], r["lost_amount"]) for r in rows] == [
        ("价格太高", 2, 800), ("预算不足", 1, 400), (None, 1, 100)]
    assert [r["amount_share"] for r in rows] == pytest.approx([800 / 1300, 400 / 1300,
                                                               100 / 1300])
    assert [r["cumulative_share"] for r in rows] == pytest.approx([800 / 1300, 1200 / 1300, 1])
    company = lost.rows("select loss_reason_zh as loss_reason, lost_amount "
                        "from rpt_scope_loss_pareto where scope_id = 'company' "
                        "order by pareto_rank")
    assert [(r["loss_reason"], r["lost_amount"]) for r in company] == [
        ("预算不足", 1400), ("价格太高", 800), (None, 100)]


def test_the_largest_leaks_by_stage_owner_and_source(lost):
    rows = lost.rows("select leak_rank, stage, owner_id, lead_source, lost_count, lost_amount, "
                     "amount_share from rpt_scope_funnel_leaks where scope_id = 'lead' "
                     "order by leak_rank")
    assert [(r["stage"], r["owner_id"], r["lead_source"], r["lost_count"], r["lost_amount"])
            for r in rows] == [("Qualification", "r1", "Web", 2, 800),
                               ("Needs Analysis", "r2", "Referral", 1, 400),
                               ("Qualification", "r2", None, 1, 100)]
    assert rows[0]["amount_share"] == pytest.approx(800 / 1300)


def test_each_stage_is_read_against_the_company(lost):
    # Qualification: the company's 6 deals, 2 got past (L3, and W, won); the lead's 4, 1
    rows = {r["scope_id"]: r for r in lost.rows(
        "select scope_id, conversion_rate, company_conversion_rate from rpt_scope_funnel "
        "where stage = 'Qualification'")}
    assert rows["lead"]["conversion_rate"] == pytest.approx(1 / 4)
    assert rows["lead"]["company_conversion_rate"] == pytest.approx(2 / 6)
    assert rows["company"]["company_conversion_rate"] == pytest.approx(2 / 6)


def test_at_risk_deals_are_open_due_this_quarter_and_break_a_rule(team):
    recent = "2026-03-25 09:00:00"
    team.deal("overdue", owner="r1", amount=900, close="2026-03-10")  # critical: overdue
    team.deal("next_quarter", owner="r1", amount=800, close="2026-04-15")  # stale, but later
    team.deal("clean", owner="r2", amount=700, close="2026-03-31", created=recent)
    team.call("r2", "2026-03-30 10:00:00", about="clean")
    team.deal("stale", owner="r2", amount=600, close="2026-03-31",
              created="2026-03-01 09:00:00")  # 30 days without an activity
    team.build(as_of="2026-03-31")
    rows = team.rows("select risk_rank, deal_id, severity, rule_ids from "
                     "rpt_scope_at_risk_deals where scope_id = 'lead' order by risk_rank")
    assert [(r["risk_rank"], r["deal_id"], r["severity"]) for r in rows] == [
        (1, "overdue", "critical"), (2, "stale", "warning")]
    assert "overdue_close_date" in rows[0]["rule_ids"]
    assert "stale_deal" in rows[1]["rule_ids"]
