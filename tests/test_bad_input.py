"""Real-world bad input, one test per case: what loads, what is quarantined with a reason,
and what refuses the file alone, naming the file, line, column and value, while the rest of
the inbox loads. tests/test_hostile_ingest.py runs the hostile cases of tests/hostile.py."""

from __future__ import annotations

import csv
import io
import shutil
import threading
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline.config import load_config
from pipeline.ingest.inbox import load_exports
from pipeline.paths import SAMPLE_DIR
from tests.test_ingest import column, refused, sample_rows, write_export

TEST_CRM = """
source: test_crm
label: Test CRM
id_pattern: '[0-9]{8}'
formats:
  date: ["%m/%d/%Y", "%d/%m/%Y"]
  timestamp: ["%b %d, %Y %I:%M %p"]
  decimal: {thousands: ".", point: ","}
entities:
  deals:
    signature: [Deal ID, Deal, Phase, Value]
    columns:
      deal_id: Deal ID
      deal_name: Deal
      owner_name: Owner
      amount: Value
      close_date: Close
      stage: Phase
      created_at: Created
stages:
  - {stage: Open, order: 1}
  - {stage: Won, order: 2, status: won}
  - {stage: Lost, status: lost}
"""


@pytest.fixture
def inbox(tmp_path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / "org.csv", folder / "org.csv")
    return folder


def ingest(inbox: Path, **settings):
    con = duckdb.connect()
    result = load_exports(con, load_config(inbox=inbox, settle_seconds=0, **settings))
    return con, result


def with_good_deals(inbox: Path) -> None:
    """A deals export that loads, so that refusing another leaves a warehouse to make."""
    header, rows = sample_rows(limit=60)
    write_export(inbox / "Deals_good.csv", header, rows)


def rejects(con) -> list[tuple]:
    return con.execute("select line, column_name, value, reason from raw_rejects "
                       "order by line").fetchall()


def zoho_text(rows=None, delimiter: str = ",") -> str:
    header, sample = sample_rows(limit=60)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL,
                        lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows if rows is not None else sample)
    return buffer.getvalue()


# --- encodings ----------------------------------------------------------------------------

def test_utf16_with_tabs_from_excel_unicode_text_loads(inbox):
    (inbox / "Deals.txt").write_bytes(zoho_text(delimiter="\t").encode("utf-16"))
    con, result = ingest(inbox)
    assert con.execute("select count(*) from raw_crm__deals").fetchall() == [(60,)]
    assert [f.encoding for f in result.files if f.path.name == "Deals.txt"] == ["utf-16"]
    assert con.execute("select count(*) from raw_crm__deals where deal_name like '%-%'"
                       ).fetchall()[0][0] > 0


def test_a_zoho_export_resaved_by_chinese_excel_loads_without_a_declared_encoding(inbox):
    text = zoho_text()
    (inbox / "Deals.csv").write_bytes(text.encode("gb18030"))
    con, result = ingest(inbox)
    assert [f.encoding for f in result.files if f.path.name == "Deals.csv"] == ["gb18030"]
    header, rows = sample_rows(limit=60)
    assert [r[0] for r in con.execute("select deal_name from raw_crm__deals "
                                      "order by record_number").fetchall()] == \
        [row[column(header, "Deal Name")] for row in rows]


def test_undecodable_bytes_refuse_the_file_and_name_the_line(inbox):
    with_good_deals(inbox)
    data = zoho_text().encode("utf-8").split(b"\r\n")
    data[30] = data[30][:5] + b"\xff" + data[30][5:]
    text = b"\r\n".join(data)
    (inbox / "Deals.csv").write_bytes(text)
    con, result = ingest(inbox)
    note = refused(con, result, "Deals.csv")
    # the physical line: a description above holds a line break of its own
    line = text[:text.index(b"\xff")].count(b"\n") + 1
    assert note.startswith(f"Deals.csv, line {line}: bytes that are not valid UTF-8")


