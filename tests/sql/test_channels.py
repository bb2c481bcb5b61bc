"""Sales channels on hand-made deals: int_deal_channels (the rules' precedence),
dim_accounts.channel, rpt_channel_performance and rpt_channel_conflicts."""

from __future__ import annotations

from datetime import date

import pytest


def channels(crm) -> dict[str, tuple]:
    return {r["deal_id"]: (r["channel"], r["matched_by"], r["partner_type"])
            for r in crm.rows("select * from int_deal_channels")}


def test_the_first_rule_that_matches_wins_else_the_default(crm):
    crm.person("r1")
    crm.account("dist", tier="Distributor").account("res", tier="Reseller")
    crm.account("cust", tier="Customer")
    # the deal's own channel column comes first, before its partner and its lead source
    crm.deal("column", channel="代理商", partner="dist", lead_source="天猫")
    # then the partner's Account Type, before the lead source
    crm.deal("distributor", partner="dist", lead_source="天猫")
    crm.deal("reseller", partner="res")
    # a channel value no rule knows falls through to the next rules
    crm.deal("unknown column", channel="Trade fair", lead_source="京东")
    # lead sources compare without case and surrounding spaces
    crm.deal("lead source", lead_source="  TMALL ")
    # a partner of a type no rule names, and a lead source no rule names: the default
    crm.deal("plain partner", partner="cust", lead_source="Cold Call")
    crm.deal("nothing")
    crm.build(as_of="2026-03-31")
    assert channels(crm) == {
        "column": ("agent", "channel", "Distributor"),
        "distributor": ("distributor", "partner_type", "Distributor"),
        "reseller": ("agent", "partner_type", "Reseller"),
        "unknown column": ("ecommerce", "lead_source", None),
        "lead source": ("ecommerce", "lead_source", None),
        "plain partner": ("direct", "default", "Customer"),
        "nothing": ("direct", "default", None),
    }
    partner = crm.row("select * from int_deal_channels where deal_id = 'distributor'")
    assert (partner["partner_id"], partner["partner_name"]) == ("dist", "Account dist")


def test_the_rules_come_from_the_channels_file(crm, tmp_path):
    crm.person("r1")
    crm.deal("renewal", deal_type="Existing Business", lead_source="Online Store")
    crm.channels("""
channels:
  - {id: field_sales, label: {en: Field sales, zh_CN: 地推}}
  - {id: renewals, label: {en: Renewals, zh_CN: 续约}}
default: field_sales
rules:
  - {field: deal_type, values: [Existing Business], channel: renewals}
""", tmp_path)
    crm.build(as_of="2026-03-31")
    assert channels(crm) == {"renewal": ("renewals", "deal_type", None)}


def test_an_account_takes_the_channel_of_its_first_won_deal_else_its_first_deal(crm):
    crm.person("r1")
    crm.account("res", tier="Reseller").account("no deals")
    # won: the first open deal is direct, the first won deal goes through an agent
    crm.deal("w1", account="won", created="2025-06-01")
    crm.deal("w2", account="won", partner="res", stage="Closed Won", close="2026-02-01",
             created="2025-12-01")
    crm.deal("w3", account="won", lead_source="天猫", stage="Closed Won", close="2026-03-01",
             created="2025-11-01")
    # never won: its first deal by Created Time
    crm.deal("o1", account="open", lead_source="天猫", created="2026-01-02")
    crm.deal("o2", account="open", created="2026-01-03")
    crm.build(as_of="2026-03-31")
    assert dict(crm.con.execute("select account_id, channel from dim_accounts").fetchall()
                ) == {"won": "agent", "open": "ecommerce", "res": None, "no deals": None}


@pytest.fixture
def march(crm):
    """Two teams; an agent channel with two partners, and direct deals of the other team."""
    crm.person("boss", team=None)
    crm.person("lead", manager="boss").person("r1", manager="lead")
    crm.person("lead2", manager="boss").person("r2", manager="lead2")
    crm.account("pA", tier="Reseller").account("pB", tier="Reseller")
    # agent, partner pA: created and won in March (cycle 18 days), and one lost in March
    crm.deal("a1", partner="pA", stage="Closed Won", amount=300, created="2026-03-02",
             close="2026-03-20")
    crm.deal("a2", partner="pA", stage="Closed Lost", amount=100, created="2026-01-10",
             close="2026-03-05")
    # agent, partner pB: created in March, still open
    crm.deal("a3", partner="pB", amount=200, created="2026-03-10", close="2026-04-30")
    # agent by the channel column, no partner: won in March (cycle 38 days)
    crm.deal("a4", channel="代理", stage="Closed Won", amount=500, created="2026-02-01",
             close="2026-03-11")
    # direct, the other team: created and won in March (cycle 10 days)
    crm.deal("d1", owner="r2", stage="Closed Won", amount=1000, created="2026-03-03",
             close="2026-03-13")
    # won in April: after the as-of date, not counted as won
    crm.deal("a5", partner="pA", stage="Closed Won", amount=900, created="2026-03-25",
             close="2026-04-02")
    crm.build(as_of="2026-03-31")
    return crm


