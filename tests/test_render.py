"""render: reports for every scope, numbers in the PDF equal to the marts, Chinese text
embedded, autoescaping, only the project's own files fetched, the same bytes every time."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from functools import cache
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.config import Config, load_config
from pipeline.control.run import run
from pipeline.paths import SAMPLE_DIR
from pipeline.report.contexts import REPORTS
from pipeline.report.i18n import Locale
from pipeline.report.render import render_reports
from pipeline.tools.sample import AS_OF
from pipeline.warehouse.db import open_warehouse
from pipeline.warehouse.validate import validate_marts
from tests.test_main import small_inbox  # noqa: F401 (a fixture)

OPTIONAL_FILES = ("satisfaction.csv", "costs.csv", "market.csv")
OPTIONAL_HEADINGS = ("satisfaction_heading", "costs_heading", "market_heading",
                     "incentives_heading")


@cache
def _pdf_text(path: Path, size: int, mtime: int) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def pdf_text(path: Path) -> str:
    stat = path.stat()
    return _pdf_text(path, stat.st_size, stat.st_mtime_ns)


@pytest.fixture(scope="module")
def sample(sample_run):
    con = open_warehouse(sample_run.warehouse, read_only=True)
    yield sample_run, con
    con.close()


def scope_folders(con) -> dict[str, str]:
    ids = [r[0] for r in con.execute(
        "select distinct scope_id from int_report_scopes").fetchall()]
    return {scope: scope for scope in ids}


def test_every_scope_gets_every_report_as_html_and_pdf(sample):
    config, con = sample
    folder = config.reports_dir / config.as_of.isoformat()
    for scope in scope_folders(con):
        for report in REPORTS:
            for suffix in ("html", "pdf"):
                assert (folder / scope / f"{report}.{suffix}").stat().st_size > 0
    # config/recipients.yaml: Sarah Mitchell (5743045000010000003) reads English
    for report in REPORTS:
        assert (folder / "5743045000010000003" / "en" / f"{report}.pdf").stat().st_size > 0
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert index.count(".pdf") == len(REPORTS) * (len(scope_folders(con)) + 1)


def assert_row(text: str, name: str, team: str | None, cells: list[str], where: str) -> None:
    """A table row in a PDF's text: on one line, or, for an owner outside the org chart
    (whose name cell carries a note and may wrap), its numbers together."""
    if team is None:
        assert name in text and " ".join(cells) in text, f"{where}: {name} {cells} not in PDF"
    else:
        line = " ".join([name, team, *cells])
        assert line in text.splitlines(), f"{where}: {line!r} not in the PDF"


def test_the_numbers_in_the_performance_pdf_are_the_marts(sample):
    config, con = sample
    locale = Locale(config.language, config.currency)
    rows = con.execute(
        "select scope_id, period_kind, owner_name, team, won_amount, target_won_amount, "
        "attainment_rate, pace_rate, won_count, win_rate, avg_won_amount, "
        "median_cycle_days, activities_count, new_customers_count, satisfaction_average, "
        "owner_id from rpt_scope_performance "
        "where period_kind in ('month_to_date', 'quarter_to_date')").fetchall()
    for scope, _, name, team, *numbers, owner in rows:
        text = pdf_text(config.reports_dir / config.as_of.isoformat() / scope
                        / "performance.pdf")
        (won, target, attainment, pace, count, win_rate, average, cycle, activities,
         new_customers, satisfaction) = numbers
        cells = [locale.money(won), locale.money(target), locale.percent(attainment),
                 locale.percent(pace), locale.number(count), locale.percent(win_rate),
                 locale.money(average), locale.number(cycle), locale.number(activities),
                 locale.number(new_customers), locale.number(satisfaction, 1)]
        if owner is None:
            line = " ".join([locale.text("total"), *cells])
            assert line in text.splitlines(), f"{scope}: {line!r} not in the PDF"
        else:
            assert_row(text, name, team, cells, scope)
    assert len(rows) > 50


def test_the_customers_in_the_performance_pdf_are_the_marts(sample):
    config, con = sample
    locale = Locale(config.language, config.currency)
    rows = con.execute(
        "select scope_id, month, active_customers_count, new_customers_count, "
        "returning_customers_count, retained_customers_count, lapsed_customers_count, "
        "retention_rate from rpt_customer_retention "
        "qualify row_number() over (partition by scope_id order by month desc) <= 6").fetchall()
    folders = scope_folders(con)
    for scope, month, *counts, retention in rows:
        text = pdf_text(config.reports_dir / config.as_of.isoformat()
                        / folders.get(scope, scope) / "performance.pdf")
        line = " ".join([locale.month(month), *(locale.number(c) for c in counts),
                         locale.percent(retention)])
        assert line in text.splitlines(), f"{scope}: {line!r} not in the PDF"
    assert len({r[0] for r in rows}) == len(folders) and len(rows) > 30


def kpi_lines(con, locale: Locale) -> dict[str, list[tuple[str, str]]]:
    """(scope, line) the performance PDFs must hold for the targets, satisfaction, cost and
    market sections, formatted from the marts."""

    def value(metric: str, amount) -> str:
        if metric == "won_amount":
            return locale.money(amount)
        if metric == "satisfaction" or (amount is not None and amount != round(amount)):
            return locale.number(amount, 1)
        return locale.number(amount)

    team = locale.text("team")
    targets = [(scope, " ".join([name + (f" ({team})" if kind == "team" else ""),
                                 locale.text(f"metric_{metric}"), value(metric, target),
                                 value(metric, actual), locale.percent(rate)]))
               for scope, kind, name, metric, target, actual, rate in con.execute(
        "select scope_id, holder_kind, holder_name, metric, target, actual, attainment_rate "
        "from rpt_target_attainment where period_kind = 'quarter_to_date'").fetchall()]
    satisfaction = [(scope, " ".join(filter(None, [
        locale.month(month), scale, locale.number(answers), locale.number(average, 1),
        *([locale.number(promoters), locale.number(detractors)] if scale == "0-10" else []),
        locale.nps(nps)])))
        for scope, month, scale, answers, average, promoters, detractors, nps in con.execute(
            "select scope_id, month, scale, responses_count, satisfaction_average, "
            "promoters_count, detractors_count, net_promoter_score from rpt_satisfaction "
            "where owner_id is null qualify dense_rank() over "
            "(partition by scope_id order by month desc) <= 6").fetchall()]
    costs = [(scope, " ".join([locale.month(month), locale.money(cost), locale.money(won),
                               locale.number(count), locale.percent(ratio),
                               locale.money(per_deal)]))
             for scope, month, cost, won, count, ratio, per_deal in con.execute(
        "select scope_id, month, cost_amount, won_amount, won_count, cost_of_sales_ratio, "
        "cost_per_won_deal from rpt_cost_of_sales qualify row_number() over "
        "(partition by scope_id order by month desc) <= 6").fetchall()]
    market = [(scope, " ".join([period, region, locale.money(size), locale.money(won),
                                locale.percent(share)]))
              for scope, period, region, size, won, share in con.execute(
        "select scope_id, period, region, market_size, won_amount, market_share "
        "from rpt_market_share qualify dense_rank() over "
        "(partition by scope_id order by period_start desc) <= 4").fetchall()]
    labels = dict(con.execute("select channel, label_zh from stg_config__channels").fetchall())
    returns = [(scope, " ".join([labels[channel], locale.money(cost), locale.money(won),
                                 locale.number(count), locale.number(ratio, 1)]))
               for scope, channel, cost, won, count, ratio in con.execute(
        "select scope_id, channel, cost_amount, won_amount, won_count, return_on_cost "
        "from rpt_channel_returns where period_kind = 'last_12_months'").fetchall()]
    return {"targets": targets, "satisfaction": satisfaction, "costs": costs,
            "market": market, "returns": returns}


def test_targets_satisfaction_costs_and_market_in_the_performance_pdf_are_the_marts(sample):
    config, con = sample
    locale = Locale(config.language, config.currency)
    folder = config.reports_dir / config.as_of.isoformat()
    for section, lines in kpi_lines(con, locale).items():
        assert len(lines) >= 3, section
        for scope, line in lines:
            text = pdf_text(folder / scope / "performance.pdf")
            assert line in text.splitlines(), f"{section}, {scope}: {line!r} not in the PDF"
    assert {scope for scope, _ in kpi_lines(con, locale)["costs"]} == set(scope_folders(con))


def test_the_optional_sections_are_left_out_without_their_files(tmp_path, sample):
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE_DIR, inbox)
    for name in OPTIONAL_FILES:
        (inbox / name).unlink()
    config = load_config(inbox=inbox, out=tmp_path / "out", as_of=AS_OF, settle_seconds=0,
                         incentives_file=tmp_path / "no-plan.yaml")  # and no commission plan
    run(config)
    locale = Locale(config.language, config.currency)
    headings = {locale.text(key) for key in OPTIONAL_HEADINGS}
    for root, present in ((sample[0].reports_dir, True), (config.reports_dir, False)):
        folder = root / AS_OF.isoformat() / "company"
        text = pdf_text(folder / "performance.pdf")
        html = (folder / "performance.html").read_text(encoding="utf-8")
        assert {h for h in headings if h in text} == (headings if present else set()), root
        assert {h for h in headings if h in html} == (headings if present else set()), root
        column = f'<th class="n">{locale.text("satisfaction_short")}</th>'
        assert (column in html) == present, "the scorecard's satisfaction column"
    # the rest of the report is still there
    assert locale.text("customers_heading") in text
    with open_warehouse(config.warehouse, read_only=True) as con:
        assert con.execute("select count(*) from rpt_rep_incentives").fetchone() == (0,)
    for path in (config.reports_dir / AS_OF.isoformat()).glob("*/performance.html"):
        html = path.read_text(encoding="utf-8")
        assert locale.text("incentive_payout") not in html, path


def test_the_numbers_in_the_funnel_pdf_are_the_marts(sample):
    config, con = sample
    locale = Locale(config.language, config.currency)
    rows = con.execute(
        "select scope_id, deals_reached, conversion_rate, deals_lost_here, lost_amount_here, "
        "median_days_in_stage, previous_deals_reached, previous_conversion_rate, "
        "conversion_rate_change from rpt_scope_funnel").fetchall()
    for scope, reached, rate, lost, amount, days, prev, prev_rate, change in rows:
        text = pdf_text(config.reports_dir / config.as_of.isoformat() / scope
                        / "funnel_loss.pdf")
        cells = " ".join([locale.number(reached), locale.percent(rate), locale.number(lost),
                          locale.money(amount), locale.number(days, 1), locale.number(prev),
                          locale.percent(prev_rate), locale.points(change)])
        assert cells in text, f"{scope}: {cells!r} not in the PDF"


def test_the_numbers_in_the_discipline_pdf_are_the_marts(sample):
    config, con = sample
    locale = Locale(config.language, config.currency)
    folder = config.reports_dir / config.as_of.isoformat()
    scopes = con.execute(
        "select scope_id, as_of_date, compliance_score, open_deals_count, critical_count, "
        "warning_count, info_count from rpt_discipline_by_scope").fetchall()
    for scope, day, *numbers in scopes:
        score, *counts = numbers
        line = " ".join([locale.date(day), locale.number(score, 1),
                         *(locale.number(n) for n in counts)])
        assert line in pdf_text(folder / scope / "discipline.pdf").splitlines(), (scope, line)
    reps = con.execute(
        "select scopes.scope_id, reps.owner_name, reps.team, reps.compliance_score, "
        "reps.open_deals_count, reps.critical_count, reps.warning_count, reps.info_count, "
        "reps.new_count, reps.resolved_count from rpt_discipline_by_rep as reps "
        "inner join int_report_scopes as scopes on reps.owner_id = scopes.member_id "
        "where reps.as_of_date = ?", [config.as_of]).fetchall()
    for scope, name, team, score, *counts in reps:
        assert_row(pdf_text(folder / scope / "discipline.pdf"), name, team,
                   [locale.number(score, 1), *(locale.number(n) for n in counts)], scope)
    assert len(reps) > 30


def test_chinese_names_and_labels_are_text_in_the_pdf_with_fonts_embedded(sample):
    config, con = sample
    path = config.reports_dir / config.as_of.isoformat() / "company" / "performance.pdf"
    text = pdf_text(path)
    for word in ("销售业绩报告", "达成率", "赢单金额", "张伟", "欧阳晨", "全公司"):
        assert word in text
    reader = PdfReader(path)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                          if "/DescendantFonts" in font else font["/FontDescriptor"])
            fonts[font["/BaseFont"]] = any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2",
                                                           "/FontFile3"))
    assert fonts and all(fonts.values()), fonts


def edition_texts(folder: Path) -> dict[str, str]:
    """Everything a reader of one edition sees: each PDF's text, each HTML, the email."""
    texts = {f"{report}.pdf": pdf_text(folder / f"{report}.pdf") for report in REPORTS}
    for name in [*(f"{report}.html" for report in REPORTS), "email.html", "email.txt",
                 "discipline_violations.csv"]:
        texts[name] = unescape((folder / name).read_text(encoding="utf-8-sig"))
    return texts


