"""Targets by rep or team, month or quarter (int_targets_monthly, rpt_target_attainment),
survey answers (rpt_satisfaction) and new customers per rep, on hand-made records."""

from __future__ import annotations

from datetime import date

import pytest


def team_of_two(crm):
    crm.person("lead", team=None).person("r1", manager="lead", team="East")
    crm.person("r2", manager="lead", team="East")


def won(crm, deal_id: str, amount: float, close: str, *, owner: str = "r1",
        account: str = "a1"):
    crm.deal(deal_id, owner=owner, stage="Closed Won", amount=amount, close=close,
             account=account)


def test_a_quarter_target_is_split_over_its_months(crm):
    team_of_two(crm)
    crm.target("r1", "2026-Q1", 100000)  # thirds: 33,333.33 twice, then 33,333.34
    crm.target("r2", "2026-Q1", 4.5, metric="satisfaction")  # a level: 4.5 each month
    crm.target(None, "2026-Q1", 30, metric="won_count", team="East")  # 10 a month
    crm.build(as_of="2026-03-31")
    months = {(r["holder_id"], r["metric"], r["period_month"].month): float(r["target"])
              for r in crm.rows("select * from int_targets_monthly")}
    assert months == {
        ("r1", "won_amount", 1): 33333.33, ("r1", "won_amount", 2): 33333.33,
        ("r1", "won_amount", 3): 33333.34,
        ("r2", "satisfaction", 1): 4.5, ("r2", "satisfaction", 2): 4.5,
        ("r2", "satisfaction", 3): 4.5,
        ("East", "won_count", 1): 10, ("East", "won_count", 2): 10,
        ("East", "won_count", 3): 10,
    }


def test_a_fiscal_quarter_follows_the_fiscal_year(crm):
    team_of_two(crm)
    crm.target("r1", "2026-Q1", 300)  # the fiscal year 2026 starts in April 2025
    crm.build(as_of="2025-06-30", fiscal_start=4)
    assert [r["period_month"] for r in crm.rows(
        "select period_month from int_targets_monthly order by 1")] == [
        date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)]


def test_the_quarter_target_counts_in_the_scorecard_month_by_month(crm):
    team_of_two(crm)
    crm.target("r1", "2026-Q1", 900)
    won(crm, "d1", 150, "2026-02-10")
    crm.build(as_of="2026-02-28")
    qtd = crm.row("select * from rpt_scope_performance where scope_id = 'lead' "
                  "and period_kind = 'quarter_to_date' and owner_id = 'r1'")
    # January and February of the quarter's target: 300 + 300; 150 won of 600
    assert (float(qtd["target_won_amount"]), qtd["attainment_rate"]) == (600, 0.25)


def test_attainment_for_each_metric_of_a_rep_and_a_team(crm):
    team_of_two(crm)
    crm.person("far", team="West", manager=None)
    crm.target("r1", "2026-03", 1000)
    crm.target("r1", "2026-03", 2, metric="won_count")
    crm.target("r1", "2026-Q1", 6, metric="new_customers")  # 2 + 2 + 2 to date
    crm.target("r2", "2026-03", 4, metric="activities")
    crm.target("r1", "2026-03", 8, metric="satisfaction")
    crm.target(None, "2026-03", 2000, team="East")
    won(crm, "d1", 500, "2026-03-05", account="new1")
    won(crm, "d2", 300, "2026-03-06", account="new2")
    won(crm, "d3", 100, "2026-03-07", account="new1")  # not a new customer again
    won(crm, "d4", 700, "2026-03-08", owner="r2", account="new3")
    won(crm, "d5", 50, "2026-01-10", account="jan")
    crm.call("r2", "2026-03-02 10:00:00").call("r2", "2026-03-03 10:00:00")
    crm.meeting("r2", "2026-03-04 10:00:00")
    crm.answer("2026-03-09", 9, deal="d1").answer("2026-03-10", 6, deal="d2")
    crm.build(as_of="2026-03-20")
    got = {(r["scope_id"], r["period_kind"], r["holder_id"], r["metric"]):
           (r["target"], r["actual"], r["attainment_rate"])
           for r in crm.rows("select * from rpt_target_attainment")}
    mtd = {k[2:]: v for k, v in got.items() if k[:2] == ("lead", "month_to_date")}
    assert mtd == {
        ("r1", "won_amount"): (1000, 900, 0.9),
        ("r1", "won_count"): (2, 3, 1.5),
        ("r1", "new_customers"): (2, 2, 1.0),
        ("r2", "activities"): (4, 3, 0.75),
        ("r1", "satisfaction"): (8, 7.5, pytest.approx(0.9375)),
        ("East", "won_amount"): (2000, 1600, 0.8),
    }
    qtd = got[("lead", "quarter_to_date", "r1", "new_customers")]
    assert qtd == (6, 3, 0.5)
    # the manager of r1 and r2 sees East; nobody's scope holds West's "far" but the company's
    assert {k[0] for k in got} == {"lead", "company"}


