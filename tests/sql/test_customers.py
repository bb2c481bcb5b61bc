"""dim_accounts (ABC value tiers) and rpt_customer_retention on hand-made deals."""

from __future__ import annotations

from datetime import date

import pytest


def won(crm, deal_id: str, account: str, amount: float, close: str, owner: str = "r1"):
    crm.deal(deal_id, owner=owner, stage="Closed Won", amount=amount, close=close,
             account=account)


def test_value_tiers_at_their_boundaries(crm):
    crm.person("lead", team=None).person("r1", manager="lead")
    # 12 months to 2026-03-31: 50 + 30 + 15 + 5 = 100
    won(crm, "d1", "big", 50, "2026-03-01")
    won(crm, "d2", "second", 30, "2025-04-01")  # first day in the window
    won(crm, "d3", "third", 15, "2025-09-09")
    won(crm, "d4", "small", 5, "2026-01-01")
    won(crm, "d5", "small", 1000, "2025-03-31")  # a day too old: outside the window
    crm.deal("d6", owner="r1", stage="Closed Lost", amount=900, close="2026-02-02",
             account="lost")
    crm.account("quiet")
    crm.build(as_of="2026-03-31")
    tiers = {r["account_id"]: (r["value_tier"], r["trailing_won_amount"],
                               r["trailing_won_share"])
             for r in crm.rows("select * from dim_accounts")}
    # ranked above: big 0, second 50 (< 80: A), third 80 (not < 80, < 95: B), small 95 (C)
    assert tiers == {
        "big": ("A", 50, pytest.approx(0.50)),
        "second": ("A", 30, pytest.approx(0.30)),
        "third": ("B", 15, pytest.approx(0.15)),
        "small": ("C", 5, pytest.approx(0.05)),
        "lost": ("C", 0, 0.0),
        "quiet": ("C", 0, 0.0),
    }
    small = crm.row("select * from dim_accounts where account_id = 'small'")
    assert (small["first_won_date"], small["last_won_date"], small["trailing_won_count"]) == (
        date(2025, 3, 31), date(2026, 1, 1), 1)


def test_the_account_that_crosses_the_threshold_is_still_a(crm):
    crm.person("lead", team=None).person("r1", manager="lead")
    won(crm, "d1", "big", 50, "2026-03-01")
    won(crm, "d2", "crossing", 40, "2026-03-02")  # 50 above it: A, though 50 + 40 > 80
    won(crm, "d3", "rest", 10, "2026-03-03")  # 90 above it: B
    crm.build(as_of="2026-03-31")
    assert dict(crm.con.execute("select account_id, value_tier from dim_accounts").fetchall()
                ) == {"big": "A", "crossing": "A", "rest": "B"}


def retention(crm, scope: str) -> dict:
    return {r["month"].isoformat()[:7]: r for r in crm.rows(
        "select * from rpt_customer_retention where scope_id = ? order by month", [scope])}


def test_a_customer_who_lapses_and_returns(crm):
    crm.person("lead", team=None).person("r1", manager="lead")
    won(crm, "first", "y", 100, "2025-01-15")
    won(crm, "again", "y", 100, "2026-03-10")
    won(crm, "other", "z", 100, "2026-02-05")
    crm.build(as_of="2026-03-20")
    months = retention(crm, "company")
    assert list(months)[0] == "2025-01" and list(months)[-1] == "2026-03"

    def counts(month: str) -> tuple:
        r = months[month]
        return (r["active_customers_count"], r["new_customers_count"],
                r["returning_customers_count"], r["retained_customers_count"],
                r["lapsed_customers_count"], r["retention_rate"])

    assert counts("2025-01") == (1, 1, 0, 0, 0, None)
    assert counts("2025-12") == (1, 0, 0, 1, 0, 1.0)
    # the window to 2026-01-31 starts after 2025-01-31: y's only win is older
    assert counts("2026-01") == (0, 0, 0, 0, 1, 0.0)
    assert counts("2026-02") == (1, 1, 0, 0, 0, None)
    # y is back, z kept: 1 retained of 1 active at the end of February
    assert counts("2026-03") == (2, 0, 1, 1, 0, 1.0)
    assert months["2026-03"]["month_end_date"] == date(2026, 3, 20)


def test_retention_is_scoped_to_the_team_of_the_rep_who_won(crm):
    crm.person("vp", team=None)
    crm.person("east", manager="vp", team=None).person("r1", manager="east")
    crm.person("west", manager="vp", team=None).person("r2", manager="west")
    won(crm, "d1", "a", 100, "2026-01-10", owner="r1")
    won(crm, "d2", "b", 100, "2026-01-11", owner="r2")
    won(crm, "d3", "b", 100, "2026-02-11", owner="r1")  # b's first win was west's
    crm.build(as_of="2026-02-28")
    east, west, company = (retention(crm, s) for s in ("east", "west", "company"))
    assert (east["2026-01"]["active_customers_count"],
            east["2026-01"]["new_customers_count"]) == (1, 1)
    # b is new to the company in January (west's win), and back for east in February
    assert (east["2026-02"]["active_customers_count"],
            east["2026-02"]["returning_customers_count"],
            east["2026-02"]["new_customers_count"]) == (2, 1, 0)
    assert west["2026-01"]["new_customers_count"] == 1
    assert "2026-02" in west and west["2026-02"]["retained_customers_count"] == 1
    assert company["2026-01"]["new_customers_count"] == 2
    assert company["2026-02"]["retained_customers_count"] == 2


def test_key_customers_with_nothing_done_for_too_long_are_at_risk(crm):
    crm.person("vp", team=None)
    crm.person("east", manager="vp", team=None).person("r1", manager="east")
    crm.person("west", manager="vp", team=None).person("r2", manager="west")
    # tiers on 12 months to 2026-06-30: quiet 400, busy 300, open 200 (A); small 100 (B)
    won(crm, "d1", "quiet", 400, "2026-03-01", owner="r1")
    crm.call("r1", "2026-04-20 10:00:00", about="d1")  # the latest touch: 71 days ago
    won(crm, "d2", "busy", 300, "2026-03-02", owner="r1")
    crm.call("r1", "2026-06-01 10:00:00", about="busy")  # 29 days ago
    won(crm, "d3", "open", 200, "2026-03-03", owner="r2")
    crm.deal("d4", owner="r2", stage="Negotiation/Review", account="open",
             created="2026-03-05 09:00:00", close="2026-08-01")
    won(crm, "d5", "small", 100, "2026-03-04", owner="r2")
    crm.build(as_of="2026-06-30")
    rows = crm.rows("select scope_id, account_id, owner_id, value_tier, days_since_touch, "
                    "last_activity_date from rpt_customer_churn_risk order by scope_id")
    assert [(r["scope_id"], r["account_id"], r["days_since_touch"]) for r in rows] == [
        ("company", "quiet", 71), ("east", "quiet", 71), ("vp", "quiet", 71)]
    assert (rows[0]["owner_id"], rows[0]["value_tier"], rows[0]["last_activity_date"]) == (
        "r1", "A", date(2026, 4, 20))