def assert_scoped(folder: Path, members: set[str], names: dict[str, str]) -> None:
    """Each owner's name is in every part of the edition it belongs in, and in none other."""
    texts = edition_texts(folder)
    for owner, name in names.items():
        for part, text in texts.items():
            if owner not in members:
                assert name not in text, (folder, part, name)
        if owner in members:
            assert name in texts["performance.pdf"] and name in texts["performance.html"], \
                (folder, name)


def test_a_managers_reports_hold_their_subtree_and_nothing_else(sample):
    config, con = sample
    sellers = dict(con.execute("select distinct owner_id, owner_name from fct_deals "
                               "where owner_name is not null").fetchall())
    folder = config.reports_dir / config.as_of.isoformat()
    scopes = con.execute("select scope_id, list(member_id) from int_report_scopes "
                         "group by 1").fetchall()
    for scope, members in scopes:
        assert_scoped(folder / scope, set(members), sellers)
    assert_scoped(folder / "5743045000010000003" / "en",
                  set(dict(scopes)["5743045000010000003"]), sellers)


def test_an_owner_missing_from_org_csv_is_only_in_the_company_report(sample):
    config, con = sample
    assert con.execute("select owner_name from rpt_unassigned_owners").fetchall() == [("钱佳",)]
    text = pdf_text(config.reports_dir / config.as_of.isoformat() / "company"
                    / "performance.pdf")
    assert "未在组织架构中的负责人" in text and "钱佳" in text


