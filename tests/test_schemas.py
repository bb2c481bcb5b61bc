"""The pandera contracts: built tables pass; a hand-broken frame fails on the named check."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from pipeline.warehouse.db import frame
from pipeline.warehouse.schemas import SCHEMAS


@pytest.fixture(scope="module")
def frames():
    from tests.builders import Crm

    crm = Crm()
    crm.person("lead").person("r1", manager="lead").person("r2", manager="lead")
    crm.deal("d1", owner="r1", stage="Closed Won", amount=100, close="2026-03-02")
    crm.deal("d2", owner="r2", stage="Closed Lost", amount=50, close="2026-03-05")
    crm.move("d2", "Qualification", "Closed Lost", "2026-03-05 10:00:00")
    crm.deal("d3", owner="r2", stage="Needs Analysis", amount=70)
    crm.call("r1", "2026-03-03 10:00:00").target("r1", "2026-03", 400)
    crm.build(as_of="2026-03-20")
    return {name: frame(crm.con, name) for name in SCHEMAS}


def failed_checks(name: str, frame: pd.DataFrame) -> set[str]:
    with pytest.raises(pa.errors.SchemaErrors) as error:
        SCHEMAS[name].validate(frame, lazy=True)
    return set(error.value.failure_cases["check"].astype(str))


def test_every_built_table_passes_its_contract(frames):
    for name, data in frames.items():
        SCHEMAS[name].validate(data, lazy=True)


def test_a_deal_twice_breaks_the_grain(frames):
    deals = frames["fct_deals"]
    assert "field_uniqueness" in failed_checks("fct_deals", pd.concat([deals, deals.head(1)]))


def test_an_unknown_status_is_refused(frames):
    deals = frames["fct_deals"].assign(status="pending")
    assert any(c.startswith("isin") for c in failed_checks("fct_deals", deals))


def test_a_negative_amount_is_refused(frames):
    deals = frames["fct_deals"].assign(amount=-1.0)
    assert "greater_than_or_equal_to(0)" in failed_checks("fct_deals", deals)


def test_an_undeclared_column_is_refused(frames):
    deals = frames["fct_deals"].assign(surprise=1)
    assert "column_in_schema" in failed_checks("fct_deals", deals)


def test_a_win_rate_above_one_is_refused(frames):
    rows = frames["rpt_rep_performance_monthly"].assign(win_rate=1.5)
    assert "less_than_or_equal_to(1)" in failed_checks("rpt_rep_performance_monthly", rows)


def test_a_null_win_rate_with_closed_deals_is_refused(frames):
    rows = frames["rpt_rep_performance_monthly"].copy()
    rows["win_rate"] = rows["win_rate"].astype("float64")
    rows.loc[rows["won_count"] > 0, "win_rate"] = float("nan")
    assert "win_rate_null_only_without_closed_deals" in failed_checks(
        "rpt_rep_performance_monthly", rows)


def test_attainment_must_be_won_over_target(frames):
    rows = frames["rpt_rep_performance_monthly"].copy()
    rows.loc[rows["attainment_rate"].notna(), "attainment_rate"] = 0.99
    assert "attainment_is_won_over_target" in failed_checks("rpt_rep_performance_monthly", rows)


def test_scope_totals_must_add_up(frames):
    rows = frames["rpt_scope_performance"].copy()
    rows.loc[rows["owner_id"].isna(), "won_amount"] += 1
    assert "totals_add_up" in failed_checks("rpt_scope_performance", rows)


def test_a_funnel_may_not_widen(frames):
    rows = frames["rpt_funnel_stages"].copy()
    rows.loc[rows["stage_order"] == 6, "deals_reached"] = 99
    assert "funnel_never_widens" in failed_checks("rpt_funnel_stages", rows)


def test_a_conversion_rate_outside_zero_to_one_is_refused(frames):
    rows = frames["rpt_scope_funnel"].assign(conversion_rate=-0.1)
    assert "greater_than_or_equal_to(0)" in failed_checks("rpt_scope_funnel", rows)
