"""The performance report: month and quarter to date per rep against target and pace, the
12-month trend, the quarter's forecast, the pipeline's moves since last week, the customers
won, kept and lost, the sales channels and their partners, the team's commission statement,
and, for the company, the owners that org.csv does not place."""

from __future__ import annotations

import pandas as pd

from pipeline.report import charts
from pipeline.report.contexts.common import Scope, one, records, sentence, vector
from pipeline.report.contexts.kpis import kpi_context
from pipeline.report.i18n import Locale

WATERFALL_WINDOW = "waterfall_week"
NAMES_IN_SUMMARY = 3
CUSTOMER_MONTHS = 6
AT_RISK_CUSTOMERS = 10
CHANNEL_PERIOD = "last_12_months"
CHANNEL_CONFLICTS = 15


def performance_context(marts, scope: Scope, locale: Locale) -> dict:
    mine = marts["rpt_scope_performance"]
    reps = mine[mine["owner_id"].notna()].sort_values(
        ["won_amount", "owner_name", "owner_id"], ascending=[False, True, True])
    totals = mine[mine["owner_id"].isna()]
    trend = totals[totals["period_kind"] == "month"].sort_values("period_start")
    context = {
        "periods": [{
            "kind": kind,
            "reps": records(reps[reps["period_kind"] == kind]),
            "total": one(totals[totals["period_kind"] == kind]),
        } for kind in ("month_to_date", "quarter_to_date")],
        "previous_year": one(totals[totals["period_kind"] == "previous_year_quarter_to_date"]),
        "trend": records(trend),
        "unassigned": (records(marts["rpt_unassigned_owners"].sort_values(
            ["open_amount", "owner_name", "owner_id"], ascending=[False, True, True]))
            if scope.scope_id == "company" else []),
        "charts": {},
    }
    quarter = reps[reps["period_kind"] == "quarter_to_date"]
    ranked = quarter[quarter["attainment_rate"].notna()].sort_values(
        ["attainment_rate", "owner_name", "owner_id"], ascending=[False, True, True])
    if len(ranked):
        title = locale.text("attainment_chart")
        context["charts"]["attainment"] = vector("performance", "attainment", title,
                                                 attainment_figure(ranked, locale))
    if len(trend):
        title = locale.text("trend_heading")
        context["charts"]["trend"] = vector("performance", "trend", title, charts.trend_chart(
            [locale.month(m) for m in trend["period_start"]], list(trend["won_amount"]),
            [None if pd.isna(t) else t for t in trend["target_won_amount"]],
            title=title, axis=locale.text("trend_axis", currency=locale.currency),
            language=locale.language))
    context |= waterfall_section(marts, scope, locale, context["charts"])
    context |= forecast_section(marts, scope, locale, context["charts"])
    context |= customers_section(marts, scope)
    context |= channels_section(marts, scope, locale)
    context["kpis"] = kpi_context(marts, scope, locale.language)
    context |= incentives_section(marts, scope)
    context["summary"] = performance_summary(context, quarter, locale)
    return context


def attainment_figure(ranked: pd.DataFrame, locale: Locale):
    """Quarter-to-date attainment per rep; `ranked` are the reps with a target."""
    return charts.attainment_chart(
        [str(n) for n in ranked["owner_name"]], list(ranked["attainment_rate"]),
        title=locale.text("attainment_chart"), axis=locale.text("attainment_axis"))


def performance_summary(context: dict, quarter: pd.DataFrame, locale: Locale) -> list[str]:
    qtd, before = context["periods"][1]["total"], context["previous_year"]
    lines = [
        sentence(locale, "summary_qtd", won=locale.money(qtd.get("won_amount")),
                 target=locale.money(qtd.get("target_won_amount")),
                 attainment=locale.percent(qtd.get("attainment_rate")))
        or sentence(locale, "summary_qtd_no_target", won=locale.money(qtd.get("won_amount"))),
        sentence(locale, "summary_pace", pace=locale.percent(qtd.get("pace_rate"))),
        _change(locale, "summary_win_rate", qtd.get("win_rate"), before.get("win_rate")),
        sentence(locale, "summary_cycle", days=locale.number(qtd.get("median_cycle_days"))),
    ]
    latest = context["customers"]["latest"]
    if latest:
        lines.append(locale.text(
            "summary_customers", active=locale.number(latest["active_customers_count"]),
            new=locale.number(latest["new_customers_count"]),
            lapsed=locale.number(latest["lapsed_customers_count"]),
            retention=locale.percent(latest["retention_rate"])))
    paced = quarter[quarter["pace_rate"].notna()]
    behind = paced[paced["pace_rate"] < 1].sort_values(["pace_rate", "owner_name",
                                                        "owner_id"])
    if len(behind):
        names = [str(n) for n in behind["owner_name"].head(NAMES_IN_SUMMARY)]
        more = len(behind) - len(names)
        lines.append(locale.text(
            "summary_behind", count=locale.number(len(behind)), reps=locale.number(len(paced)),
            names=locale.text("list_separator").join(names)
            + (locale.text("and_more", count=locale.number(more)) if more else "")))
    elif len(paced):
        lines.append(locale.text("summary_none_behind", reps=locale.number(len(paced))))
    return [line for line in lines if line]


