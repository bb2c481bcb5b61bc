"""ingest: files recognised by header, columns by name, values by type; bad rows
quarantined with file, line, column and reason; a bad file refused alone (raw_files status
'refused', the message in its note) while the rest loads; exit code 3 only when no deals
export or no org file is left."""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.config import load_config
from pipeline.errors import InputRejected
from pipeline.ingest.inbox import load_exports
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


def write_sample_inbox(folder: Path, deals: int = 40, extra: tuple[str, ...] = ()) -> Path:
    """org.csv (and the `extra` sales-ops files) and the first `deals` deals of the sample."""
    folder.mkdir(parents=True)
    for name in ("org.csv", *extra):
        shutil.copy(SAMPLE_DIR / name, folder / name)
    header, rows = sample_rows(limit=deals)
    write_export(folder / "Deals.csv", header, rows)
    return folder


@pytest.fixture
def small_inbox(tmp_path) -> Path:
    """org.csv and 40 deals of the sample: the smallest inbox a run accepts."""
    return write_sample_inbox(tmp_path / "inbox")


def ingest(inbox: Path, **settings):
    con = duckdb.connect()
    result = load_exports(con, load_config(inbox=inbox, settle_seconds=0, **settings))
    return con, result


def column(header: list[str], name: str) -> int:
    return header.index(name)


def refused(con, result, name: str) -> str:
    """The file was refused alone: nothing of it loaded, its rows counted as rejected, the
    message in its note; the other files loaded. Returns the note."""
    status, read, loaded, rejected, note = con.execute(
        "select status, rows_read, rows_loaded, rows_rejected, note from raw_files "
        "where file_name = ?", [name]).fetchone()
    assert (status, loaded) == ("refused", 0)
    assert read is None or read == rejected
    file = next(f for f in result.files if f.path.name == name)
    if file.mapping:
        assert con.execute(f"select count(*) from {file.mapping.entity.table} "
                           "where file_id = ?", [file.file_id]).fetchone() == (0,)
    assert any(w == f"{name}: refused, {note}" for w in result.warnings)
    assert all(f.status != "refused" for f in result.files if f.path.name != name)
    return note


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
    write_export(small_inbox / "Deals_no_amount.csv",
                 [h for i, h in enumerate(header) if i != drop],
                 [[v for i, v in enumerate(row) if i != drop] for row in rows])
    con, result = ingest(small_inbox)
    note = refused(con, result, "Deals_no_amount.csv")
    assert note.startswith("Deals_no_amount.csv, line 1: column 'Amount': required column "
                           "missing for Zoho CRM deals")
    assert con.execute("select rows_read from raw_files where file_name = "
                       "'Deals_no_amount.csv'").fetchone() == (40,)
    assert con.execute("select count(*) from raw_crm__deals").fetchone() == (40,)


def test_an_unknown_stage_is_quarantined_naming_value_and_line(small_inbox):
    header, rows = sample_rows()
    rows[2][column(header, "Description")] = "two\nlines"   # data row 3 spans lines 4-5
    rows[5][column(header, "Stage")] = "Verbal Commit"      # data row 6 is on line 8
    write_export(small_inbox / "Deals.csv", header, rows)
    con, result = ingest(small_inbox, reject_threshold=0.1)
    (line, col, value, reason), = con.execute(
        "select line, column_name, value, reason from raw_rejects").fetchall()
    assert (line, col, value) == (8, "Stage", "Verbal Commit")
    # the built-in mapping is never to be edited: the reason says how to make one's own
    assert reason.startswith("unknown stage; copy pipeline/ingest/sources/zoho_crm.yaml into a "
                             "folder of your own named in the sources_dirs setting")
    assert "or list your stages under stages: {zoho_crm: [...]} in the config file" in reason
    deals = [f for f in result.files if f.path.name == "Deals.csv"][0]
    assert (deals.rows_read, deals.rows_loaded, deals.rows_rejected) == (40, 39, 1)


