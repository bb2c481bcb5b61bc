"""What each report shows: the marts selected, sorted and charted for one scope in one
language. The numbers are the marts' own; nothing here computes a metric."""

from pipeline.contexts.common import Chart, Scope
from pipeline.contexts.discipline import discipline_context
from pipeline.contexts.email import Image, email_context
from pipeline.contexts.funnel_loss import funnel_loss_context
from pipeline.contexts.performance import performance_context

CONTEXTS = {"performance": performance_context, "funnel_loss": funnel_loss_context,
            "discipline": discipline_context}
REPORTS = tuple(CONTEXTS)
# the marts (and the few intermediate tables) the contexts read
MARTS = ("rpt_scope_performance", "rpt_scope_funnel", "rpt_scope_loss_reasons",
         "rpt_scope_loss_pareto", "rpt_scope_funnel_leaks", "rpt_scope_at_risk_deals",
         "rpt_scope_lost_deals", "rpt_scope_waterfall", "rpt_forecast", "rpt_stage_velocity",
         "rpt_scope_slipped_deals", "rpt_unassigned_owners", "fct_discipline_violations",
         "rpt_discipline_by_rep", "rpt_discipline_by_scope", "rpt_discipline_rules",
         "int_report_scopes", "rpt_data_freshness", "int_report_periods", "dim_users",
         "rpt_customer_retention", "rpt_customer_churn_risk", "rpt_target_attainment",
         "rpt_satisfaction", "rpt_cost_of_sales", "rpt_market_share", "rpt_rep_incentives",
         "rpt_channel_performance", "rpt_channel_conflicts", "stg_config__channels",
         "rpt_channel_returns")

__all__ = ["CONTEXTS", "MARTS", "REPORTS", "Chart", "Image", "Scope", "email_context"]