def test_no_missing_value_leaks_into_the_html(sample):
    config, _ = sample
    for path in (config.reports_dir / config.as_of.isoformat()).rglob("*.html"):
        visible = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
        assert not re.search(r"\b(None|nan|NaN|NaT)\b", visible), path


# --- a small hand-made warehouse, rendered in English -------------------------------------

def small_company(crm, out: Path, rep: str = "Ann", **lost_deal) -> tuple:
    """A lead and one rep with a won deal, a lost one (`lost_deal` its other fields) and a
    target, built and validated as of 2026-03-20; the settings render it in English."""
    crm.person("lead", "Lead Li").person("r1", rep, manager="lead")
    crm.deal("d1", owner="r1", stage="Closed Won", amount=1234567, created="2026-03-01",
             close="2026-03-10")
    crm.deal("d2", owner="r1", stage="Closed Lost", amount=500, created="2026-03-02",
             close="2026-03-12", **lost_deal)
    crm.target("r1", "2026-03", 1447320)
    crm.build(as_of="2026-03-20")
    config = Config(as_of=date(2026, 3, 20), out=out, language="en", currency="CNY", threads=1)
    validate_marts(crm.con, config)
    return crm, config


@pytest.fixture
def small(crm, tmp_path):
    return small_company(crm, tmp_path / "out",
                         name="<script>alert(1)</script> file:///etc/passwd",
                         loss_reason='<img src="http://example.com/x.png">')


