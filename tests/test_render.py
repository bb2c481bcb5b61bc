"""render: reports for every scope, numbers in the PDF equal to the marts, Chinese text
embedded, autoescaping, only the project's own files fetched, the same bytes every time."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from pipeline.config import Config
from pipeline.i18n import Locale
from pipeline.render import REPORTS, ProjectFilesOnly, render_reports
from pipeline.validate import validate_marts


@cache
def _pdf_text(path: Path, size: int, mtime: int) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def pdf_text(path: Path) -> str:
    stat = path.stat()
    return _pdf_text(path, stat.st_size, stat.st_mtime_ns)


@pytest.fixture(scope="module")
def sample(sample_run):
    con = duckdb.connect(str(sample_run.warehouse), read_only=True)
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
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert index.count(".pdf") == len(REPORTS) * len(scope_folders(con))


def test_the_numbers_in_the_performance_pdf_are_the_marts(sample):
    config, con = sample
    locale = Locale(config.language, config.currency)
    rows = con.execute(
        "select scope_id, period_kind, owner_name, team, won_amount, target_won_amount, "
        "attainment_rate, won_count, win_rate, avg_won_amount, activities_count, owner_id "
        "from rpt_scope_performance where period_kind <> 'month'").fetchall()
    texts = {}
    for scope, _, name, team, *numbers, owner in rows:
        path = config.reports_dir / config.as_of.isoformat() / scope / "performance.pdf"
        text = texts.setdefault(scope, pdf_text(path))
        won, target, attainment, count, win_rate, average, activities = numbers
        cells = [locale.money(won), locale.money(target), locale.percent(attainment),
                 locale.number(count), locale.percent(win_rate), locale.money(average),
                 locale.number(activities)]
        first = name if owner is not None else locale.text("total")
        line = " ".join([first, *([team] if owner is not None and team else []), *cells])
        assert line in text.splitlines(), f"{scope}: {line!r} not in the PDF"
    assert len(rows) > 50


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
        line = " ".join([name, team, locale.number(score, 1),
                         *(locale.number(n) for n in counts)])
        assert line in pdf_text(folder / scope / "discipline.pdf").splitlines(), (scope, line)
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


def test_a_managers_reports_hold_their_subtree_and_nothing_else(sample):
    config, con = sample
    names = dict(con.execute("select user_id, name from dim_users").fetchall())
    sellers = {r[0] for r in con.execute("select distinct owner_id from fct_deals").fetchall()}
    scopes = con.execute("select scope_id, list(member_id) from int_report_scopes "
                         "where scope_kind = 'manager' group by 1").fetchall()
    for scope, members in scopes:
        folder = config.reports_dir / config.as_of.isoformat() / scope
        text = "".join(pdf_text(folder / f"{report}.pdf") for report in REPORTS)
        html = (folder / "performance.html").read_text(encoding="utf-8")
        for owner in sellers:
            if owner in members:
                assert names[owner] in text, (scope, names[owner])
            else:
                assert names[owner] not in text, (scope, names[owner])
                assert names[owner] not in html, (scope, names[owner])


def test_no_missing_value_leaks_into_the_html(sample):
    config, _ = sample
    for path in (config.reports_dir / config.as_of.isoformat()).rglob("*.html"):
        visible = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
        assert not re.search(r"\b(None|nan|NaN|NaT)\b", visible), path


# --- a small hand-made warehouse, rendered in English -------------------------------------

@pytest.fixture
def small(crm, tmp_path):
    crm.person("lead", "Lead Li").person("r1", "Ann", manager="lead")
    crm.deal("d1", owner="r1", stage="Closed Won", amount=1234567, created="2026-03-01",
             close="2026-03-10")
    crm.deal("d2", owner="r1", stage="Closed Lost", amount=500,
             name="<script>alert(1)</script> file:///etc/passwd", created="2026-03-02",
             close="2026-03-12", loss_reason='<img src="http://example.com/x.png">')
    crm.target("r1", "2026-03", 1447320)
    crm.build(as_of="2026-03-20")
    config = Config(as_of=date(2026, 3, 20), out=tmp_path / "out", language="en",
                    currency="CNY", threads=1)
    validate_marts(crm.con, config)
    return crm, config


def test_hand_checked_numbers_in_locale_formats(small):
    crm, config = small
    folder = render_reports(crm.con, config) / "company"
    text = pdf_text(folder / "performance.pdf")
    # 1,234,567 won of a 1,447,320 target = 85.3%; one won of two closed = 50.0%
    assert "Ann East CN¥1,234,567 CN¥1,447,320 85.3% 1 50.0% CN¥1,234,567 0" in text
    assert "As of March 20, 2026" in text
    zh = render_reports(crm.con, Config(**{**config.__dict__, "language": "zh_CN"}))
    text = pdf_text(zh / "company" / "performance.pdf")
    assert "Ann East ¥1,234,567 ¥1,447,320 85.3% 1 50.0% ¥1,234,567 0" in text
    assert "截至 2026年3月20日" in text


def test_data_is_escaped_and_fetches_nothing(small, caplog):
    crm, config = small
    folder = render_reports(crm.con, config) / "company"
    html = (folder / "funnel_loss.html").read_text(encoding="utf-8")
    assert "<script>" not in html and '<img src="http://example.com' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=&#34;http://example.com/x.png&#34;&gt;" in html
    text = re.sub(r"\s+", "", pdf_text(folder / "funnel_loss.pdf"))  # cells wrap
    assert "<script>alert(1)</script>file:///etc/passwd" in text
    assert '<imgsrc="http://example.com/x.png">' in text
    assert "refused to fetch" not in caplog.text  # nothing even asked for a URL


def test_the_url_fetcher_allows_only_the_projects_own_files(tmp_path):
    fetcher = ProjectFilesOnly([tmp_path])
    (tmp_path / "ok.css").write_text("p {}", encoding="utf-8")
    assert fetcher.fetch((tmp_path / "ok.css").as_uri()).read() == b"p {}"
    for url in ("file:///etc/passwd", "http://example.com/", "https://example.com/x.png",
                (tmp_path / ".." / "escape").resolve().as_uri(), "data:text/plain,hi"):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5


def test_rendering_twice_gives_the_same_bytes(small, tmp_path):
    crm, config = small
    first = render_reports(crm.con, config)
    copies = {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()}
    second = render_reports(crm.con, config)
    again = {p.relative_to(second): p.read_bytes() for p in second.rglob("*") if p.is_file()}
    assert copies.keys() == again.keys()
    for scope in ("company", "lead"):
        for name in ("performance.html", "performance.pdf", "funnel_loss.html",
                     "funnel_loss.pdf", "charts/performance-trend.svg"):
            assert Path(scope, name) in copies
    assert all(copies[name] == again[name] for name in copies)
