"""Each default discipline rule (config/discipline.yaml) on records just inside and just
outside its threshold. As of 2026-03-31."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

AS_OF = date(2026, 3, 31)


def before(days: int, time: str | None = None) -> str:
    day = (AS_OF - timedelta(days=days)).isoformat()
    return f"{day} {time}" if time else day


def broken(crm, rule: str) -> dict[str, dict]:
    rows = crm.rows("select * from fct_discipline_violations where rule_id = ? "
                    "and not is_resolved", [rule])
    return {r["record_id"]: r for r in rows}


@pytest.fixture
def team(crm):
    crm.person("lead", team=None).person("r1", manager="lead", team="East")
    return crm


def test_stale_deal_after_14_days_without_an_activity(team):
    team.deal("13days", close="2026-04-30").call("r1", before(13, "10:00:00"), about="13days")
    team.deal("14days", close="2026-04-30").call("r1", before(14, "10:00:00"), about="14days")
    team.deal("never", close="2026-04-30", created=before(20, "09:00:00"))
    team.deal("won", stage="Closed Won", close=before(1))
    team.build(as_of=AS_OF.isoformat())
    found = broken(team, "stale_deal")
    assert set(found) == {"14days", "never"}
    assert (found["14days"]["measured_value"], found["14days"]["threshold_value"]) == (14, 14)
    assert found["never"]["measured_value"] == 20  # counted from its creation


def test_overdue_close_date_from_the_day_after(team):
    team.deal("due_today", close=AS_OF.isoformat()).deal("due_yesterday", close=before(1))
    team.build(as_of=AS_OF.isoformat())
    found = broken(team, "overdue_close_date")
    assert set(found) == {"due_yesterday"}
    assert found["due_yesterday"]["severity"] == "critical"


def test_missing_fields_at_or_past_value_proposition(team):
    team.deal("early", stage="Needs Analysis", close="2026-04-30")            # no next step
    team.deal("complete", stage="Value Proposition", close="2026-04-30", next_step="Call")
    team.deal("no_step", stage="Value Proposition", close="2026-04-30")
    team.deal("no_amount", stage="Negotiation/Review", close="2026-04-30", amount=None,
              next_step="Sign")
    team.build(as_of=AS_OF.isoformat())
    found = broken(team, "missing_fields")
    assert {k: v["detail"] for k, v in found.items()} == {"no_step": "next_step",
                                                          "no_amount": "amount"}


def test_repeated_push_from_the_third_push(team):
    for deal_id, pushes in [("twice", 2), ("thrice", 3)]:
        team.deal(deal_id, close="2026-05-30", created="2026-01-01 09:00:00")
        team.move(deal_id, "Qualification", "Qualification", "2026-01-02 09:00:00",
                  close="2026-02-01")
        for i in range(pushes - 1):  # the last push is today's close date
            team.move(deal_id, "Qualification", "Qualification", f"2026-02-0{i + 2} 09:00:00",
                      close=f"2026-03-0{i + 2}")
    team.build(as_of=AS_OF.isoformat())
    found = broken(team, "repeated_push")
    assert set(found) == {"thrice"}
    assert found["thrice"]["measured_value"] == 3


def test_repeated_push_is_not_checked_before_there_is_a_history(team):
    team.deal("pushed", close="2026-05-30")
    team.build(as_of=AS_OF.isoformat())
    assert team.row("select skip_reason, violations_count from rpt_discipline_rules "
                    "where rule_id = 'repeated_push'") == {"skip_reason": "no_history",
                                                           "violations_count": 0}
    team.move("pushed", "Qualification", "Qualification", "2026-02-01 09:00:00",
              close="2026-03-01")
    team.build(as_of=AS_OF.isoformat())
    assert team.row("select skip_reason from rpt_discipline_rules "
                    "where rule_id = 'repeated_push'") == {"skip_reason": None}


def test_stage_skipping_past_a_required_stage(team):
    team.deal("skipped", stage="Value Proposition", close="2026-04-30",
              created="2026-03-01 09:00:00")
    team.move("skipped", "Qualification", "Value Proposition", "2026-03-05 09:00:00")
    team.deal("in_order", stage="Value Proposition", close="2026-04-30",
              created="2026-03-01 09:00:00")
    team.move("in_order", "Qualification", "Needs Analysis", "2026-03-03 09:00:00")
    team.move("in_order", "Needs Analysis", "Value Proposition", "2026-03-05 09:00:00")
    team.deal("not_yet", close="2026-04-30")
    team.deal("won_long_ago", stage="Closed Won", close=before(31))
    team.build(as_of=AS_OF.isoformat())
    found = broken(team, "stage_skipping")
    assert {k: v["detail"] for k, v in found.items()} == {"skipped": "Needs Analysis"}


def test_stage_skipping_checks_deals_closed_in_the_last_30_days_as_of_date_included(team):
    # the last 30 days as of 03-31 are 03-02 to 03-31: 03-01 is the 31st day back
    for deal_id, days in [("closed_29_days_ago", 29), ("closed_30_days_ago", 30),
                          ("closed_today", 0)]:
        team.deal(deal_id, stage="Closed Lost", close=before(days),
                  created="2026-01-05 09:00:00")
        team.move(deal_id, "Qualification", "Value Proposition", "2026-01-10 09:00:00")
        team.move(deal_id, "Value Proposition", "Closed Lost", f"{before(days)} 09:00:00")
    team.build(as_of=AS_OF.isoformat())
    assert set(broken(team, "stage_skipping")) == {"closed_29_days_ago", "closed_today"}


def test_stuck_in_stage_beyond_the_teams_90th_percentile_or_60_days(team):
    # ten stays in Qualification that ended, of 1 to 10 days: the 90th percentile is 9.1
    # (between the 9th and 10th stays, 0.1 of the way), not rounded
    for days in range(1, 11):
        deal_id = f"past{days}"
        team.deal(deal_id, stage="Closed Lost", close="2026-02-01",
                  created="2026-01-01 00:00:00")
        team.move(deal_id, "Qualification", "Closed Lost",
                  f"2026-01-{1 + days:02d} 00:00:00")
    team.deal("9days", close="2026-04-30", created=before(8, "00:00:00"))
    team.deal("10days", close="2026-04-30", created=before(9, "00:00:00"))
    # no stay in Negotiation/Review ever ended: only the 60-day limit applies
    for deal_id, days in [("60days", 59), ("61days", 60)]:
        team.deal(deal_id, stage="Negotiation/Review", close="2026-04-30",
                  created=before(days, "00:00:00"))
    team.build(as_of=AS_OF.isoformat())
    found = broken(team, "stuck_in_stage")
    assert set(found) == {"10days", "61days"}
    assert found["10days"]["measured_value"] == 10
    assert found["10days"]["threshold_value"] == pytest.approx(9.1)
    assert found["61days"]["threshold_value"] == 60


def test_stuck_in_stage_against_a_percentile_of_20_5_whole_days(team):
    # six stays in Qualification that ended, of 1.5, 2.5, 3.5, 4.5, 20.5 and 21.5 days: in
    # whole days 1, 2, 3, 4, 20, 21, whose 90th percentile (rank 1 + 0.9 x 5 = 5.5, between
    # the 5th and the 6th) is 20.5. Nearest rank would say 21; the stays' fractions, 21.0.
    for number, days in enumerate([1, 2, 3, 4, 20, 21], start=1):
        deal_id = f"past{number}"
        team.deal(deal_id, stage="Closed Lost", close="2026-02-01",
                  created="2026-01-01 00:00:00")
        ended = (date(2026, 1, 1) + timedelta(days=days)).isoformat()
        team.move(deal_id, "Qualification", "Closed Lost", f"{ended} 12:00:00")
    # to the end of the as-of date: exactly 21 days; 20 days and 20 hours, 20 whole days
    team.deal("21days", close="2026-04-30", created=before(20, "00:00:00"))
    team.deal("20days", close="2026-04-30", created=before(20, "04:00:00"))
    team.build(as_of=AS_OF.isoformat())
    found = broken(team, "stuck_in_stage")
    assert set(found) == {"21days"}
    assert found["21days"]["measured_value"] == 21
    assert found["21days"]["threshold_value"] == pytest.approx(20.5)


def test_a_task_due_after_the_as_of_date_is_not_yet_an_activity(team):
    team.deal("due_tomorrow", close="2026-04-30", created=before(20, "09:00:00"))
    team.task("r1", (AS_OF + timedelta(days=1)).isoformat(), "Completed", about="due_tomorrow")
    team.deal("due_today", close="2026-04-30", created=before(20, "09:00:00"))
    team.task("r1", AS_OF.isoformat(), "Not Started", about="due_today")
    team.build(as_of=AS_OF.isoformat())
    found = broken(team, "stale_deal")
    assert set(found) == {"due_tomorrow"}
    assert found["due_tomorrow"]["measured_value"] == 20  # since its creation


def test_overdue_task_not_completed(team):
    team.deal("d1", close="2026-04-30")
    team.task("r1", AS_OF.isoformat(), "Not Started", task_id="due_today")
    team.task("r1", before(1), "In Progress", task_id="due_yesterday")
    team.task("r1", before(5), "Completed", task_id="done")
    team.task("r1", before(5), "已完成", task_id="done_in_chinese")
    team.build(as_of=AS_OF.isoformat())
    assert set(broken(team, "overdue_task")) == {"due_yesterday"}


def test_key_account_follow_up_after_30_days(team):
    for account, days in [("k29", 29), ("k30", 30)]:
        team.deal(f"won_{account}", account=account, stage="Closed Won", close=before(100))
        team.call("r1", before(days, "10:00:00"), about=account)
    team.deal("won_old", account="k_old", stage="Closed Won", close=before(400))
    team.deal("open_k31", account="k31", stage="Closed Won", close=before(10))
    team.call("r1", before(31, "10:00:00"), about="open_k31")  # on a deal of the account
    team.build(as_of=AS_OF.isoformat())
    found = broken(team, "key_account_follow_up")
    assert set(found) == {"k30", "k31"}
    assert found["k30"]["record_type"] == "account"


def test_key_accounts_won_in_the_last_365_days_as_of_date_included(team, tmp_path):
    team.rules("""