def test_hand_checked_numbers_in_locale_formats(small):
    crm, config = small
    folder = render_reports(crm.con, config) / "company"
    text = pdf_text(folder / "performance.pdf")
    # 1,234,567 won of a 1,447,320 target = 85.3%; by March 20 the pace wants 20/31 of the
    # target, 933,755: 132.2%; one won of two closed = 50.0%; won 9 days after creation
    assert "Ann East CN¥1,234,567 CN¥1,447,320 85.3% 132.2% 1 50.0% CN¥1,234,567 9 0" in text
    assert "As of March 20, 2026" in text
    zh = render_reports(crm.con, Config(**{**config.__dict__, "language": "zh_CN"}))
    text = pdf_text(zh / "company" / "performance.pdf")
    assert "Ann East ¥1,234,567 ¥1,447,320 85.3% 132.2% 1 50.0% ¥1,234,567 9 0" in text
    assert "截至 2026年3月20日" in text


def test_data_is_escaped_and_fetches_nothing(small):
    crm, config = small
    folder = render_reports(crm.con, config) / "company"
    html = (folder / "funnel_loss.html").read_text(encoding="utf-8")
    assert "<script>" not in html and '<img src="http://example.com' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=&#34;http://example.com/x.png&#34;&gt;" in html
    text = re.sub(r"\s+", "", pdf_text(folder / "funnel_loss.pdf"))  # cells wrap
    assert "<script>alert(1)</script>file:///etc/passwd" in text
    assert '<imgsrc="http://example.com/x.png">' in text


