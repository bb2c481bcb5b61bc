"""Contracts of the staging tables (sql/staging/): one class per file, named after it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from pipeline.ingest.canonical import SATISFACTION_SCALES, TARGET_METRICS
from pipeline.warehouse.schemas._fields import (
    FORECAST_CATEGORIES,
    HOLDER_KINDS,
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
    channel: Series[str] = text("The CRM's own channel field, as exported.")
    partner_id: Series[str] = text("The partner account (agent, distributor) it goes "
                                   "through.")
    partner_name: Series[str] = text("The partner's name, as exported.")
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


PERIOD = r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$"


class StgOpsSatisfaction(pa.DataFrameModel):
    file_number: Series[np.int32] = key("The satisfaction file it came from.")
    record_number: Series[int] = key("Its record in that file.")
    account_id: Series[str] = text("The account it is about.")
    deal_id: Series[str] = text("The deal it is about.")
    scale: Series[str] = text("The scale of the score.", nullable=False,
                              isin=list(SATISFACTION_SCALES))
    comment: Series[str] = text("What the customer wrote.")
    score: Series[float] = pa.Field(ge=0, le=10, description="The score on its scale.")
    scale_low: Series[np.int32] = pa.Field(isin=[0, 1], description="The scale's lowest score.")
    scale_high: Series[np.int32] = pa.Field(isin=[5, 10], description="The scale's highest score.")
    response_date: Series[pd.Timestamp] = moment("The day of the answer.")

    class Config:
        name = "stg_ops__satisfaction"
        description = "One row per survey answer."
        unique = ["file_number", "record_number"]
        strict = True

    @pa.dataframe_check
    def scores_are_on_their_scale(cls, df: pd.DataFrame) -> Series[bool]:
        return df["score"].between(df["scale_low"], df["scale_high"])

    @pa.dataframe_check
    def about_an_account_or_a_deal(cls, df: pd.DataFrame) -> Series[bool]:
        return df["account_id"].notna() | df["deal_id"].notna()


class StgOpsCosts(pa.DataFrameModel):
    file_number: Series[np.int32] = key("The costs file it came from.")
    record_number: Series[int] = key("Its record in that file.")
    team: Series[str] = text("The team it was spent for; null for a channel's or all.")
    channel: Series[str] = text("The channel it was spent for, as costs.csv names it.")
    category: Series[str] = text("What it was spent on.", nullable=False)
    period: Series[str] = text("The period as given.", nullable=False, str_matches=PERIOD)
    amount: Series[float] = money("The amount, in the reporting currency.")
    period_months: Series[np.int32] = pa.Field(isin=[1, 3], description="Months in the period.")
    period_start: Series[pd.Timestamp] = moment("First day of the period.")

    class Config:
        name = "stg_ops__costs"
        description = "One row per cost line."
        unique = ["file_number", "record_number"]
        strict = True


class StgOpsMarket(pa.DataFrameModel):
    file_number: Series[np.int32] = key("The market file it came from.")
    record_number: Series[int] = key("Its record in that file.")
    region: Series[str] = key("The region, as org.csv names regions.")
    period: Series[str] = text("The period as given.", nullable=False, str_matches=PERIOD)
    market_size: Series[float] = money("The market's size in the period.")
    period_start: Series[pd.Timestamp] = moment("First day of the period.")
    period_end: Series[pd.Timestamp] = moment("Last day of the period.")

    class Config:
        name = "stg_ops__market"
        description = "One row per region per period."
        unique = ["region", "period"]
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
    user_id: Series[str] = text("The rep whose target it is; null for a team's.")
    file_number: Series[np.int32] = key("The targets file it came from.")
    record_number: Series[int] = key("Its record in that file.")
    team: Series[str] = text("The team whose target it is; null for a rep's.")
    holder_id: Series[str] = key("The rep's user_id or the team's name.")
    holder_kind: Series[str] = text("rep or team.", nullable=False, isin=HOLDER_KINDS)
    metric: Series[str] = text("The metric the target is for.", nullable=False,
                               isin=list(TARGET_METRICS))
    period: Series[str] = text("The period as given: 2026-03 or 2026-Q1.", nullable=False,
                               str_matches=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$")
    period_kind: Series[str] = text("month or quarter.", nullable=False,
                                    isin=["month", "quarter"])
    target: Series[float] = money("The target for the whole period.")
    period_months: Series[np.int32] = pa.Field(isin=[1, 3], description="Months in the period.")
    period_start: Series[pd.Timestamp] = moment("First day of the period.")

    class Config:
        name = "stg_ops__targets"
        description = "One row per target as targets.csv gives it."
        unique = ["holder_kind", "holder_id", "period", "metric"]
        strict = True

    @pa.dataframe_check
    def periods_start_on_the_first(cls, df: pd.DataFrame) -> Series[bool]:
        return df["period_start"].dt.day == 1


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
    name_en: Series[str] = key("The rule's name, in English (the file's, else its kind's).")
    name_zh: Series[str] = key("The rule's name, in Chinese (the file's, else its kind's).")
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
    value_tiers: Series[object] = pa.Field(
        nullable=True, description="key_account_follow_up: key ABC value tiers.")
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


class StgConfigChannels(pa.DataFrameModel):
    channel: Series[str] = pa.Field(unique=True, description="The channel's id.")
    label_en: Series[str] = key("Its name in English.")
    label_zh: Series[str] = key("Its name in Chinese.")
    channel_order: Series[pd.Int32Dtype] = order("Its place in the file: the reports' order.",
                                                 nullable=False)
    is_default: Series[bool] = pa.Field(coerce=True, description="The channel of a deal no "
                                                                 "rule matches.")

    class Config:
        name = "stg_config__channels"
        description = "One row per sales channel of the channels file."
        strict = True

    @pa.dataframe_check
    def one_default(cls, df: pd.DataFrame) -> bool:
        return int(df["is_default"].sum()) == 1


class StgConfigLossReasons(pa.DataFrameModel):
    loss_reason_id: Series[str] = key("The reason the label means.")
    label: Series[str] = key("A CRM loss label, as the file writes it.")
    label_key: Series[str] = pa.Field(unique=True, nullable=False,
                                      description="The label in lower case, trimmed: what "
                                                  "a deal's label is matched on.")
    loss_reason_en: Series[str] = key("The reason's name in English.")
    loss_reason_zh: Series[str] = key("The reason's name in Chinese.")
    reason_order: Series[pd.Int32Dtype] = order("The reason's place in the file.",
                                                nullable=False)

    class Config:
        name = "stg_config__loss_reasons"
        description = "One row per CRM loss label of the loss-reason file."
        strict = True


class StgConfigChannelRules(pa.DataFrameModel):
    match_field: Series[str] = text("What the rule looks at.", nullable=False,
                                    isin=["channel", "partner_type", "lead_source",
                                          "deal_type"])
    match_value: Series[str] = key("A value it matches, lower case and trimmed.")
    channel: Series[str] = key("The channel it gives a deal.")
    rule_order: Series[pd.Int32Dtype] = order("Its place in the file: the first match wins.",
                                              nullable=False)

    class Config:
        name = "stg_config__channel_rules"
        description = "One row per channel rule and value it matches."
        unique = ["rule_order", "match_value"]
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


INCENTIVE_ROUNDING = ["half_up", "half_even"]


class StgConfigIncentivePlans(pa.DataFrameModel):
    plan_id: Series[str] = pa.Field(unique=True, description="The plan's id in the plan file.")
    teams: Series[object] = pa.Field(nullable=True, description="Teams it applies to; null: "
                                                                "any team.")
    roles: Series[object] = pa.Field(nullable=True, description="Roles (rep, manager) it "
                                                                "applies to; null: any.")
    rounding_mode: Series[str] = text("half_up or half_even.", nullable=False,
                                      isin=INCENTIVE_ROUNDING)
    plan_order: Series[pd.Int32Dtype] = order("Its place in the file; the first plan that "
                                              "matches a rep applies.", nullable=False)
    base_fraction: Series[float] = pa.Field(ge=0, le=1, description="Base commission rate, a "
                                                                    "fraction of won amount.")
    commission_cap_amount: Series[float] = money("Most commission a month; null: no cap.",
                                                 nullable=True)
    bonus_attainment: Series[float] = pa.Field(gt=0, nullable=True, description="Quarterly "
                                               "attainment that earns the bonus.")
    bonus_amount: Series[float] = money("The quarterly bonus.", nullable=True)
    deduction_cap_amount: Series[float] = money("Most deducted a month; null: no cap.",
                                                nullable=True)
    rounding_places: Series[pd.Int32Dtype] = pa.Field(isin=[0, 1, 2], coerce=True,
                                                      description="Decimal places of a payout.")

    class Config:
        name = "stg_config__incentive_plans"
        description = "One row per commission plan of the plan file."
        strict = True


class StgConfigIncentiveTiers(pa.DataFrameModel):
    plan_id: Series[str] = key("The plan.")
    tier_number: Series[pd.Int32Dtype] = order("Its place in the plan's tiers.",
                                               nullable=False)
    from_attainment: Series[float] = pa.Field(ge=0, description="Attainment it starts at.")
    to_attainment: Series[float] = pa.Field(gt=0, nullable=True, description="Attainment it "
                                            "ends at; null: no upper end.")
    multiplier: Series[float] = pa.Field(ge=0, description="Times the base rate, on the part "
                                                           "of the won amount in the tier.")

    class Config:
        name = "stg_config__incentive_tiers"
        description = "One row per attainment tier of a commission plan."
        unique = ["plan_id", "tier_number"]
        strict = True


class StgConfigIncentiveDeductions(pa.DataFrameModel):
    plan_id: Series[str] = key("The plan.")
    rule_id: Series[str] = key("A discipline rule of the rules file.")
    deduction_amount: Series[float] = money("Deducted per violation of the rule.")

    class Config:
        name = "stg_config__incentive_deductions"
        description = "One row per plan per discipline rule it deducts for."
        unique = ["plan_id", "rule_id"]
        strict = True
