"""Contracts of the intermediate tables (sql/intermediate/): one class per file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from pipeline.ingest.canonical import SATISFACTION_SCALES, TARGET_METRICS
from pipeline.warehouse.schemas._fields import (
    ACTIVITY_TYPES,
    FORECAST_CATEGORIES,
    HOLDER_KINDS,
    STATUSES,
    LossReasonColumns,
    count,
    days,
    flag,
    in_sql,
    key,
    moment,
    money,
    order,
    scope,
    text,
)


class DealGrain(pa.DataFrameModel):
    source: Series[str] = key("The source mapping the deal was loaded with.")
    deal_id: Series[str] = key("CRM deal id.")


class IntPipelineStages(pa.DataFrameModel):
    source: Series[str] = key("Source mapping.")
    stage: Series[str] = key("Canonical stage.")
    stage_order: Series[pd.Int32Dtype] = order("Position in the pipeline; null for lost.")
    status: Series[str] = text("open, won or lost.", nullable=False, isin=STATUSES)
    default_probability: Series[float] = pa.Field(ge=0, le=1, nullable=True,
                                                  description="Default probability.")
    default_forecast_category: Series[str] = text("Default forecast category.",
                                                  isin=FORECAST_CATEGORIES)
    next_stage_order: Series[pd.Int32Dtype] = order("The next open stage's order; null "
                                                    "after the last and for closed stages.")
    is_first_stage: Series[pd.BooleanDtype] = pa.Field(
        nullable=True, coerce=True, description="The first open stage; null for lost.")

    class Config:
        name = "int_pipeline_stages"
        description = "One row per source per canonical stage."
        unique = ["source", "stage"]
        strict = True

    @pa.dataframe_check
    def one_first_stage_per_source(cls, df: pd.DataFrame) -> bool:
        return bool((df[df["is_first_stage"].fillna(False)].groupby("source").size() == 1)
                    .all())


class IntDealStageVisits(DealGrain):
    stage: Series[str] = key("Canonical stage.")
    visit_number: Series[int] = pa.Field(ge=1, description="1 for the deal's first stay.")
    entered_at: Series[pd.Timestamp] = moment("When the stay began; null when the CRM gives "
                                              "no creation time.", nullable=True)
    left_at: Series[pd.Timestamp] = moment("When it ended; null for the current stay.",
                                           nullable=True)
    is_regression: Series[bool] = flag("Entered from a stage further along the pipeline.")

    class Config:
        name = "int_deal_stage_visits"
        description = "One row per deal per stay in a stage."
        unique = ["source", "deal_id", "visit_number"]
        strict = True

    @pa.dataframe_check
    @in_sql("select source, deal_id from {table} "
            "group by all having count(*) filter (where left_at is null) <> 1")
    def one_current_stay_per_deal(cls, df: pd.DataFrame) -> bool:
        current = df[df["left_at"].isna()].groupby(["source", "deal_id"]).size()
        return bool((current == 1).all()) and len(current) == df[["source", "deal_id"]] \
            .drop_duplicates().shape[0]


class IntOwnerAliases(pa.DataFrameModel):
    alias_kind: Series[str] = text("id, name or email.", nullable=False,
                                   isin=["id", "name", "email"])
    alias: Series[str] = key("The id, or the lower-cased name or email.")
    user_id: Series[str] = key("The org chart's user it means.")

    class Config:
        name = "int_owner_aliases"
        description = "One row per way a CRM record may name a person of the org chart."
        unique = ["alias_kind", "alias"]
        strict = True


class IntOwnerKeys(pa.DataFrameModel):
    owner_id: Series[str] = text("Owner id as the CRM gives it.")
    owner_name: Series[str] = text("Owner name as the CRM gives it.")
    resolved_owner_id: Series[str] = key("The person it means (see README, Owners).")

    class Config:
        name = "int_owner_keys"
        description = "One row per owner as CRM records give it."
        unique = ["owner_id", "owner_name"]
        strict = True


class IntDealsResolved(DealGrain, LossReasonColumns):
    owner_id: Series[str] = key("Owner, resolved.")
    account_id: Series[str] = text("CRM account id.")
    deal_name: Series[str] = text("Deal name.")
    owner_name: Series[str] = text("Owner name as the CRM gives it.")
    account_name: Series[str] = text("Account name.")
    deal_type: Series[str] = text("Deal type.")
    next_step: Series[str] = text("Next step.")
    lead_source: Series[str] = text("Lead source.")
    loss_reason: Series[str] = text("Reason for loss, the CRM's label.")
    forecast_category: Series[str] = text("Forecast category.", isin=FORECAST_CATEGORIES)
    stage: Series[str] = key("Canonical stage.")
    status: Series[str] = text("open, won or lost.", nullable=False, isin=STATUSES)
    amount: Series[float] = money("Amount in the reporting currency.", nullable=True)
    deal_amount: Series[float] = money("Amount in the deal's own currency.", nullable=True)
    deal_currency: Series[str] = key("The deal's currency.")
    fx_rate: Series[float] = pa.Field(gt=0, nullable=True,
                                      description="Reporting currency per unit of it.")
    conversion_date: Series[pd.Timestamp] = moment("The day it is converted at.")
    probability: Series[float] = pa.Field(ge=0, le=1, nullable=True,
                                          description="Probability as a fraction.")
    stage_order: Series[pd.Int32Dtype] = order("Position of the stage; null for lost.")
    close_date: Series[pd.Timestamp] = moment("Closing Date.", nullable=True)
    created_date: Series[pd.Timestamp] = moment("Date created.", nullable=True)
    created_at: Series[pd.Timestamp] = moment("Created Time.", nullable=True)
    modified_at: Series[pd.Timestamp] = moment("Modified Time.", nullable=True)

    class Config:
        name = "int_deals_resolved"
        description = "One row per deal, with its owner resolved."
        unique = ["source", "deal_id"]
        strict = True


class IntDealFurthestStages(DealGrain):
    furthest_stage: Series[str] = key("Furthest open or won stage reached.")
    furthest_stage_order: Series[pd.Int32Dtype] = order("Its order.", nullable=False)

    class Config:
        name = "int_deal_furthest_stages"
        description = "One row per deal."
        unique = ["source", "deal_id"]
        strict = True


class IntLossReasons(pa.DataFrameModel):
    label_key: Series[str] = pa.Field(unique=True, nullable=False,
                                      description="A loss label of the deals, in lower case "
                                                  "and trimmed.")
    label: Series[str] = key("One way the deals write it.")
    loss_reason_id: Series[str] = key("The reason it means: the loss-reason file's id, else "
                                      "'label:' and the label in lower case.")
    loss_reason_en: Series[str] = key("The reason's name in English; the label itself when "
                                      "the file does not know it.")
    loss_reason_zh: Series[str] = key("The reason's name in Chinese; the label itself when "
                                      "the file does not know it.")
    is_mapped: Series[bool] = flag("The loss-reason file knows the label.")
    deals_count: Series[int] = pa.Field(ge=1, description="Deals that give it.")

    class Config:
        name = "int_loss_reasons"
        description = "One row per loss label the deals give, case and spaces aside."
        strict = True


class IntActivitiesUnioned(pa.DataFrameModel):
    source: Series[str] = key("Source mapping.")
    activity_type: Series[str] = text("call, meeting or task.", nullable=False,
                                      isin=ACTIVITY_TYPES)
    activity_id: Series[str] = key("CRM id of the call, meeting, task or follow-up.")
    owner_id: Series[str] = key("Owner, resolved.")
    related_id: Series[str] = text("Deal or account it relates to.")
    subject: Series[str] = text("Subject or title.")
    activity_date: Series[pd.Timestamp] = moment("Call or meeting start, task due date.",
                                                 nullable=True)
    status: Series[str] = text("Task status; null for calls and meetings.")

    class Config:
        name = "int_activities_unioned"
        description = "One row per call, meeting or task."
        unique = ["source", "activity_type", "activity_id"]
        strict = True


class IntClosedDeals(pa.DataFrameModel):
    source: Series[str] = key("Source mapping.")
    deal_id: Series[str] = key("Deal id.")
    owner_id: Series[str] = key("The owner when it closed.")
    account_id: Series[str] = text("The customer account's id.")
    account_name: Series[str] = text("The customer account's name.")
    status: Series[str] = text("won or lost.", nullable=False, isin=["won", "lost"])
    close_date: Series[pd.Timestamp] = moment("Closing Date, on or before the as-of date.")
    amount: Series[float] = money("Amount in the reporting currency; 0 when none.")
    cycle_days: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True, coerce=True,
                                                 description="Days from creation to close.")

    class Config:
        name = "int_closed_deals"
        description = "One row per deal won or lost on or before the as-of date."
        unique = ["source", "deal_id"]
        strict = True


class IntPerformanceFacts(pa.DataFrameModel):
    fact_kind: Series[str] = text("closed_deal, activity (an owner's of a day), first_win (a "
                                  "new customer), answer "
                                  "(a survey answer) or target (a month's won_amount "
                                  "target).", nullable=False,
                                  isin=["closed_deal", "activity", "first_win", "answer",
                                        "target"])
    owner_id: Series[str] = text("Whose fact: the owner at close, the activity's owner, the "
                                 "target's rep.")
    fact_date: Series[pd.Timestamp] = moment("Its day; a target's is its month's first.")
    won_count: Series[int] = pa.Field(isin=[0, 1], description="1 for a won deal.")
    won_amount: Series[float] = money("A won deal's amount, else 0.")
    lost_count: Series[int] = pa.Field(isin=[0, 1], description="1 for a lost deal.")
    lost_amount: Series[float] = money("A lost deal's amount, else 0.")
    won_cycle_days: Series[float] = days("A won deal's sales cycle, days.")
    activities_count: Series[int] = count("The owner's activities of the day, on an "
                                          "activity row; else 0.")
    new_customers_count: Series[int] = pa.Field(isin=[0, 1], description="1 for a first win.")
    score: Series[float] = pa.Field(nullable=True, description="An answer's score.")
    scale: Series[str] = text("An answer's scale.")
    is_promoter: Series[pd.BooleanDtype] = pa.Field(nullable=True, coerce=True,
                                                    description="An answer's promoter flag.")
    is_detractor: Series[pd.BooleanDtype] = pa.Field(nullable=True, coerce=True,
                                                     description="An answer's detractor flag.")
    target_won_amount: Series[float] = money("A target's amount; null on other facts.",
                                             nullable=True)

    class Config:
        name = "int_performance_facts"
        description = ("One row per closed deal, owner's day of activities, new customer, "
                       "survey answer or monthly target, on its day.")
        strict = True
        coerce = True


class IntOwnerMonths(pa.DataFrameModel):
    owner_id: Series[str] = key("Owner.")
    month: Series[pd.Timestamp] = moment("First day of the month.")
    won_count: Series[int] = count("Deals won, by Closing Date.")
    won_amount: Series[float] = money("Amount won.")
    lost_count: Series[int] = count("Deals lost, by Closing Date.")
    lost_amount: Series[float] = money("Amount lost.")
    target_won_amount: Series[float] = money("Won-amount target; null when none.",
                                              nullable=True)
    activities_count: Series[int] = count("Calls, meetings and tasks in the month.")

    class Config:
        name = "int_owner_months"
        description = "One row per owner per month with a closed deal, activity or target."
        unique = ["owner_id", "month"]
        strict = True


class IntReportScopes(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    scope_kind: Series[str] = text("manager or company.", nullable=False,
                                   isin=["manager", "company"])
    member_id: Series[str] = key("A person whose records the scope covers.")

    class Config:
        name = "int_report_scopes"
        description = "One row per report scope per member."
        unique = ["scope_id", "member_id"]
        strict = True


class IntReportPeriods(pa.DataFrameModel):
    period_kind: Series[str] = text("Which period.", nullable=False, isin=[
        "month_to_date", "quarter_to_date", "previous_year_quarter_to_date", "forecast_quarter",
        "month", "funnel_current", "funnel_previous", "waterfall_day", "waterfall_week",
        "waterfall_month", "waterfall_quarter"])
    period_start: Series[pd.Timestamp] = moment("First day.")
    period_end: Series[pd.Timestamp] = moment("Last day, at most the as-of date.")

    class Config:
        name = "int_report_periods"
        description = "One row per period the reports show."
        unique = ["period_kind", "period_start"]
        strict = True

    @pa.dataframe_check
    def periods_do_not_run_backwards(cls, df: pd.DataFrame) -> Series[bool]:
        return df["period_start"] <= df["period_end"]


class IntDealFunnelStages(DealGrain):
    stage: Series[str] = key("An open stage of the deal's pipeline.")
    stage_order: Series[pd.Int32Dtype] = order("Its order.", nullable=False)
    is_reached: Series[bool] = flag("The deal got to this stage or a later one.")
    is_reached_next: Series[bool] = flag("It got past this stage.")
    is_lost_here: Series[bool] = flag("It was lost with this as its furthest stage.")
    days_in_stage: Series[float] = days("Days in completed stays in this stage.")

    class Config:
        name = "int_deal_funnel_stages"
        description = "One row per deal per open stage of its pipeline."
        unique = ["source", "deal_id", "stage"]
        strict = True

    @pa.dataframe_check
    @in_sql("is_reached or not (is_reached_next or is_lost_here)")
    def passing_or_losing_needs_reaching(cls, df: pd.DataFrame) -> Series[bool]:
        return df["is_reached"] | ~(df["is_reached_next"] | df["is_lost_here"])


class VersionColumns(DealGrain):
    stage: Series[str] = key("Canonical stage.")
    stage_order: Series[pd.Int32Dtype] = order("Its order; null for lost.")
    status: Series[str] = text("open, won or lost.", nullable=False, isin=STATUSES)
    probability: Series[float] = pa.Field(ge=0, le=1, nullable=True,
                                          description="Probability as a fraction.")
    forecast_category: Series[str] = text("Forecast category.", isin=FORECAST_CATEGORIES)
    close_date: Series[pd.Timestamp] = moment("Closing Date then.", nullable=True)
    owner_id: Series[str] = text("Owner then (the nearest known).")
    team: Series[str] = text("Owner's team then.")


class IntDealVersions(VersionColumns):
    version_date: Series[pd.Timestamp] = moment("The day whose end the state is of.")
    amount: Series[float] = money("Amount in the deal's currency.", nullable=True)

    class Config:
        name = "int_deal_versions"
        description = "One row per deal per day its state is known at the end of."
        unique = ["source", "deal_id", "version_date"]
        strict = True


class IntDealHistoryFacts(DealGrain):
    push_count: Series[int] = count("Times the close date moved later while open.")
    days_slipped: Series[int] = count("Days it moved later in all.")
    first_close_date: Series[pd.Timestamp] = moment("Earliest close date recorded.",
                                                    nullable=True)
    owner_at_close_id: Series[str] = text("Owner when it last closed.")
    team_at_close: Series[str] = text("That owner's team then.")

    class Config:
        name = "int_deal_history_facts"
        description = "One row per deal."
        unique = ["source", "deal_id"]
        strict = True


class IntTargetsMonthly(pa.DataFrameModel):
    user_id: Series[str] = text("The rep whose target it is; null for a team's.")
    team: Series[str] = text("The team whose target it is; null for a rep's.")
    holder_id: Series[str] = key("The rep's user_id or the team's name.")
    holder_kind: Series[str] = text("rep or team.", nullable=False, isin=HOLDER_KINDS)
    metric: Series[str] = text("The metric.", nullable=False, isin=list(TARGET_METRICS))
    period_month: Series[pd.Timestamp] = moment("First day of the month.")
    target: Series[float] = money("The month's target (its share of a quarter's).")
    period: Series[str] = text("The period the target was given for.", nullable=False)
    period_kind: Series[str] = text("month or quarter.", nullable=False,
                                    isin=["month", "quarter"])

    class Config:
        name = "int_targets_monthly"
        description = "One row per rep or team per month per metric."
        unique = ["holder_kind", "holder_id", "period_month", "metric"]
        strict = True

    @pa.dataframe_check
    def months_start_on_the_first(cls, df: pd.DataFrame) -> Series[bool]:
        return df["period_month"].dt.day == 1


class IntCostsMonthly(pa.DataFrameModel):
    file_number: Series[np.int32] = key("The costs file it came from.")
    record_number: Series[int] = key("Its record in that file.")
    team: Series[str] = text("The team it was spent for.")
    channel: Series[str] = text("The channel it was spent for.")
    category: Series[str] = text("What it was spent on.", nullable=False)
    month: Series[pd.Timestamp] = moment("First day of the month.")
    amount: Series[float] = money("The month's share of the cost.")

    class Config:
        name = "int_costs_monthly"
        description = "One row per cost line per month."
        unique = ["file_number", "record_number", "month"]
        strict = True


class IntAccountFirstWins(pa.DataFrameModel):
    source: Series[str] = key("Source mapping.")
    account_id: Series[str] = key("The customer account.")
    deal_id: Series[str] = key("The deal that first won it.")
    owner_id: Series[str] = text("The rep who owned that deal when it closed.")
    close_date: Series[pd.Timestamp] = moment("The day it was won.")

    class Config:
        name = "int_account_first_wins"
        description = "One row per customer account."
        unique = ["source", "account_id"]
        strict = True


class IntSatisfactionResponses(pa.DataFrameModel):
    file_number: Series[np.int32] = key("The satisfaction file it came from.")
    record_number: Series[int] = key("Its record in that file.")
    response_date: Series[pd.Timestamp] = moment("The day of the answer.")
    month: Series[pd.Timestamp] = moment("First day of its month.")
    owner_id: Series[str] = text("The rep credited; null when the exports know neither "
                                 "the deal nor the account.")
    account_id: Series[str] = text("The account it is about.")
    deal_id: Series[str] = text("The deal it is about.")
    scale: Series[str] = text("The scale of the score.", nullable=False,
                              isin=list(SATISFACTION_SCALES))
    score: Series[float] = pa.Field(ge=0, le=10, description="The score.")
    is_promoter: Series[bool] = flag("A 0-10 score of 9 or 10.")
    is_detractor: Series[bool] = flag("A 0-10 score of 6 or below.")

    class Config:
        name = "int_satisfaction_responses"
        description = "One row per survey answer."
        unique = ["file_number", "record_number"]
        strict = True


class IntAccountValueTiers(pa.DataFrameModel):
    source: Series[str] = key("Source mapping.")
    account_id: Series[str] = key("The customer account.")
    value_tier: Series[str] = text("A, B or C.", nullable=False, isin=["A", "B", "C"])
    trailing_won_count: Series[int] = count("Deals won in the 12 months to the as-of date.")
    trailing_won_amount: Series[float] = money("Their amount.")
    trailing_won_share: Series[float] = pa.Field(ge=0, le=1, nullable=True,
                                                 description="Its share of all accounts'.")
    first_won_date: Series[pd.Timestamp] = moment("Its first won deal's close date.")
    last_won_date: Series[pd.Timestamp] = moment("Its latest won deal's close date.")

    class Config:
        name = "int_account_value_tiers"
        description = "One row per account with a won deal."
        unique = ["source", "account_id"]
        strict = True


class IntCostScopes(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    file_number: Series[np.int32] = key("The costs file it came from.")
    record_number: Series[int] = key("Its record in that file.")
    month: Series[pd.Timestamp] = moment("First day of the month.")
    channel: Series[str] = text("The channel it was spent for, lower case.")
    category: Series[str] = text("What it was spent on.", nullable=False)
    amount: Series[float] = money("The month's share of the cost.")

    class Config:
        name = "int_cost_scopes"
        description = "One row per cost line per month per scope it counts in."
        unique = ["scope_id", "file_number", "record_number", "month"]
        strict = True


class IntUserTeams(pa.DataFrameModel):
    user_id: Series[str] = key("Person.")
    team: Series[str] = text("Team in the stretch.")
    valid_from: Series[pd.Timestamp] = moment("First day of the stretch.")
    valid_to: Series[pd.Timestamp] = moment("Day it ended; null while it lasts.",
                                            nullable=True)
    is_first: Series[bool] = flag("The earliest known stretch.")

    class Config:
        name = "int_user_teams"
        description = "One row per person per stretch of days in one team."
        unique = ["user_id", "valid_from"]
        strict = True


class FindingColumns(pa.DataFrameModel):
    rule_id: Series[str] = key("The rule.")
    record_type: Series[str] = text("deal, task, account or rep.", nullable=False,
                                    isin=["deal", "task", "account", "rep"])
    record_id: Series[str] = key("The record.")
    record_name: Series[str] = text("Its name.")
    owner_id: Series[str] = text("Its owner.")
    measured_value: Series[float] = pa.Field(nullable=True, description="What was measured.")
    threshold_value: Series[float] = pa.Field(nullable=True, description="The rule's limit.")
    detail: Series[str] = text("Which fields or stages.")


def _finding(table: str, what: str) -> type[pa.DataFrameModel]:
    """The contract of one rule kind's findings: the same columns, its own name."""
    config = type("Config", (), {"name": table, "description": f"One row per rule per {what}.",
                                 "unique": ["rule_id", "record_type", "record_id"],
                                 "strict": True})
    return type("".join(p.title() for p in table.split("_")), (FindingColumns,),
                {"Config": config, "__module__": __name__})