# --- a three-level org chart, one unique name per rep -------------------------------------

@pytest.fixture
def hierarchy(crm, tmp_path):
    """vp -> (north: lead_a -> alpha, bravo; lead_b -> charlie), (south: lead_c -> delta);
    echo owns deals but is not in org.csv."""
    crm.person("vp", "Vera VP", team=None)
    crm.person("north", "Nora North", manager="vp", team=None)
    crm.person("south", "Sam South", manager="vp", team=None)
    crm.person("lead_a", "Lee A", manager="north").person("lead_b", "Lee B", manager="north")
    crm.person("lead_c", "Lee C", manager="south", team="West")
    reps = {"alpha": "lead_a", "bravo": "lead_a", "charlie": "lead_b", "delta": "lead_c"}
    for rep, lead in reps.items():
        crm.person(rep, f"Rep{rep.title()}Marker", manager=lead)
    for rep in [*reps, "echo"]:
        crm.deal(f"won_{rep}", owner=rep, stage="Closed Won", amount=1000, close="2026-03-05",
                 name=f"Won{rep.title()}Deal")
        crm.deal(f"lost_{rep}", owner=rep, stage="Closed Lost", amount=300,
                 close="2026-03-06", name=f"Lost{rep.title()}Deal", loss_reason="Price")
        crm.deal(f"open_{rep}", owner=rep, amount=700, close="2026-03-10",
                 name=f"Late{rep.title()}Deal")  # overdue: at risk, a violation
    crm.build(as_of="2026-03-20")
    config = Config(as_of=date(2026, 3, 20), out=tmp_path / "out", language="en",
                    currency="CNY", threads=2)
    validate_marts(crm.con, config)
    return crm, config, reps


def test_scoping_at_every_level_of_a_three_level_org_chart(hierarchy):
    crm, config, reps = hierarchy
    told = []
    folder = render_reports(crm.con, config, progress=lambda *a: told.append(a))
    # the progress display is told of each edition written, then of each PDF
    pdfs = 7 * len(REPORTS)
    assert told == [("editions", n, 7) for n in range(1, 8)] + [
        ("PDFs", n, pdfs) for n in range(1, pdfs + 1)]
    owners = {rep: f"Rep{rep.title()}Marker" for rep in reps} | {"echo": "ECHO"}
    under = {"lead_a": {"alpha", "bravo"}, "lead_b": {"charlie"}, "lead_c": {"delta"},
             "north": {"alpha", "bravo", "charlie"}, "south": {"delta"},
             "vp": {"alpha", "bravo", "charlie", "delta"},
             "company": {"alpha", "bravo", "charlie", "delta", "echo"}}
    assert {p.name for p in folder.iterdir() if p.is_dir()} == set(under)
    for scope, members in under.items():
        texts = edition_texts(folder / scope)
        for rep, name in owners.items():
            # the rep's name where their numbers are; their lost deal in the funnel report
            for marker, where in ((name, "performance"), (f"Lost{rep.title()}Deal",
                                                          "funnel_loss")):
                found = {part for part, text in texts.items() if marker in text}
                if rep in members:
                    assert {f"{where}.pdf", f"{where}.html"} <= found, (scope, marker)
                else:
                    assert found == set(), (scope, marker, found)
    company = edition_texts(folder / "company")["performance.pdf"]
    assert "Owners not in the org chart" in company and "ECHO" in company


