"""rpt_pipeline_waterfall on a hand-built week: every movement, each precedence case, and the
reconciliation opening + movements = closing.

As of 2026-03-31, fiscal quarter January-March; the week's window opens at the end of
2026-03-24, the state an earlier run recorded. The pipeline is the open deals closing in
the quarter.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

OPENED = "2026-03-24"


@pytest.fixture
def week(crm):
    """Each deal has an owner of its own (named after it), so each owner's rows show how
    that one deal was classified; all owners are in team East, under the lead "r1"."""
    crm.person("r1", team="East")

    def owner(deal_id):
        if deal_id not in owners:
            crm.person(deal_id, manager="r1", team="East")
            owners.add(deal_id)
        return deal_id

    owners: set[str] = set()

    def was(deal_id, amount=100, close="2026-03-30", stage="Qualification", status="open"):
        crm.recorded(OPENED, deal_id, owner=owner(deal_id), amount=amount, close=close,
                     stage=stage, status=status)

    def now(deal_id, amount=100, close="2026-03-30", stage="Qualification", **kwargs):
        crm.deal(deal_id, owner=owner(deal_id), amount=amount, close=close, stage=stage,
                 **kwargs)

    # won, lost, removed
    was("won", close="2026-03-28")
    now("won", stage="Closed Won", close="2026-03-27")
    was("won_grew", close="2026-03-29")                              # won beats expanded
    now("won_grew", amount=150, stage="Closed Won", close="2026-03-30")
    now("won_new", amount=60, stage="Closed Won", close="2026-03-30",
        created="2026-03-26 10:00:00")                               # won beats created
    was("lost", amount=200)
    now("lost", amount=200, stage="Closed Lost", close="2026-03-29")
    was("removed", amount=900, close="2026-03-29")                   # gone from the CRM
    # into the pipeline
    now("created", amount=300, close="2026-03-29", created="2026-03-26 10:00:00")
    was("reopened", amount=400, stage="Closed Lost", status="lost", close="2026-03-20")
    now("reopened", amount=400)
    was("pulled_in", amount=500, close="2026-05-15")
    now("pulled_in", amount=500, close="2026-03-31")
    was("pulled_in_advanced", amount=50, close="2026-05-01")         # pulled in beats advanced
    now("pulled_in_advanced", amount=50, stage="Proposal/Price Quote")
    # out of it
    was("pushed_out", amount=600, close="2026-03-25")
    now("pushed_out", amount=600, close="2026-04-10")
    was("pushed_out_grew", close="2026-03-29")                       # pushed out beats expanded
    now("pushed_out_grew", amount=200, close="2026-04-20")
    # within it
    was("expanded", amount=700, close="2026-03-29")
    now("expanded", amount=750, close="2026-03-29")
    was("expanded_advanced")                                         # expanded beats advanced
    now("expanded_advanced", amount=130, stage="Needs Analysis")
    was("contracted", amount=800)
    now("contracted", amount=720)
    was("advanced")
    now("advanced", stage="Value Proposition")
    was("advanced_slipped", close="2026-03-26")                      # advanced beats slipped
    now("advanced_slipped", stage="Needs Analysis", close="2026-03-26")
    was("slipped", close="2026-03-26")
    now("slipped", close="2026-03-26")
    was("unchanged", close="2026-03-31")                             # due today: not slipped
    now("unchanged", close="2026-03-31")
    return crm.build(as_of="2026-03-31")


def movements(built, window="waterfall_week", scope="r1") -> dict[str, tuple]:
    rows = built.rows("select movement, deals_count, count_change, amount "
                      "from rpt_scope_waterfall where window_kind = ? and scope_id = ?",
                      [window, scope])
    return {r["movement"]: (r["deals_count"], r["count_change"], r["amount"]) for r in rows}


def classified(built, deal_id: str) -> tuple:
    rows = built.rows("select movement, count_change, amount from rpt_pipeline_waterfall "
                      "where window_kind = 'waterfall_week' and owner_id = ? "
                      "and movement not in ('opening', 'closing')", [deal_id])
    assert len(rows) == 1, rows
    return rows[0]["movement"], rows[0]["count_change"], rows[0]["amount"]


@pytest.mark.parametrize("deal_id, movement, count_change, amount", [
    ("won", "won", -1, "-100"),
    pytest.param("won_grew", "won", -1, "-100", id="won beats expanded"),
    pytest.param("won_new", "won", 0, "0", id="won beats created"),
    ("lost", "lost", -1, "-200"),
    ("removed", "removed", -1, "-900"),
    ("created", "created", 1, "300"),
    ("reopened", "reopened", 1, "400"),
    ("pulled_in", "pulled_in", 1, "500"),
    pytest.param("pulled_in_advanced", "pulled_in", 1, "50", id="pulled in beats advanced"),
    ("pushed_out", "pushed_out", -1, "-600"),
    pytest.param("pushed_out_grew", "pushed_out", -1, "-100", id="pushed out beats expanded"),
    ("expanded", "expanded", 0, "50"),
    pytest.param("expanded_advanced", "expanded", 0, "30", id="expanded beats advanced"),
    ("contracted", "contracted", 0, "-80"),
    ("advanced", "advanced", 0, "0"),
    pytest.param("advanced_slipped", "advanced", 0, "0", id="advanced beats slipped"),
    ("slipped", "slipped", 0, "0"),
    pytest.param("unchanged", "unchanged", 0, "0", id="due today is not slipped"),
])
def test_each_deal_takes_one_movement(week, deal_id, movement, count_change, amount):
    assert classified(week, deal_id) == (movement, count_change, Decimal(amount))


def test_every_movement_with_its_deals_and_effect(week):
    assert movements(week) == {
        "opening": (13, 13, Decimal("4000.00")),
        "won": (3, -2, Decimal("-200.00")),
        "lost": (1, -1, Decimal("-200.00")),
        "removed": (1, -1, Decimal("-900.00")),
        "created": (1, 1, Decimal("300.00")),
        "reopened": (1, 1, Decimal("400.00")),
        "pulled_in": (2, 2, Decimal("550.00")),
        "pushed_out": (2, -2, Decimal("-700.00")),
        "expanded": (2, 0, Decimal("80.00")),
        "contracted": (1, 0, Decimal("-80.00")),
        "advanced": (2, 0, Decimal("0.00")),
        "slipped": (1, 0, Decimal("0.00")),
        "unchanged": (1, 0, Decimal("0.00")),
        "closing": (11, 11, Decimal("3250.00")),
    }


@pytest.mark.parametrize("window", ["waterfall_week", "waterfall_month", "waterfall_quarter"])
def test_opening_plus_movements_is_closing(week, window):
    found = movements(week, window)
    middle = [v for m, v in found.items() if m not in ("opening", "closing")]
    assert found["opening"][1] + sum(v[1] for v in middle) == found["closing"][1]
    assert found["opening"][2] + sum(v[2] for v in middle) == found["closing"][2]


def test_the_company_adds_up_every_owner(week):
    assert movements(week, scope="company")["closing"] == (11, 11, Decimal("3250.00"))


def test_a_deal_in_another_currency_moves_at_the_as_of_rate(crm):
    crm.person("r1", team="East")
    crm.rate("2026-01-01", "USD", 7.0).rate("2026-03-30", "USD", 7.2)
    crm.recorded(OPENED, "usd", amount=100, currency="USD")
    crm.deal("usd", amount=110, close="2026-03-30", currency="USD")
    crm.build(as_of="2026-03-31")
    found = movements(crm, scope="company")
    # both ends at 7.2: 720 at the opening, 792 at the close: expanded by 72
    assert found["opening"][2] == Decimal("720.00")
    assert found["expanded"] == (1, 0, Decimal("72.00"))


def test_a_deal_removed_from_the_crm_keeps_its_currency(crm):
    crm.person("r1", team="East")
    crm.rate("2026-01-01", "USD", 7.2)
    crm.recorded(OPENED, "gone", amount=100, currency="USD")
    crm.build(as_of="2026-03-31")
    found = movements(crm, scope="company")
    assert found["opening"] == (1, 1, Decimal("720.00"))        # 100 USD at 7.2
    assert found["removed"] == (1, -1, Decimal("-720.00"))


def test_a_deal_removed_before_the_opening_is_not_in_it(crm):
    # recorded on 03-20, and no longer by the run of 03-24: removed by the end of 03-24
    crm.person("r1", team="East")
    crm.recorded("2026-03-20", "gone", amount=900)
    crm.recorded("2026-03-20", "kept", amount=100).recorded(OPENED, "kept", amount=100)
    crm.deal("kept", amount=100, close="2026-03-30")
    crm.build(as_of="2026-03-31")
    week = movements(crm, scope="company")
    assert week["opening"] == (1, 1, Decimal("100.00")) and "removed" not in week
    month = movements(crm, "waterfall_month", scope="company")   # opens on 02-28
    assert month["opening"] == (2, 2, Decimal("1000.00"))
    assert month["removed"] == (1, -1, Decimal("-900.00"))


def test_slipped_reads_the_close_date_the_deal_had_at_the_opening(crm):
    # as of 03-15, the week from 03-08: due 03-10 then, moved to 03-25 since: it slipped;
    # due 03-20 then, moved to 03-12 since: not due by now at the opening, so not slipped
    crm.person("r1", team="East")
    for deal_id, was, now in [("due_then", "2026-03-10", "2026-03-25"),
                              ("due_now_only", "2026-03-20", "2026-03-12")]:
        crm.person(deal_id, manager="r1", team="East")
        crm.recorded("2026-03-08", deal_id, owner=deal_id, close=was)
        crm.deal(deal_id, owner=deal_id, close=now)
    crm.build(as_of="2026-03-15")
    assert classified(crm, "due_then") == ("slipped", 0, Decimal("0"))
    assert classified(crm, "due_now_only") == ("unchanged", 0, Decimal("0"))


def test_the_pipeline_is_the_forecasts_omitted_deals_left_out(crm):
    crm.person("r1", team="East")
    crm.recorded(OPENED, "dropped", amount=300, forecast="commit")
    crm.deal("dropped", amount=300, close="2026-03-30", forecast="omitted")
    crm.recorded(OPENED, "restored", amount=200, forecast="omitted")
    crm.deal("restored", amount=200, close="2026-03-30", forecast="best_case")
    crm.recorded(OPENED, "never", amount=900, forecast="omitted")
    crm.deal("never", amount=900, close="2026-03-30", forecast="omitted")
    crm.recorded(OPENED, "kept", amount=100, close="2026-03-31", forecast="pipeline")
    crm.deal("kept", amount=100, close="2026-03-31", forecast="pipeline")
    crm.build(as_of="2026-03-31")
    assert movements(crm, scope="company") == {
        "opening": (2, 2, Decimal("400.00")),          # kept, dropped
        "included": (1, 1, Decimal("200.00")),
        "unchanged": (1, 0, Decimal("0.00")),
        "omitted": (1, -1, Decimal("-300.00")),
        "closing": (2, 2, Decimal("300.00")),          # kept, restored
    }
    forecast = crm.row("select open_pipeline_amount from rpt_forecast "
                       "where scope_id = 'company' and owner_id is null")
    assert forecast["open_pipeline_amount"] == Decimal("300.00")


@pytest.fixture
def reassigned(crm):
    """Two teams under "top": a (rep a1) and b (rep b1). Two deals of a1 at the week's
    opening are b1's now: "grown" grew from 100 to 150, "won_by_b" was won by b1."""
    crm.person("top", team=None)
    crm.person("a", manager="top", team="A").person("a1", manager="a", team="A")
    crm.person("b", manager="top", team="B").person("b1", manager="b", team="B")
    crm.recorded(OPENED, "grown", owner="a1", team="A", amount=100)
    crm.deal("grown", owner="b1", amount=150)
    crm.recorded(OPENED, "won_by_b", owner="a1", team="A", amount=80)
    crm.deal("won_by_b", owner="b1", amount=80, stage="Closed Won", close="2026-03-28")
    return crm.build(as_of="2026-03-31")