rules:
  - id: won_visits
    kind: key_account_follow_up
    severity: critical
    days: 30
    won_within_days: 365
    description: {en: "no visit for {value} days", zh_CN: "{value} 天未回访"}
""", tmp_path)
    # the last 365 days as of 2026-03-31 are 2025-04-01 to 2026-03-31
    for account, days in [("won_364_days_ago", 364), ("won_365_days_ago", 365)]:
        team.deal(f"deal_{account}", account=account, stage="Closed Won", close=before(days))
        team.call("r1", before(40, "10:00:00"), about=account)
    team.build(as_of=AS_OF.isoformat())
    assert set(broken(team, "won_visits")) == {"won_364_days_ago"}


def test_activity_volume_below_three_calls_and_meetings_a_week(team):
    team.person("r2", manager="lead", team="East")
    team.deal("d1", owner="r1", close="2026-04-30").deal("d2", owner="r2", close="2026-04-30")
    for i in range(12):  # 12 in the last 4 weeks: 3 a week
        team.call("r1", before(i * 2, "10:00:00"))
    for i in range(11):  # 2.75 a week
        team.meeting("r2", before(i * 2, "10:00:00"))
    team.call("r2", before(28, "10:00:00"))  # 28 days ago: outside the four weeks
    team.build(as_of=AS_OF.isoformat())
    found = broken(team, "activity_volume")
    assert set(found) == {"r2"}
    assert found["r2"]["measured_value"] == pytest.approx(2.8)  # 2.75, shown to one decimal


def test_a_rule_scoped_to_a_team_checks_only_that_team(team, tmp_path):
    team.person("r2", manager="lead", team="West")
    team.deal("east", owner="r1", close=before(3)).deal("west", owner="r2", close=before(3))
    team.rules("""
