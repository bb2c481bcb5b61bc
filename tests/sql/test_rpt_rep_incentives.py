"""rpt_rep_incentives on hand-made deals, targets, violations and plans: every figure
computed by hand (base rate 5%, 1.5× the rate on the part above 100% of target)."""

from __future__ import annotations

from decimal import Decimal

import pytest

PLAN = """
rounding: {{places: 2, mode: {mode}}}
plans:
  - id: east
    applies_to: {{teams: [East]}}
    base_rate: 0.05
    tiers:
      - {{from: 0, to: 1.0, multiplier: 1}}
      - {{from: 1.0, multiplier: 1.5}}
{extra}
"""


def plan(crm, tmp_path, extra: str = "", mode: str = "half_up"):
    crm.incentives(PLAN.format(mode=mode, extra=extra), tmp_path)


def won(crm, deal_id: str, amount, close: str, owner: str = "r1"):
    crm.deal(deal_id, owner=owner, stage="Closed Won", amount=amount, close=close)


def statement(crm, owner: str = "r1", month: str = "2026-02-01") -> dict:
    return crm.row("select * from rpt_rep_incentives where owner_id = ? and month = ?",
                   [owner, month])


@pytest.mark.parametrize("amount, base, accelerator, payout", [
    pytest.param(9_999.00, "499.95", "0", "499.95", id="just below 100% -> base rate only"),
    pytest.param(10_000.00, "500.00", "0", "500.00", id="exactly 100% -> nothing above"),
    # 0.01 above 100%: 500.0005 + 0.01 × 5% × 0.5 = 500.00075 -> 500.00
    pytest.param(10_000.01, "500.0005", "0.00025", "500.00", id="a cent above 100%"),
    # 2,000 above: 2,000 × 5% × 0.5 = 50
    pytest.param(12_000.00, "600.00", "50", "650.00", id="20% above -> 1.5x on the part"),
])
def test_a_commission_below_at_and_above_the_accelerator_threshold(
        crm, tmp_path, amount, base, accelerator, payout):
    crm.person("lead", team=None).person("r1", manager="lead")
    crm.target("r1", "2026-02", 10_000)
    won(crm, "d1", amount, "2026-02-10")
    plan(crm, tmp_path)
    crm.build(as_of="2026-02-28")
    row = statement(crm)
    assert row["plan_id"] == "east" and row["won_amount"] == Decimal(str(amount))
    assert row["target_won_amount"] == Decimal("10000.00")
    assert row["base_commission"] == Decimal(base)
    assert row["accelerator_commission"] == Decimal(accelerator)
    assert row["cap_adjustment"] == 0 and row["quarterly_bonus"] == 0
    assert row["payout_amount"] == Decimal(payout)


def test_tiers_are_marginal_across_three_bands(crm, tmp_path):
    crm.person("lead", team=None).person("r1", manager="lead")
    crm.target("r1", "2026-02", 10_000)
    won(crm, "d1", 16_000, "2026-02-10")
    crm.incentives("""
rounding: {places: 2, mode: half_up}
plans:
  - id: east
    applies_to: {teams: [East]}
    base_rate: 0.05
    tiers:
      - {from: 0, to: 0.5, multiplier: 0.5}
      - {from: 0.5, to: 1.0, multiplier: 1}
      - {from: 1.0, to: 1.5, multiplier: 1.5}
      - {from: 1.5, multiplier: 2}
""", tmp_path)
    crm.build(as_of="2026-02-28")
    row = statement(crm)
    # 16,000 × 5% = 800; 5,000 × 5% × −0.5 = −125; 5,000 × 5% × 0.5 = 125;
    # 1,000 × 5% × 1 = 50: 850
    assert row["base_commission"] == Decimal("800")
    assert row["accelerator_commission"] == Decimal("50")
    assert row["payout_amount"] == Decimal("850.00")


def test_no_target_means_the_base_rate_only(crm, tmp_path):
    crm.person("lead", team=None).person("r1", manager="lead")
    won(crm, "d1", 12_000, "2026-02-10")
    plan(crm, tmp_path)
    crm.build(as_of="2026-02-28")
    row = statement(crm)
    assert row["target_won_amount"] is None and row["attainment_rate"] is None
    assert (row["base_commission"], row["accelerator_commission"]) == (600, 0)
    assert row["payout_amount"] == Decimal("600.00")


