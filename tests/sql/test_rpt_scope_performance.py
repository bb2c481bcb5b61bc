"""rpt_scope_performance and int_report_scopes: each manager sees their whole subtree, at
any depth, and nothing else; the company sees every owner; totals add up."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def built(crm):
    # vp -> director -> lead -> (r1, r2); vp -> lead2 -> r3; ghost is not in the org chart
    crm.person("vp", team=None).person("director", manager="vp", team=None)
    crm.person("lead", manager="director").person("r1", manager="lead")
    crm.person("r2", manager="lead").person("lead2", manager="vp", team="West")
    crm.person("r3", manager="lead2", team="West")
    crm.deal("d1", owner="r1", stage="Closed Won", amount=100, close="2026-03-02",
             created="2026-02-20 09:00:00")
    crm.deal("d2", owner="r2", stage="Closed Won", amount=200, close="2026-02-10",
             created="2026-01-11 09:00:00")
    crm.deal("d3", owner="r2", stage="Closed Lost", amount=50, close="2026-03-05")
    crm.deal("d4", owner="r3", stage="Closed Won", amount=400, close="2026-03-09")
    crm.deal("d5", owner="ghost", stage="Closed Won", amount=1000, close="2026-03-10")
    crm.deal("d6", owner="r1", stage="Closed Won", amount=800, close="2025-12-20")
    # a year earlier: inside and just outside the same stretch of the quarter
    crm.deal("d7", owner="r1", stage="Closed Won", amount=70, close="2025-03-20",
             created="2025-03-01 09:00:00")
    crm.deal("d8", owner="r1", stage="Closed Won", amount=90, close="2025-03-21",
             created="2025-03-01 09:00:00")
    crm.target("r1", "2025-03", 310)
    crm.target("r1", "2026-03", 200).target("r2", "2026-02", 100).target("r2", "2026-03", 100)
    return crm.build(as_of="2026-03-20")


def members(built, scope: str) -> set[str]:
    return {r["member_id"] for r in built.rows(
        "select member_id from int_report_scopes where scope_id = ?", [scope])}


def test_a_managers_scope_is_their_whole_subtree(built):
    assert members(built, "lead") == {"lead", "r1", "r2"}
    assert members(built, "director") == {"director", "lead", "r1", "r2"}
    assert members(built, "vp") == {"vp", "director", "lead", "r1", "r2", "lead2", "r3"}
    assert members(built, "lead2") == {"lead2", "r3"}


def test_reps_are_not_scopes_and_the_company_has_everyone(built):
    scopes = {r["scope_id"] for r in built.rows("select scope_id from int_report_scopes")}
    assert scopes == {"company", "vp", "director", "lead", "lead2"}
    assert "ghost" in members(built, "company")
    assert "ghost" not in members(built, "vp")


def total(built, scope: str, kind: str) -> dict:
    return built.row("select * from rpt_scope_performance where scope_id = ? and "
                     "period_kind = ? and owner_id is null", [scope, kind])


def test_month_to_date_totals_of_a_team(built):
    row = total(built, "lead", "month_to_date")
    # March: r1 won 100, r2 lost 50; targets 200 + 100
    assert (row["won_count"], row["won_amount"], row["lost_count"]) == (1, 100, 1)
    assert row["target_won_amount"] == 300
    assert row["attainment_rate"] == pytest.approx(100 / 300)
    assert row["win_rate"] == pytest.approx(0.5)
    assert row["period_start"] == date(2026, 3, 1)
    assert row["period_end"] == date(2026, 3, 20)


def test_quarter_to_date_adds_the_months_of_the_quarter(built):
    row = total(built, "lead", "quarter_to_date")
    # January to March 20: won 100 (r1) + 200 (r2); December's 800 is last quarter
    assert (row["won_count"], row["won_amount"]) == (2, 300)
    assert row["target_won_amount"] == 400
    assert row["attainment_rate"] == pytest.approx(0.75)
    assert row["avg_won_amount"] == 150


def test_the_company_includes_owners_outside_the_org_chart(built):
    row = total(built, "company", "month_to_date")
    assert row["won_amount"] == 100 + 400 + 1000
    assert total(built, "vp", "month_to_date")["won_amount"] == 100 + 400


def test_rep_rows_add_up_to_the_total(built):
    reps = built.rows("select owner_id, won_amount from rpt_scope_performance where "
                      "scope_id = 'vp' and period_kind = 'quarter_to_date' "
                      "and owner_id is not null order by 1")
    assert reps == [{"owner_id": "r1", "won_amount": 100}, {"owner_id": "r2", "won_amount": 200},
                    {"owner_id": "r3", "won_amount": 400}]
    assert total(built, "vp", "quarter_to_date")["won_amount"] == 700


def test_trend_has_the_last_twelve_months_with_data(built):
    months = built.rows("select period_start, won_amount from rpt_scope_performance where "
                        "scope_id = 'lead' and period_kind = 'month' and owner_id is null "
                        "order by 1")
    assert [(m["period_start"].isoformat(), m["won_amount"]) for m in months] == [
        ("2025-12-01", 800), ("2026-02-01", 200), ("2026-03-01", 100)]


def test_pace_prorates_the_target_by_the_days_covered(built):
    # March 1-20 is 20 of 31 days: the expected amount is 20/31 of March's 300
    mtd = total(built, "lead", "month_to_date")
    assert float(mtd["expected_won_amount"]) == pytest.approx(300 * 20 / 31, abs=0.01)
    assert mtd["pace_rate"] == pytest.approx(100 / (300 * 20 / 31), abs=1e-4)
    # the quarter: February's whole 100, and 20/31 of March's
    qtd = total(built, "lead", "quarter_to_date")
    assert float(qtd["expected_won_amount"]) == pytest.approx(100 + 300 * 20 / 31, abs=0.01)
    assert qtd["pace_rate"] == pytest.approx(300 / (100 + 300 * 20 / 31), abs=1e-4)


def test_the_same_stretch_of_the_quarter_a_year_earlier(built):
    row = total(built, "lead", "previous_year_quarter_to_date")
    assert (row["period_start"], row["period_end"]) == (date(2025, 1, 1), date(2025, 3, 20))
    assert (row["won_count"], row["won_amount"]) == (1, 70)  # d8 closed a day later
    assert row["target_won_amount"] == 310  # the whole month's, like month to date
    assert float(row["expected_won_amount"]) == pytest.approx(200, abs=0.01)  # 20/31 of 310


def test_cycle_time_is_the_median_of_the_won_deals(built):
    # d1: 10 days (Feb 20 to Mar 2), d2: 30 days (Jan 11 to Feb 10); the lost d3 not counted
    assert total(built, "lead", "quarter_to_date")["median_cycle_days"] == 20
    # d6 was created after it closed: its cycle counts as 0 days
    december = built.row("select median_cycle_days from rpt_scope_performance where "
                         "scope_id = 'lead' and period_kind = 'month' and owner_id is null "
                         "and period_start = '2025-12-01'")
    assert december["median_cycle_days"] == 0