def test_a_gb18030_file_with_bytes_gb18030_cannot_decode_is_refused(inbox, tmp_path):
    with_good_deals(inbox)
    source = Path(__file__).parent / "fixtures" / "fxiaoke" / "商机导出结果.csv"
    data = source.read_text(encoding="utf-8").encode("gb18030").split(b"\n")
    data[3] = data[3] + b"\x81\x20"  # a lead byte with no trail byte
    (inbox / "商机.csv").write_bytes(b"\n".join(data))
    con, result = ingest(inbox)
    assert refused(con, result, "商机.csv").startswith(
        "商机.csv, line 4: bytes that are not valid gb18030")


# --- delimiters and quoting ---------------------------------------------------------------

def test_semicolon_separated_with_lf_line_ends_loads(inbox):
    (inbox / "Deals.csv").write_text(zoho_text(delimiter=";").replace("\r\n", "\n"),
                                     encoding="utf-8")
    con, _ = ingest(inbox)
    assert con.execute("select count(*) from raw_crm__deals").fetchall() == [(60,)]


def test_quoted_newlines_and_doubled_quotes_far_from_the_top_load_intact(inbox):
    header, _ = sample_rows(limit=1)
    _, rows = sample_rows(limit=2000)
    rows = (rows * 3)[:5000]
    for i, row in enumerate(rows):
        row[column(header, "Record Id")] = f"zcrm_{5743045000090000000 + i}"
    rows[4900][column(header, "Description")] = 'He said "sign"\nthen left,\r\nfor good'
    rows[4900][column(header, "Deal Name")] = 'Quote "this" deal'
    write_export(inbox / "Deals.csv", header, rows)
    con, _ = ingest(inbox)
    assert con.execute("select count(*) from raw_crm__deals").fetchall() == [(5000,)]
    assert con.execute("select deal_name from raw_crm__deals where record_number = 4901"
                       ).fetchall() == [('Quote "this" deal',)]


def test_a_repeated_column_the_mapping_reads_loads_where_the_copies_agree(inbox):
    header, rows = sample_rows()
    amount = column(header, "Amount")
    twice = [r + [r[amount]] for r in rows]
    twice[4][-1] = "1"
    write_export(inbox / "Deals.csv", header + ["Amount"], twice)
    con, result = ingest(inbox, reject_threshold=0.1)
    assert rejects(con) == [(6, "Amount", rows[4][amount], "the header has this column 2 "
                             f"times and the copies differ: '{rows[4][amount]}' and '1'")]
    deals = [f for f in result.files if f.path.name == "Deals.csv"][0]
    assert (deals.rows_read, deals.rows_loaded, deals.rows_rejected) == (40, 39, 1)


# --- numbers, dates and ids in a source's declared formats --------------------------------

@pytest.fixture
def test_crm(tmp_path) -> Path:
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "test_crm.yaml").write_text(TEST_CRM, encoding="utf-8")
    return folder


def write_test_crm(inbox: Path, rows: list[list[str]]) -> None:
    with (inbox / "export.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Deal ID", "Deal", "Owner", "Phase", "Value", "Close", "Created"])
        writer.writerows(rows)


def test_amounts_dates_and_ids_in_the_declared_formats(inbox, test_crm):
    write_test_crm(inbox, [
        ["00000001", "Euro decimals", "张伟", "Won", "1.234,50", "04/13/2026",
         "Oct 7, 2025 6:55 PM"],
        ["00000002", "Day first", "张伟", "Lost", "€ 12,5", "13/04/2026", ""],
        ["00000003", "No separator", "张伟", "Open", "999", "", ""],
    ])
    con, _ = ingest(inbox, sources_dirs=(test_crm,))
    rows = con.execute("select deal_id, amount, close_date, created_at from raw_crm__deals "
                       "order by deal_id").fetchall()
    assert rows == [
        ("00000001", Decimal("1234.50"), date(2026, 4, 13), datetime(2025, 10, 7, 18, 55)),
        ("00000002", Decimal("12.50"), date(2026, 4, 13), None),
        ("00000003", Decimal("999.00"), None, None),
    ]