def test_the_english_and_chinese_editions_show_the_same_numbers(small, tmp_path):
    crm, config = small
    recipients = tmp_path / "recipients.yaml"
    recipients.write_text("recipients:\n  - email: ops@example.com\n    scope: company\n"
                          "    language: zh_CN\n", encoding="utf-8")
    folder = render_reports(crm.con, Config(**{**config.__dict__,
                                               "recipients_file": recipients}))
    rows = crm.rows("select owner_name, team, won_amount, target_won_amount, "
                    "attainment_rate, pace_rate, won_count, win_rate, avg_won_amount, "
                    "median_cycle_days, activities_count, new_customers_count "
                    "from rpt_scope_performance "
                    "where scope_id = 'company' and period_kind = 'quarter_to_date' "
                    "and owner_id is not null")
    assert len(rows) == 1
    for language, edition in (("en", "company"), ("zh_CN", "company/zh_CN")):
        locale = Locale(language, "CNY")
        text = pdf_text(folder / edition / "performance.pdf")
        for row in rows:
            line = " ".join([row["owner_name"], row["team"], locale.money(row["won_amount"]),
                             locale.money(row["target_won_amount"]),
                             locale.percent(row["attainment_rate"]),
                             locale.percent(row["pace_rate"]), locale.number(row["won_count"]),
                             locale.percent(row["win_rate"]),
                             locale.money(row["avg_won_amount"]),
                             locale.number(row["median_cycle_days"]),
                             locale.number(row["activities_count"]),
                             locale.number(row["new_customers_count"])])
            assert line in text.splitlines(), (language, line)
    assert "CN¥1,234,567" in pdf_text(folder / "company" / "performance.pdf")
    assert "¥1,234,567" in pdf_text(folder / "company" / "zh_CN" / "performance.pdf")
    assert "2026年3月20日" in pdf_text(folder / "company" / "zh_CN" / "performance.pdf")


