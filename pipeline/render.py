"""Render: the validated marts -> one HTML and one PDF per report per scope.

Scopes are the company and every manager in the org chart (their whole subtree). The
numbers come from the marts as they are; this module selects, sorts and hands them to the
templates, which format them for the locale. Reports are written to a temporary folder that
replaces out/reports/<as-of>/ only once every report has been written.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import re
import shutil
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipeline import charts, fonts
from pipeline.config import Config
from pipeline.db import frame, read_state, scalar
from pipeline.errors import ConfigError, ValidationFailed
from pipeline.i18n import Locale
from pipeline.paths import ASSETS_DIR, TEMPLATES_DIR

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

log = logging.getLogger(__name__)

REPORTS = ("performance", "funnel_loss", "discipline")
MARTS = ("rpt_scope_performance", "rpt_scope_funnel", "rpt_scope_loss_reasons",
         "rpt_scope_lost_deals", "rpt_scope_waterfall", "rpt_forecast", "rpt_stage_velocity",
         "rpt_scope_slipped_deals", "fct_discipline_violations", "rpt_discipline_by_rep",
         "rpt_discipline_by_scope", "rpt_discipline_rules", "int_report_scopes",
         "rpt_data_freshness", "int_report_periods", "dim_users")
# a list longer than this, per rep, goes to the CSV beside the report
RECORDS_PER_REP = 15
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
WATERFALL_WINDOW = "waterfall_week"
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


@dataclass(frozen=True)
class Chart:
    """A chart of a report, written beside it as charts/<report>-<name>.svg."""

    file: str
    title: str
    svg: str


@dataclass(frozen=True)
class Scope:
    scope_id: str
    name: str
    folder: str


class ProjectFilesOnly(URLFetcher):
    """Fetches file: URLs inside the allowed folders; refuses every other URL."""

    def __init__(self, allowed: list[Path]) -> None:
        super().__init__(allowed_protocols=["file"])
        self.allowed = [folder.resolve() for folder in allowed]
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        path = Path(url.removeprefix("file://").split("?")[0]).resolve() \
            if url.startswith("file://") else None
        if path is None or not any(path.is_relative_to(folder) for folder in self.allowed):
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url!r}: not one of the project's own files")
        return super().fetch(url, headers)


def render_reports(con: duckdb.DuckDBPyConnection, config: Config) -> Path:
    """Writes every report of the run; returns out/reports/<as-of>/."""
    build_id = read_state(con, "build_id")
    if build_id is None or read_state(con, "validated_build_id") != build_id:
        raise ValidationFailed("the marts of this build have not passed validation; "
                               "run `make validate` (or the whole run) first")
    built_as_of = read_state(con, "as_of_date")
    if built_as_of != config.as_of.isoformat():
        raise ConfigError(f"the warehouse was built as of {built_as_of}, not "
                          f"{config.as_of.isoformat()}; build it again for this date")
    fonts.font_path()
    marts = {name: frame(con, name) for name in MARTS}
    locale = Locale(config.language, config.currency)
    env = environment(locale)
    newest = scalar(con, "select max(newest_record_at) from rpt_data_freshness "
                    "where entity = 'deals'")
    pages = []
    for scope in report_scopes(marts["dim_users"], locale):
        for report in REPORTS:
            context = CONTEXTS[report](marts, scope, locale)
            context |= {"report": report, "scope": scope, "as_of": config.as_of,
                        "newest_record": newest, "build_id": build_id,
                        "title": locale.text(f"report_{report}")}
            pages.append((scope, report, context))

    target = config.reports_dir / config.as_of.isoformat()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".rendering-", dir=target.parent)).resolve()
    try:
        jobs = []
        for scope, report, context in pages:
            folder = staging / scope.folder
            (folder / "charts").mkdir(parents=True, exist_ok=True)
            for chart in context["charts"].values():
                (folder / chart.file).write_text(chart.svg, encoding="utf-8")
            for name, text in context.get("files", {}).items():
                (folder / name).write_text(text, encoding="utf-8-sig")
            html = env.get_template(f"{report}.html").render(context)
            (folder / f"{report}.html").write_text(html, encoding="utf-8")
            jobs.append((html, folder / f"{report}.pdf"))
        font = fonts.write_subset([html for html, _ in jobs],
                                  staging / ".fonts" / "report-sans.ttf")
        refused = _write_pdfs(jobs, font, config.threads, _epoch(config.as_of))
        if refused:
            log.warning("refused to fetch %d URLs named in the reports: %s", len(refused),
                        ", ".join(sorted(set(refused))[:5]))
        shutil.rmtree(staging / ".fonts")
        index = env.get_template("index.html").render(
            scopes=[s for s, r, _ in pages if r == REPORTS[0]], reports=REPORTS,
            as_of=config.as_of, title=locale.text("report_index"))
        (staging / "index.html").write_text(index, encoding="utf-8")
        _publish(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("rendered %d reports into %s", len(pages), target)
    return target


def _epoch(day: date) -> int:
    return int(datetime.combine(day, time(0), tzinfo=UTC).timestamp())


def _write_pdfs(jobs: list[tuple[str, Path]], font: Path, workers: int,
                epoch: int) -> list[str]:
    """HTML -> PDF for every job, in parallel processes when there is more than one core."""
    tasks = [(html, pdf, font, epoch) for html, pdf in jobs]
    if workers <= 1 or len(tasks) <= 2:
        return [url for task in tasks for url in write_pdf(*task)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results = pool.map(write_pdf, *zip(*tasks, strict=True))
        return [url for refused in results for url in refused]


def write_pdf(html: str, target: Path, font: Path, epoch: int) -> list[str]:
    """One PDF, set in the run's font, fetching nothing but the project's own files and
    the charts written beside the report.

    fontTools stamps the fonts it writes with SOURCE_DATE_EPOCH when set: pinning it to the
    as-of date makes the same inputs give the same bytes.
    """
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    fetcher = ProjectFilesOnly([TEMPLATES_DIR, ASSETS_DIR, font.parent, target.parent / "charts"])
    font_config = FontConfiguration()
    font_face = CSS(string=f'@font-face {{ font-family: "Report Sans"; '
                           f'src: url("{font.as_uri()}"); }}',
                    font_config=font_config, url_fetcher=fetcher)
    HTML(string=html, base_url=str(target.parent) + "/", url_fetcher=fetcher).write_pdf(
        target, stylesheets=[font_face], font_config=font_config)
    return fetcher.refused


def _publish(staging: Path, target: Path) -> None:
    """Swap the new folder in; the old one is removed only after the swap."""
    old = None
    if target.exists():
        old = target.with_name(f".old-{target.name}-{os.getpid()}")
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old)


def environment(locale: Locale) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals |= {"t": locale.text, "language": locale.language,
                    "html_lang": HTML_LANG[locale.language],
                    "page_counter": Markup(_css_counter(locale.text("page_of")))}
    env.filters |= {"money": locale.money, "percent": locale.percent,
                    "points": locale.points, "number": locale.number,
                    "days": lambda value: locale.number(value, 1), "date": locale.date,
                    "month": locale.month}
    return env


def _css_counter(label: str) -> str:
    """'Page {page} of {pages}' -> a CSS content value with page counters."""
    parts = re.split(r"(\{page\}|\{pages\})", label)
    out = []
    for part in parts:
        if part == "{page}":
            out.append("counter(page)")
        elif part == "{pages}":
            out.append("counter(pages)")
        elif part:
            out.append('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(out)


def report_scopes(users: pd.DataFrame, locale: Locale) -> list[Scope]:
    managers = users[users["is_manager"]].sort_values(["management_level", "name", "user_id"])
    scopes = [Scope("company", locale.text("scope_company"), "company")]
    scopes += [Scope(row.user_id, locale.text("scope_team_of", name=row.name),
                     _folder_name(row.user_id)) for row in managers.itertuples()]
    return scopes


def _folder_name(user_id: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", user_id)
    return name if name not in ("", ".", "..", "company") else f"user_{name}"


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows for the templates, with every missing value as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _one(frame: pd.DataFrame) -> dict:
    rows = _records(frame)
    return rows[0] if rows else {}


def performance_context(marts: dict, scope: Scope, locale: Locale) -> dict:
    rows = marts["rpt_scope_performance"]
    mine = rows[rows["scope_id"] == scope.scope_id]
    reps = mine[mine["owner_id"].notna()].sort_values(
        ["won_amount", "owner_name", "owner_id"], ascending=[False, True, True])
    totals = mine[mine["owner_id"].isna()]
    qtd_reps = reps[(reps["period_kind"] == "quarter_to_date")
                    & reps["attainment_rate"].notna()].sort_values(
        ["attainment_rate", "owner_name"], ascending=[False, True])
    trend = totals[totals["period_kind"] == "month"].sort_values("period_start")
    context = {
        "periods": [{
            "kind": kind,
            "reps": _records(reps[reps["period_kind"] == kind]),
            "total": _one(totals[totals["period_kind"] == kind]),
        } for kind in ("month_to_date", "quarter_to_date")],
        "trend": _records(trend),
        "charts": {},
    }
    if len(qtd_reps):
        title = locale.text("attainment_chart")
        context["charts"]["attainment"] = Chart(
            "charts/performance-attainment.svg", title, charts.attainment_chart(
                [str(n) for n in qtd_reps["owner_name"]], list(qtd_reps["attainment_rate"]),
                title=title, axis=locale.text("attainment_axis")))
    if len(trend):
        title = locale.text("trend_heading")
        context["charts"]["trend"] = Chart(
            "charts/performance-trend.svg", title, charts.trend_chart(
                [locale.month(m) for m in trend["period_start"]], list(trend["won_amount"]),
                [None if pd.isna(t) else t for t in trend["target_won_amount"]],
                title=title, axis=locale.text("trend_axis", currency=locale.currency)))
    context |= waterfall_section(marts, scope, locale, context["charts"])
    context |= forecast_section(marts, scope, locale, context["charts"])
    return context


def waterfall_section(marts: dict, scope: Scope, locale: Locale, chart_list: dict) -> dict:
    rows = marts["rpt_scope_waterfall"]
    mine = rows[(rows["scope_id"] == scope.scope_id)
                & (rows["window_kind"] == WATERFALL_WINDOW)].sort_values("movement_order")
    window = marts["int_report_periods"].set_index("period_kind").loc[WATERFALL_WINDOW]
    section = {"waterfall": _records(mine),
               "waterfall_window": {"start": window["period_start"],
                                    "end": window["period_end"]}}
    if len(mine):
        ends = mine.set_index("movement")
        moves = mine[~mine["movement"].isin(["opening", "closing"])
                     & (mine["amount"] != 0)]
        title = locale.text("waterfall_chart")
        chart_list["waterfall"] = Chart(
            "charts/performance-waterfall.svg", title, charts.waterfall_chart(
                [locale.text(f"movement_{m}") for m in
                 ["opening", *moves["movement"], "closing"]],
                float(ends.loc["opening", "amount"]), [float(a) for a in moves["amount"]],
                float(ends.loc["closing", "amount"]), title=title,
                axis=locale.text("trend_axis", currency=locale.currency)))
    return section


def forecast_section(marts: dict, scope: Scope, locale: Locale, chart_list: dict) -> dict:
    rows = marts["rpt_forecast"]
    mine = rows[rows["scope_id"] == scope.scope_id]
    reps = mine[mine["owner_id"].notna()].sort_values(
        ["won_amount", "owner_name"], ascending=[False, True])
    total = _one(mine[mine["owner_id"].isna()])
    if total:
        title = locale.text("forecast_chart")
        kinds = ["won", "commit", "best_case", "pipeline"]
        chart_list["forecast"] = Chart(
            "charts/performance-forecast.svg", title, charts.forecast_chart(
                [locale.text(f"forecast_{k}") for k in kinds],
                [float(total[f"{k}_amount"]) for k in kinds], total["target_won_amount"],
                title=title, axis=locale.text("trend_axis", currency=locale.currency)))
    return {"forecast": {"total": total, "reps": _records(reps)}}


def funnel_loss_context(marts: dict, scope: Scope, locale: Locale) -> dict:
    funnel = marts["rpt_scope_funnel"]
    stages = funnel[funnel["scope_id"] == scope.scope_id].sort_values("stage_order")
    reasons = marts["rpt_scope_loss_reasons"]
    reasons = reasons[reasons["scope_id"] == scope.scope_id].sort_values(
        ["stage_order", "lost_amount", "lost_count"], ascending=[True, False, False])
    lost = marts["rpt_scope_lost_deals"]
    periods = marts["int_report_periods"].set_index("period_kind")
    worst = stages.sort_values(["lost_amount_here", "stage_order"],
                               ascending=[False, True]).head(1)
    context = {
        "stages": _records(stages),
        "first_stage": _one(stages.head(1)),
        "worst_stage": _one(worst[worst["deals_lost_here"] > 0]),
        "reasons": _records(reasons[(reasons["lost_count"] > 0)
                                    | (reasons["previous_lost_count"] > 0)]),
        "lost_deals": _records(lost[lost["scope_id"] == scope.scope_id]
                               .sort_values("lost_rank")),
        "window": {kind: {"start": periods.loc[kind, "period_start"],
                          "end": periods.loc[kind, "period_end"]}
                   for kind in ("funnel_current", "funnel_previous")},
        "charts": {},
    }
    if len(stages) and stages["deals_reached"].sum() > 0:
        title = locale.text("funnel_chart")
        context["charts"]["funnel"] = Chart(
            "charts/funnel_loss-funnel.svg", title, charts.funnel_chart(
                list(stages["stage"]), [int(v) for v in stages["deals_reached"]],
                title=title, axis=locale.text("funnel_axis")))
    velocity = marts["rpt_stage_velocity"]
    slipped = marts["rpt_scope_slipped_deals"]
    context["velocity"] = _records(velocity[velocity["scope_id"] == scope.scope_id]
                                   .sort_values("stage_order"))
    context["slipped_deals"] = _records(slipped[slipped["scope_id"] == scope.scope_id]
                                        .sort_values("slip_rank"))
    return context


def discipline_context(marts: dict, scope: Scope, locale: Locale) -> dict:
    members = marts["int_report_scopes"]
    members = set(members.loc[members["scope_id"] == scope.scope_id, "member_id"])
    trend = marts["rpt_discipline_by_scope"]
    trend = trend[trend["scope_id"] == scope.scope_id].sort_values("as_of_date")
    reps = marts["rpt_discipline_by_rep"]
    today = reps["as_of_date"].max() if len(reps) else None
    reps = reps[(reps["as_of_date"] == today) & reps["owner_id"].isin(members)].sort_values(
        ["compliance_score", "penalty", "owner_name"], ascending=[True, False, True])
    violations = marts["fct_discipline_violations"]
    violations = violations[violations["owner_id"].isin(members)]
    rules = marts["rpt_discipline_rules"].set_index("rule_id")
    describe = partial(_describe_violation, rules=rules, locale=locale)
    open_ones = violations[~violations["is_resolved"]].assign(
        severity_rank=lambda v: v["severity"].map(SEVERITY_ORDER)).sort_values(
        ["is_new", "severity_rank", "days_open", "record_name"],
        ascending=[False, True, False, True])
    by_rep = []
    for rep in _records(reps):
        mine = open_ones[open_ones["owner_id"] == rep["owner_id"]]
        rows = [dict(row, description=describe(row)) for row in _records(mine)]
        if rows:
            by_rep.append({"rep": rep, "records": rows[:RECORDS_PER_REP],
                           "more": max(0, len(rows) - RECORDS_PER_REP)})
    skipped = [{"rule": rule_id, "reason": row["skip_reason"]}
               for rule_id, row in rules.iterrows() if row["skip_reason"] is not None
               and not pd.isna(row["skip_reason"])]
    context = {"summary": _one(trend.tail(1)), "trend": _records(trend), "reps": _records(reps),
               "by_rep": by_rep, "skipped_rules": skipped, "charts": {},
               "files": {"discipline_violations.csv": _violations_csv(open_ones, describe)}}
    if len(trend):
        title = locale.text("discipline_trend_chart")
        context["charts"]["trend"] = Chart(
            "charts/discipline-trend.svg", title, charts.score_trend_chart(
                [locale.date(d) for d in trend["as_of_date"]],
                [float(v) for v in trend["compliance_score"]], title=title,
                axis=locale.text("score_axis")))
    return context


def _describe_violation(row: dict, *, rules: pd.DataFrame, locale: Locale) -> str:
    """The rule's description in the report's language, with the violation's numbers."""
    rule = rules.loc[row["rule_id"]]
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


def _violations_csv(violations: pd.DataFrame, describe) -> str:
    columns = ["owner_name", "rule_id", "severity", "record_type", "record_id", "record_name",
               "measured_value", "threshold_value", "first_seen_date", "days_open", "is_new"]
    table = violations[columns].copy()
    table["description"] = [describe(row) for row in _records(violations)]
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


CONTEXTS = {"performance": performance_context, "funnel_loss": funnel_loss_context,
            "discipline": discipline_context}