def test_values_that_do_not_fit_the_declared_formats_are_quarantined(inbox, test_crm):
    good = [["0000001" + str(i), f"Deal {i}", "张伟", "Open", "10", "", ""] for i in range(8)]
    write_test_crm(inbox, good + [
        ["00000011", "Ambiguous date", "张伟", "Won", "10", "03/04/2026", ""],
        ["00000012", "Bad grouping", "张伟", "Open", "1.2.3", "", ""],
        ["1234567", "Leading zero lost", "张伟", "Open", "10", "", ""],
        ["1.23457E+17", "Excel's number", "张伟", "Open", "10", "", ""],
        ["00000015", "Two-digit year", "张伟", "Won", "10", "13/4/26", ""],
    ])
    con, result = ingest(inbox, sources_dirs=(test_crm,), reject_threshold=0.5)
    found = {(line, col): (value, reason) for line, col, value, reason in rejects(con)}
    assert found[(10, "Close")][1] == "ambiguous: reads differently as %m/%d/%Y and as %d/%m/%Y"
    assert found[(11, "Value")] == (
        "1.2.3", "not a number with thousands '.' and decimal point ','; if the export writes "
        "numbers another way, set its separators under formats: decimal: in "
        f"{test_crm / 'test_crm.yaml'}")
    assert found[(12, "Deal ID")][0] == "1234567"
    assert found[(13, "Deal ID")][0] == "1.23457E+17"
    assert found[(13, "Deal ID")][1].startswith("not an id of this source")
    assert found[(14, "Close")][1] == "a date outside 1900-2100"
    deals = [f for f in result.files if f.path.name == "export.csv"][0]
    assert (deals.rows_read, deals.rows_loaded, deals.rows_rejected) == (13, 8, 5)


def test_an_excel_mangled_zoho_id_is_quarantined(inbox):
    header, rows = sample_rows(limit=200)
    rows[7][column(header, "Record Id")] = "5.74305E+18"
    write_export(inbox / "Deals.csv", header, rows)
    con, _ = ingest(inbox)
    (line, col, value, reason), = rejects(con)
    assert (line, col, value) == (9, "Record Id", "5.74305E+18")


# --- files that are not (yet) exports -----------------------------------------------------

def test_a_file_still_growing_between_two_looks_is_skipped(inbox):
    header, rows = sample_rows()
    write_export(inbox / "Deals.csv", header, rows)
    growing = inbox / "Deals_partial.csv"
    write_export(growing, header, rows[:5])

    def keep_writing():  # between the first look (at once) and the second (after 1.5 s)
        time.sleep(0.7)
        with growing.open("a", encoding="utf-8") as handle:
            handle.write('"more"\r\n')

    writer = threading.Thread(target=keep_writing)
    writer.start()
    con = duckdb.connect()
    result = load_exports(con, load_config(inbox=inbox, settle_seconds=1.5))
    writer.join()
    assert "Deals_partial.csv: skipped, the file is still being written" in result.warnings[0]
    assert con.execute("select count(*) from raw_crm__deals").fetchall() == [(40,)]


def test_a_file_exactly_at_excels_row_limit_is_flagged(inbox):
    header, rows = sample_rows(limit=1)
    template = rows[0]
    many = []
    for i in range(65_535):
        row = list(template)
        row[column(header, "Record Id")] = f"zcrm_{5743045000100000000 + i}"
        many.append(row)
    write_export(inbox / "Deals.csv", header, many)
    con, result = ingest(inbox)
    assert any("possibly truncated: 65,536 lines" in w for w in result.warnings)
    assert con.execute("select note from raw_files where file_name = 'Deals.csv'").fetchall() \
        == [("possibly truncated: 65,536 lines is exactly Excel's row limit",)]


