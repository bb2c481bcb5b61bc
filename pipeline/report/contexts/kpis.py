"""The performance report's sections on targets beyond the won amount, customer satisfaction,
the cost of selling and market share. A section whose mart is empty for the whole company
(its optional file is absent) is left out of the report; one with rows elsewhere but none
in this scope says so."""

from __future__ import annotations

import pandas as pd

from pipeline.report.contexts.common import Scope, records

METRIC_ORDER = ["won_amount", "won_count", "new_customers", "activities", "satisfaction"]
RECENT_MONTHS = 6
RECENT_PERIODS = 4


def kpi_sections(marts) -> dict:
    """Which optional sections the report has: those whose mart has any row, in any scope
    (its input file was given)."""
    return {name: marts.any_rows(mart) for name, mart in (
        ("targets", "rpt_target_attainment"), ("satisfaction", "rpt_satisfaction"),
        ("costs", "rpt_cost_of_sales"), ("market", "rpt_market_share"))}


def kpi_context(marts, scope: Scope, language: str) -> dict:
    present = kpi_sections(marts)
    return {
        "sections": present,
        "targets": targets_section(marts, scope) if present["targets"] else None,
        "satisfaction": satisfaction_section(marts, scope) if present["satisfaction"] else None,
        "costs": recent(marts["rpt_cost_of_sales"], "month", RECENT_MONTHS)
        if present["costs"] else None,
        "channel_returns": channel_returns(marts, scope, language) if present["costs"] else [],
        "market": market_section(marts, scope) if present["market"] else None,
    }


def channel_returns(marts, scope: Scope, language: str) -> list[dict]:
    """Each channel's cost and what it won over the last 12 months, in the channels file's
    order, with its label."""
    mine = marts["rpt_channel_returns"]
    mine = mine[mine["period_kind"] == "last_12_months"]
    channels = marts["dim_channels"].set_index("channel")
    label = channels["label_zh" if language == "zh_CN" else "label_en"]
    named = mine.assign(channel_order=mine["channel"].map(channels["channel_order"]),
                        label=mine["channel"].map(label))
    return records(named.sort_values(["channel_order", "channel"]))


def recent(frame: pd.DataFrame, by: str, count: int) -> list[dict]:
    return records(frame.sort_values(by).tail(count))


def targets_section(marts, scope: Scope) -> list[dict]:
    """Quarter to date: each team's targets, then each rep's, metric by metric."""
    mine = marts["rpt_target_attainment"]
    mine = mine[mine["period_kind"] == "quarter_to_date"].assign(
        metric_order=lambda f: f["metric"].map(METRIC_ORDER.index),
        kind_order=lambda f: (f["holder_kind"] == "rep").astype(int))
    return records(mine.sort_values(["kind_order", "holder_name", "holder_id",
                                     "metric_order"]))


def satisfaction_section(marts, scope: Scope) -> dict:
    """The scope's answers over the last months, one line per month and scale."""
    mine = marts["rpt_satisfaction"]
    totals = mine[mine["owner_id"].isna()]
    months = sorted(totals["month"].unique())[-RECENT_MONTHS:]
    shown = totals[totals["month"] >= months[0]] if months else totals
    return {"months": records(shown.sort_values(["month", "scale"]))}


def market_section(marts, scope: Scope) -> list[dict]:
    mine = marts["rpt_market_share"]
    starts = sorted(mine["period_start"].unique())[-RECENT_PERIODS:]
    shown = mine[mine["period_start"] >= starts[0]] if starts else mine
    return records(shown.sort_values(["period_start", "region", "period"]))
