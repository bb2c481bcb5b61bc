"""The email a manager opens: the three numbers they read first, what changed since
yesterday, each report's summary, two charts as PNG, and the reports attached."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.report.contexts.common import Scope, records
from pipeline.report.i18n import Locale

SINCE_YESTERDAY = "waterfall_day"
QUIET_MOVEMENTS = ("opening", "closing", "unchanged")
EMAIL_CHARTS = (("performance", "attainment"), ("funnel_loss", "funnel"))


@dataclass(frozen=True)
class Image:
    """A chart attached to the email and shown in its body by Content-ID: `file`, the
    bitmap of the report's chart `source` (SVG)."""

    file: str
    cid: str
    title: str
    source: str


def email_context(contexts: dict[str, dict], marts, scope: Scope,
                  locale: Locale) -> dict:
    performance, discipline = contexts["performance"], contexts["discipline"]
    qtd = performance["periods"][1]["total"]
    forecast = performance["forecast"]["total"]
    compliance = discipline["summary_row"]
    waterfall = marts["rpt_scope_waterfall"]
    moves = waterfall[waterfall["window_kind"] == SINCE_YESTERDAY].sort_values(
        ["movement_order", "movement"]).set_index("movement", drop=False)
    return {
        "headline": [
            {"label": locale.text("headline_won"), "value": locale.money(qtd.get("won_amount")),
             "note": locale.text("headline_attainment",
                                 attainment=locale.percent(qtd.get("attainment_rate")),
                                 target=locale.money(qtd.get("target_won_amount")))},
            {"label": locale.text("headline_commit"),
             "value": locale.money(forecast.get("commit_amount")),
             "note": locale.text("headline_coverage",
                                 coverage=locale.percent(forecast.get("coverage_rate")))},
            {"label": locale.text("headline_compliance"),
             "value": locale.number(compliance.get("compliance_score"), 1),
             "note": locale.text("headline_violations",
                                 open=locale.number(compliance.get("open_violations_count")),
                                 critical=locale.number(compliance.get("critical_count")))},
        ],
        "pipeline_moves": records(moves[~moves["movement"].isin(QUIET_MOVEMENTS)
                                        & (moves["deals_count"] > 0)]),
        "pipeline_ends": records(moves[moves["movement"].isin(["opening", "closing"])]),
        "discipline_today": compliance,
        "has_previous_run": len(discipline["trend"]) > 1,
        "summaries": {report: context["summary"] for report, context in contexts.items()},
        "images": images(contexts),
    }


def images(contexts: dict[str, dict]) -> list[Image]:
    """The charts of the email: the reports' own attainment and funnel charts, as bitmaps
    (mail clients show no SVG), made when the email is written."""
    found = []
    for report, name in EMAIL_CHARTS:
        chart = contexts[report]["charts"].get(name)
        if chart is not None:
            found.append(Image(f"charts/email-{name}.png", f"{name}@report", chart.title,
                               chart.file))
    return found