def test_a_cap_reached_cuts_the_commission_to_it(crm, tmp_path):
    crm.person("lead", team=None).person("r1", manager="lead").person("r2", manager="lead")
    for rep, amount in (("r1", 15_000), ("r2", 11_000)):
        crm.target(rep, "2026-02", 10_000)
        won(crm, f"d-{rep}", amount, "2026-02-10", owner=rep)
    plan(crm, tmp_path, "    monthly_cap: 600")
    crm.build(as_of="2026-02-28")
    # r1: 750 + 5,000 × 5% × 0.5 = 875, 275 above the cap
    capped = statement(crm, "r1")
    assert (capped["base_commission"], capped["accelerator_commission"]) == (750, 125)
    assert capped["cap_adjustment"] == Decimal("-275")
    assert capped["payout_amount"] == Decimal("600.00")
    # r2: 550 + 1,000 × 5% × 0.5 = 575, under the cap
    under = statement(crm, "r2")
    assert under["cap_adjustment"] == 0 and under["payout_amount"] == Decimal("575.00")


def test_a_quarterly_bonus_earned_and_missed(crm, tmp_path):
    crm.person("lead", team=None).person("r1", manager="lead").person("r2", manager="lead")
    for rep in ("r1", "r2"):
        for month in ("2026-01", "2026-02", "2026-03"):
            crm.target(rep, month, 1_000)
    # r1: 3,000 of 3,000 in the quarter (100%); r2: 2,999.99
    won(crm, "a1", 500, "2026-01-15")
    won(crm, "a2", 2_500, "2026-03-10")
    won(crm, "b1", 2_999.99, "2026-02-15", owner="r2")
    plan(crm, tmp_path, "    quarterly_bonus: {attainment: 1.0, amount: 300}")
    crm.build(as_of="2026-03-31")
    rows = {(r["owner_id"], r["month"].isoformat()): r for r in crm.rows(
        "select * from rpt_rep_incentives")}
    assert len(rows) == 6
    earned = rows[("r1", "2026-03-01")]
    assert earned["is_quarter_end"] and earned["quarterly_bonus"] == Decimal("300")
    assert earned["quarter_won_amount"] == Decimal("3000.00")
    assert earned["quarter_target_won_amount"] == Decimal("3000.00")
    assert earned["quarter_attainment_rate"] == 1.0
    # March: 2,500 × 5% + 1,500 × 5% × 0.5 = 125 + 37.5, plus the bonus
    assert earned["payout_amount"] == Decimal("462.50")
    assert rows[("r1", "2026-01-01")]["quarterly_bonus"] == 0
    missed = rows[("r2", "2026-03-01")]
    assert missed["quarter_won_amount"] == Decimal("2999.99")
    assert missed["quarterly_bonus"] == 0 and missed["payout_amount"] == 0
    assert rows[("r2", "2026-02-01")]["quarterly_bonus"] == 0


def test_deductions_for_the_violations_the_plan_names(crm, tmp_path):
    crm.person("lead", team=None).person("r1", manager="lead")
    won(crm, "d1", 10_000, "2026-03-10")
    crm.target("r1", "2026-03", 10_000)
    # seen by earlier runs: two stale deals first seen in March, one in February, and a
    # missing-fields violation the plan does not name
    for record, first in (("s1", "2026-03-02"), ("s2", "2026-03-05"), ("s3", "2026-02-20")):
        crm.recorded_violation("2026-03-20", "stale_deal", record, owner="r1",
                               first_seen=first)
    crm.recorded_violation("2026-03-10", "stale_deal", "s1", owner="r1",
                           first_seen="2026-03-02")  # the same one, seen twice: counts once
    crm.recorded_violation("2026-03-20", "missing_fields", "m1", owner="r1",
                           first_seen="2026-03-03")
    # seen today: a task three days overdue, not completed
    crm.task("r1", "2026-03-28", status="Not Started")
    plan(crm, tmp_path, """    deductions:
      per_violation: {stale_deal: 40, overdue_task: 15}""")
    crm.build(as_of="2026-03-31")
    march = statement(crm, month="2026-03-01")
    assert march["violations_count"] == 3
    assert march["deductions"] == Decimal("95")  # 2 × 40 + 15
    assert march["payout_amount"] == Decimal("405.00")  # 500 − 95
    february = statement(crm, month="2026-02-01")
    assert february["violations_count"] == 1 and february["deductions"] == 40
    assert february["unrounded_total"] == 0  # nothing won: never below 0
    assert february["payout_amount"] == 0