rules:
  - id: overdue_west
    kind: overdue_close_date
    severity: warning
    days: 0
    scope: {teams: [West]}
    description: {en: "overdue {value}", zh_CN: "逾期 {value}"}
""", tmp_path)
    team.build(as_of=AS_OF.isoformat())
    assert set(broken(team, "overdue_west")) == {"west"}


def test_the_compliance_score(team):
    # r1: 4 open deals; one critical (1.0), one warning (0.5), and an overdue task (0.5)
    recent = before(10, "09:00:00")
    team.deal("ok1", close="2026-04-30", created=recent).call(
        "r1", before(1, "09:00:00"), about="ok1")
    team.deal("ok2", close="2026-04-30", created=recent).call(
        "r1", before(1, "09:00:00"), about="ok2")
    team.deal("overdue", close=before(2), created=recent).call(
        "r1", before(1, "09:00:00"), about="overdue")
    team.deal("stale", close="2026-04-30", created=before(20, "09:00:00"))
    team.task("r1", before(3), "Not Started", task_id="late")
    for i in range(12):
        team.call("r1", before(i * 2, "11:00:00"))
    team.build(as_of=AS_OF.isoformat())
    row = team.row("select * from rpt_discipline_by_rep where owner_id = 'r1'")
    assert (row["open_deals_count"], row["critical_count"], row["warning_count"]) == (4, 1, 2)
    assert row["penalty"] == pytest.approx(2.0)
    assert row["compliance_score"] == pytest.approx(50.0)   # 100 x (1 - 2 / 4)


def test_a_closed_deals_violation_is_listed_but_weighs_nothing_in_the_score(team):
    # r2 has no open deal; two deals lost this month skipped Needs Analysis (info, 0.25
    # each); r1 has three open deals, one overdue (critical, 1.0)
    team.person("r2", manager="lead", team="East")
    for deal_id in ("lost1", "lost2"):
        team.deal(deal_id, owner="r2", stage="Closed Lost", close=before(5),
                  created="2026-03-01 09:00:00")
        team.move(deal_id, "Qualification", "Value Proposition", "2026-03-05 09:00:00")
        team.move(deal_id, "Value Proposition", "Closed Lost", f"{before(5)} 09:00:00")
    recent = before(10, "09:00:00")
    for deal_id, close in [("ok1", "2026-04-30"), ("ok2", "2026-04-30"), ("overdue", before(2))]:
        team.deal(deal_id, stage="Needs Analysis", close=close, created=recent)
        team.call("r1", before(1, "09:00:00"), about=deal_id)
    for i in range(12):
        team.call("r1", before(i * 2, "11:00:00"))
    team.build(as_of=AS_OF.isoformat())
    reps = {r["owner_id"]: r for r in team.rows("select * from rpt_discipline_by_rep")}
    assert (reps["r2"]["open_deals_count"], reps["r2"]["info_count"]) == (0, 2)
    assert reps["r2"]["penalty"] == 0
    assert reps["r2"]["compliance_score"] == pytest.approx(100.0)
    assert reps["r1"]["compliance_score"] == pytest.approx(66.7)  # 100 x (1 - 1 / 3)
    lead = team.row("select * from rpt_discipline_by_scope where scope_id = 'lead'")
    assert (lead["open_deals_count"], lead["penalty"]) == (3, 1.0)
    assert lead["compliance_score"] == pytest.approx(66.7)        # not 100 x (1 - 1.5 / 3)


def test_key_accounts_of_a_configured_tier_need_follow_up_without_a_win(team, tmp_path):
    team.rules("""
