"""The funnel-loss report: where deals are lost, against the previous window and against the
company; why (a Pareto of loss reasons); the largest leaks and lost deals; how fast deals
move; and the open deals at risk."""

from __future__ import annotations

from pipeline.report import charts
from pipeline.report.contexts.common import Scope, one, records, sentence, vector
from pipeline.report.i18n import Locale


def funnel_loss_context(marts, scope: Scope, locale: Locale) -> dict:
    stages = marts["rpt_scope_funnel"].sort_values(["stage_order", "stage"])
    reasons = marts["rpt_scope_loss_reasons"].sort_values(
        ["stage_order", "stage", "lost_amount", "lost_count", "loss_reason_id"],
        ascending=[True, True, False, False, True])
    pareto = marts["rpt_scope_loss_pareto"].sort_values("pareto_rank")
    windows = one(marts["rpt_report_windows"])
    context = {
        "stages": records(stages),
        "is_company": scope.scope_id == "company",
        "reasons": records(reasons[(reasons["lost_count"] > 0)
                                   | (reasons["previous_lost_count"] > 0)]),
        "pareto": records(pareto),
        "leaks": records(marts["rpt_scope_funnel_leaks"]
                         .sort_values("leak_rank")),
        "lost_deals": records(marts["rpt_scope_lost_deals"]
                              .sort_values("lost_rank")),
        "at_risk": records(marts["rpt_scope_at_risk_deals"]
                           .sort_values("risk_rank")),
        "velocity": records(marts["rpt_stage_velocity"]
                            .sort_values(["stage_order", "stage"])),
        "slipped_deals": records(marts["rpt_scope_slipped_deals"]
                                 .sort_values("slip_rank")),
        "window": {"funnel_current": {"start": windows["funnel_start_date"],
                                      "end": windows["funnel_end_date"]},
                   "funnel_previous": {"start": windows["previous_funnel_start_date"],
                                       "end": windows["previous_funnel_end_date"]}},
        "charts": {},
    }
    if (stages["deals_reached"] > 0).any():
        context["charts"]["funnel"] = vector("funnel_loss", "funnel",
                                             locale.text("funnel_chart"),
                                             funnel_figure(stages, locale))
    if len(pareto):
        title = locale.text("pareto_chart")
        context["charts"]["pareto"] = vector("funnel_loss", "pareto", title, charts.pareto_chart(
            [locale.name(r, "loss_reason") or locale.text("no_reason")
             for r in context["pareto"]],
            [float(a) for a in pareto["lost_amount"]],
            [float(c) for c in pareto["cumulative_share"].fillna(0)], title=title,
            axis=locale.text("trend_axis", currency=locale.currency),
            share_axis=locale.text("cumulative_share"), language=locale.language))
    context["summary"] = funnel_summary(stages, pareto, scope, locale)
    return context


def funnel_figure(stages, locale: Locale):
    return charts.funnel_chart(list(stages["stage"]), [int(v) for v in stages["deals_reached"]],
                               title=locale.text("funnel_chart"),
                               axis=locale.text("funnel_axis"))


def funnel_summary(stages, pareto, scope: Scope, locale: Locale) -> list[str]:
    if not len(stages):
        return []
    lines = [sentence(locale, "summary_funnel_created",
                      reached=locale.number(stages["deals_reached"].iloc[0]))]
    fell = stages[stages["conversion_rate_change"] < 0].sort_values(
        ["conversion_rate_change", "stage_order", "stage"])
    if len(fell):
        row = one(fell.head(1))
        lines.append(locale.text("summary_conversion_fell", stage=row["stage"],
                                 before=locale.percent(row["previous_conversion_rate"]),
                                 now=locale.percent(row["conversion_rate"])))
    elif stages["conversion_rate_change"].notna().any():
        lines.append(locale.text("summary_conversion_held"))
    below = stages[stages["conversion_vs_company"] < 0].sort_values(
        ["conversion_vs_company", "stage_order", "stage"])
    if scope.scope_id != "company" and len(below):
        row = one(below.head(1))
        lines.append(locale.text("summary_below_company", stage=row["stage"],
                                 now=locale.percent(row["conversion_rate"]),
                                 company=locale.percent(row["company_conversion_rate"])))
    worst = stages[stages["deals_lost_here"] > 0].sort_values(
        ["lost_amount_here", "stage_order", "stage"], ascending=[False, True, True])
    if len(worst):
        row = one(worst.head(1))
        lines.append(locale.text("summary_worst_stage", stage=row["stage"],
                                 count=locale.number(row["deals_lost_here"]),
                                 amount=locale.money(row["lost_amount_here"])))
    if len(pareto):
        row = one(pareto.head(1))
        lines.append(locale.text("summary_top_reason",
                                 reason=locale.name(row, "loss_reason")
                                 or locale.text("no_reason"),
                                 share=locale.percent(row["amount_share"])))
    return [line for line in lines if line]
