"""The spreadsheet beside each report (<report>.xlsx): its sections as sheets, its cells the
marts' values with number formats, read back with openpyxl; text from the CRM never a
formula; the same bytes every time; attached to the email only when the setting says so."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from datetime import datetime

import pytest
from openpyxl import load_workbook

from pipeline.config import Config
from pipeline.delivery.messages import report_message
from pipeline.report.render import render_reports
from pipeline.report.workbook import sheet_name
from pipeline.warehouse.db import open_warehouse
from tests.test_render import small_company

HOSTILE = "=cmd|' /C calc'!A0"
MONEY = '"CN¥"#,##0.00;-"CN¥"#,##0.00'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def hostile(crm, tmp_path):
    """test_render's small company, its rep named like a formula; reports in English."""
    return small_company(crm, tmp_path / "out", rep=HOSTILE)


def table(sheet) -> list[dict]:
    """A sheet's rows as {header: cell}."""
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_the_reps_sheet_holds_the_marts_numbers_with_formats(hostile):
    crm, config = hostile
    folder = render_reports(crm.con, config) / "company"
    book = load_workbook(folder / "performance.xlsx")
    sheet = book["Month to date · By rep"]
    assert sheet.freeze_panes == "A2"
    [rep, total] = table(sheet)
    mart = crm.con.execute(
        "select won_amount, target_won_amount, attainment_rate, won_count, win_rate "
        "from rpt_scope_performance where scope_id = 'company' and owner_id = 'r1' "
        "and period_kind = 'month_to_date'").fetchone()
    # 1,234,567 won of a 1,447,320 target; one won of two closed
    assert mart == (1234567, 1447320, pytest.approx(1234567 / 1447320), 1, 0.5)
    cells = [rep[h] for h in ("Won amount", "Target", "Attainment", "Deals won", "Win rate")]
    assert [c.value for c in cells] == [1234567, 1447320, pytest.approx(1234567 / 1447320),
                                        1, 0.5]
    assert [c.number_format for c in cells] == [MONEY, MONEY, "0.0%", "#,##0", "0.0%"]
    assert isinstance(rep["Deals won"].value, int)
    # the name the CRM gave, as text: not a formula, no apostrophe added
    assert (rep["Rep"].value, rep["Rep"].data_type) == (HOSTILE, "s")
    assert total["Rep"].value == "Total" and total["Won amount"].font.b
    with zipfile.ZipFile(folder / "performance.xlsx") as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in xml for xml in sheets)
    trend = table(book["Won amount against target, last"])
    march = next(row for row in trend if row["Month"].value == datetime(2026, 3, 1))
    assert march["Month"].number_format == "yyyy-mm"
    assert march["Won amount"].value == 1234567


def test_every_report_has_a_spreadsheet_linked_from_its_html_the_same_bytes_each_time(
        hostile):
    crm, config = hostile
    folder = render_reports(crm.con, config) / "company"
    first = {r: (folder / f"{r}.xlsx").read_bytes() for r in ("performance", "funnel_loss",
                                                                "discipline")}
    for report in first:
        assert f'href="{report}.xlsx"' in (folder / f"{report}.html").read_text("utf-8")
    again = render_reports(crm.con, config) / "company"
    assert {r: (again / f"{r}.xlsx").read_bytes() for r in first} == first
    properties = load_workbook(again / "funnel_loss.xlsx").properties
    assert properties.created == datetime(2026, 3, 20)


def test_the_spreadsheet_is_attached_only_when_the_setting_says_so(hostile):
    crm, config = hostile

    def attached(settings: Config) -> tuple[dict[str, str], str]:
        folder = render_reports(crm.con, settings) / "company"
        message = report_message(folder, sender="reports@example.com",
                                 recipient="lead@example.com", name="Lead Li",
                                 as_of="2026-03-20", msgid="<1@example.com>",
                                 sent_at=datetime(2026, 3, 20, 7))
        return ({p.get_filename(): p.get_content_type() for p in message.iter_attachments()},
                message.get_body(("plain",)).get_content())

    off, body = attached(config)
    assert "performance-2026-03-20.pdf" in off and "performance.pdf" in body
    assert not any(name.endswith(".xlsx") for name in off) and ".xlsx" not in body
    on, body = attached(replace(config, attach_spreadsheets=True))
    spreadsheets = ("performance", "funnel_loss", "discipline")
    assert {n: t for n, t in on.items() if n.endswith(".xlsx")} == {
        f"{r}-2026-03-20.xlsx": XLSX for r in spreadsheets}
    assert set(off) < set(on)
    assert all(f"{r}.xlsx" in body for r in spreadsheets)  # the body names what it carries


def test_the_sample_company_spreadsheets_against_the_marts(sample_run):
    """The Chinese company edition: the quarter's reps against rpt_scope_performance, the
    discipline records one sheet with the rep in a first column, every sheet name short
    and unique."""
    folder = sample_run.reports_dir / sample_run.as_of.isoformat() / "company"
    with open_warehouse(sample_run.published_warehouse, read_only=True) as con:
        mart = {row[0]: row[1:] for row in con.execute(
            "select owner_name, won_amount, attainment_rate, pace_rate, won_count "
            "from rpt_scope_performance where scope_id = 'company' "
            "and period_kind = 'quarter_to_date' and owner_id is not null").fetchall()}
        listed = con.execute("select count(*) from rpt_discipline_violations "
                             "where scope_id = 'company' and is_listed").fetchone()[0]
    book = load_workbook(folder / "performance.xlsx")
    names = book.sheetnames
    assert all(len(n) <= 31 for n in names) and len({n.casefold() for n in names}) == len(names)
    reps = [row for row in table(book["本季度至今 · 按销售代表"])
            if row["销售代表"].value != "合计"]
    assert len(reps) == len(mart)
    for row in reps:
        # a rep org.csv does not place is marked so, as in the report
        won, attainment, pace, count = mart[row["销售代表"].value.removesuffix(" (不在组织架构中)")]
        assert row["赢单金额"].value == pytest.approx(float(won))
        assert row["赢单金额"].number_format == '"¥"#,##0.00;-"¥"#,##0.00'
        assert row["达成率"].value == (pytest.approx(attainment) if attainment is not None
                                       else None)
        assert row["进度"].value == (pytest.approx(pace) if pace is not None else None)
        assert row["赢单数"].value == count
    discipline = load_workbook(folder / "discipline.xlsx")
    records = table(discipline["待整改记录"])
    assert len(records) == listed
    assert list(records[0])[0] == "销售代表"


def test_sheet_names_are_short_unique_and_allowed():
    taken: set[str] = set()
    long = "Largest leaks by stage, rep and lead source"
    assert sheet_name(long, taken) == long[:31]
    assert sheet_name(long.upper(), taken) == long.upper()[:27].rstrip() + " (2)"
    assert sheet_name("a/b: [c]?*", taken) == "a b   c"
    assert sheet_name("'quoted'", taken) == "quoted"
    assert all(len(name) <= 31 for name in taken)