def test_an_unknown_stage_above_the_threshold_refuses_the_file_alone(small_inbox):
    header, rows = sample_rows()
    rows[5][column(header, "Stage")] = "Verbal Commit"
    write_export(small_inbox / "Deals_new.csv", header, rows)
    con, result = ingest(small_inbox)  # 1 of 40 rows is 2.5%, above the default 1%
    note = refused(con, result, "Deals_new.csv")
    assert note.startswith("Deals_new.csv, line 7: column 'Stage': value 'Verbal Commit': "
                           "1 of 40 rows (2.5%) cannot be loaded")
    assert con.execute("select count(*) from raw_crm__deals").fetchone() == (40,)


def test_unparseable_values_are_quarantined_and_the_rest_loads(small_inbox):
    header, rows = sample_rows()
    rows[2][column(header, "Description")] = "multi\nline\ntext"  # row 3 on lines 4-6
    rows[4][column(header, "Amount")] = "12,5x"                    # row 5 on line 8
    rows[6][column(header, "Closing Date")] = "31/12/2026"         # row 7 on line 10
    write_export(small_inbox / "Deals.csv", header, rows)
    con, result = ingest(small_inbox, reject_threshold=0.1)
    rejects = con.execute("select line, record_number, column_name, value, reason "
                          "from raw_rejects order by line").fetchall()
    assert [r[:4] for r in rejects] == [(8, 5, "Amount", "12,5x"),
                                        (10, 7, "Closing Date", "31/12/2026")]
    assert rejects[0][4].startswith("not a number with decimal point '.'; if the export "
                                    "writes numbers another way, copy ")
    assert rejects[1][4].startswith("not a date in the format %Y-%m-%d; if the export writes "
                                    "them another way, copy ")
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


def test_too_many_rejects_refuse_the_file_and_the_rest_loads(small_inbox):
    header, rows = sample_rows()
    rows[0][column(header, "Amount")] = "n/a"
    write_export(small_inbox / "Deals_bad.csv", header, rows)
    con, result = ingest(small_inbox)  # 1 of 40 rows is 2.5%, above the default 1%
    note = refused(con, result, "Deals_bad.csv")
    assert note.startswith("Deals_bad.csv, line 2: column 'Amount': value 'n/a': ")
    assert "above the 1.0% allowed" in note
    assert con.execute("select rows_read, rows_rejected from raw_files where file_name = "
                       "'Deals_bad.csv'").fetchone() == (40, 40)
    # the row that failed on its own is listed, to be fixed
    assert con.execute("select line, value from raw_rejects").fetchall() == [(2, "n/a")]
    assert con.execute("select count(*) from raw_crm__deals").fetchone() == (40,)


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
    con, result = ingest(small_inbox)
    note = refused(con, result, "mystery.csv")
    assert note.startswith("mystery.csv, line 1: the header matches no known export")
    assert "Zoho CRM deals" in note and "'Stage'" in note


def test_an_inbox_without_deals_is_refused(tmp_path):
    shutil.copy(SAMPLE_DIR / "org.csv", tmp_path / "org.csv")
    with pytest.raises(InputRejected, match="no deals export loaded") as error:
        ingest(tmp_path)
    assert error.value.exit_code == 3


ORG_HEADER = "user_id,name,email,manager_id,team,region\n"


def test_a_user_listed_twice_is_quarantined_every_row_of_them(small_inbox):
    (small_inbox / "org.csv").write_text(
        ORG_HEADER + "u1,A,,,,\nu0,Z,,,,\nzcrm_u1,B,,,,\nu2,C,,u1,,\n", encoding="utf-8")
    con, result = ingest(small_inbox)
    assert con.execute("select line, column_name, value, reason from raw_rejects "
                       "order by line").fetchall() == [
        (2, "user_id", "u1", "user listed more than once: also org.csv line 4"),
        (4, "user_id", "u1", "user listed more than once: also org.csv line 2")]
    # the user below them keeps their row, with no manager
    assert con.execute("select user_id, manager_id from raw_ops__org order by 1").fetchall() \
        == [("u0", None), ("u2", None)]
    assert con.execute("select line, value from raw_warnings").fetchall() == [(5, "u1")]
    org = [f for f in result.files if f.path.name == "org.csv"][0]
    assert (org.rows_read, org.rows_loaded, org.rows_rejected) == (4, 2, 2)
    assert any(w.startswith("org.csv, line 2: column 'user_id': value 'u1': user listed 2 "
                            "times") for w in result.warnings)


