"""rpt_cost_of_sales and rpt_market_share on hand-made records."""

from __future__ import annotations

import pytest


def two_teams(crm):
    crm.person("boss", team=None)
    crm.person("east", manager="boss", team="East", region="North")
    crm.person("r1", manager="east", team="East", region="North")
    crm.person("west", manager="boss", team="West", region="South")
    crm.person("r2", manager="west", team="West", region="South")


def won(crm, deal_id: str, amount: float, close: str, owner: str):
    crm.deal(deal_id, owner=owner, stage="Closed Won", amount=amount, close=close)


def test_cost_of_sales_per_scope_and_month(crm):
    two_teams(crm)
    crm.cost("2026-Q1", 3000, team="East")  # 1,000 a month
    crm.cost("2026-03", 500, team="West", category="events")
    crm.cost("2026-03", 250, channel="agent")  # the company's only
    crm.cost("2026-03", 250)  # the company's only
    crm.cost("2026-04", 999, team="East")  # after the as-of date
    won(crm, "d1", 4000, "2026-03-02", "r1")
    won(crm, "d2", 1000, "2026-03-03", "r1")
    crm.build(as_of="2026-03-31")
    rows = {(r["scope_id"], r["month"].month): r for r in crm.rows(
        "select * from rpt_cost_of_sales")}
    east = rows[("east", 3)]
    assert (float(east["cost_amount"]), float(east["won_amount"]), east["won_count"],
            east["cost_of_sales_ratio"], float(east["cost_per_won_deal"])) == (
        1000, 5000, 2, 0.2, 500)
    west = rows[("west", 3)]
    assert (float(west["cost_amount"]), west["won_count"], west["cost_of_sales_ratio"],
            west["cost_per_won_deal"]) == (500, 0, None, None)
    company = rows[("company", 3)]
    assert (float(company["cost_amount"]), company["cost_of_sales_ratio"]) == (
        2000, pytest.approx(0.4))
    assert float(rows[("boss", 1)]["cost_amount"]) == 1000
    assert ("east", 4) not in rows


def test_market_share_by_region_and_period(crm):
    two_teams(crm)
    crm.market("North", "2026-Q1", 50000).market("South", "2026-03", 8000)
    crm.market("North", "2026-Q2", 60000)  # not begun by the as-of date
    won(crm, "d1", 4000, "2026-01-20", "r1")
    won(crm, "d2", 1000, "2026-03-03", "r1")
    won(crm, "d3", 2000, "2026-03-04", "r2")
    won(crm, "d4", 9000, "2026-02-04", "r2")  # South, but before the South period
    crm.build(as_of="2026-03-31")
    rows = {(r["scope_id"], r["region"], r["period"]): r for r in crm.rows(
        "select * from rpt_market_share")}
    assert {k: (float(v["won_amount"]), v["market_share"]) for k, v in rows.items()} == {
        ("company", "North", "2026-Q1"): (5000, 0.1),
        ("company", "South", "2026-03"): (2000, 0.25),
        ("boss", "North", "2026-Q1"): (5000, 0.1),
        ("boss", "South", "2026-03"): (2000, 0.25),
        ("east", "North", "2026-Q1"): (5000, 0.1),
        ("west", "South", "2026-03"): (2000, 0.25),
    }