def test_ops_files_quarantine_periods_scores_and_holders_that_do_not_fit(inbox):
    shutil.copy(SAMPLE_DIR / "Deals_2026_11_20.csv", inbox)
    (inbox / "targets.csv").write_text(
        "period,user_id,team,metric,target\n"
        "2026-Q1,u1,,won_amount,900\n"
        "2026-03,,East,won_count,3\n"
        "2026-Q5,u1,,won_amount,900\n"
        "2026-04,u1,East,won_amount,900\n"
        "2026-04,,,won_amount,900\n", encoding="utf-8")
    (inbox / "satisfaction.csv").write_text(
        "date,account_id,deal_id,score,scale,comment\n"
        "2026-03-01,a1,,5,1-5,good\n"
        "2026-03-01,a1,,7,1-5,\n"
        "2026-03-01,,d1,10,0-10,\n"
        "2026-03-01,,,3,0-10,\n"
        "2026-03-01,a1,,3,1-7,\n", encoding="utf-8")
    con, _ = ingest(inbox, reject_threshold=1.0)
    assert con.execute("select period, user_id, team from raw_ops__targets "
                       "order by record_number").fetchall() == [
        ("2026-Q1", "u1", None), ("2026-03", None, "East")]
    assert con.execute("select score, scale from raw_ops__satisfaction "
                       "order by record_number").fetchall() == [
        (Decimal("5.00"), "1-5"), (Decimal("10.00"), "0-10")]
    found = {(r[0], r[1], r[2]): r[3] for r in con.execute(
        "select file_name, line, value, reason from raw_rejects").fetchall()}
    assert found[("targets.csv", 4, "2026-Q5")].startswith("not a month in the format")
    assert found[("targets.csv", 5, "u1")] == (
        "a target is for a rep (user_id) or a team, not both")
    assert found[("targets.csv", 6, None)] == "a user_id or a team is required"
    assert found[("satisfaction.csv", 3, "7")] == "outside the scale the row declares"
    assert found[("satisfaction.csv", 5, None)] == "an account_id or a deal_id is required"
    assert found[("satisfaction.csv", 6, "1-7")] == "not one of 1-5, 0-10"


# --- files joined together ------------------------------------------------------------------

def test_a_second_header_in_another_column_order_refuses_the_file(inbox):
    with_good_deals(inbox)
    header, rows = sample_rows(limit=60)
    order = list(reversed(range(len(header))))
    first = inbox / "first.csv"
    write_export(first, header, rows[:30], bom=False)
    write_export(inbox / "second.csv", [header[i] for i in order],
                 [[row[i] for i in order] for row in rows[30:]], bom=False)
    line = first.read_bytes().count(b"\n") + 1
    joined = first.read_bytes() + (inbox / "second.csv").read_bytes()
    (inbox / "second.csv").unlink()
    first.unlink()
    (inbox / "Deals_joined.csv").write_bytes(joined)
    con, result = ingest(inbox)
    assert refused(con, result, "Deals_joined.csv").startswith(
        f"Deals_joined.csv, line {line}: value 'Channel Partner': a second header, its "
        "columns in another order")


def test_a_data_row_after_a_reports_footer_refuses_the_file(inbox):
    source = Path(__file__).parent / "fixtures" / "salesforce_reports" / \
        "opportunities_report.csv"
    text = source.read_text(encoding="utf-8")
    data_row = text.splitlines()[1]
    (inbox / "report.csv").write_text(text + data_row + "\n", encoding="utf-8")
    (inbox / "org.csv").write_text("user_id,name,email,manager_id,team,region\n"
                                   "jane,Jane Doe,,,,\nraj,Raj Patel,,,,\n", encoding="utf-8")
    with_good_deals(inbox)
    con, result = ingest(inbox)
    assert refused(con, result, "report.csv").startswith(
        "report.csv, line 10: value 'Jane Doe': a data row after the report's footer")
