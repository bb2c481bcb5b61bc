"""The marts the reports read a scope at a time, on hand-made rows: the reps and violations of
the discipline report per scope, the commission statement with its total row, the windows'
dates, the channels' labels and the rules' names."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.sql.test_rpt_rep_incentives import plan

AS_OF = "2026-03-20"


OVERDUE_ONLY = """
rules:
  - id: overdue_close_date
    kind: overdue_close_date
    severity: critical
    days: 0
    description: {en: "Overdue", zh_CN: "逾期"}
"""


@pytest.fixture
def org(crm):
    """vp -> lead_a -> (a1, a2), vp -> lead_b -> b1; everyone in team East."""
    crm.person("vp", team=None).person("lead_a", manager="vp").person("lead_b", manager="vp")
    crm.person("a1", manager="lead_a").person("a2", manager="lead_a")
    crm.person("b1", manager="lead_b")
    return crm


def scopes_of(crm, table: str, column: str, value: str) -> set[str]:
    return {r["scope_id"] for r in crm.rows(
        f"select scope_id from {table} where {column} = ?", [value])}


def test_a_reps_discipline_row_and_violations_are_in_each_scope_above_them(org, tmp_path):
    # a1: one open deal, overdue (critical); b1: one clean open deal
    org.rules(OVERDUE_ONLY, tmp_path)
    org.deal("late", owner="a1", close="2026-03-10", created="2026-03-15 09:00:00")
    org.call("a1", "2026-03-19 09:00:00", about="late")
    org.deal("fine", owner="b1", close="2026-03-31", created="2026-03-15 09:00:00")
    org.call("b1", "2026-03-19 09:00:00", about="fine")
    org.build(as_of=AS_OF)
    assert scopes_of(org, "rpt_discipline_scope_reps", "owner_id", "a1") == {
        "lead_a", "vp", "company"}
    assert scopes_of(org, "rpt_discipline_scope_reps", "owner_id", "b1") == {
        "lead_b", "vp", "company"}
    row = org.row("select * from rpt_discipline_scope_reps "
                  "where scope_id = 'lead_a' and owner_id = 'a1'")
    assert (row["as_of_date"], row["open_deals_count"], row["critical_count"]) == (
        date(2026, 3, 20), 1, 1)
    assert row["compliance_score"] == pytest.approx(0.0)  # 100 x (1 - 1 / 1)
    assert scopes_of(org, "rpt_discipline_violations", "record_id", "late") == {
        "lead_a", "vp", "company"}
    violation = org.row("select * from rpt_discipline_violations "
                        "where scope_id = 'lead_a'")
    assert (violation["rule_id"], violation["owner_id"], violation["is_resolved"]) == (
        "overdue_close_date", "a1", False)
    assert org.rows("select * from rpt_discipline_violations where scope_id = 'lead_b'") == []


def test_a_violation_resolved_today_is_not_listed_per_scope(org, tmp_path):
    org.rules(OVERDUE_ONLY, tmp_path)
    org.deal("fixed", owner="a1", close="2026-03-31", created="2026-03-15 09:00:00")
    org.call("a1", "2026-03-19 09:00:00", about="fixed")
    org.recorded_violation("2026-03-19", "overdue_close_date", "fixed", owner="a1",
                           first_seen="2026-03-18")
    org.build(as_of=AS_OF)
    assert org.rows("select * from fct_discipline_violations where is_resolved") != []
    assert org.rows("select * from rpt_discipline_violations") == []


def test_the_commission_statement_of_a_scope_and_its_total_row(org, tmp_path):
    # East's plan: 5% of won (targets of 10,000 each; a1 at 40%, a2 at 120%: 1.5x above 100%)
    org.target("a1", "2026-03", 10_000).target("a2", "2026-03", 10_000)
    org.deal("w1", owner="a1", stage="Closed Won", amount=4_000, close="2026-03-05")
    org.deal("w2", owner="a2", stage="Closed Won", amount=12_000, close="2026-03-06")
    org.deal("old", owner="a2", stage="Closed Won", amount=9_000, close="2026-02-06")
    plan(org, tmp_path)
    org.build(as_of=AS_OF)
    rows = {r["owner_id"]: r for r in org.rows(
        "select * from rpt_incentive_statements where scope_id = 'lead_a'")}
    assert set(rows) == {"a1", "a2", None}
    assert rows["a1"]["payout_amount"] == Decimal("200.00")   # 4,000 x 5%
    assert rows["a2"]["payout_amount"] == Decimal("650.00")   # 12,000 x 5% + 2,000 x 2.5%
    total = rows[None]
    assert total["month"] == date(2026, 3, 1)
    assert (total["won_amount"], total["target_won_amount"]) == (
        Decimal("16000.00"), Decimal("20000.00"))
    assert total["base_commission"] == Decimal("800")          # 200 + 600
    assert total["accelerator_commission"] == Decimal("50")
    assert total["payout_amount"] == Decimal("850.00")
    assert total["attainment_rate"] is None and total["plan_id"] is None
    # lead_b's scope has no rep on a plan with a statement: a total row of zeros
    empty = org.row("select * from rpt_incentive_statements where scope_id = 'lead_b'")
    assert empty["owner_id"] is None and empty["payout_amount"] == 0
    company = org.row("select * from rpt_incentive_statements "
                      "where scope_id = 'company' and owner_id is null")
    assert company["payout_amount"] == Decimal("850.00")


def test_no_plan_file_means_no_statement_rows(org):
    org.deal("w1", owner="a1", stage="Closed Won", amount=4_000, close="2026-03-05")
    org.build(as_of=AS_OF)
    assert org.rows("select * from rpt_incentive_statements") == []


def test_the_windows_of_every_scope(org):
    org.build(as_of=AS_OF, window_months=6)
    rows = org.rows("select * from rpt_report_windows order by scope_id")
    assert [r["scope_id"] for r in rows] == ["company", "lead_a", "lead_b", "vp"]
    window = rows[0]
    assert window["month_start_date"] == date(2026, 3, 1)
    assert (window["waterfall_start_date"], window["waterfall_end_date"]) == (
        date(2026, 3, 13), date(2026, 3, 20))
    # six whole cohort months to the as-of date, and the six before them
    assert (window["funnel_start_date"], window["funnel_end_date"]) == (
        date(2025, 10, 1), date(2026, 3, 20))
    assert (window["previous_funnel_start_date"], window["previous_funnel_end_date"]) == (
        date(2025, 4, 1), date(2025, 9, 30))
    # the last twelve months: April 2025 to the as-of date
    assert (window["channels_start_date"], window["channels_end_date"]) == (
        date(2025, 4, 1), date(2026, 3, 20))


def test_the_rules_and_the_at_risk_deals_name_each_rule_in_both_languages(org, tmp_path):
    org.rules("""
