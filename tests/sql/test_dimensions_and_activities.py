"""dim_users, fct_activities, rpt_scope_loss_reasons and rpt_data_freshness."""

from __future__ import annotations

from datetime import date, datetime


def test_users_levels_managers_and_owners_outside_the_org(crm):
    crm.person("vp", "Vera", team=None).person("lead", "Li", manager="vp")
    crm.person("r1", "Ann", manager="lead")
    crm.deal("d1", owner="r1").deal("d2", owner="ghost", modified="2026-01-01 00:00:00")
    crm.deal("d3", owner="ghost", modified="2026-02-01 00:00:00")
    crm.con.execute("update raw_crm__deals set owner_name = 'Old Name' where deal_id = 'd2'")
    crm.build()
    rows = {r["user_id"]: r for r in crm.rows("select * from dim_users")}
    assert {u: (r["management_level"], r["is_manager"], r["is_in_org"])
            for u, r in rows.items()} == {
        "vp": (0, True, True), "lead": (1, True, True), "r1": (2, False, True),
        "ghost": (None, False, False)}
    assert rows["ghost"]["name"] == "GHOST"  # the CRM name on its newest deal
    assert rows["lead"]["manager_id"] == "vp"


def test_activities_are_dated_by_call_start_meeting_start_and_task_due_date(crm):
    crm.person("r1", team="East")
    crm.call("r1", "2026-03-01 23:30:00").meeting("r1", "2026-03-02 09:00:00")
    crm.task("r1", "2026-03-09", status="Not Started").task("r1", None)
    crm.build()
    rows = crm.rows("select activity_type, activity_date, team, status from fct_activities "
                    "order by activity_type, activity_date nulls last")
    assert rows == [
        {"activity_type": "call", "activity_date": date(2026, 3, 1), "team": "East",
         "status": None},
        {"activity_type": "meeting", "activity_date": date(2026, 3, 2), "team": "East",
         "status": None},
        {"activity_type": "task", "activity_date": date(2026, 3, 9), "team": "East",
         "status": "Not Started"},
        {"activity_type": "task", "activity_date": None, "team": "East",
         "status": "Completed"},
    ]


def test_loss_reasons_of_a_scope_in_both_windows(crm):
    crm.person("lead").person("r1", manager="lead").person("r9")
    # window of 1 month at 2026-03-31: current March, previous February
    crm.deal("a", owner="r1", stage="Closed Lost", amount=10, loss_reason="价格太高",
             created="2026-03-02 00:00:00")
    crm.deal("b", owner="r1", stage="Closed Lost", amount=20, loss_reason="价格太高",
             created="2026-03-03 00:00:00")
    crm.deal("c", owner="r1", stage="Closed Lost", amount=5, loss_reason="价格太高",
             created="2026-02-10 00:00:00")
    crm.deal("d", owner="r9", stage="Closed Lost", amount=99, loss_reason="价格太高",
             created="2026-03-04 00:00:00")
    crm.build(as_of="2026-03-31", window_months=1)
    row = crm.row("select * from rpt_scope_loss_reasons where scope_id = 'lead'")
    assert (row["stage"], row["loss_reason_zh"]) == ("Qualification", "价格太高")
    assert (row["lost_count"], row["lost_amount"]) == (2, 30)
    assert (row["previous_lost_count"], row["previous_lost_amount"]) == (1, 5)
    company = crm.row("select * from rpt_scope_loss_reasons where scope_id = 'company'")
    assert (company["lost_count"], company["lost_amount"]) == (3, 129)


def test_freshness_is_the_newest_record_of_each_entity(crm):
    crm.person("r1")
    crm.deal("d1", modified="2026-03-01 08:00:00").deal("d2", modified="2026-03-05 17:45:00")
    crm.call("r1", "2026-03-04 10:00:00").meeting("r1", "2026-03-06 10:00:00")
    crm.build()
    rows = {r["entity"]: r for r in crm.rows("select * from rpt_data_freshness")}
    assert rows["deals"]["records_count"] == 2
    assert rows["deals"]["newest_record_at"] == datetime(2026, 3, 5, 17, 45)
    assert rows["calls"]["newest_record_at"] == datetime(2026, 3, 4)
    assert rows["meetings"]["newest_record_at"] == datetime(2026, 3, 6)