def performance(crm, scope: str, kind: str = "month") -> dict:
    measures = ("created_count", "created_amount", "won_count", "won_amount", "lost_count",
                "win_rate", "avg_won_amount", "median_cycle_days")
    return {(r["channel"], r["partner_id"]): tuple(r[m] for m in measures) for r in crm.rows(
        "select * from rpt_channel_performance where scope_id = ? and period_kind = ? "
        "and (period_kind <> 'month' or period_start = '2026-03-01')", [scope, kind])}


def test_per_channel_and_per_partner_figures_for_a_month(march):
    assert performance(march, "company") == {
        # created a1, a3, a5 (300 + 200 + 900); won a1, a4 (300 + 500); lost a2;
        # cycle days 18 and 38: median 28
        ("agent", None): (3, 1400, 2, 800, 1, pytest.approx(2 / 3), 400, 28.0),
        ("agent", "pA"): (2, 1200, 1, 300, 1, 0.5, 300, 18.0),
        ("agent", "pB"): (1, 200, 0, 0, 0, None, None, None),
        ("direct", None): (1, 1000, 1, 1000, 0, 1.0, 1000, 10.0),
    }
    pa = march.row("select * from rpt_channel_performance where scope_id = 'company' "
                   "and period_kind = 'month' and period_start = '2026-03-01' "
                   "and partner_id = 'pA'")
    assert (pa["partner_name"], pa["partner_type"], pa["period_end"]) == (
        "Account pA", "Reseller", date(2026, 3, 31))


def test_the_quarter_counts_the_deals_created_in_january_and_february_too(march):
    quarter = performance(march, "company", "quarter_to_date")
    assert quarter[("agent", None)][:2] == (5, 2000)  # a2 in January, a4 in February
    assert quarter[("agent", "pA")][:2] == (3, 1300)


def test_a_manager_sees_only_their_team(march):
    mine = performance(march, "lead")
    assert set(mine) == {("agent", None), ("agent", "pA"), ("agent", "pB")}
    assert mine[("agent", None)] == performance(march, "company")[("agent", None)]
    assert set(performance(march, "lead2")) == {("direct", None)}
    assert set(performance(march, "boss")) == set(performance(march, "company"))


def conflicts(crm, scope: str) -> dict[str, dict]:
    return {r["account_id"]: r for r in crm.rows(
        "select * from rpt_channel_conflicts where scope_id = ?", [scope])}


def test_accounts_with_open_deals_through_two_channels_are_listed(crm):
    crm.person("boss", team=None)
    crm.person("lead", manager="boss").person("r1", "Rep One", manager="lead")
    crm.person("lead2", manager="boss").person("r2", "Rep Two", manager="lead2")
    crm.person("lead3", manager="boss").person("r3", manager="lead3")
    crm.account("pA", tier="Reseller", name="华信代理")
    # x: direct (r1) and through an agent (r2) at once: a conflict for both teams
    crm.deal("x1", account="x", owner="r1", amount=100)
    crm.deal("x2", account="x", owner="r2", amount=250, partner="pA")
    # w: r2's own direct and e-commerce deals: a conflict for r2's team only
    crm.deal("w1", account="w", owner="r2", amount=10)
    crm.deal("w2", account="w", owner="r2", amount=20, lead_source="京东")
    # y: two open deals through the same channel: no conflict
    crm.deal("y1", account="y", owner="r1")
    crm.deal("y2", account="y", owner="r3")
    # z: the agent deal is won, so only one channel is open: no conflict
    crm.deal("z1", account="z", owner="r1")
    crm.deal("z2", account="z", owner="r3", partner="pA", stage="Closed Won",
             close="2026-03-01")
    crm.build(as_of="2026-03-31")
    company = conflicts(crm, "company")
    assert set(company) == {"x", "w"}
    x = company["x"]
    assert (x["channels"], x["channel_count"], x["open_deals_count"], x["open_amount"],
            x["owner_names"], x["partner_names"]) == (
        "direct, agent", 2, 2, 250 + 100, "Rep One, Rep Two", "华信代理")
    assert company["w"]["channels"] == "direct, ecommerce"
    assert company["w"]["partner_names"] is None
    assert set(conflicts(crm, "lead")) == {"x"}
    # a manager sees the whole conflict, but only their own reps by name
    mine = conflicts(crm, "lead")["x"]
    assert (mine["scope_open_deals_count"], mine["open_deals_count"], mine["owner_names"],
            mine["channels"]) == (1, 2, "Rep One", "direct, agent")
    assert set(conflicts(crm, "lead2")) == {"x", "w"}
    assert conflicts(crm, "lead3") == {}