rules:
  - id: overdue_close_date
    kind: overdue_close_date
    severity: critical
    days: 0
    name: {en: Past its close date, zh_CN: 过期未关}
    description: {en: "Overdue", zh_CN: "逾期"}
  - id: stale_deal
    kind: stale_deal
    severity: warning
    days: 14
    description: {en: "Stale", zh_CN: "停滞"}
""", tmp_path)
    org.deal("late", owner="a1", close="2026-03-10", created="2026-02-01 09:00:00")
    org.build(as_of=AS_OF)
    names = {r["rule_id"]: (r["name_en"], r["name_zh"]) for r in org.rows(
        "select * from rpt_discipline_rules")}
    assert names == {"overdue_close_date": ("Past its close date", "过期未关"),
                     "stale_deal": ("Stale deal", "商机停滞")}   # the file's, else the kind's
    deal = org.row("select * from rpt_scope_at_risk_deals where scope_id = 'lead_a'")
    assert deal["rule_ids"] == "overdue_close_date, stale_deal"
    assert deal["rule_names_en"] == "Past its close date, Stale deal"
    assert deal["rule_names_zh"] == "过期未关、商机停滞"


def test_the_channels_by_their_order_and_labels(crm, tmp_path):
    crm.channels("""
channels:
  - {id: direct, label: {en: Direct sales, zh_CN: 直销}}
  - {id: agent, label: {en: Agents, zh_CN: 代理商}}
