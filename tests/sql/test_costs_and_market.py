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


def test_the_return_on_each_channels_cost(crm):
    two_teams(crm)
    crm.cost("2026-Q1", 3000, channel="agent", category="rebates")  # 1,000 a month
    crm.cost("2026-03", 400, channel="Ecommerce", team="East")  # East's, any case
    crm.cost("2026-03", 999, team="East")  # no channel: not a channel's cost
    crm.deal("a1", owner="r1", stage="Closed Won", amount=5000, close="2026-03-02",
             channel="代理商")
    crm.deal("e1", owner="r1", stage="Closed Won", amount=1000, close="2026-03-03",
             lead_source="天猫")
    crm.deal("e2", owner="r2", stage="Closed Won", amount=700, close="2026-03-04",
             lead_source="天猫")
    crm.build(as_of="2026-03-31")
    rows = {(r["scope_id"], r["channel"]): r for r in crm.rows(
        "select * from rpt_channel_returns where period_kind = 'quarter_to_date'")}
    assert {k: (float(v["cost_amount"]), float(v["won_amount"]), v["won_count"],
                v["return_on_cost"]) for k, v in rows.items()} == {
        ("company", "agent"): (3000, 5000, 1, pytest.approx(5000 / 3000)),
        ("company", "ecommerce"): (400, 1700, 2, pytest.approx(4.25)),
        ("boss", "ecommerce"): (400, 1700, 2, pytest.approx(4.25)),
        ("east", "ecommerce"): (400, 1000, 1, 2.5),
    }
    march = crm.row("select * from rpt_channel_returns where scope_id = 'company' "
                    "and channel = 'agent' and period_kind = 'month' "
                    "and period_start = '2026-03-01'")
    assert (float(march["cost_amount"]), march["return_on_cost"]) == (1000, 5.0)


def test_a_cost_for_a_channel_the_channels_file_does_not_list_stops_the_run(crm):
    from pipeline.errors import InputRejected

    two_teams(crm)
    crm.con.execute("insert into raw_files (file_id, file_name) values (1, 'costs.csv')")
    crm.cost("2026-03", 100, channel="telesales")
    with pytest.raises(InputRejected, match="costs.csv line .* names the channel telesales, "
                                            "which the channels file does not list"):
        crm.build_all(as_of="2026-03-31")