IntDisciplineStaleDeals = _finding("int_discipline_stale_deals", "stale open deal")
IntDisciplineOverdueCloseDates = _finding("int_discipline_overdue_close_dates",
                                          "open deal past its close date")
IntDisciplineMissingFields = _finding("int_discipline_missing_fields",
                                      "open deal missing fields")
IntDisciplineRepeatedPushes = _finding("int_discipline_repeated_pushes",
                                       "open deal pushed too often")
IntDisciplineStageSkips = _finding("int_discipline_stage_skips",
                                   "deal that skipped a required stage")
IntDisciplineStuckDeals = _finding("int_discipline_stuck_deals", "deal stuck in its stage")
IntDisciplineOverdueTasks = _finding("int_discipline_overdue_tasks", "overdue task")
IntDisciplineUnvisitedAccounts = _finding("int_discipline_unvisited_accounts",
                                          "key account not followed up")
IntDisciplineLowActivityReps = _finding("int_discipline_low_activity_reps",
                                        "rep below the activity minimum")


class IntDisciplineFindings(FindingColumns):
    kind: Series[str] = key("The rule's kind.")
    team: Series[str] = text("Owner's team.")
    severity: Series[str] = text("Severity.", nullable=False,
                                 isin=["info", "warning", "critical"])
    severity_weight: Series[float] = pa.Field(ge=0, le=1, description="Weight.")

    class Config:
        name = "int_discipline_findings"
        description = "One row per rule per record that breaks it today."
        unique = ["rule_id", "record_type", "record_id"]
        strict = True


