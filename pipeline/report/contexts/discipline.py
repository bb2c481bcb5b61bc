"""The discipline report (销售纪律): the team's compliance over the last runs, the reps ranked
by score, and the records to fix, rep by rep, new ones first."""

from __future__ import annotations

from functools import partial

import pandas as pd

from pipeline.report import charts
from pipeline.report.contexts.common import Scope, one, records, vector
from pipeline.report.i18n import Locale
from pipeline.report.spreadsheet import csv_text

CSV_FILE = "discipline_violations.csv"


def discipline_context(marts, scope: Scope, locale: Locale) -> dict:
    trend = marts["rpt_discipline_by_scope"].sort_values("as_of_date")
    reps = marts["rpt_discipline_scope_reps"].sort_values(
        ["compliance_score", "penalty", "owner_name", "owner_id"],
        ascending=[True, False, True, True])
    rules = marts["rpt_discipline_rules"].sort_values("rule_id").set_index("rule_id")
    describe = partial(describe_violation, rules=rules.to_dict("index"), locale=locale)
    # a rep's first ones in the report; every one in the CSV beside it
    by_owner: dict[str, list[dict]] = {}
    for row in records(marts.rows("rpt_discipline_violations", "is_listed")
                       .sort_values("list_rank")):
        row["description"] = describe(row)
        by_owner.setdefault(row["owner_id"], []).append(row)
    by_rep = [{"rep": rep, "records": by_owner[rep["owner_id"]],
               "more": by_owner[rep["owner_id"]][0]["owner_unlisted_count"]}
              for rep in records(reps) if rep["owner_id"] in by_owner]
    name = "name_zh" if locale.language == "zh_CN" else "name_en"
    skipped = [{"rule": row[name], "reason": row["skip_reason"]}
               for _, row in rules.iterrows() if not pd.isna(row["skip_reason"])]
    context = {"summary_row": one(trend.tail(1)), "trend": records(trend),
               "reps": records(reps), "by_rep": by_rep, "skipped_rules": skipped,
               "csv_file": CSV_FILE, "charts": {},
               "files": {CSV_FILE: violations_csv(marts, describe)}}
    if len(trend):
        title = locale.text("discipline_trend_chart")
        context["charts"]["trend"] = vector("discipline", "trend", title,
                                            charts.score_trend_chart(
            [locale.date(d) for d in trend["as_of_date"]],
            [float(v) for v in trend["compliance_score"]], title=title,
            axis=locale.text("score_axis")))
    context["summary"] = discipline_summary(trend, reps, locale)
    return context


def discipline_summary(trend: pd.DataFrame, reps: pd.DataFrame, locale: Locale) -> list[str]:
    if not len(trend):
        return []
    today = one(trend.tail(1))
    lines = [locale.text(
        "discipline_summary", score=locale.number(today["compliance_score"], 1),
        open=locale.number(today["open_violations_count"]),
        critical=locale.number(today["critical_count"]),
        warning=locale.number(today["warning_count"]), info=locale.number(today["info_count"]))]
    if len(trend) > 1:
        before = one(trend.iloc[[-2]])
        lines.append(locale.text("discipline_since_last_run",
                                 previous=locale.number(before["compliance_score"], 1),
                                 new=locale.number(today["new_count"]),
                                 resolved=locale.number(today["resolved_count"])))
    else:
        lines.append(locale.text("discipline_first_run"))
    worst = one(reps[reps["compliance_score"] < 100].head(1))
    if worst:
        lines.append(locale.text(
            "discipline_most_to_fix", name=worst["owner_name"] or worst["owner_id"],
            score=locale.number(worst["compliance_score"], 1),
            count=locale.number(worst["open_violations_count"])))
    return lines


def describe_violation(row: dict, *, rules: dict[str, dict], locale: Locale) -> str:
    """The rule's description in the report's language, with the violation's numbers; `rules`
    maps each rule_id to its row of rpt_discipline_rules."""
    rule = rules[row["rule_id"]]
    text = rule["description_zh"] if locale.language == "zh_CN" else rule["description_en"]
    detail = row["detail"] or ""
    if rule["kind"] == "missing_fields":
        detail = ", ".join(locale.text(f"field_{f.strip()}") for f in detail.split(",") if f)
    return text.format_map(_Blanks(
        value=locale.number(row["measured_value"], 0 if _whole(row["measured_value"]) else 1),
        threshold=locale.number(row["threshold_value"],
                                0 if _whole(row["threshold_value"]) else 1),
        detail=detail, stage=detail if rule["kind"] == "stuck_in_stage" else rule["stage"]))


class _Blanks(dict):
    """str.format_map that leaves a placeholder the rules file wrote but we lack, empty."""

    def __missing__(self, key: str) -> str:
        return ""


def _whole(value) -> bool:
    return value is None or pd.isna(value) or float(value).is_integer()


def violations_csv(marts, describe):
    """The scope's open violations as CSV text, a batch at a time, in the report's order."""
    columns = ["owner_name", "rule_id", "severity", "record_type", "record_id", "record_name",
               "measured_value", "threshold_value", "first_seen_date", "days_open", "is_new",
               "description"]
    header = True
    for batch in marts.batches("rpt_discipline_violations", "list_rank"):
        batch = batch.assign(description=[describe(row) for row in records(batch)])
        text = csv_text(batch[columns])
        yield text if header else text.split("\n", 1)[1]
        header = False
    if header:
        yield csv_text(pd.DataFrame(columns=columns))