class Tags(HTMLParser):
    """Every tag name and attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.names.add(tag)
        self.attributes += [(name, value or "") for name, value in attrs]


def test_the_email_body_is_self_contained(small):
    crm, config = small
    folder = render_reports(crm.con, config) / "company"
    html = (folder / "email.html").read_text(encoding="utf-8")
    spec = json.loads((folder / "email.json").read_text(encoding="utf-8"))
    tags = Tags()
    tags.feed(html)
    assert not {"script", "svg", "style", "link", "iframe", "object"} & tags.names
    for name, value in tags.attributes:
        if name in ("src", "href", "background", "action"):
            assert value.startswith("cid:"), (name, value)
        assert "url(" not in value, (name, value)
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert cids and sorted(cids) == sorted(i["cid"] for i in spec["inline"])
    for image in spec["inline"]:
        png = (folder / image["file"]).read_bytes()
        assert png.startswith(b"\x89PNG")
    for name in spec["attachments"]:
        assert (folder / name).is_file()


def test_the_email_starts_with_the_three_numbers(small):
    crm, config = small
    folder = render_reports(crm.con, config) / "company"
    text = (folder / "email.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line]
    # quarter to date: 1,234,567 won of 1,447,320; no open pipeline; no violations
    assert lines[2] == "Won this quarter: CN¥1,234,567 (85.3% of the CN¥1,447,320 target)"
    assert lines[3].startswith("Commit forecast: CN¥1,234,567")
    assert lines[4].startswith("Compliance score: ")


def test_each_section_of_a_pdf_is_a_bookmark(small):
    crm, config = small
    folder = render_reports(crm.con, config) / "company"
    outline = PdfReader(folder / "funnel_loss.pdf").outline

    def titles(items):
        for item in items:
            yield from titles(item) if isinstance(item, list) else [item.title]

    found = list(titles(outline))
    for heading in ("Funnel loss", "Funnel", "Why deals were lost", "Largest lost deals",
                    "Deals at risk this quarter", "Stage velocity"):
        assert heading in found, found


def test_the_archive_lists_every_run_of_a_scope(small):
    crm, config = small
    render_reports(crm.con, config)
    earlier = config.reports_dir / "2026-03-19"
    shutil.copytree(config.reports_dir / "2026-03-20", earlier)
    render_reports(crm.con, config)  # the archive is rebuilt after each run
    page = (config.reports_dir / "archive" / "lead.html").read_text(encoding="utf-8")
    assert '../2026-03-20/lead/performance.pdf' in page
    assert '../2026-03-19/lead/performance.pdf' in page
    assert page.index("2026-03-20") < page.index("2026-03-19")  # newest first
    index = (config.reports_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="archive/lead.html"' in index and 'href="2026-03-19/index.html"' in index


def test_a_key_customer_gone_quiet_is_listed_in_its_teams_report(crm, tmp_path):
    crm.person("lead", "Lead Li").person("r1", "Ann", manager="lead")
    crm.person("boss2", "Bo").person("r2", "Cy", manager="boss2")
    crm.deal("d1", owner="r1", stage="Closed Won", amount=5000, created="2025-11-01",
             close="2025-12-01", account="k1")
    crm.call("r1", "2025-12-15 10:00:00", about="k1")
    crm.deal("d2", owner="r2", stage="Closed Won", amount=900, created="2026-03-01",
             close="2026-03-10", account="k2")
    crm.build(as_of="2026-03-20")
    config = Config(as_of=date(2026, 3, 20), out=tmp_path / "out", language="en",
                    currency="CNY", threads=1)
    validate_marts(crm.con, config)
    folder = render_reports(crm.con, config)
    # k1 made 5,000 of 5,900 (A); nothing done since the call 95 days before March 20
    line = "Account k1 Ann A CN¥5,000 December 1, 2025 December 15, 2025 95"
    assert line in pdf_text(folder / "lead" / "performance.pdf").splitlines()
    assert line in pdf_text(folder / "company" / "performance.pdf").splitlines()
    assert "Account k1" not in pdf_text(folder / "boss2" / "performance.pdf")
    assert "1 key customers have no open deal and nothing done, no activity and no win, " \
        "for 60 days or more" in " ".join(pdf_text(folder / "lead" / "performance.pdf").split())


# --- the commission statement (rpt_rep_incentives) -----------------------------------------

def test_the_commission_statements_in_the_performance_pdf_are_the_mart(sample):
    config, con = sample
    locale = Locale(config.language, config.currency)
    month = date(config.as_of.year, config.as_of.month, 1)
    rows = con.execute(
        "select scopes.scope_id, owner_name, won_amount, target_won_amount, attainment_rate, "
        "base_commission, accelerator_commission, cap_adjustment, quarterly_bonus, "
        "violations_count, deductions, payout_amount from rpt_rep_incentives "
        "inner join int_report_scopes as scopes on owner_id = scopes.member_id "
        "where month = ?", [month]).fetchall()
    for scope, name, won, target, attainment, *parts, count, deductions, payout in rows:
        text = pdf_text(config.reports_dir / config.as_of.isoformat() / scope
                        / "performance.pdf")
        cells = [locale.money(won), locale.money(target), locale.percent(attainment),
                 *(locale.cents(p) for p in parts), locale.number(count),
                 locale.cents(deductions), locale.cents(payout)]
        line = " ".join([name, *cells])
        assert line in text.splitlines(), f"{scope}: {line!r} not in the PDF"
    totals = con.execute(
        "select scopes.scope_id, sum(payout_amount), sum(deductions) from rpt_rep_incentives "
        "inner join int_report_scopes as scopes on owner_id = scopes.member_id "
        "where month = ? group by 1", [month]).fetchall()
    for scope, payout, deductions in totals:
        folder = config.reports_dir / config.as_of.isoformat() / scope
        line = next(line for line in pdf_text(folder / "performance.pdf").splitlines()
                    if line.startswith(locale.text("total")) and locale.cents(payout) in line)
        assert line.endswith(f"{locale.cents(deductions)} {locale.cents(payout)}"), line
        html = (folder / "performance.html").read_text(encoding="utf-8")
        assert locale.text("incentives_heading") in html
    # every team has reps on a plan in the sample, and some have a cap, a bonus or deductions
    assert len({r[0] for r in rows}) == len(scope_folders(con)) and len(rows) > 30
    assert any(r[10] > 0 for r in rows)


def test_a_statement_checked_by_hand_in_english(crm, tmp_path):
    crm.person("lead", "Lead Li", team=None).person("r1", "Ann", manager="lead")
    crm.person("boss2", "Bo", team=None).person("r2", "Cy", manager="boss2", team="West")
    crm.deal("d1", owner="r1", stage="Closed Won", amount=12000.10, close="2026-03-10")
    crm.deal("d2", owner="r2", stage="Closed Won", amount=900, close="2026-03-10")
    crm.target("r1", "2026-03", 10000)
    crm.incentives("""