class IntDisciplineDeals(DealGrain):
    deal_name: Series[str] = text("Deal name.")
    owner_id: Series[str] = key("Owner.")
    team: Series[str] = text("Owner's team.")
    region: Series[str] = text("Owner's region.")
    deal_type: Series[str] = text("Deal type.")
    status: Series[str] = text("open, won or lost.", nullable=False, isin=STATUSES)
    stage: Series[str] = key("Stage.")
    stage_order: Series[pd.Int32Dtype] = order("Its order.")
    amount: Series[float] = money("Amount.", nullable=True)
    close_date: Series[pd.Timestamp] = moment("Close date.", nullable=True)
    next_step: Series[str] = text("Next step.")
    created_date: Series[pd.Timestamp] = moment("Created.", nullable=True)
    last_activity_date: Series[pd.Timestamp] = moment("Last activity on it.", nullable=True)
    days_since_activity: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, coerce=True, description="Days since then (or since created).")
    days_in_stage: Series[pd.Int32Dtype] = pa.Field(
        ge=0, nullable=True, coerce=True, description="Whole days in its current stage.")
    push_count: Series[int] = count("Close date pushes.")

    class Config:
        name = "int_discipline_deals"
        description = "One row per deal, with what the discipline rules look at."
        unique = ["source", "deal_id"]
        strict = True