def test_a_month_target_beside_its_quarters_stops_the_run(crm):
    from pipeline.errors import InputRejected

    team_of_two(crm)
    crm.target("r1", "2026-Q1", 900).target("r1", "2026-02", 300)
    with pytest.raises(InputRejected, match="two won_amount targets for 2026-02"):
        crm.build_all(as_of="2026-03-31")


def test_net_promoter_score_from_0_to_10_answers(crm):
    team_of_two(crm)
    won(crm, "d1", 100, "2026-02-01", account="x")
    crm.deal("d2", owner="r2", account="y")
    crm.account("x", owner="r2").account("y", owner="r2")
    # about d1 (won by r1): 10, 9 promoters, 8 passive, 6 and 0 detractors
    for score in (10, 9, 8, 6, 0):
        crm.answer("2026-03-02", score, deal="d1")
    crm.answer("2026-03-03", 7, account="y")  # r2 owns y: a passive
    crm.answer("2026-03-04", 4, scale="1-5", deal="d2")  # r2's deal, another scale
    crm.answer("2026-03-05", 5, deal="elsewhere")  # nobody's: the company total only
    crm.build(as_of="2026-03-31")
    rows = {(r["scope_id"], r["scale"], r["owner_id"]): r for r in crm.rows(
        "select * from rpt_satisfaction where month = '2026-03-01'")}
    r1 = rows[("lead", "0-10", "r1")]
    # (2 promoters - 2 detractors) / 5 = 0; average 33 / 5
    assert (r1["responses_count"], r1["satisfaction_average"], r1["promoters_count"],
            r1["detractors_count"], r1["net_promoter_score"]) == (5, pytest.approx(6.6), 2, 2,
                                                                   0.0)
    assert (rows[("lead", "0-10", "r2")]["net_promoter_score"],
            rows[("lead", "1-5", "r2")]["satisfaction_average"],
            rows[("lead", "1-5", "r2")]["net_promoter_score"]) == (0.0, 4, None)
    lead, company = rows[("lead", "0-10", None)], rows[("company", "0-10", None)]
    assert (lead["responses_count"], lead["net_promoter_score"]) == (6, 0.0)
    # the company adds the detractor no rep is credited with: (2 - 3) / 7
    assert (company["responses_count"], company["net_promoter_score"]) == (
        7, pytest.approx(-1 / 7))
    assert sorted(k[2] or "" for k in rows if k[0] == "company") == ["", "", "r1", "r2", "r2"]
    # the scorecard's average is over the 0-10 answers (satisfaction_scale)
    r2 = crm.row("select * from rpt_scope_performance where scope_id = 'lead' "
                 "and period_kind = 'month_to_date' and owner_id = 'r2'")
    assert (r2["satisfaction_responses_count"], r2["satisfaction_average"]) == (2, 7)


def test_nps_counts_only_promoters_and_detractors_at_their_thresholds(crm):
    team_of_two(crm)
    won(crm, "d1", 100, "2026-02-01")
    for score in (9, 9, 9, 7, 6):
        crm.answer("2026-03-02", score, deal="d1")
    crm.build(as_of="2026-03-31")
    total = crm.row("select * from rpt_satisfaction where scope_id = 'lead' "
                    "and owner_id is null")
    assert total["satisfaction_average"] == pytest.approx(40 / 5)
    assert total["net_promoter_score"] == pytest.approx((3 - 1) / 5)


def test_the_scorecard_shows_new_customers_and_satisfaction_per_rep(crm):
    team_of_two(crm)
    won(crm, "d1", 100, "2026-03-02", account="first")
    won(crm, "d2", 100, "2026-03-03", owner="r2", account="first")  # not new any more
    won(crm, "d3", 100, "2026-03-04", owner="r2", account="second")
    won(crm, "d0", 100, "2025-12-01", owner="r2", account="old")
    won(crm, "d4", 100, "2026-03-05", owner="r2", account="old")
    crm.answer("2026-03-06", 4, deal="d1")
    crm.answer("2026-03-07", 9, deal="d1")
    crm.build(as_of="2026-03-31")
    rows = {r["owner_id"]: r for r in crm.rows(
        "select * from rpt_scope_performance where scope_id = 'lead' "
        "and period_kind = 'month_to_date'")}
    assert {k: rows[k]["new_customers_count"] for k in rows} == {"r1": 1, "r2": 1, None: 2}
    assert (rows["r1"]["satisfaction_responses_count"], rows["r1"]["satisfaction_average"],
            rows["r1"]["net_promoter_score"]) == (2, 6.5, 0.0)
    assert rows["r2"]["satisfaction_responses_count"] == 0