default: direct
""", tmp_path)
    crm.build(as_of=AS_OF)
    rows = crm.rows("select * from dim_channels order by channel_order")
    assert [(r["channel"], r["channel_order"], r["label_en"], r["label_zh"], r["is_default"])
            for r in rows] == [("direct", 1, "Direct sales", "直销", True),
                               ("agent", 2, "Agents", "代理商", False)]


def test_the_slipped_deals_of_a_scope_most_pushed_first(org):
    # open deals of a1 (lead_a) and b1 (lead_b): pushed twice (+10, +24 days), once (+5), never
    for deal_id, owner, moves in [("twice", "a1", ["2026-03-11", "2026-04-04"]),
                                  ("once", "a1", ["2026-03-06"]), ("never", "a1", []),
                                  ("other", "b1", ["2026-03-03"])]:
        org.deal(deal_id, owner=owner, close=moves[-1] if moves else "2026-03-01",
                 created="2026-01-05 09:00:00")
        org.move(deal_id, "Qualification", "Qualification", "2026-01-06 09:00:00",
                 close="2026-03-01")
        for number, close in enumerate(moves, start=1):
            org.move(deal_id, "Qualification", "Qualification",
                     f"2026-02-0{number + 1} 09:00:00", close=close)
    org.build(as_of=AS_OF)
    rows = org.rows("select slip_rank, deal_id, push_count, days_slipped "
                    "from rpt_scope_slipped_deals where scope_id = 'lead_a' order by slip_rank")
    assert [tuple(r.values()) for r in rows] == [(1, "twice", 2, 34), (2, "once", 1, 5)]
    assert scopes_of(org, "rpt_scope_slipped_deals", "deal_id", "other") == {
        "lead_b", "vp", "company"}


def test_an_owner_outside_the_org_chart_is_unassigned(org):
    org.deal("mine", owner="a1", close="2026-03-31")
    org.deal("theirs", owner="ghost", amount=700, close="2026-03-31")
    org.deal("won", owner="ghost", stage="Closed Won", amount=200, close="2026-03-02")
    org.call("ghost", "2026-03-10 09:00:00")
    org.build(as_of=AS_OF)
    row = org.row("select * from rpt_unassigned_owners")
    assert (row["owner_id"], row["deals_count"], row["open_deals_count"]) == ("ghost", 2, 1)
    assert (row["open_amount"], row["quarter_won_amount"], row["activities_count"]) == (
        Decimal("700.00"), Decimal("200.00"), 1)


def test_a_reps_first_fifteen_violations_are_listed_and_the_rest_counted(org, tmp_path):
    # 17 overdue deals of a1, all new today and critical: listed by record name
    org.rules(OVERDUE_ONLY, tmp_path)
    for number in range(1, 18):
        org.deal(f"d{number:02}", owner="a1", close=f"2026-03-{number:02}",
                 created="2026-01-05 09:00:00")
    org.build(as_of=AS_OF)
    rows = org.rows("select record_id, list_rank, owner_list_rank, is_listed, "
                    "owner_unlisted_count from rpt_discipline_violations "
                    "where scope_id = 'lead_a' order by list_rank")
    assert [r["record_id"] for r in rows] == [f"d{number:02}" for number in range(1, 18)]
    assert [r["owner_list_rank"] for r in rows] == list(range(1, 18))
    assert [r["is_listed"] for r in rows] == [True] * 15 + [False] * 2
    assert {r["owner_unlisted_count"] for r in rows} == {2}