class IntAccountTouches(pa.DataFrameModel):
    account_key: Series[str] = key("Account id, else its name.")
    last_activity_date: Series[pd.Timestamp] = moment("The latest activity on it or its "
                                                      "deals, on or before the as-of date.")

    class Config:
        name = "int_account_touches"
        description = "One row per account an activity was about."
        unique = ["account_key"]
        strict = True


class IntDealChannels(DealGrain):
    channel: Series[str] = key("Its sales channel (an id of the channels file).")
    matched_by: Series[str] = text(
        "What gave it: the field of the rule that matched, or default.", nullable=False,
        isin=["channel", "partner_type", "lead_source", "deal_type", "default"])
    rule_order: Series[pd.Int32Dtype] = order("The rule that matched; null: the default.")
    partner_id: Series[str] = text("The partner account it goes through (its id, else the "
                                   "name the CRM gives); null: none.")
    partner_name: Series[str] = text("The partner's name.")
    partner_type: Series[str] = text("The partner account's Account Type.")

    class Config:
        name = "int_deal_channels"
        description = "One row per deal with its sales channel and partner."
        unique = ["source", "deal_id"]
        strict = True

    @pa.dataframe_check
    def the_default_matched_no_rule(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["matched_by"] == "default") == df["rule_order"].isna()