def _change(locale: Locale, key: str, now, before) -> str | None:
    """'The win rate rose from 31% to 42%…', or fell, or held, when both are known."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return None
    direction = "up" if now > before else "down" if now < before else "same"
    return locale.text(f"{key}_{direction}", now=locale.percent(now),
                       before=locale.percent(before))


def waterfall_section(marts, scope: Scope, locale: Locale, chart_list: dict) -> dict:
    rows = marts["rpt_scope_waterfall"]
    mine = rows[rows["window_kind"] == WATERFALL_WINDOW].sort_values(
        ["movement_order", "movement"])
    window = one(marts["rpt_report_windows"])
    section = {"waterfall": records(mine),
               "waterfall_window": {"start": window["waterfall_start_date"],
                                    "end": window["waterfall_end_date"]}}
    if len(mine):
        ends = mine.set_index("movement")
        moves = mine[~mine["movement"].isin(["opening", "closing"]) & (mine["amount"] != 0)]
        title = locale.text("waterfall_chart")
        chart_list["waterfall"] = vector("performance", "waterfall", title,
                                         charts.waterfall_chart(
            [locale.text(f"movement_{m}") for m in ["opening", *moves["movement"], "closing"]],
            float(ends.loc["opening", "amount"]), [float(a) for a in moves["amount"]],
            float(ends.loc["closing", "amount"]), title=title,
            axis=locale.text("trend_axis", currency=locale.currency), language=locale.language))
    return section


def forecast_section(marts, scope: Scope, locale: Locale, chart_list: dict) -> dict:
    mine = marts["rpt_forecast"]
    reps = mine[mine["owner_id"].notna()].sort_values(
        ["won_amount", "owner_name", "owner_id"], ascending=[False, True, True])
    total = one(mine[mine["owner_id"].isna()])
    if total:
        title = locale.text("forecast_chart")
        kinds = ["won", "commit", "best_case", "pipeline"]
        chart_list["forecast"] = vector("performance", "forecast", title, charts.forecast_chart(
            [locale.text(f"forecast_{k}") for k in kinds],
            [float(total[f"{k}_amount"]) for k in kinds], total["target_won_amount"],
            title=title, axis=locale.text("trend_axis", currency=locale.currency),
            language=locale.language))
    return {"forecast": {"total": total, "reps": records(reps)}}


def customers_section(marts, scope: Scope) -> dict:
    """The scope's customers over the last months (active, new, back, kept, lapsed) and the
    key customers slipping away, largest first."""
    mine = marts["rpt_customer_retention"].sort_values("month")
    months = mine.tail(CUSTOMER_MONTHS)
    at_risk = marts["rpt_customer_churn_risk"].sort_values(
        ["trailing_won_amount", "account_name", "account_id"], ascending=[False, True, True])
    return {"customers": {"months": records(months), "latest": one(months.tail(1)),
                          "at_risk": records(at_risk.head(AT_RISK_CUSTOMERS)),
                          "at_risk_count": len(at_risk)}}


def incentives_section(marts, scope: Scope) -> dict:
    """The scope's reps' commission statements for the as-of month, largest payout first,
    and their total row; None (no section) without a commission plan."""
    statements = marts["rpt_incentive_statements"]
    if statements.empty:
        return {"incentives": None}
    reps = statements[statements["owner_id"].notna()].sort_values(
        ["payout_amount", "owner_name", "owner_id"], ascending=[False, True, True])
    return {"incentives": {
        "month": one(marts["rpt_report_windows"])["month_start_date"],
        "reps": records(reps), "plans": sorted(reps["plan_id"].unique()),
        "total": one(statements[statements["owner_id"].isna()]) if len(reps) else {},
        "rounding": one(reps[["rounding_places", "rounding_mode"]].head(1))}}


def channels_section(marts, scope: Scope, locale: Locale) -> dict:
    """Each channel and each partner over the last 12 months, in the channels file's order,
    and the accounts sold through two channels at once, largest open amount first."""
    channels = marts["dim_channels"].set_index("channel")
    label_column = "label_zh" if locale.language == "zh_CN" else "label_en"

    def label(channel: str) -> str:
        return str(channels[label_column].get(channel, channel))

    def ordered(frame: pd.DataFrame, *by: str) -> pd.DataFrame:
        frame = frame.assign(channel_label=frame["channel"].map(label),
                             channel_order=frame["channel"].map(channels["channel_order"]))
        return frame.sort_values(["channel_order", "channel", *by])

    mine = marts["rpt_channel_performance"]
    period = mine[mine["period_kind"] == CHANNEL_PERIOD]
    totals = ordered(period[period["partner_id"].isna()])
    partners = ordered(period[period["partner_id"].notna()], "partner_name", "partner_id")
    conflicts = marts["rpt_channel_conflicts"].sort_values(
        ["open_amount", "account_name", "account_id", "source"],
        ascending=[False, True, True, True])
    conflicts = conflicts.assign(channel_labels=[
        locale.text("list_separator").join(label(c) for c in channels_.split(", "))
        for channels_ in conflicts["channels"]])
    window = one(marts["rpt_report_windows"])
    return {"channels": {
        "totals": records(totals), "partners": records(partners),
        "start": window["channels_start_date"], "end": window["channels_end_date"],
        "conflicts": records(conflicts.head(CHANNEL_CONFLICTS)),
        "conflicts_count": len(conflicts)}}