def test_a_loop_of_managers_quarantines_the_users_in_it(small_inbox):
    (small_inbox / "org.csv").write_text(
        ORG_HEADER + "u1,A,,u2,,\nu2,B,,u3,,\nu3,C,,u1,,\nu4,D,,u3,,\nu5,E,,,,\n",
        encoding="utf-8")
    con, result = ingest(small_inbox)
    assert con.execute("select line, value, reason from raw_rejects order by line"
                       ).fetchall() == [
        (2, "u2", "the chain of managers above this user leads back to them: "
                  "u1 -> u2 -> u3 -> u1"),
        (3, "u3", "the chain of managers above this user leads back to them: "
                  "u2 -> u3 -> u1 -> u2"),
        (4, "u1", "the chain of managers above this user leads back to them: "
                  "u3 -> u1 -> u2 -> u3")]
    assert con.execute("select user_id, manager_id from raw_ops__org order by 1").fetchall() \
        == [("u4", None), ("u5", None)]
    assert any("org.csv, line 5: column 'manager_id': value 'u3': manager_id is not the "
               "user_id of anyone" in w for w in result.warnings)


def test_a_manager_who_is_not_a_user_leaves_the_row_at_the_top_of_its_subtree(small_inbox):
    (small_inbox / "org.csv").write_text(
        ORG_HEADER + 'u1,A,"a@x.com\n",,,\nu2,B,,u9,,\nu3,C,c@x.com,u2,,\n',
        encoding="utf-8")
    con, result = ingest(small_inbox)
    assert con.execute("select count(*) from raw_rejects").fetchone() == (0,)
    assert con.execute("select user_id, manager_id, email from raw_ops__org order by 1"
                       ).fetchall() == [("u1", None, "a@x.com\n"), ("u2", None, None),
                                        ("u3", "u2", "c@x.com")]
    # the email's line feed puts u2 on line 4
    assert con.execute("select line, column_name, value from raw_warnings order by line"
                       ).fetchall() == [(2, "email", "a@x.com\n"), (4, "manager_id", "u9")]
    assert "org.csv, line 4: column 'manager_id': value 'u9': manager_id is not the user_id " \
           "of anyone in the org file" in "\n".join(result.warnings)


def test_two_targets_for_the_same_person_and_month_are_quarantined_both(small_inbox):
    (small_inbox / "targets.csv").write_text(
        "period,user_id,metric,target\n2026-01,u1,won_amount,100\n"
        "2026-02,u1,won_amount,100\n2026-01,zcrm_u1,won_amount,200\n", encoding="utf-8")
    con, result = ingest(small_inbox)
    assert con.execute("select line, value, reason from raw_rejects order by line"
                       ).fetchall() == [
        (2, "2026-01", "another won_amount target for user u1 covers the same month: "
                       "targets.csv line 4 (2026-01); keep one"),
        (4, "2026-01", "another won_amount target for user u1 covers the same month: "
                       "targets.csv line 2 (2026-01); keep one")]
    assert con.execute("select period from raw_ops__targets").fetchall() == [("2026-02",)]


def test_a_months_target_beside_its_quarters_in_another_file_is_quarantined_too(small_inbox):
    (small_inbox / "targets.csv").write_text(
        "period,user_id,metric,target\n2026-Q1,u1,won_amount,300\n", encoding="utf-8")
    (small_inbox / "targets_q1.csv").write_text(
        "period,user_id,metric,target\n2026-03,u1,won_count,100\n"
        "2026-02,u1,won_amount,300\n", encoding="utf-8")
    con, _ = ingest(small_inbox)
    assert con.execute("select file_name, line, reason from raw_rejects order by all"
                       ).fetchall() == [
        ("targets.csv", 2, "another won_amount target for user u1 covers the same month: "
                           "targets_q1.csv line 3 (2026-02); keep one"),
        ("targets_q1.csv", 3, "another won_amount target for user u1 covers the same month: "
                              "targets.csv line 2 (2026-Q1); keep one")]