rules:
  - id: vip_visits
    kind: key_account_follow_up
    severity: critical
    days: 30
    tiers: [Key Account]
    description: {en: "no visit for {value} days", zh_CN: "{value} 天未回访"}
""", tmp_path)
    team.account("vip29", tier="Key Account", created="2025-01-01")
    team.call("r1", before(29, "10:00:00"), about="vip29")
    team.account("vip30", tier="Key Account", created="2025-01-01")
    team.call("r1", before(30, "10:00:00"), about="vip30")
    team.account("vip_new", tier="Key Account", created=before(31))  # never called
    team.account("small", tier="Customer", created="2025-01-01")  # not a key account
    team.deal("won_recently", account="other", stage="Closed Won", close=before(100))
    team.build(as_of=AS_OF.isoformat())
    found = broken(team, "vip_visits")
    assert set(found) == {"vip30", "vip_new"}  # no won_within_days: a win does not count
    assert found["vip_new"]["measured_value"] == 31
    assert found["vip30"]["record_name"] == "Account vip30"


def test_key_accounts_of_a_value_tier_are_the_reports_key_customers(team, tmp_path):
    team.rules("""
rules:
  - id: a_visits
    kind: key_account_follow_up
    severity: critical
    days: 30
    value_tiers: [A]
    description: {en: "no visit for {value} days", zh_CN: "{value} 天未回访"}
""", tmp_path)
    # trailing 12 months: 800 + 150 + 50; A while the accounts above make < 80%
    team.deal("w1", account="big", stage="Closed Won", amount=800, close=before(200))
    team.deal("w2", account="mid", stage="Closed Won", amount=150, close=before(100))
    team.deal("w3", account="small", stage="Closed Won", amount=50, close=before(50))
    for account in ("big", "mid", "small"):
        team.call("r1", before(45, "10:00:00"), about=account)
    team.build(as_of=AS_OF.isoformat())
    tiers = dict(team.con.execute("select account_id, value_tier from dim_accounts").fetchall())
    assert tiers == {"big": "A", "mid": "B", "small": "C"}
    found = broken(team, "a_visits")
    assert set(found) == {"big"}
    assert (found["big"]["measured_value"], found["big"]["owner_id"]) == (45, "r1")


def test_a_value_tier_that_is_not_abc_stops_the_run(team, tmp_path):
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="value_tiers are some of A, B, C"):
        team.rules("""
rules:
  - id: a_visits
    kind: key_account_follow_up
    days: 30
    value_tiers: [Gold]
    description: {en: "x", zh_CN: "x"}
""", tmp_path)