def test_deductions_stop_at_the_plans_cap(crm, tmp_path):
    crm.person("lead", team=None).person("r1", manager="lead")
    won(crm, "d1", 10_000, "2026-03-10")
    for record in ("s1", "s2", "s3"):
        crm.recorded_violation("2026-03-20", "stale_deal", record, owner="r1",
                               first_seen="2026-03-02")
    plan(crm, tmp_path, """    deductions:
      per_violation: {stale_deal: 40}
      monthly_cap: 100""")
    crm.build(as_of="2026-03-31")
    march = statement(crm, month="2026-03-01")
    assert march["violations_count"] == 3 and march["deductions"] == Decimal("100")
    assert march["payout_amount"] == Decimal("400.00")


@pytest.mark.parametrize("mode, amount, unrounded, payout", [
    # 100.10 × 5% = 5.005: half a cent
    pytest.param("half_up", 100.10, "5.005", "5.01", id="half_up 5.005 -> 5.01"),
    pytest.param("half_even", 100.10, "5.005", "5.00", id="half_even 5.005 -> 5.00"),
    pytest.param("half_even", 100.30, "5.015", "5.02", id="half_even 5.015 -> 5.02"),
    pytest.param("half_up", 100.09, "5.0045", "5.00", id="below half a cent -> down"),
])
def test_the_payout_is_rounded_once_by_the_plans_rule(crm, tmp_path, mode, amount,
                                                      unrounded, payout):
    crm.person("lead", team=None).person("r1", manager="lead")
    won(crm, "d1", amount, "2026-02-10")
    plan(crm, tmp_path, mode=mode)
    crm.build(as_of="2026-02-28")
    row = statement(crm)
    assert row["unrounded_total"] == Decimal(unrounded)
    assert row["payout_amount"] == Decimal(payout)


def test_rounding_once_not_part_by_part(crm, tmp_path):
    """Two parts of half a cent each: rounded apart they would make 0.02 more."""
    crm.person("lead", team=None).person("r1", manager="lead")
    crm.target("r1", "2026-02", 100)
    # base 100.10 × 5% = 5.005; accelerator 0.10 × 5% × 0.1 = 0.0005: 5.0055 -> 5.01
    won(crm, "d1", 100.10, "2026-02-10")
    crm.incentives("""
rounding: {places: 2, mode: half_even}
plans:
  - id: east
    applies_to: {teams: [East]}
    base_rate: 0.05
    tiers:
      - {from: 0, to: 1.0, multiplier: 1}
      - {from: 1.0, multiplier: 1.1}
""", tmp_path)
    crm.build(as_of="2026-02-28")
    row = statement(crm)
    assert row["accelerator_commission"] == Decimal("0.0005")
    assert row["unrounded_total"] == Decimal("5.0055")
    assert row["payout_amount"] == Decimal("5.01")


def test_a_rep_no_plan_applies_to_has_no_row(crm, tmp_path):
    crm.person("lead", team=None).person("r1", manager="lead")
    crm.person("r2", manager="lead", team="West")
    won(crm, "d1", 1_000, "2026-02-10")
    won(crm, "d2", 1_000, "2026-02-10", owner="r2")
    plan(crm, tmp_path)
    crm.build(as_of="2026-02-28")
    assert {r["owner_id"] for r in crm.rows("select owner_id from rpt_rep_incentives")} \
        == {"r1"}


def test_the_first_plan_that_matches_by_team_or_role_applies(crm, tmp_path):
    crm.person("lead", team="East").person("r1", manager="lead")
    crm.person("r2", manager="lead", team="West")
    for rep in ("lead", "r1", "r2"):
        won(crm, f"d-{rep}", 1_000, "2026-02-10", owner=rep)
    crm.incentives("""
rounding: {places: 0, mode: half_up}
plans:
  - id: managers
    applies_to: {roles: [manager]}
    base_rate: 0.01
  - id: east
    applies_to: {teams: [East], roles: [rep]}
    base_rate: 0.05
""", tmp_path)
    crm.build(as_of="2026-02-28")
    found = {r["owner_id"]: (r["plan_id"], r["role"], r["payout_amount"])
             for r in crm.rows("select * from rpt_rep_incentives")}
    assert found == {"lead": ("managers", "manager", Decimal("10")),
                     "r1": ("east", "rep", Decimal("50"))}


def test_without_a_plan_file_the_mart_is_empty(crm):
    crm.person("lead", team=None).person("r1", manager="lead")
    won(crm, "d1", 1_000, "2026-02-10")
    crm.build(as_of="2026-02-28")
    assert crm.rows("select * from rpt_rep_incentives") == []
