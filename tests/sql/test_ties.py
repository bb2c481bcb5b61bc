"""Where a model picks one row of several by a date, two rows of the same date go by the
greater deal id, whichever order they are read in (README "Reproducible")."""

from __future__ import annotations

import pytest

ORDERS = [pytest.param(["d1", "d2"], id="lower id read first"),
          pytest.param(["d2", "d1"], id="greater id read first")]
OWNERS = {"d1": "r1", "d2": "r2"}


def two_teams(crm):
    crm.person("vp", team=None)
    crm.person("east", manager="vp", team=None).person("r1", manager="east", team="East")
    crm.person("west", manager="vp", team=None).person("r2", manager="west", team="West")


@pytest.mark.parametrize("order", ORDERS)
def test_an_account_at_risk_goes_to_the_rep_of_the_greater_of_two_same_day_wins(crm, order):
    two_teams(crm)
    for deal_id in order:
        crm.deal(deal_id, owner=OWNERS[deal_id], stage="Closed Won", amount=400,
                 close="2026-03-01", account="quiet")
    crm.build(as_of="2026-06-30")
    rows = crm.rows("select scope_id, owner_id from rpt_customer_churn_risk "
                    "where account_id = 'quiet' order by scope_id")
    assert [(r["scope_id"], r["owner_id"]) for r in rows] == [
        ("company", "r2"), ("vp", "r2"), ("west", "r2")]


@pytest.mark.parametrize("order", ORDERS)
def test_a_key_accounts_violation_goes_to_the_rep_of_the_greater_of_two_same_day_wins(
        crm, order):
    two_teams(crm)
    for deal_id in order:
        crm.deal(deal_id, owner=OWNERS[deal_id], stage="Closed Won", amount=400,
                 close="2026-03-01", account="key")
    crm.build(as_of="2026-06-30")
    row = crm.row("select owner_id from fct_discipline_violations "
                  "where rule_id = 'key_account_follow_up' and record_id = 'key'")
    assert row["owner_id"] == "r2"


@pytest.mark.parametrize("order", ORDERS)
def test_an_unplaced_owner_is_named_after_the_greater_of_two_deals_changed_at_once(
        crm, order):
    crm.person("lead", team=None).person("r1", manager="lead")
    for deal_id in order:
        crm.deal(deal_id, owner="x9", modified="2026-03-01 10:00:00")
    crm.con.execute("update raw_crm__deals set owner_name = 'Name of ' || deal_id")
    crm.build(as_of="2026-03-31")
    assert crm.row("select name from dim_users where user_id = 'x9'")["name"] == "Name of d2"
