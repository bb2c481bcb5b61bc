"""Contracts of the marts (sql/marts/), the tables analysts query: one class per file."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from pipeline.ingest.canonical import SATISFACTION_SCALES, TARGET_METRICS
from pipeline.warehouse.schemas._fields import (
    ACTIVITY_TYPES,
    DEAL_MOVEMENTS,
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
    rate,
    ratio,
    scope,
    text,
)

TOLERANCE = 0.005


def nps(description: str) -> pa.Field:
    """The net promoter score as a fraction between -1 and 1; null without 0-10 answers."""
    return pa.Field(ge=-1, le=1, nullable=True, description=description)


class DimUsers(pa.DataFrameModel):
    user_id: Series[str] = pa.Field(unique=True, description="CRM user id.")
    name: Series[str] = key("Display name (org chart, else CRM).")
    email: Series[str] = text("Email from the org chart.")
    manager_id: Series[str] = text("Manager's user_id; null at the top or outside the org.")
    team: Series[str] = text("Team; null outside the org chart.")
    region: Series[str] = text("Region.")
    management_level: Series[pd.Int32Dtype] = pa.Field(
        ge=0, nullable=True, coerce=True, description="0 at the top of the org chart.")
    is_manager: Series[bool] = flag("Someone reports to them.")
    is_in_org: Series[bool] = flag("Listed in the org chart.")

    class Config:
        name = "dim_users"
        description = "One row per person in the org chart or owning CRM records."
        strict = True


class FctDeals(LossReasonColumns):
    deal_id: Series[str] = pa.Field(unique=True, description="CRM deal id, prefix removed.")
    deal_name: Series[str] = text("Deal name as in the CRM.")
    account_id: Series[str] = text("CRM account id.")
    account_name: Series[str] = text("Account name.")
    owner_id: Series[str] = key("Deal owner.")
    owner_name: Series[str] = text("Owner's name.")
    team: Series[str] = text("Owner's team (at close, for a closed deal); null when not "
                             "in the org chart.")
    region: Series[str] = text("Owner's region.")
    owner_at_close_id: Series[str] = text("Owner when it last closed; null while open.")
    stage: Series[str] = key("Current canonical stage.")
    stage_order: Series[pd.Int32Dtype] = order("Its order; null for lost stages.")
    status: Series[str] = text("open, won or lost.", nullable=False, isin=STATUSES)
    amount: Series[float] = money("Amount in the reporting currency.", nullable=True)
    deal_amount: Series[float] = money("Amount in the deal's own currency.", nullable=True)
    deal_currency: Series[str] = key("The deal's currency.")
    fx_rate: Series[float] = pa.Field(gt=0, nullable=True,
                                      description="Reporting currency per unit, as converted.")
    probability: Series[float] = pa.Field(ge=0, le=1, nullable=True,
                                          description="Probability: the CRM's, else the stage's.")
    forecast_category: Series[str] = text("Forecast category: the CRM's, else the stage's.",
                                          isin=FORECAST_CATEGORIES)
    created_date: Series[pd.Timestamp] = moment("Date created; null when the CRM gives no "
                                                "creation time.", nullable=True)
    close_date: Series[pd.Timestamp] = moment("Closing Date; only an open deal may lack one.",
                                              nullable=True)
    first_close_date: Series[pd.Timestamp] = moment("Earliest close date recorded.",
                                                    nullable=True)
    push_count: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True, coerce=True,
                                                 description="Close date moved later, times.")
    days_slipped: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True, coerce=True,
                                                   description="Days it moved later in all.")
    loss_reason: Series[str] = text("Reason for loss, the CRM's label.")
    lead_source: Series[str] = text("Lead source.")
    deal_type: Series[str] = text("Deal type.")
    next_step: Series[str] = text("Next step.")
    furthest_stage: Series[str] = key("Furthest open or won stage reached.")
    furthest_stage_order: Series[pd.Int32Dtype] = order("Its order.", nullable=False)
    source: Series[str] = key("Source mapping.")
    created_at: Series[pd.Timestamp] = moment("Created Time.", nullable=True)
    modified_at: Series[pd.Timestamp] = moment("Modified Time of the newest record.",
                                               nullable=True)

    class Config:
        name = "fct_deals"
        description = "One row per deal, its newest record."
        strict = True

    @pa.dataframe_check
    @in_sql("stage_order is null or furthest_stage_order >= stage_order")
    def furthest_stage_not_behind_current(cls, df: pd.DataFrame) -> Series[bool]:
        return df["stage_order"].isna() | (df["furthest_stage_order"] >= df["stage_order"])


class FctDealStageEvents(pa.DataFrameModel):
    deal_id: Series[str] = key("CRM deal id.")
    stage: Series[str] = key("A stage the deal entered.")
    stage_order: Series[pd.Int32Dtype] = order("Its order; null for lost stages.")
    status: Series[str] = text("Status the stage means.", nullable=False, isin=STATUSES)
    entered_at: Series[pd.Timestamp] = moment("First time the deal entered it; null when "
                                              "the CRM gives no creation time.", nullable=True)
    left_at: Series[pd.Timestamp] = moment("Last time it left; null while in it.",
                                           nullable=True)
    is_current: Series[bool] = flag("The deal is in this stage now.")
    visit_count: Series[int] = pa.Field(ge=1, description="Stays in the stage.")
    regression_count: Series[int] = count("Stays entered by a step back from a later stage.")
    days_in_stage: Series[float] = days("Days in all stays, to the as-of date; open stages.")
    source: Series[str] = key("Source mapping.")

    class Config:
        name = "fct_deal_stage_events"
        description = "One row per deal per stage it entered."
        unique = ["source", "deal_id", "stage"]
        strict = True

    @pa.dataframe_check
    @in_sql("left_at is null or left_at >= entered_at")
    def left_after_entering(cls, df: pd.DataFrame) -> Series[bool]:
        return df["left_at"].isna() | (df["left_at"] >= df["entered_at"])


class FctActivities(pa.DataFrameModel):
    activity_id: Series[str] = key("CRM id.")
    activity_type: Series[str] = text("call, meeting or task.", nullable=False,
                                      isin=ACTIVITY_TYPES)
    owner_id: Series[str] = key("Owner.")
    team: Series[str] = text("Owner's team.")
    related_id: Series[str] = text("Deal or account.")
    subject: Series[str] = text("Subject or title.")
    status: Series[str] = text("Task status.")
    activity_date: Series[pd.Timestamp] = moment("Date it counts on.", nullable=True)
    source: Series[str] = key("Source mapping.")

    class Config:
        name = "fct_activities"
        description = "One row per call, meeting or task."
        unique = ["source", "activity_type", "activity_id"]
        strict = True


class PerformanceColumns(pa.DataFrameModel):
    """The measures of rep performance, shared by the monthly and the scoped marts."""

    owner_name: Series[str] = text("Owner's name.")
    team: Series[str] = text("Owner's team.")
    won_count: Series[int] = count("Deals won.")
    won_amount: Series[float] = money("Amount won.")
    lost_count: Series[int] = count("Deals lost.")
    lost_amount: Series[float] = money("Amount lost.")
    win_rate: Series[float] = rate("won_count / (won_count + lost_count).")
    win_rate_amount: Series[float] = rate("won_amount / (won_amount + lost_amount).")
    avg_won_amount: Series[float] = money("won_amount / won_count.", nullable=True)
    target_won_amount: Series[float] = money("Won-amount target.", nullable=True)
    attainment_rate: Series[float] = ratio("won_amount / target_won_amount.")
    activities_count: Series[int] = count("Calls, meetings and tasks.")

    @pa.dataframe_check
    def win_rate_null_only_without_closed_deals(cls, df: pd.DataFrame) -> Series[bool]:
        return df["win_rate"].isna() == (df["won_count"] + df["lost_count"] == 0)

    @pa.dataframe_check
    def attainment_null_only_without_target(cls, df: pd.DataFrame) -> Series[bool]:
        no_target = df["target_won_amount"].isna() | (df["target_won_amount"] == 0)
        return df["attainment_rate"].isna() == no_target

    @pa.dataframe_check
    def attainment_is_won_over_target(cls, df: pd.DataFrame) -> Series[bool]:
        expected = df["won_amount"] / df["target_won_amount"]
        return df["attainment_rate"].isna() | ((df["attainment_rate"] - expected).abs()
                                               <= TOLERANCE)


class RptRepPerformanceMonthly(PerformanceColumns):
    owner_id: Series[str] = key("Deal owner (the owner at close, for closed deals).")
    month: Series[pd.Timestamp] = moment("First day of the calendar month.")
    fiscal_year: Series[pd.Int32Dtype] = pa.Field(coerce=True, description=(
        "Fiscal year of the month, named by the calendar year it ends in."))
    fiscal_quarter: Series[pd.Int32Dtype] = pa.Field(ge=1, le=4, coerce=True,
                                                     description="Fiscal quarter, 1-4.")
    fiscal_month_number: Series[pd.Int32Dtype] = pa.Field(ge=1, le=12, coerce=True,
                                                   description="Month of the fiscal year.")

    class Config:
        name = "rpt_rep_performance_monthly"
        description = ("One row per owner per month with a closed deal, an activity or a "
                       "target, up to the as-of date.")
        unique = ["owner_id", "month"]
        strict = True

    @pa.dataframe_check
    def months_start_on_the_first(cls, df: pd.DataFrame) -> Series[bool]:
        return df["month"].dt.day == 1


class RptScopePerformance(PerformanceColumns):
    scope_id: Series[str] = scope()
    period_kind: Series[str] = text("Which period.", nullable=False, isin=[
        "month_to_date", "quarter_to_date", "previous_year_quarter_to_date", "month"])
    period_start: Series[pd.Timestamp] = moment("First day of the period.")
    period_end: Series[pd.Timestamp] = moment("Last day, at most the as-of date.")
    owner_id: Series[str] = text("An owner in the scope; null on the scope's total row.")
    median_cycle_days: Series[float] = days("Median days from creation to close of the "
                                            "deals won.")
    expected_won_amount: Series[float] = money("The target prorated to the days covered so "
                                               "far (pace).", nullable=True)
    pace_rate: Series[float] = ratio("won_amount / expected_won_amount.")
    new_customers_count: Series[int] = count("Accounts first won in the period.")
    satisfaction_responses_count: Series[int] = count("Survey answers in the period.")
    satisfaction_average: Series[float] = pa.Field(
        ge=0, le=10, nullable=True,
        description="Average score of the answers on satisfaction_scale; null without any.")
    net_promoter_score: Series[float] = nps("Promoters less detractors, over 0-10 answers.")

    class Config:
        name = "rpt_scope_performance"
        description = "One row per scope per period per owner, plus a total row per period."
        unique = ["scope_id", "period_kind", "period_start", "owner_id"]
        strict = True

    @pa.dataframe_check
    def totals_add_up(cls, df: pd.DataFrame) -> bool:
        keys = ["scope_id", "period_kind", "period_start"]
        owners = df[df["owner_id"].notna()].groupby(keys)[["won_amount", "won_count"]].sum()
        totals = df[df["owner_id"].isna()].set_index(keys)[["won_amount", "won_count"]]
        joined = totals.merge(owners, left_index=True, right_index=True, how="outer",
                              suffixes=("", "_owners")).fillna(0)
        return bool(((joined["won_amount"] - joined["won_amount_owners"]).abs() < TOLERANCE)
                    .all() and (joined["won_count"] == joined["won_count_owners"]).all())


class FunnelColumns(pa.DataFrameModel):
    stage: Series[str] = key("Open stage.")
    stage_order: Series[pd.Int32Dtype] = order("Its order.", nullable=False)
    deals_reached: Series[int] = count("Deals that reached this stage or a later one.")
    deals_lost_here: Series[int] = count("Lost deals whose furthest stage was this one.")
    lost_amount_here: Series[float] = money("Their amount.")
    conversion_rate: Series[float] = rate("Share of the deals reached here that got past.")
    median_days_in_stage: Series[float] = days("Median days of completed stays.")

    @pa.dataframe_check
    def lost_here_were_reached(cls, df: pd.DataFrame) -> Series[bool]:
        return df["deals_lost_here"] <= df["deals_reached"]


def _never_widens(df: pd.DataFrame, group: list[str], column: str) -> bool:
    """Along the stages of a funnel, fewer (or as many) deals reach each next stage."""
    ordered = df.sort_values([*group, "stage_order"])
    steps = ordered.groupby(group, dropna=False)[column].diff()
    return bool((steps.dropna() <= 0).all())


class RptFunnelStages(FunnelColumns):
    team: Series[str] = text("Owner's team; null when not in the org chart.")
    cohort_month: Series[pd.Timestamp] = moment("Month the deals were created.")

    class Config:
        name = "rpt_funnel_stages"
        description = "One row per team per cohort month per open stage."
        unique = ["team", "cohort_month", "stage"]
        strict = True

    @pa.dataframe_check
    def funnel_never_widens(cls, df: pd.DataFrame) -> bool:
        return _never_widens(df, ["team", "cohort_month"], "deals_reached")


class RptScopeFunnel(FunnelColumns):
    scope_id: Series[str] = scope()
    previous_deals_reached: Series[int] = count("deals_reached, previous window.")
    previous_deals_lost_here: Series[int] = count("deals_lost_here, previous window.")
    previous_lost_amount_here: Series[float] = money("lost_amount_here, previous window.")
    previous_conversion_rate: Series[float] = rate("conversion_rate, previous window.")
    conversion_rate_change: Series[float] = pa.Field(
        ge=-1, le=1, nullable=True, description="conversion_rate - previous_conversion_rate.")
    company_conversion_rate: Series[float] = rate("The company's conversion_rate at this "
                                                  "stage, current window.")
    conversion_vs_company: Series[float] = pa.Field(
        ge=-1, le=1, nullable=True, description="conversion_rate - company_conversion_rate.")

    class Config:
        name = "rpt_scope_funnel"
        description = "One row per scope per open stage: current and previous cohort window."
        unique = ["scope_id", "stage"]
        strict = True

    @pa.dataframe_check
    def funnel_never_widens(cls, df: pd.DataFrame) -> bool:
        return (_never_widens(df, ["scope_id"], "deals_reached")
                and _never_widens(df, ["scope_id"], "previous_deals_reached"))


class RptFunnelLossReasons(LossReasonColumns):
    team: Series[str] = text("Owner's team.")
    cohort_month: Series[pd.Timestamp] = moment("Month the deals were created.")
    stage: Series[str] = key("Furthest stage of the lost deals.")
    stage_order: Series[pd.Int32Dtype] = order("Its order.", nullable=False)
    lost_count: Series[int] = pa.Field(ge=1, description="Deals lost.")
    lost_amount: Series[float] = money("Their amount.")

    class Config:
        name = "rpt_funnel_loss_reasons"
        description = "One row per team per cohort month per stage per loss reason."
        unique = ["team", "cohort_month", "stage", "loss_reason_id"]
        strict = True


class RptScopeLossReasons(LossReasonColumns):
    scope_id: Series[str] = scope()
    stage: Series[str] = key("Furthest stage of the lost deals.")
    stage_order: Series[pd.Int32Dtype] = order("Its order.", nullable=False)
    lost_count: Series[int] = count("Deals lost, current window.")
    lost_amount: Series[float] = money("Their amount.")
    previous_lost_count: Series[int] = count("Deals lost, previous window.")
    previous_lost_amount: Series[float] = money("Their amount.")

    class Config:
        name = "rpt_scope_loss_reasons"
        description = "One row per scope per stage per loss reason."
        unique = ["scope_id", "stage", "loss_reason_id"]
        strict = True


class RptScopeLostDeals(LossReasonColumns):
    scope_id: Series[str] = scope()
    lost_rank: Series[int] = pa.Field(ge=1, le=10, description="1 for the largest.")
    deal_id: Series[str] = key("CRM deal id.")
    deal_name: Series[str] = text("Deal name.")
    account_name: Series[str] = text("Account name.")
    owner_id: Series[str] = key("Owner.")
    owner_name: Series[str] = text("Owner's name.")
    furthest_stage: Series[str] = key("Stage where it was lost.")
    amount: Series[float] = money("Deal amount.", nullable=True)
    close_date: Series[pd.Timestamp] = moment("Closing Date.")

    class Config:
        name = "rpt_scope_lost_deals"
        description = "One row per scope per largest lost deal of the current window."
        unique = ["scope_id", "lost_rank"]
        strict = True


class RptScopeLossPareto(LossReasonColumns):
    scope_id: Series[str] = scope()
    pareto_rank: Series[int] = pa.Field(ge=1, description="1 for the largest lost amount.")
    lost_count: Series[int] = count("Deals lost, current window.")
    lost_amount: Series[float] = money("Their amount.")
    amount_share: Series[float] = rate("Share of the scope's lost amount.")
    cumulative_share: Series[float] = pa.Field(ge=0, le=1 + TOLERANCE, nullable=True,
                                               description="Share of this and larger ones.")

    class Config:
        name = "rpt_scope_loss_pareto"
        description = "One row per scope per loss reason, largest lost amount first."
        unique = ["scope_id", "pareto_rank"]
        strict = True


class RptScopeFunnelLeaks(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    leak_rank: Series[int] = pa.Field(ge=1, le=10, description="1 for the largest.")
    stage: Series[str] = key("Furthest stage of the lost deals.")
    stage_order: Series[pd.Int32Dtype] = order("Its order.", nullable=False)
    owner_id: Series[str] = key("Owner.")
    owner_name: Series[str] = text("Owner's name.")
    lead_source: Series[str] = text("Lead source; null when none.")
    lost_count: Series[int] = count("Deals lost, current window.")
    lost_amount: Series[float] = money("Their amount.")
    amount_share: Series[float] = rate("Share of the scope's lost amount.")

    class Config:
        name = "rpt_scope_funnel_leaks"
        description = "One row per scope per largest stage × owner × lead source leak."
        unique = ["scope_id", "leak_rank"]
        strict = True


class RptScopeAtRiskDeals(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    risk_rank: Series[int] = pa.Field(ge=1, le=10, description="1 for the largest amount.")
    deal_id: Series[str] = key("CRM deal id.")
    deal_name: Series[str] = text("Deal name.")
    account_name: Series[str] = text("Account name.")
    owner_id: Series[str] = key("Owner.")
    owner_name: Series[str] = text("Owner's name.")
    stage: Series[str] = key("Current stage.")
    amount: Series[float] = money("Deal amount.", nullable=True)
    close_date: Series[pd.Timestamp] = moment("Closing Date, by the end of the quarter.")
    violations_count: Series[int] = pa.Field(ge=1, description="Rules it breaks today.")
    severity: Series[str] = text("Its most severe violation.", nullable=False,
                                 isin=["info", "warning", "critical"])
    rule_ids: Series[str] = text("The rules it breaks.", nullable=False)
    rule_names_en: Series[str] = text("Their names in English, in the order of rule_ids.",
                                      nullable=False)
    rule_names_zh: Series[str] = text("Their names in Chinese, in the order of rule_ids.",
                                      nullable=False)

    class Config:
        name = "rpt_scope_at_risk_deals"
        description = "One row per scope per largest open deal due this quarter that breaks a rule."
        unique = ["scope_id", "risk_rank"]
        strict = True


class RptUnassignedOwners(pa.DataFrameModel):
    owner_id: Series[str] = pa.Field(unique=True, description="Owner id as the CRM gives it.")
    owner_name: Series[str] = text("Owner's name.")
    deals_count: Series[int] = count("Deals they own.")
    open_deals_count: Series[int] = count("Of which open.")
    open_amount: Series[float] = money("Amount of the open ones.")
    quarter_won_amount: Series[float] = money("Won in the fiscal quarter to date.")
    activities_count: Series[int] = count("Calls, meetings and tasks up to the as-of date.")
    last_seen_date: Series[pd.Timestamp] = moment("Their newest deal change or activity.",
                                                  nullable=True)

    class Config:
        name = "rpt_unassigned_owners"
        description = "One row per owner of CRM records who is not in org.csv."
        strict = True


class RptDataFreshness(pa.DataFrameModel):
    entity: Series[str] = pa.Field(unique=True, description="What was loaded.")
    records_count: Series[int] = count("Records in the marts.")
    newest_record_at: Series[pd.Timestamp] = moment("The newest record's time.",
                                                    nullable=True)

    class Config:
        name = "rpt_data_freshness"
        description = "One row per CRM entity."
        strict = True


class FctDealHistory(pa.DataFrameModel):
    deal_id: Series[str] = key("CRM deal id.")
    valid_from: Series[pd.Timestamp] = moment("The state holds from the end of this day.")
    valid_to: Series[pd.Timestamp] = moment("It holds until this day; null: still holds. "
                                            "For a deal gone from the CRM, the day of the "
                                            "first run that did not find it.", nullable=True)
    stage: Series[str] = key("Canonical stage.")
    stage_order: Series[pd.Int32Dtype] = order("Its order; null for lost.")
    status: Series[str] = text("open, won or lost.", nullable=False, isin=STATUSES)
    deal_amount: Series[float] = money("Amount in the deal's currency.", nullable=True)
    deal_currency: Series[str] = key("The deal's currency.")
    close_date: Series[pd.Timestamp] = moment("Closing Date then.", nullable=True)
    probability: Series[float] = pa.Field(ge=0, le=1, nullable=True,
                                          description="Probability then.")
    forecast_category: Series[str] = text("Forecast category then.", isin=FORECAST_CATEGORIES)
    owner_id: Series[str] = text("Owner then.")
    team: Series[str] = text("Owner's team then.")
    source: Series[str] = key("Source mapping.")

    class Config:
        name = "fct_deal_history"
        description = "One row per deal per change of its state (type-2 history)."
        unique = ["source", "deal_id", "valid_from"]
        strict = True

    @pa.dataframe_check
    @in_sql("valid_to is null or valid_to > valid_from")
    def validity_runs_forward(cls, df: pd.DataFrame) -> Series[bool]:
        return df["valid_to"].isna() | (df["valid_to"] > df["valid_from"])


class FctWaterfallMovements(pa.DataFrameModel):
    source: Series[str] = key("Source mapping.")
    deal_id: Series[str] = key("CRM deal id.")
    window_kind: Series[str] = text("Which window.", nullable=False, isin=[
        "waterfall_day", "waterfall_week", "waterfall_month", "waterfall_quarter"])
    opening_date: Series[pd.Timestamp] = moment("The pipeline at the end of this day...")
    closing_date: Series[pd.Timestamp] = moment("...against the pipeline on the as-of date.")
    movement: Series[str] = text("The deal's own movement.", nullable=False,
                                 isin=DEAL_MOVEMENTS)
    in_opening: Series[bool] = flag("In the quarter's forecast pipeline at the opening.")
    in_closing: Series[bool] = flag("In it on the as-of date.")
    opening_pipeline_amount: Series[float] = pa.Field(description=(
        "Its amount at the opening in the reporting currency at the as-of date's rates, "
        "when in the pipeline then; else 0."))
    closing_pipeline_amount: Series[float] = pa.Field(description=(
        "The same on the as-of date."))
    owner_id: Series[str] = text("Owner now (at close, for a closed deal; the last one "
                                 "recorded, for a deal removed from the CRM).")
    team: Series[str] = text("That owner's team.")
    opening_owner_id: Series[str] = text("Owner at the opening; the owner now when the deal "
                                         "did not exist then or left the CRM.")
    opening_team: Series[str] = text("That owner's team then.")

    class Config:
        name = "fct_waterfall_movements"
        description = ("One row per waterfall window per deal in the pipeline at either end, "
                       "or closed in the window.")
        unique = ["window_kind", "source", "deal_id"]
        strict = True

    @pa.dataframe_check
    @in_sql("(in_opening or opening_pipeline_amount = 0) "
            "and (in_closing or closing_pipeline_amount = 0)")
    def out_of_the_pipeline_counts_nothing(cls, df: pd.DataFrame) -> Series[bool]:
        return ((df["in_opening"] | (df["opening_pipeline_amount"] == 0))
                & (df["in_closing"] | (df["closing_pipeline_amount"] == 0)))


# a deal that changed owner leaves one side's pipeline and enters the other's
WATERFALL_MOVEMENTS = ["opening", *DEAL_MOVEMENTS, "reassigned_in", "reassigned_out", "closing"]


class WaterfallColumns(pa.DataFrameModel):
    window_kind: Series[str] = text("Which window.", nullable=False, isin=[
        "waterfall_day", "waterfall_week", "waterfall_month", "waterfall_quarter"])
    opening_date: Series[pd.Timestamp] = moment("The pipeline at the end of this day...")
    closing_date: Series[pd.Timestamp] = moment("...against the pipeline on the as-of date.")
    movement: Series[str] = text("opening, a movement, or closing.", nullable=False,
                                 isin=WATERFALL_MOVEMENTS)
    movement_order: Series[int] = pa.Field(ge=0, description="Order the report lists it in.")
    deals_count: Series[int] = count("Deals in the pipeline (opening, closing) or that "
                                     "moved this way.")
    count_change: Series[int] = pa.Field(description=(
        "The movement's effect on the pipeline's number of deals (opening, closing: the "
        "number)."))
    amount: Series[float] = pa.Field(description=(
        "The pipeline's amount (opening, closing) or the movement's effect on it, in the "
        "reporting currency at the as-of date's rates."))

    @classmethod
    def _reconciles(cls, df: pd.DataFrame, keys: list[str]) -> bool:
        signed = df.assign(
            sign=df["movement"].map(lambda m: -1 if m == "closing" else 1))
        sums = (signed.assign(n=signed["count_change"] * signed["sign"],
                              a=signed["amount"] * signed["sign"])
                .groupby(keys, dropna=False)[["n", "a"]].sum())
        return bool((sums["n"] == 0).all() and (sums["a"].abs() < TOLERANCE).all())


class RptPipelineWaterfall(WaterfallColumns):
    team: Series[str] = text("Owner's team (at the opening, on reassigned_out rows; else at "
                             "the end of the window).")
    owner_id: Series[str] = key("Owner (at the opening, on reassigned_out rows; else at the "
                                "end of the window).")

    class Config:
        name = "rpt_pipeline_waterfall"
        description = "One row per waterfall window per team per owner per movement."
        unique = ["window_kind", "team", "owner_id", "movement"]
        strict = True

    @pa.dataframe_check
    def opening_plus_movements_is_closing(cls, df: pd.DataFrame) -> bool:
        return cls._reconciles(df, ["window_kind", "team", "owner_id"])


class RptScopeWaterfall(WaterfallColumns):
    scope_id: Series[str] = scope()

    class Config:
        name = "rpt_scope_waterfall"
        description = "One row per report scope per waterfall window per movement."
        unique = ["scope_id", "window_kind", "movement"]
        strict = True

    @pa.dataframe_check
    def opening_plus_movements_is_closing(cls, df: pd.DataFrame) -> bool:
        return cls._reconciles(df, ["scope_id", "window_kind"])


class RptForecast(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    owner_id: Series[str] = text("An owner in the scope; null on the scope's total row.")
    owner_name: Series[str] = text("Owner's name.")
    quarter_start: Series[pd.Timestamp] = moment("First day of the fiscal quarter.")
    quarter_end: Series[pd.Timestamp] = moment("Its last day.")
    won_amount: Series[float] = money("Won in the quarter so far.")
    commit_amount: Series[float] = money("Won + open commit deals closing in the quarter.")
    best_case_amount: Series[float] = money("Commit + open best-case deals.")
    pipeline_amount: Series[float] = money("Best case + open pipeline-category deals.")
    open_pipeline_amount: Series[float] = money("Open deals closing in the quarter, not "
                                                 "omitted.")
    weighted_pipeline_amount: Series[float] = money("The same, each times its probability.")
    target_won_amount: Series[float] = money("The quarter's target.", nullable=True)
    attainment_rate: Series[float] = ratio("won_amount / target_won_amount.")
    coverage_rate: Series[float] = ratio("open_pipeline_amount / (target - won); null once "
                                         "the target is reached.")

    class Config:
        name = "rpt_forecast"
        description = "One row per scope per owner, plus a total row, for the fiscal quarter."
        unique = ["scope_id", "owner_id"]
        strict = True

    @pa.dataframe_check
    def categories_add_up(cls, df: pd.DataFrame) -> Series[bool]:
        return ((df["won_amount"] <= df["commit_amount"] + TOLERANCE)
                & (df["commit_amount"] <= df["best_case_amount"] + TOLERANCE)
                & (df["best_case_amount"] <= df["pipeline_amount"] + TOLERANCE))

    @pa.dataframe_check
    def weighted_within_pipeline(cls, df: pd.DataFrame) -> Series[bool]:
        return df["weighted_pipeline_amount"] <= df["open_pipeline_amount"] + TOLERANCE


class RptRepSlippage(pa.DataFrameModel):
    owner_id: Series[str] = pa.Field(unique=True, description="Owner of open deals.")
    owner_name: Series[str] = text("Owner's name.")
    team: Series[str] = text("Owner's team.")
    open_deals_count: Series[int] = pa.Field(ge=1, description="Open deals.")
    pushed_deals_count: Series[int] = count("Open deals whose close date was ever pushed.")
    push_count: Series[int] = count("Pushes in all.")
    days_slipped: Series[int] = count("Days pushed in all.")
    slip_rate: Series[float] = rate("pushed_deals_count / open_deals_count.")

    class Config:
        name = "rpt_rep_slippage"
        description = "One row per owner of open deals."
        strict = True


class RptStageVelocity(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    stage: Series[str] = key("Open stage.")
    stage_order: Series[pd.Int32Dtype] = order("Its order.", nullable=False)
    deals_in_stage_count: Series[int] = count("Open deals in it now.")
    median_days_so_far: Series[float] = days("Median days those deals have spent in it.")
    median_days_to_leave: Series[float] = days("Median days of the stays that ended.")
    regressions_count: Series[int] = count("Times a deal stepped back into it.")

    class Config:
        name = "rpt_stage_velocity"
        description = "One row per scope per open stage."
        unique = ["scope_id", "stage"]
        strict = True


class RptScopeSlippedDeals(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    slip_rank: Series[int] = pa.Field(ge=1, le=10, description="1 for the most pushed.")
    deal_id: Series[str] = key("CRM deal id.")
    deal_name: Series[str] = text("Deal name.")
    owner_id: Series[str] = key("Owner.")
    owner_name: Series[str] = text("Owner's name.")
    stage: Series[str] = key("Current stage.")
    amount: Series[float] = money("Amount.", nullable=True)
    first_close_date: Series[pd.Timestamp] = moment("Close date first recorded.",
                                                    nullable=True)
    close_date: Series[pd.Timestamp] = moment("Close date now.", nullable=True)
    push_count: Series[int] = pa.Field(ge=1, description="Times pushed.")
    days_slipped: Series[int] = count("Days pushed in all.")

    class Config:
        name = "rpt_scope_slipped_deals"
        description = "One row per scope per one of its ten most pushed open deals."
        unique = ["scope_id", "slip_rank"]
        strict = True


class FctDisciplineViolations(pa.DataFrameModel):
    as_of_date: Series[pd.Timestamp] = moment("The run.")
    rule_id: Series[str] = key("The rule broken.")
    record_type: Series[str] = text("deal, task, account or rep.", nullable=False,
                                    isin=["deal", "task", "account", "rep"])
    record_id: Series[str] = key("The record.")
    record_name: Series[str] = text("Its name.")
    owner_id: Series[str] = text("Who owns it.")
    owner_name: Series[str] = text("Owner's name.")
    team: Series[str] = text("Owner's team.")
    severity: Series[str] = text("Severity.", nullable=False,
                                 isin=["info", "warning", "critical"])
    severity_weight: Series[float] = pa.Field(ge=0, le=1, nullable=True,
                                              description="Weight in the score.")
    measured_value: Series[float] = pa.Field(nullable=True, description="What was measured.")
    threshold_value: Series[float] = pa.Field(nullable=True, description="The rule's limit.")
    detail: Series[str] = text("Which fields or stages.")
    first_seen_date: Series[pd.Timestamp] = moment("First run that saw it, since it last "
                                                   "went away.")
    days_open: Series[int] = count("Days since first seen.")
    is_new: Series[bool] = flag("Not there in the last run.")
    is_resolved: Series[bool] = flag("There in the last run, gone today.")

    class Config:
        name = "fct_discipline_violations"
        description = "One row per rule per record per run (today's, and resolved since)."
        unique = ["as_of_date", "rule_id", "record_type", "record_id"]
        strict = True

    @pa.dataframe_check
    @in_sql("not (is_new and is_resolved)")
    def resolved_ones_are_not_new(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["is_new"] & df["is_resolved"])


class DisciplineCounts(pa.DataFrameModel):
    as_of_date: Series[pd.Timestamp] = moment("The run.")
    open_deals_count: Series[int] = count("Open deals.")
    info_count: Series[int] = count("Open info violations.")
    warning_count: Series[int] = count("Open warnings.")
    critical_count: Series[int] = count("Open critical violations.")
    open_violations_count: Series[int] = count("Open violations of every severity.")
    new_count: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True, coerce=True,
                                                description="New since the last run.")
    resolved_count: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True, coerce=True,
                                                     description="Resolved since then.")
    penalty: Series[float] = pa.Field(ge=0, description="Weighted violations (README).")
    compliance_score: Series[float] = pa.Field(ge=0, le=100,
                                               description="0-100 (README Discipline).")


class RptDisciplineByRep(DisciplineCounts):
    owner_id: Series[str] = key("Rep.")
    owner_name: Series[str] = text("Rep's name.")
    team: Series[str] = text("Rep's team.")

    class Config:
        name = "rpt_discipline_by_rep"
        description = "One row per rep per run (today and the recorded ones)."
        unique = ["as_of_date", "owner_id"]
        strict = True


class RptDisciplineByScope(DisciplineCounts):
    scope_id: Series[str] = scope()
    reps_count: Series[int] = count("Reps in it.")

    class Config:
        name = "rpt_discipline_by_scope"
        description = "One row per scope per run."
        unique = ["scope_id", "as_of_date"]
        strict = True


class RptDisciplineRules(pa.DataFrameModel):
    rule_id: Series[str] = pa.Field(unique=True, description="The rule.")
    kind: Series[str] = key("Its kind.")
    record_type: Series[str] = key("What it checks.")
    severity: Series[str] = key("Severity.")
    name_en: Series[str] = key("The rule's name in English, as the reports show it.")
    name_zh: Series[str] = key("The rule's name in Chinese, as the reports show it.")
    description_en: Series[str] = key("English description.")
    description_zh: Series[str] = key("Chinese description.")
    stage: Series[str] = text("missing_fields: the stage from which it applies.")
    enabled: Series[bool] = flag("Turned on.")
    skip_reason: Series[str] = text("Why it was not checked: disabled, no_history.",
                                    isin=["disabled", "no_history"])
    violations_count: Series[int] = count("Records breaking it today.")

    class Config:
        name = "rpt_discipline_rules"
        description = "One row per rule of the rules file."
        strict = True


class DimAccounts(pa.DataFrameModel):
    account_id: Series[str] = key("CRM account id.")
    source: Series[str] = key("Source mapping.")
    owner_id: Series[str] = text("The account's owner in the accounts export.")
    account_name: Series[str] = text("Account name as the CRM has it.")
    account_type: Series[str] = text("Account type (the CRM's own values).")
    industry: Series[str] = text("Industry.")
    channel: Series[str] = text("Its sales channel: that of its first won deal, else of its "
                                "first deal; null: no deal.")
    value_tier: Series[str] = text("A, B or C by won amount in the last 12 months.",
                                   nullable=False, isin=["A", "B", "C"])
    trailing_won_count: Series[int] = count("Deals won in the 12 months to the as-of date.")
    trailing_won_amount: Series[float] = money("Amount won in those 12 months.")
    trailing_won_share: Series[float] = rate("Its share of all accounts' trailing amount.")
    created_date: Series[pd.Timestamp] = moment("Created in the CRM.", nullable=True)
    first_won_date: Series[pd.Timestamp] = moment("Its first won deal; null: never won.",
                                                  nullable=True)
    last_won_date: Series[pd.Timestamp] = moment("Its latest won deal.", nullable=True)

    class Config:
        name = "dim_accounts"
        description = "One row per customer account."
        unique = ["source", "account_id"]
        strict = True


class RptCustomerRetention(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    month: Series[pd.Timestamp] = moment("First day of the month.")
    month_end_date: Series[pd.Timestamp] = moment("Its last day, or the as-of date.")
    active_customers_count: Series[int] = count("Accounts with a won deal in the 12 months "
                                                "to the month's end.")
    new_customers_count: Series[int] = count("Accounts whose first won deal ever is in "
                                             "the month.")
    returning_customers_count: Series[int] = count("Active again, not new.")
    retained_customers_count: Series[int] = count("Active at this and the last month's end.")
    lapsed_customers_count: Series[int] = count("Active at the last month's end, not now.")
    previous_active_customers_count: Series[int] = count("Active at the last month's end.")
    retention_rate: Series[float] = rate("Retained / active at the last month's end.")

    class Config:
        name = "rpt_customer_retention"
        description = "One row per scope and month since the first won deal."
        unique = ["scope_id", "month"]
        strict = True


class RptCustomerChurnRisk(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    account_id: Series[str] = key("CRM account id.")
    owner_id: Series[str] = key("The rep of its latest win, else the account's owner.")
    account_name: Series[str] = text("Account name.")
    owner_name: Series[str] = text("The rep's name in org.csv or the CRM.")
    value_tier: Series[str] = text("Its value tier.", nullable=False, isin=["A", "B", "C"])
    trailing_won_amount: Series[float] = money("Won from it in the last 12 months.")
    last_won_date: Series[pd.Timestamp] = moment("Its latest won deal.", nullable=True)
    last_activity_date: Series[pd.Timestamp] = moment("The latest activity on it or its "
                                                      "deals; null: none.", nullable=True)
    days_since_touch: Series[int] = count("Days since that activity or win, the later.")
    threshold_days: Series[int] = count("churn_risk_days: quiet this long is at risk.")

    class Config:
        name = "rpt_customer_churn_risk"
        description = "One row per scope and key customer with nothing done for too long."
        unique = ["scope_id", "account_id"]
        strict = True


class RptSatisfaction(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    month: Series[pd.Timestamp] = moment("First day of the month.")
    scale: Series[str] = text("The answers' scale.", nullable=False,
                              isin=list(SATISFACTION_SCALES))
    owner_id: Series[str] = text("The rep credited; null on the scope's total row.")
    owner_name: Series[str] = text("The rep's name.")
    team: Series[str] = text("The rep's team.")
    responses_count: Series[int] = count("Survey answers.")
    satisfaction_average: Series[float] = pa.Field(ge=0, le=10,
                                                   description="Average score.")
    promoters_count: Series[int] = count("0-10 answers of 9 or 10.")
    detractors_count: Series[int] = count("0-10 answers of 6 or below.")
    net_promoter_score: Series[float] = nps("(promoters - detractors) / 0-10 answers.")

    class Config:
        name = "rpt_satisfaction"
        description = "One row per scope, month, scale and rep with answers, plus totals."
        unique = ["scope_id", "month", "scale", "owner_id"]
        strict = True


class RptTargetAttainment(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    period_kind: Series[str] = text("Which period.", nullable=False,
                                    isin=["month_to_date", "quarter_to_date"])
    period_start: Series[pd.Timestamp] = moment("First day of the period.")
    period_end: Series[pd.Timestamp] = moment("The as-of date.")
    holder_kind: Series[str] = text("rep or team.", nullable=False, isin=HOLDER_KINDS)
    holder_id: Series[str] = key("The rep's user_id or the team's name.")
    holder_name: Series[str] = key("The rep's or the team's name.")
    metric: Series[str] = text("The metric.", nullable=False, isin=list(TARGET_METRICS))
    target: Series[float] = pa.Field(ge=0, description="The period's target.")
    actual: Series[float] = pa.Field(ge=0, nullable=True,
                                     description="What was done; null: no answers yet.")
    attainment_rate: Series[float] = ratio("actual / target.")

    class Config:
        name = "rpt_target_attainment"
        description = "One row per scope, period, rep or team and metric with a target."
        unique = ["scope_id", "period_kind", "holder_kind", "holder_id", "metric"]
        strict = True


class RptMarketShare(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    region: Series[str] = key("The region, as org.csv and market.csv name it.")
    period: Series[str] = key("The period as market.csv gives it.")
    period_start: Series[pd.Timestamp] = moment("First day of the period.")
    period_end: Series[pd.Timestamp] = moment("Last day of the period.")
    market_size: Series[float] = money("The market's size in the period.")
    won_amount: Series[float] = money("Won in the period by the scope's reps of the region.")
    won_count: Series[int] = count("Deals won so.")
    market_share: Series[float] = ratio("won_amount / market_size.")

    class Config:
        name = "rpt_market_share"
        description = "One row per scope, region and period of market.csv."
        unique = ["scope_id", "region", "period"]
        strict = True


class RptCostOfSales(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    month: Series[pd.Timestamp] = moment("First day of the month.")
    cost_amount: Series[float] = money("What selling cost in the month.")
    won_amount: Series[float] = money("Won in the month.")
    won_count: Series[int] = count("Deals won in the month.")
    cost_of_sales_ratio: Series[float] = ratio("cost_amount / won_amount.")
    cost_per_won_deal: Series[float] = money("cost_amount / won_count.", nullable=True)

    class Config:
        name = "rpt_cost_of_sales"
        description = "One row per scope and month with costs."
        unique = ["scope_id", "month"]
        strict = True
class RptRepIncentives(pa.DataFrameModel):
    owner_id: Series[str] = key("The rep.")
    owner_name: Series[str] = text("The rep's name.")
    team: Series[str] = text("The rep's team in the month (else today's).")
    role: Series[str] = text("rep, or manager (someone reports to them).", nullable=False,
                             isin=["rep", "manager"])
    plan_id: Series[str] = key("The first plan of the plan file that applies to the rep.")
    month: Series[pd.Timestamp] = moment("First day of the month.")
    fiscal_year: Series[int] = pa.Field(description="Fiscal year of the month.")
    fiscal_quarter: Series[int] = pa.Field(isin=[1, 2, 3, 4], description="Its quarter.")
    is_quarter_end: Series[bool] = flag("The quarter's last month: the bonus is paid here.")
    won_amount: Series[float] = money("Won in the month.")
    target_won_amount: Series[float] = money("The month's won_amount target; null: none.",
                                             nullable=True)
    attainment_rate: Series[float] = ratio("won / target; null without a target.")
    base_commission: Series[float] = pa.Field(ge=0, description="won × base rate, exact.")
    accelerator_commission: Series[float] = pa.Field(description="Each tier's part of won × "
                                                     "base rate × (multiplier − 1), exact.")
    cap_adjustment: Series[float] = pa.Field(le=0, description="Minus the commission above "
                                             "the monthly cap; 0 under it.")
    quarter_won_amount: Series[float] = money("Won in the fiscal quarter up to this month.")
    quarter_target_won_amount: Series[float] = money("The quarter's target: its months' "
                                                     "targets; null: none.", nullable=True)
    quarter_attainment_rate: Series[float] = ratio("Quarter won / quarter target.")
    quarterly_bonus: Series[float] = pa.Field(ge=0, description="The plan's bonus in a "
                                              "quarter's last month when it was earned.")
    violations_count: Series[int] = count("Violations of the rules the plan names, first "
                                          "seen in the month.")
    deductions: Series[float] = pa.Field(ge=0, description="Per violation amounts, up to the "
                                         "plan's monthly cap; subtracted.")
    unrounded_total: Series[float] = pa.Field(ge=0, description="base + accelerator + cap "
                                              "adjustment + bonus − deductions, at least 0.")
    rounding_places: Series[int] = pa.Field(isin=[0, 1, 2], description="Places of the payout.")
    rounding_mode: Series[str] = text("half_up or half_even.", nullable=False,
                                      isin=["half_up", "half_even"])
    payout_amount: Series[float] = money("The unrounded total rounded once, by the rule.")

    class Config:
        name = "rpt_rep_incentives"
        description = "One row per rep on a commission plan per month."
        unique = ["owner_id", "month"]
        strict = True
        coerce = True

    @pa.dataframe_check
    def payout_is_the_total_rounded(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["payout_amount"] - df["unrounded_total"]).abs() \
            <= 0.5 * 10.0 ** -df["rounding_places"] + 1e-9

    @pa.dataframe_check
    def bonus_only_at_quarter_end(cls, df: pd.DataFrame) -> Series[bool]:
        return df["is_quarter_end"] | (df["quarterly_bonus"] == 0)
class RptChannelPerformance(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    period_kind: Series[str] = text("Which period.", nullable=False, isin=[
        "month", "quarter_to_date", "last_12_months"])
    period_start: Series[pd.Timestamp] = moment("First day of the period.")
    period_end: Series[pd.Timestamp] = moment("Last day, at most the as-of date.")
    channel: Series[str] = key("Sales channel (an id of the channels file).")
    partner_id: Series[str] = text("A partner of the channel; null on the channel's total.")
    partner_name: Series[str] = text("The partner's name.")
    partner_type: Series[str] = text("The partner account's Account Type.")
    created_count: Series[int] = count("Deals created in the period (pipeline created).")
    created_amount: Series[float] = money("Their amount.")
    won_count: Series[int] = count("Deals won, by Closing Date.")
    won_amount: Series[float] = money("Amount won.")
    lost_count: Series[int] = count("Deals lost.")
    lost_amount: Series[float] = money("Amount lost.")
    win_rate: Series[float] = rate("won_count / (won_count + lost_count).")
    avg_won_amount: Series[float] = money("won_amount / won_count.", nullable=True)
    median_cycle_days: Series[float] = days("Median days from creation to close of the "
                                            "deals won.")

    class Config:
        name = "rpt_channel_performance"
        description = ("One row per scope × period × channel, plus a row per partner of the "
                       "channel.")
        unique = ["scope_id", "period_kind", "period_start", "channel", "partner_id"]
        strict = True

    @pa.dataframe_check
    def win_rate_null_only_without_closed_deals(cls, df: pd.DataFrame) -> Series[bool]:
        return df["win_rate"].isna() == (df["won_count"] + df["lost_count"] == 0)

    @pa.dataframe_check
    def partners_add_up_to_at_most_the_channel(cls, df: pd.DataFrame) -> bool:
        keys = ["scope_id", "period_kind", "period_start", "channel"]
        measures = ["created_count", "won_count", "lost_count", "won_amount"]
        partners = df[df["partner_id"].notna()].groupby(keys)[measures].sum()
        totals = df[df["partner_id"].isna()].set_index(keys)[measures]
        joined = partners.merge(totals, left_index=True, right_index=True, how="left",
                                suffixes=("", "_total")).fillna(-1)
        return bool(all((joined[f"{m}_total"] - joined[m] >= -TOLERANCE).all()
                        for m in measures))


class RptChannelConflicts(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    source: Series[str] = key("Source mapping.")
    account_id: Series[str] = key("CRM account id.")
    account_name: Series[str] = text("Account name.")
    channels: Series[str] = key("Its open deals' channels, in the channels file's order, "
                                "separated by ', '.")
    owner_names: Series[str] = key("The scope's own reps who own those deals.")
    partner_names: Series[str] = text("The partners they go through; null: none.")
    channel_count: Series[int] = pa.Field(ge=2, description="Channels its open deals go "
                                                            "through.")
    open_deals_count: Series[int] = pa.Field(ge=2, description="Its open deals.")
    scope_open_deals_count: Series[int] = pa.Field(ge=1, description="Those the scope's "
                                                                     "reps own.")
    open_amount: Series[float] = money("Their amount.")

    class Config:
        name = "rpt_channel_conflicts"
        description = ("One row per scope × account with open deals through two or more "
                       "channels.")
        unique = ["scope_id", "source", "account_id"]
        strict = True

    @pa.dataframe_check
    def scope_owns_some_of_the_deals(cls, df: pd.DataFrame) -> Series[bool]:
        return df["scope_open_deals_count"] <= df["open_deals_count"]


class RptChannelReturns(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    period_kind: Series[str] = text("Which period.", nullable=False, isin=[
        "month", "quarter_to_date", "last_12_months"])
    period_start: Series[pd.Timestamp] = moment("First day of the period.")
    period_end: Series[pd.Timestamp] = moment("Last day, at most the as-of date.")
    channel: Series[str] = key("Sales channel (an id of the channels file).")
    cost_amount: Series[float] = money("What selling through it cost (costs.csv).")
    won_amount: Series[float] = money("Won through it.")
    won_count: Series[int] = count("Deals won through it.")
    return_on_cost: Series[float] = ratio("won_amount / cost_amount.")

    class Config:
        name = "rpt_channel_returns"
        description = "One row per scope × period × channel with costs."
        unique = ["scope_id", "period_kind", "period_start", "channel"]
        strict = True


class DimChannels(pa.DataFrameModel):
    channel: Series[str] = pa.Field(unique=True, description="The channel's id.")
    channel_order: Series[pd.Int32Dtype] = order("Its place in the channels file: the "
                                                 "reports' order.", nullable=False)
    label_en: Series[str] = key("Its name in English.")
    label_zh: Series[str] = key("Its name in Chinese.")
    is_default: Series[bool] = flag("The channel of a deal no rule matches.")

    class Config:
        name = "dim_channels"
        description = "One row per sales channel of the channels file."
        strict = True


class RptReportWindows(pa.DataFrameModel):
    scope_id: Series[str] = scope(unique=True)
    month_start_date: Series[pd.Timestamp] = moment("First day of the as-of month: the "
                                                    "commission statement's month.")
    waterfall_start_date: Series[pd.Timestamp] = moment("The weekly waterfall's opening day.")
    waterfall_end_date: Series[pd.Timestamp] = moment("Its closing day, the as-of date.")
    funnel_start_date: Series[pd.Timestamp] = moment("First day of the current cohort window.")
    funnel_end_date: Series[pd.Timestamp] = moment("Its last day, the as-of date.")
    previous_funnel_start_date: Series[pd.Timestamp] = moment("First day of the window "
                                                              "before.")
    previous_funnel_end_date: Series[pd.Timestamp] = moment("Its last day.")
    channels_start_date: Series[pd.Timestamp] = moment("First day of the channels' twelve "
                                                       "months.")
    channels_end_date: Series[pd.Timestamp] = moment("Their last day, the as-of date.")

    class Config:
        name = "rpt_report_windows"
        description = "One row per report scope: the dates of its reports' windows."
        strict = True
        coerce = True


class RptDisciplineScopeReps(RptDisciplineByRep):
    scope_id: Series[str] = scope()

    class Config:
        name = "rpt_discipline_scope_reps"
        description = "One row per report scope per rep of today's run in it."
        unique = ["scope_id", "owner_id"]
        strict = True


class RptDisciplineViolations(FctDisciplineViolations):
    scope_id: Series[str] = scope()
    list_rank: Series[int] = pa.Field(ge=1, description="Its place in the scope's list (and "
                                      "CSV): new first, then by severity, days open, record "
                                      "name, rule, record.")
    owner_list_rank: Series[int] = pa.Field(ge=1, description="Its place among its owner's.")
    is_listed: Series[bool] = flag("Among its owner's first 15: listed in the report; every "
                                   "one is in the CSV.")
    owner_unlisted_count: Series[int] = count("Its owner's open violations in the CSV only.")

    class Config:
        name = "rpt_discipline_violations"
        description = "One row per report scope per violation open today of its reps' records."
        unique = ["scope_id", "rule_id", "record_type", "record_id"]
        strict = True

    @pa.dataframe_check
    @in_sql("is_listed = (owner_list_rank <= 15)")
    def the_first_15_of_a_rep_are_listed(cls, df: pd.DataFrame) -> Series[bool]:
        return df["is_listed"] == (df["owner_list_rank"] <= 15)

    @pa.dataframe_check
    @in_sql("not is_resolved")
    def only_open_ones(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df["is_resolved"]


class RptIncentiveStatements(pa.DataFrameModel):
    scope_id: Series[str] = scope()
    month: Series[pd.Timestamp] = moment("First day of the as-of month.")
    owner_id: Series[str] = text("The rep; null on the scope's total row.")
    owner_name: Series[str] = text("The rep's name.")
    plan_id: Series[str] = text("The rep's plan; null on the total row.")
    won_amount: Series[float] = money("Won in the month.")
    target_won_amount: Series[float] = money("The month's won_amount target; null: none.",
                                             nullable=True)
    attainment_rate: Series[float] = ratio("won / target; null without a target and on the "
                                           "total row.")
    base_commission: Series[float] = pa.Field(ge=0, description="won × base rate, exact.")
    accelerator_commission: Series[float] = pa.Field(description="The tiers' part above the "
                                                                 "base, exact.")
    cap_adjustment: Series[float] = pa.Field(le=0, description="Minus the commission above "
                                                               "the cap, exact.")
    quarterly_bonus: Series[float] = pa.Field(ge=0, description="The quarter's bonus, paid "
                                                                "in its last month.")
    violations_count: Series[int] = count("Violations the plan deducts for.")
    deductions: Series[float] = pa.Field(ge=0, description="What the violations cost, exact.")
    unrounded_total: Series[float] = pa.Field(ge=0, description="The payout before rounding.")
    rounding_places: Series[pd.Int64Dtype] = pa.Field(isin=[0, 1, 2], nullable=True,
                                                      description="Places of the payout; null "
                                                                  "on the total row.")
    rounding_mode: Series[str] = text("half_up or half_even; null on the total row.",
                                      isin=["half_up", "half_even"])
    payout_amount: Series[float] = money("The payout rounded once; on the total row, the sum "
                                         "of the rounded payouts.")

    class Config:
        name = "rpt_incentive_statements"
        description = ("One row per report scope per rep on a plan for the as-of month, plus a "
                       "total row per scope.")
        unique = ["scope_id", "owner_id"]
        strict = True
        coerce = True

    @pa.dataframe_check
    @in_sql("select scope_id from {table} group by 1 "
            "having count(*) filter (where owner_id is null) <> 1")
    def one_total_row_per_scope(cls, df: pd.DataFrame) -> Series[bool]:
        totals = df[df["owner_id"].isna()].groupby("scope_id").size()
        return df["scope_id"].map(totals).eq(1)
