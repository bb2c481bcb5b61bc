"""ingest: files recognised by header, columns by name, values by type; bad rows
quarantined with file, line, column and reason; bad files refused with exit code 3."""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.config import load_config
from pipeline.errors import InputRejected
from pipeline.ingest import load_exports
from pipeline.paths import SAMPLE_DIR

SAMPLE_DEALS = SAMPLE_DIR / "Deals_2026_11_20.csv"


def sample_rows(path: Path = SAMPLE_DEALS, limit: int = 40) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:limit + 1]


def write_export(path: Path, header: list[str], rows: list[list[str]], *, bom: bool = True,
                 raw_lines: dict[int, str] | None = None) -> Path:
    """Zoho's shape: every value quoted, CRLF; raw_lines[i] goes in before data row i."""
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        for index, row in enumerate(rows):
            if raw_lines and index in raw_lines:
                handle.write(raw_lines[index] + "\r\n")
            writer.writerow(row)
    return path


@pytest.fixture
def small_inbox(tmp_path) -> Path:
    """org.csv and 40 deals of the sample: the smallest inbox a run accepts."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(SAMPLE_DIR / "org.csv", folder / "org.csv")
    header, rows = sample_rows()
    write_export(folder / "Deals.csv", header, rows)
    return folder


def ingest(inbox: Path, **settings):
    con = duckdb.connect()
    result = load_exports(con, load_config(inbox=inbox, settle_seconds=0, **settings))
    return con, result


def column(header: list[str], name: str) -> int:
    return header.index(name)


def test_the_sample_loads_every_file_without_rejects():
    con, result = ingest(SAMPLE_DIR)
    loaded = {f.path.name: f for f in result.files}
    assert {f.mapping.entity.name for f in result.files} == {
        "deals", "deal_stage_history", "accounts", "calls", "tasks", "meetings", "org",
        "targets", "satisfaction", "costs", "market"}
    for file in result.files:
        with file.path.open(encoding="utf-8-sig", newline="") as handle:
            records = sum(1 for _ in csv.reader(handle)) - 1
        assert file.rows_read == file.rows_loaded == records, file.path.name
    assert con.execute("select count(*) from raw_rejects").fetchall() == [(0,)]
    assert loaded["Deals_2026_11_20.csv"].rows_loaded == con.execute(
        "select count(*) from raw_crm__deals where file_id = ?",
        [loaded["Deals_2026_11_20.csv"].file_id]).fetchall()[0][0]


def test_values_are_typed_and_zoho_id_prefixes_removed(small_inbox):
    header, rows = sample_rows()
    con, _ = ingest(small_inbox)
    first = rows[0]
    found = con.execute("select deal_id, owner_id, account_id, amount, close_date, created_at, "
                        "probability from raw_crm__deals where record_number = 1").fetchall()[0]
    assert found[0] == first[column(header, "Record Id")].removeprefix("zcrm_")
    assert found[1] == first[column(header, "Deal Owner.id")].removeprefix("zcrm_")
    assert not found[2].startswith("zcrm_")
    assert float(found[3]) == float(first[column(header, "Amount")])
    assert found[4] == date.fromisoformat(first[column(header, "Closing Date")])
    assert found[5] == datetime.fromisoformat(first[column(header, "Created Time")])
    assert found[6] == pytest.approx(int(first[column(header, "Probability (%)")]) / 100)


def test_org_ids_with_and_without_the_prefix_are_the_same_user():
    con, _ = ingest(SAMPLE_DIR)
    ids = [r[0] for r in con.execute("select user_id from raw_ops__org").fetchall()]
    assert all(not i.startswith("zcrm_") for i in ids)
    with (SAMPLE_DIR / "org.csv").open(encoding="utf-8") as handle:
        assert "zcrm_" in handle.read()  # the sample mixes both forms


def test_a_bom_never_reaches_a_column_name(small_inbox):
    assert (small_inbox / "Deals.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    _, result = ingest(small_inbox)
    assert [f.rows_loaded for f in result.files if f.path.name == "Deals.csv"] == [40]


def test_columns_are_matched_by_name_and_extra_columns_ignored(small_inbox):
    header, rows = sample_rows()
    order = list(reversed(range(len(header))))
    write_export(small_inbox / "Deals.csv", [header[i] for i in order] + ["Custom Field"],
                 [[row[i] for i in order] + ["x"] for row in rows], bom=False)
    con, _ = ingest(small_inbox)
    names = [r[0] for r in con.execute(
        "select deal_name from raw_crm__deals order by record_number").fetchall()]
    assert names == [row[column(header, "Deal Name")] for row in rows]


def test_a_missing_required_column_refuses_the_file(small_inbox):
    header, rows = sample_rows()
    drop = column(header, "Amount")
    write_export(small_inbox / "Deals.csv", [h for i, h in enumerate(header) if i != drop],
                 [[v for i, v in enumerate(row) if i != drop] for row in rows])
    with pytest.raises(InputRejected) as error:
        ingest(small_inbox)
    assert error.value.exit_code == 3
    assert (error.value.file, error.value.column, error.value.line) == ("Deals.csv", "Amount", 1)
    assert "Deals.csv, line 1: column 'Amount'" in str(error.value)


def test_an_unknown_stage_refuses_the_file_naming_value_and_line(small_inbox):
    header, rows = sample_rows()
    rows[2][column(header, "Description")] = "two\nlines"   # data row 3 spans lines 4-5
    rows[5][column(header, "Stage")] = "Verbal Commit"      # data row 6 is on line 8
    write_export(small_inbox / "Deals.csv", header, rows)
    with pytest.raises(InputRejected) as error:
        ingest(small_inbox)
    assert error.value.exit_code == 3
    assert (error.value.file, error.value.line, error.value.column, error.value.value) == (
        "Deals.csv", 8, "Stage", "Verbal Commit")
    assert "zoho_crm.yaml" in str(error.value)


def test_unparseable_values_are_quarantined_and_the_rest_loads(small_inbox):
    header, rows = sample_rows()
    rows[2][column(header, "Description")] = "multi\nline\ntext"  # row 3 on lines 4-6
    rows[4][column(header, "Amount")] = "12,5x"                    # row 5 on line 8
    rows[6][column(header, "Closing Date")] = "31/12/2026"         # row 7 on line 10
    write_export(small_inbox / "Deals.csv", header, rows)
    con, result = ingest(small_inbox, reject_threshold=0.1)
    rejects = con.execute("select line, record_number, column_name, value, reason "
                          "from raw_rejects order by line").fetchall()
    assert rejects == [
        (8, 5, "Amount", "12,5x", "not a number"),
        (10, 7, "Closing Date", "31/12/2026", "not a date in the format %Y-%m-%d"),
    ]
    deals = [f for f in result.files if f.path.name == "Deals.csv"][0]
    assert (deals.rows_read, deals.rows_loaded, deals.rows_rejected) == (40, 38, 2)
    assert con.execute("select count(*) from raw_crm__deals").fetchall() == [(38,)]


def test_a_ragged_row_is_quarantined_with_its_line(small_inbox):
    header, rows = sample_rows()
    write_export(small_inbox / "Deals.csv", header, rows,
                 raw_lines={3: '"zcrm_1","only two columns"'})      # line 5
    con, result = ingest(small_inbox, reject_threshold=0.1)
    rejects = con.execute("select line, value, reason from raw_rejects").fetchall()
    assert len(rejects) == 1
    assert rejects[0][0] == 5
    assert "only two columns" in rejects[0][1]
    deals = [f for f in result.files if f.path.name == "Deals.csv"][0]
    assert (deals.rows_read, deals.rows_loaded, deals.rows_rejected) == (41, 40, 1)
    # records after the ragged one keep their own record numbers
    assert con.execute("select max(record_number) from raw_crm__deals").fetchall() == [(41,)]


def test_too_many_rejects_refuse_the_file(small_inbox):
    header, rows = sample_rows()
    rows[0][column(header, "Amount")] = "n/a"
    write_export(small_inbox / "Deals.csv", header, rows)
    with pytest.raises(InputRejected) as error:
        ingest(small_inbox)  # 1 of 40 rows is 2.5%, above the default 1%
    assert (error.value.line, error.value.column, error.value.value) == (2, "Amount", "n/a")
    assert "above the 1.0% allowed" in str(error.value)


def test_a_required_value_that_is_empty_is_rejected(small_inbox):
    header, rows = sample_rows()
    rows[1][column(header, "Deal Owner.id")] = ""  # the owner's name alone is enough
    rows[2][column(header, "Deal Owner.id")] = ""
    rows[2][column(header, "Deal Owner")] = ""
    rows[3][column(header, "Stage")] = ""
    write_export(small_inbox / "Deals.csv", header, rows)
    con, _ = ingest(small_inbox, reject_threshold=0.5)
    assert con.execute("select line, column_name, reason from raw_rejects "
                       "order by line").fetchall() == [
        (4, "Deal Owner.id", "an owner is required (an id or a name)"),
        (5, "Stage", "a value is required")]


def test_the_same_file_dropped_twice_loads_once(small_inbox):
    shutil.copy(small_inbox / "Deals.csv", small_inbox / "Deals (1).csv")
    con, result = ingest(small_inbox)
    assert con.execute("select count(*) from raw_crm__deals").fetchall() == [(40,)]
    assert "same content as" in " ".join(result.warnings)


def test_empty_header_only_and_unfinished_files_are_skipped_with_a_warning(small_inbox):
    header, _ = sample_rows()
    write_export(small_inbox / "Deals_header_only.csv", header, [])
    (small_inbox / "empty.csv").write_bytes(b"")
    (small_inbox / "Deals.csv.part").write_text("partial", encoding="utf-8")
    con, result = ingest(small_inbox)
    assert con.execute("select count(*) from raw_crm__deals").fetchall() == [(40,)]
    warnings = "\n".join(result.warnings)
    assert "Deals_header_only.csv: skipped" in warnings
    assert "empty.csv: skipped" in warnings
    assert "Deals.csv.part: skipped" in warnings


def test_a_file_that_matches_no_export_is_named_with_the_closest(small_inbox):
    header, rows = sample_rows()
    drop = column(header, "Stage")
    write_export(small_inbox / "mystery.csv", [h for i, h in enumerate(header) if i != drop],
                 [[v for i, v in enumerate(r) if i != drop] for r in rows])
    with pytest.raises(InputRejected) as error:
        ingest(small_inbox)
    message = str(error.value)
    assert error.value.file == "mystery.csv"
    assert "Zoho CRM deals" in message and "'Stage'" in message


def test_an_inbox_without_deals_is_refused(tmp_path):
    shutil.copy(SAMPLE_DIR / "org.csv", tmp_path / "org.csv")
    with pytest.raises(InputRejected, match="no deals export"):
        ingest(tmp_path)


@pytest.mark.parametrize("org, message, line", [
    pytest.param("user_id,name,email,manager_id,team,region\nu1,A,,,,\nu2,B,,u9,,\n",
                 "manager_id is not the user_id", 3, id="unknown manager"),
    pytest.param("user_id,name,email,manager_id,team,region\nu1,A,,u2,,\nu2,B,,u1,,\n",
                 "leads back to them", None, id="loop"),
    pytest.param("user_id,name,email,manager_id,team,region\nu1,A,,,,\nzcrm_u1,B,,,,\n",
                 "more than once", None, id="listed twice"),
])
def test_an_org_chart_that_is_not_a_tree_is_refused(small_inbox, org, message, line):
    (small_inbox / "org.csv").write_text(org, encoding="utf-8")
    with pytest.raises(InputRejected, match=message) as error:
        ingest(small_inbox)
    assert error.value.line == line


def test_two_targets_for_the_same_person_and_month_are_refused(small_inbox):
    (small_inbox / "targets.csv").write_text(
        "period,user_id,metric,target\n2026-01,u1,won_amount,100\n"
        "2026-02,u1,won_amount,100\n2026-01,zcrm_u1,won_amount,200\n", encoding="utf-8")
    with pytest.raises(InputRejected, match=r"two targets for user u1, 2026-01") as error:
        ingest(small_inbox)
    assert (error.value.file, error.value.line) == ("targets.csv", 4)


def test_two_targets_in_two_files_are_refused_too(small_inbox):
    (small_inbox / "targets.csv").write_text(
        "period,user_id,metric,target\n2026-01,u1,won_amount,100\n", encoding="utf-8")
    (small_inbox / "targets_q1.csv").write_text(
        "period,user_id,metric,target\n2026-03,u1,won_amount,100\n"
        "2026-01,u1,won_amount,300\n", encoding="utf-8")
    with pytest.raises(InputRejected, match="targets.csv line 2, targets_q1.csv line 3"):
        ingest(small_inbox)