def test_the_opening_stays_with_the_team_that_held_the_deal_then(reassigned):
    assert movements(reassigned, scope="a") == {
        "opening": (2, 2, Decimal("180.00")),
        "reassigned_out": (2, -2, Decimal("-180.00")),
        "closing": (0, 0, Decimal("0.00")),
    }
    assert movements(reassigned, scope="b") == {
        "opening": (0, 0, Decimal("0.00")),
        "reassigned_in": (1, 1, Decimal("150.00")),
        "won": (1, 0, Decimal("0.00")),
        "closing": (1, 1, Decimal("150.00")),
    }


def test_a_scope_holding_both_owners_sees_the_deals_own_movement(reassigned):
    for scope in ("top", "company"):
        assert movements(reassigned, scope=scope) == {
            "opening": (2, 2, Decimal("180.00")),
            "expanded": (1, 0, Decimal("50.00")),
            "won": (1, -1, Decimal("-80.00")),
            "closing": (1, 1, Decimal("150.00")),
        }
    owners = {(r["owner_id"], r["movement"]): r["amount"] for r in reassigned.rows(
        "select owner_id, movement, amount from rpt_pipeline_waterfall "
        "where window_kind = 'waterfall_week'")}
    assert owners[("a1", "reassigned_out")] == Decimal("-180.00")
    assert owners[("b1", "reassigned_in")] == Decimal("150.00")
