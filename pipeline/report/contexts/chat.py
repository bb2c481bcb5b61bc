"""The morning summary a team's group robot posts (WeCom, DingTalk, Feishu): the email's first
screen, as lines of segments that say which words came from data. Each segment is ["t", text]
(the catalogue's words and the numbers it formatted) or ["d", value] (a name from the CRM, the
org chart or the rules file), so that the delivery step makes every "d" inert in the
platform's own markdown. The numbers are the marts' own, formatted here; nothing is computed."""

from __future__ import annotations

import re

from pipeline.delivery.recipients import CHAT_FILE
from pipeline.report.contexts.common import Scope, records
from pipeline.report.i18n import EMPTY, Locale

__all__ = ["CHAT_FILE", "chat_context", "segments"]
AT_RISK_SHOWN = 3
REPS_SHOWN = 3

Segments = list[list[str]]


def segments(template: str, data: dict | None = None, **values: str) -> Segments:
    """A catalogue sentence as segments: `data` fills its placeholders with values from data
    ("d"), `values` with what the reports formatted ("t")."""
    data = data or {}
    found: Segments = []
    for part in re.split(r"(\{\w+\})", template):
        name = part[1:-1] if part[:1] == "{" and part[-1:] == "}" else None
        if name in data:
            value = data[name]
            found.append(["d", EMPTY if value is None else str(value)])
        elif name in values:
            found.append(["t", values[name]])
        elif part:
            found.append(["t", part])
    return found


def chat_context(email: dict, marts, scope: Scope, locale: Locale, meta: dict,
                 reports: tuple[str, ...]) -> dict:
    """What the robots of `scope` post, in `locale`'s language: the title, the three numbers,
    what changed since yesterday and today's actions; `reports` are the report names."""
    date = locale.date(meta["as_of"])
    return {
        "scope_id": scope.scope_id,
        "language": locale.language,
        "as_of": meta["as_of"].isoformat(),
        "title": segments(locale.text("chat_title"), {"scope": scope.name},
                          heading=locale.text("chat_heading"), date=date),
        "subtitle": [["t", f"{locale.text('as_of')} {date} · {locale.text('newest_record')} "
                           f"{locale.date(meta['newest_record'])}"]],
        "headline": email["headline"],
        "sections": [since_yesterday(email, locale), actions(marts, locale)],
        "reports": [{"report": report, "label": locale.text(f"report_{report}"),
                     "file": f"{report}.pdf", "page": f"{report}.html"} for report in reports],
        "texts": {key: locale.text(key) for key in (
            "chat_cut", "chat_reports_files", "chat_reports_email", "chat_reports_links",
            "list_separator")},
    }


def since_yesterday(email: dict, locale: Locale) -> dict:
    lines = []
    ends = email["pipeline_ends"]
    if ends:
        lines.append(_line("text", locale.text(
            "since_yesterday_pipeline", opening=locale.money(ends[0]["amount"]),
            closing=locale.money(ends[-1]["amount"]))))
    for row in email["pipeline_moves"]:
        lines.append(_line("item", locale.text(
            "chat_move", movement=locale.text(f"movement_{row['movement']}"),
            count=locale.number(row["deals_count"]), amount=locale.money(row["amount"]))))
    if not email["pipeline_moves"]:
        lines.append(_line("text", locale.text("since_yesterday_quiet")))
    if email["has_previous_run"]:
        today = email["discipline_today"]
        lines.append(_line("text", locale.text(
            "since_yesterday_discipline", new=locale.number(today.get("new_count")),
            resolved=locale.number(today.get("resolved_count")))))
    return {"heading": locale.text("since_yesterday"), "lines": lines}


def actions(marts, locale: Locale) -> dict:
    """The largest open deals due this quarter that break a rule, and the reps with the most
    new violations since yesterday, a few of each."""
    lines = []
    at_risk = marts["rpt_scope_at_risk_deals"].sort_values("risk_rank")
    if len(at_risk):
        lines.append(_line("sub", locale.text("chat_at_risk")))
        for row in records(at_risk.head(AT_RISK_SHOWN)):
            lines.append({"style": "item", "segments": segments(
                locale.text("chat_at_risk_deal"),
                {"deal": row["deal_name"], "account": row["account_name"],
                 "owner": row["owner_name"] or row["owner_id"],
                 "rules": locale.name(row, "rule_names")},
                amount=locale.money(row["amount"]), close=locale.date(row["close_date"]))})
        lines += _more(len(at_risk), AT_RISK_SHOWN, locale)
    reps = marts["rpt_discipline_scope_reps"]
    reps = reps[reps["new_count"].notna()]
    reps = reps[reps["new_count"] > 0].sort_values(
        ["new_count", "open_violations_count", "owner_name", "owner_id"],
        ascending=[False, False, True, True])
    if len(reps):
        lines.append(_line("sub", locale.text("chat_new_violations")))
        for row in records(reps.head(REPS_SHOWN)):
            lines.append({"style": "item", "segments": segments(
                locale.text("chat_rep_violations"),
                {"owner": row["owner_name"] or row["owner_id"]},
                new=locale.number(row["new_count"]),
                open=locale.number(row["open_violations_count"]))})
        lines += _more(len(reps), REPS_SHOWN, locale)
    if not lines:
        lines.append(_line("text", locale.text("chat_no_actions")))
    return {"heading": locale.text("chat_actions"), "lines": lines}


def _line(style: str, text: str) -> dict:
    return {"style": style, "segments": [["t", text]]}


def _more(found: int, shown: int, locale: Locale) -> list[dict]:
    if found <= shown:
        return []
    return [_line("more", locale.text("chat_more", count=locale.number(found - shown)))]