rounding: {places: 2, mode: half_up}
plans:
  - id: east
    applies_to: {teams: [East]}
    base_rate: 0.05
    tiers:
      - {from: 0, to: 1.0, multiplier: 1}
      - {from: 1.0, multiplier: 1.5}
""", tmp_path)
    crm.build(as_of="2026-03-20")
    config = Config(as_of=date(2026, 3, 20), out=tmp_path / "out", language="en",
                    currency="CNY", threads=1)
    validate_marts(crm.con, config)
    folder = render_reports(crm.con, config)
    # 12,000.10 × 5% = 600.005; 2,000.10 × 5% × 0.5 = 50.0025; 650.0075 -> 650.01
    line = "Ann CN¥12,000 CN¥10,000 120.0% CN¥600.01 CN¥50.00 CN¥0.00 CN¥0.00 0 CN¥0.00 CN¥650.01"
    for scope in ("lead", "company"):
        text = pdf_text(folder / scope / "performance.pdf")
        assert "Commission statement" in text and line in text.splitlines()
    assert "Cy" not in pdf_text(folder / "company" / "performance.pdf").split(
        "Commission statement")[1]
    assert "No one in this team is on a commission plan." in pdf_text(
        folder / "boss2" / "performance.pdf")


def test_an_edition_reads_only_its_scopes_rows_of_the_marts_it_names(sample):
    from pipeline.report.contexts import MARTS, ScopedMarts
    from pipeline.report.render import shared_file

    config, con = sample
    # open read-only here: the workers may open it too
    assert Path(shared_file(con)).resolve() == config.warehouse.resolve()
    manager = con.execute("select min(scope_id) from rpt_report_windows "
                          "where scope_id <> 'company'").fetchone()[0]
    marts = ScopedMarts(con, manager, MARTS)
    scoped = [name for name in MARTS if "scope_id" in con.table(name).columns]
    assert len(scoped) > 20
    for name in scoped:
        assert set(marts[name]["scope_id"]) <= {manager}, name
    performance = marts["rpt_scope_performance"]
    assert len(performance) == con.execute(
        "select count(*) from rpt_scope_performance where scope_id = ?", [manager]).fetchone()[0]
    assert len(performance) < con.execute("select count(*) from rpt_scope_performance"
                                          ).fetchone()[0]
    listed = marts.rows("rpt_discipline_violations", "is_listed")
    assert listed["is_listed"].all() and set(listed["scope_id"]) == {manager}
    with pytest.raises(KeyError, match="not a table the reports read"):
        marts["int_report_scopes"]
