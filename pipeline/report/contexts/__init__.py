"""What each report shows: the marts selected, sorted and charted for one scope in one
language. The numbers are the marts' own; nothing here computes a metric."""

from pipeline.report.contexts.chat import CHAT_FILE, chat_context
from pipeline.report.contexts.common import Chart, Scope, ScopedMarts
from pipeline.report.contexts.discipline import discipline_context
from pipeline.report.contexts.email import Image, email_context
from pipeline.report.contexts.funnel_loss import funnel_loss_context
from pipeline.report.contexts.performance import performance_context

CONTEXTS = {"performance": performance_context, "funnel_loss": funnel_loss_context,
            "discipline": discipline_context}
REPORTS = tuple(CONTEXTS)
# the tables the contexts read, each one scope's rows at a time (contexts.common.ScopedMarts)
MARTS = ("rpt_scope_performance", "rpt_scope_funnel", "rpt_scope_loss_reasons",
         "rpt_scope_loss_pareto", "rpt_scope_funnel_leaks", "rpt_scope_at_risk_deals",
         "rpt_scope_lost_deals", "rpt_scope_waterfall", "rpt_forecast", "rpt_stage_velocity",
         "rpt_scope_slipped_deals", "rpt_unassigned_owners", "rpt_discipline_violations",
         "rpt_discipline_scope_reps", "rpt_discipline_by_scope", "rpt_discipline_rules",
         "rpt_report_windows", "rpt_customer_retention", "rpt_customer_churn_risk",
         "rpt_target_attainment", "rpt_satisfaction", "rpt_cost_of_sales", "rpt_market_share",
         "rpt_incentive_statements", "rpt_channel_performance", "rpt_channel_conflicts",
         "rpt_channel_returns", "dim_channels")

__all__ = ["CHAT_FILE", "CONTEXTS", "MARTS", "REPORTS", "Chart", "Image", "Scope",
           "ScopedMarts", "chat_context", "email_context"]
