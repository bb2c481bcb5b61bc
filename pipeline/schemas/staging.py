"""Contracts of the staging tables (sql/staging/): one class per file, named after it."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from pipeline.schemas._fields import (
    FORECAST_CATEGORIES,
    STATUSES,
    in_sql,
    key,
    moment,
    money,
    order,
    text,
)


class SourceGrain(pa.DataFrameModel):
    source: Series[str] = key("The source mapping the record was loaded with.")


class StgConfigStages(SourceGrain):
    label: Series[str] = key("A stage label as the CRM exports it.")
    stage: Series[str] = key("The canonical stage the label means.")
    status: Series[str] = text("open, won or lost.", nullable=False, isin=STATUSES)
    stage_order: Series[pd.Int32Dtype] = order("Position in the pipeline; null for lost.")
    default_probability: Series[float] = pa.Field(
        ge=0, le=1, nullable=True, description="Probability of a deal in it that has none.")
    default_forecast_category: Series[str] = text(
        "Forecast category of a deal in it that has none.", isin=FORECAST_CATEGORIES)

    class Config:
        name = "stg_config__stages"
        description = "One row per source per stage label."
        unique = ["source", "label"]
        strict = True

    @pa.dataframe_check
    def only_lost_stages_lack_an_order(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["status"] == "lost") == df["stage_order"].isna()


class StgCrmDeals(SourceGrain):
    deal_id: Series[str] = key("CRM deal id, source prefix removed.")
    owner_id: Series[str] = text("CRM user id of the deal owner; null when the CRM gives "
                                 "the owner only by name.")
    account_id: Series[str] = text("CRM account id.")
    deal_name: Series[str] = text("Deal name as in the CRM.")
    owner_name: Series[str] = text("Owner name as in the CRM.")
    account_name: Series[str] = text("Account name as in the CRM.")
    deal_type: Series[str] = text("Deal type, e.g. New Business.")
    next_step: Series[str] = text("Next step as typed by the rep.")
    lead_source: Series[str] = text("Lead source.")
    loss_reason: Series[str] = text("Reason for loss, for lost deals.")
    forecast_category: Series[str] = text("Forecast category: the CRM's, else the stage's.",
                                          isin=FORECAST_CATEGORIES)
    currency: Series[str] = text("ISO currency of the amount; null: the reporting currency.")
    stage: Series[str] = key("Canonical stage.")
    status: Series[str] = text("open, won or lost.", nullable=False, isin=STATUSES)
    amount: Series[float] = money("Deal amount.", nullable=True)
    probability: Series[float] = pa.Field(ge=0, le=1, nullable=True,
                                          description="Probability as a fraction.")
    stage_order: Series[pd.Int32Dtype] = order("Position of the stage; null for lost.")
    close_date: Series[pd.Timestamp] = moment("Closing Date; only an open deal may lack one.",
                                              nullable=True)
    created_date: Series[pd.Timestamp] = moment("Date the deal was created.", nullable=True)
    created_at: Series[pd.Timestamp] = moment("Created Time.", nullable=True)
    modified_at: Series[pd.Timestamp] = moment("Modified Time of the newest record.",
                                               nullable=True)

    class Config:
        name = "stg_crm__deals"
        description = "One row per deal, its newest exported record."
        unique = ["source", "deal_id"]
        strict = True

    @pa.dataframe_check
    @in_sql("status = 'open' or close_date is not null")
    def closed_deals_have_a_close_date(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["status"] == "open") | df["close_date"].notna()


class StgCrmDealStageHistory(SourceGrain):
    history_id: Series[str] = key("CRM id of the stage-history row.")
    deal_id: Series[str] = key("The deal that moved.")
    moved_by_id: Series[str] = text("User who made the move.")
    from_stage: Series[str] = text("Canonical stage the deal left, where the CRM says.")
    to_stage: Series[str] = key("Canonical stage the deal entered.")
    forecast_category: Series[str] = text("Forecast category at the time.",
                                          isin=FORECAST_CATEGORIES)
    amount: Series[float] = money("Amount at the time.", nullable=True)
    probability: Series[float] = pa.Field(ge=0, le=1, nullable=True,
                                          description="Probability at the time.")
    stage_duration_days: Series[pd.Int64Dtype] = pa.Field(
        ge=0, nullable=True, coerce=True, description="Days in from_stage, as the CRM says.")
    close_date: Series[pd.Timestamp] = moment("Closing Date at the time.", nullable=True)
    moved_at: Series[pd.Timestamp] = moment("When the move happened.")

    class Config:
        name = "stg_crm__deal_stage_history"
        description = "One row per stage move."
        unique = ["source", "history_id"]
        strict = True


class StgCrmAccounts(SourceGrain):
    account_id: Series[str] = key("CRM account id.")
    owner_id: Series[str] = text("Account owner's CRM id.")
    account_name: Series[str] = text("Account name.")
    owner_name: Series[str] = text("Owner name as in the CRM.")
    account_type: Series[str] = text("Account type.")
    industry: Series[str] = text("Industry.")
    created_date: Series[pd.Timestamp] = moment("When the account was created.", nullable=True)

    class Config:
        name = "stg_crm__accounts"
        description = "One row per account."
        unique = ["source", "account_id"]
        strict = True


class ActivityColumns(SourceGrain):
    owner_id: Series[str] = text("Owner's CRM id; null when the CRM gives only a name.")
    related_id: Series[str] = text("Deal or account it relates to.")
    owner_name: Series[str] = text("Owner name as in the CRM.")
    related_name: Series[str] = text("Name of what it relates to.")


class StgCrmCalls(ActivityColumns):
    call_id: Series[str] = key("CRM call id.")
    subject: Series[str] = text("Subject.")
    call_type: Series[str] = text("Inbound or outbound.")
    duration_seconds: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True, coerce=True,
                                                       description="Call duration.")
    started_at: Series[pd.Timestamp] = moment("Call Start Time.")

    class Config:
        name = "stg_crm__calls"
        description = "One row per call."
        unique = ["source", "call_id"]
        strict = True


class StgCrmTasks(ActivityColumns):
    task_id: Series[str] = key("CRM task id.")
    subject: Series[str] = text("Subject.")
    status: Series[str] = text("Task status.")
    priority: Series[str] = text("Task priority.")
    due_date: Series[pd.Timestamp] = moment("Due Date.", nullable=True)

    class Config:
        name = "stg_crm__tasks"
        description = "One row per task."
        unique = ["source", "task_id"]
        strict = True


class StgCrmMeetings(ActivityColumns):
    meeting_id: Series[str] = key("CRM meeting id.")
    title: Series[str] = text("Title.")
    started_at: Series[pd.Timestamp] = moment("From: when the meeting starts.")
    ended_at: Series[pd.Timestamp] = moment("To: when it ends.", nullable=True)

    class Config:
        name = "stg_crm__meetings"
        description = "One row per meeting."
        unique = ["source", "meeting_id"]
        strict = True


class StgCrmUsers(SourceGrain):
    user_id: Series[str] = key("CRM user id.")
    name: Series[str] = text("User's name.")
    email: Series[str] = text("User's email.")
    is_active: Series[pd.BooleanDtype] = pa.Field(nullable=True, coerce=True,
                                                  description="Active in the CRM.")

    class Config:
        name = "stg_crm__users"
        description = "One row per CRM user."
        unique = ["source", "user_id"]
        strict = True


class StgCrmActivities(ActivityColumns):
    activity_id: Series[str] = key("CRM id of the follow-up record.")
    activity_type: Series[str] = text("call, meeting or task.", nullable=False,
                                      isin=["call", "meeting", "task"])
    subject: Series[str] = text("Subject or content.")
    started_at: Series[pd.Timestamp] = moment("When the contact happened.")

    class Config:
        name = "stg_crm__activities"
        description = "One row per follow-up record."
        unique = ["source", "activity_id"]
        strict = True


class StgOpsOrg(pa.DataFrameModel):
    user_id: Series[str] = pa.Field(unique=True, description="CRM user id, prefix removed.")
    manager_id: Series[str] = text("user_id of the manager; null at the top.")
    name: Series[str] = key("Display name.")
    email: Series[str] = text("Email address.")
    team: Series[str] = text("Team name.")
    region: Series[str] = text("Region name.")

    class Config:
        name = "stg_ops__org"
        description = "One row per person in the org chart."
        strict = True

    @pa.dataframe_check
    def nobody_manages_themselves(cls, df: pd.DataFrame) -> Series[bool]:
        return df["manager_id"].isna() | (df["manager_id"] != df["user_id"])


class StgOpsFxRates(pa.DataFrameModel):
    currency: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$",
                                     description="ISO currency code, upper case.")
    rate: Series[float] = pa.Field(gt=0, description="One unit in the reporting currency.")
    rate_date: Series[pd.Timestamp] = moment("The day the rate holds from.")

    class Config:
        name = "stg_ops__fx_rates"
        description = "One row per currency per date."
        unique = ["currency", "rate_date"]
        strict = True


class HistoryGrain(pa.DataFrameModel):
    as_of_date: Series[pd.Timestamp] = moment("The date of the run that recorded it.")


class StgHistoryDealStates(HistoryGrain):
    source: Series[str] = key("Source mapping.")
    deal_id: Series[str] = key("CRM deal id.")
    owner_id: Series[str] = text("Owner, resolved.")
    team: Series[str] = text("Owner's team then.")
    stage: Series[str] = key("Canonical stage.")
    status: Series[str] = text("open, won or lost.", nullable=False, isin=STATUSES)
    forecast_category: Series[str] = text("Forecast category.", isin=FORECAST_CATEGORIES)
    currency: Series[str] = text("ISO currency of the amount.")
    amount: Series[float] = money("Amount in the deal's currency.", nullable=True)
    probability: Series[float] = pa.Field(ge=0, le=1, nullable=True,
                                          description="Probability as a fraction.")
    close_date: Series[pd.Timestamp] = moment("Closing Date then.", nullable=True)
    created_date: Series[pd.Timestamp] = moment("Date created.", nullable=True)

    class Config:
        name = "stg_history__deal_states"
        description = "One row per deal per earlier run that recorded it."
        unique = ["as_of_date", "source", "deal_id"]
        strict = True


class StgHistoryOrg(HistoryGrain):
    user_id: Series[str] = key("CRM user id.")
    manager_id: Series[str] = text("Manager then.")
    name: Series[str] = text("Name then.")
    team: Series[str] = text("Team then.")
    region: Series[str] = text("Region then.")

    class Config:
        name = "stg_history__org"
        description = "One row per person per earlier run that recorded the org chart."
        unique = ["as_of_date", "user_id"]
        strict = True


class StgOpsTargets(pa.DataFrameModel):
    user_id: Series[str] = key("Whose target it is.")
    metric: Series[str] = text("The metric the target is for.", nullable=False,
                               isin=["won_amount"])
    target: Series[float] = money("Target value for the month.")
    period_month: Series[pd.Timestamp] = moment("First day of the target's month.")

    class Config:
        name = "stg_ops__targets"
        description = "One row per person per month per metric."
        unique = ["user_id", "period_month", "metric"]
        strict = True

    @pa.dataframe_check
    def periods_are_first_of_month(cls, df: pd.DataFrame) -> Series[bool]:
        return df["period_month"].dt.day == 1


RULE_KINDS = ["stale_deal", "overdue_close_date", "missing_fields", "repeated_push",
              "stage_skipping", "stuck_in_stage", "overdue_task", "key_account_follow_up",
              "activity_volume"]
SEVERITIES = ["info", "warning", "critical"]
RECORD_TYPES = ["deal", "task", "account", "rep"]


class StgConfigRules(pa.DataFrameModel):
    rule_id: Series[str] = pa.Field(unique=True, description="The rule's id.")
    kind: Series[str] = text("Which check.", nullable=False, isin=RULE_KINDS)
    record_type: Series[str] = text("What it checks.", nullable=False, isin=RECORD_TYPES)
    severity: Series[str] = text("info, warning or critical.", nullable=False,
                                 isin=SEVERITIES)
    description_en: Series[str] = key("What a violation means, in English.")
    description_zh: Series[str] = key("What a violation means, in Chinese.")
    stage: Series[str] = text("missing_fields: the stage from which it applies.")
    stages: Series[object] = pa.Field(nullable=True, description="stage_skipping: required.")
    fields: Series[object] = pa.Field(nullable=True, description="missing_fields: checked.")
    completed_statuses: Series[object] = pa.Field(nullable=True,
                                                  description="overdue_task: done statuses.")
    teams: Series[object] = pa.Field(nullable=True, description="Scope: teams (empty: all).")
    regions: Series[object] = pa.Field(nullable=True, description="Scope: regions.")
    tiers: Series[object] = pa.Field(nullable=True,
                                     description="key_account_follow_up: key account types.")
    deal_types: Series[object] = pa.Field(nullable=True, description="Scope: deal types.")
    severity_weight: Series[float] = pa.Field(ge=0, le=1, description="Weight in the score.")
    days: Series[pd.Int32Dtype] = pa.Field(ge=0, nullable=True, coerce=True,
                                           description="A number of days.")
    count: Series[pd.Int32Dtype] = pa.Field(ge=1, nullable=True, coerce=True,
                                            description="repeated_push: pushes.")
    percentile: Series[float] = pa.Field(gt=0, le=1, nullable=True,
                                         description="stuck_in_stage: the team's percentile.")
    max_days: Series[pd.Int32Dtype] = pa.Field(ge=0, nullable=True, coerce=True,
                                               description="stuck_in_stage: a limit.")
    per_week: Series[float] = pa.Field(ge=0, nullable=True,
                                       description="activity_volume: minimum a week.")
    weeks: Series[pd.Int32Dtype] = pa.Field(ge=1, nullable=True, coerce=True,
                                            description="activity_volume: weeks looked at.")
    won_within_days: Series[pd.Int32Dtype] = pa.Field(
        ge=1, nullable=True, coerce=True, description="key_account_follow_up: key account.")
    enabled: Series[bool] = pa.Field(coerce=True, description="Checked at all.")

    class Config:
        name = "stg_config__rules"
        description = "One row per discipline rule of the rules file."
        strict = True


class ViolationColumns(pa.DataFrameModel):
    rule_id: Series[str] = key("The rule broken.")
    record_type: Series[str] = text("deal, task, account or rep.", nullable=False,
                                    isin=RECORD_TYPES)
    record_id: Series[str] = key("The record's id.")
    record_name: Series[str] = text("The record's name.")
    owner_id: Series[str] = text("Who owns the record.")
    team: Series[str] = text("Owner's team.")
    severity: Series[str] = text("Severity.", nullable=False, isin=SEVERITIES)
    measured_value: Series[float] = pa.Field(nullable=True, description="What was measured.")
    threshold_value: Series[float] = pa.Field(nullable=True, description="The rule's limit.")
    detail: Series[str] = text("Which fields or stages, where the rule names some.")


class StgHistoryViolations(ViolationColumns):
    as_of_date: Series[pd.Timestamp] = moment("The earlier run that recorded it.")
    first_seen_date: Series[pd.Timestamp] = moment("When it was first seen.")

    class Config:
        name = "stg_history__violations"
        description = "One row per open violation per earlier run that recorded it."
        unique = ["as_of_date", "rule_id", "record_type", "record_id"]
        strict = True


class StgHistoryDiscipline(pa.DataFrameModel):
    as_of_date: Series[pd.Timestamp] = moment("The earlier run.")
    owner_id: Series[str] = key("Rep.")
    open_deals_count: Series[int] = pa.Field(ge=0, description="Open deals then.")
    info_count: Series[int] = pa.Field(ge=0, description="Open info violations then.")
    warning_count: Series[int] = pa.Field(ge=0, description="Open warnings then.")
    critical_count: Series[int] = pa.Field(ge=0, description="Open critical ones then.")
    penalty: Series[float] = pa.Field(ge=0, description="Penalty then.")

    class Config:
        name = "stg_history__discipline"
        description = "One row per rep per earlier run."
        unique = ["as_of_date", "owner_id"]
        strict = True
