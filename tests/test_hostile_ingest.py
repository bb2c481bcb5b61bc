"""The hostile-input suite at ingest level. Every case of tests/hostile.py is dropped into a
small inbox (the sample's org.csv and 200 of its deals); each asserts what the run does
(it goes on), the file's status, a message naming file, line and value, rows read = rows
loaded + rows rejected in raw_files, and that every row the other files gave in a clean
run is still there, unchanged: a fault stays where it starts."""

from __future__ import annotations

import csv
import shutil
import tracemalloc
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.config import load_config
from pipeline.errors import InputRejected
from pipeline.ingest.canonical import ENTITIES
from pipeline.ingest.inbox import IngestResult, load_exports
from pipeline.paths import SAMPLE_DIR
from tests.hostile import CASES, WESTERN_NAMES, Expected, deals, write

FIXTURES = Path(__file__).parent / "fixtures"


def ingest(inbox: Path, **settings) -> tuple[duckdb.DuckDBPyConnection, IngestResult]:
    con = duckdb.connect()
    result = load_exports(con, load_config(inbox=inbox, settle_seconds=0, **settings))
    return con, result


def raw_rows(con) -> set[tuple]:
    """Every loaded row of every raw table, by file name and record number."""
    rows = set()
    for entity in ENTITIES.values():
        found = con.execute(
            f"select files.file_name, raw.* exclude (file_id) from {entity.table} as raw "
            "inner join raw_files as files using (file_id)").fetchall()
        rows |= {(entity.table, *row) for row in found}
    return rows


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("base")
    shutil.copy(SAMPLE_DIR / "org.csv", folder / "org.csv")
    header, rows = deals(200)
    write(folder / "Deals.csv", header, rows)
    return folder


@pytest.fixture(scope="module")
def clean(base) -> set[tuple]:
    con, result = ingest(base)
    assert result.warnings == []
    return raw_rows(con)


def messages(con, table: str, file: str) -> list[tuple]:
    return con.execute(f"select line, value, reason from {table} where file_name = ? "
                       "order by line", [file]).fetchall()


def assert_named(expected: Expected, con, result: IngestResult) -> None:
    """The message names the file, the line and the value."""
    if expected.where in ("rejects", "warnings"):
        table = "raw_rejects" if expected.where == "rejects" else "raw_warnings"
        found = messages(con, table, expected.file)
        assert any(line == expected.line and expected.text in reason
                   and (expected.value is None or value == expected.value)
                   for line, value, reason in found), found
        return
    if expected.where == "note":
        text = con.execute("select note from raw_files where file_name = ?",
                           [expected.file]).fetchone()[0]
        candidates = [text]
    else:
        candidates = [w for w in result.warnings if w.startswith(expected.file)]
    pieces = [expected.file, expected.text]
    pieces += [f"line {expected.line}"] if expected.line else []
    pieces += [repr(expected.value)] if expected.value is not None else []
    assert any(all(p in c for p in pieces) for c in candidates), (pieces, candidates)


def assert_outcome(expected: Expected, con, result: IngestResult) -> None:
    """The file's status and counts, and the message naming its file, line and value."""
    status, read, loaded, rejected, encoding = con.execute(
        "select status, rows_read, rows_loaded, rows_rejected, encoding from raw_files "
        "where file_name = ?", [expected.file]).fetchone()
    assert status == expected.status
    file = next(f for f in result.files if f.path.name == expected.file)
    assert file.status == expected.status
    if expected.counts:
        assert (read, loaded, rejected) == expected.counts
    if read is not None:
        assert read == loaded + rejected
    if expected.status == "refused":
        assert loaded == 0
        table = file.mapping.entity.table if file.mapping else None
        if table:
            assert con.execute(f"select count(*) from {table} where file_id = ?",
                               [file.file_id]).fetchone() == (0,)
    if expected.encoding:
        assert encoding == expected.encoding
    if expected.where:
        assert_named(expected, con, result)


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_file_costs_only_itself(case, base, clean, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(base, inbox)
    expected = CASES[case](inbox)
    con, result = ingest(inbox)  # the run goes on: no exception, exit code 0 at ingest
    assert expected.exit_code == 0
    assert_outcome(expected, con, result)
    assert clean <= raw_rows(con)


def test_every_case_at_once_in_a_copy_of_the_sample(tmp_path):
    """As the end-to-end hostile run drops them: all cases in one multi-team inbox."""
    clean_con, _ = ingest(SAMPLE_DIR)
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE_DIR, inbox)
    expected = [write_case(inbox) for write_case in CASES.values()]
    con, result = ingest(inbox)
    for case in expected:
        assert_outcome(case, con, result)
    assert raw_rows(clean_con) <= raw_rows(con)


def test_every_inbox_entry_is_read_or_skipped_with_its_reason(base, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(base, inbox)
    for case in ("hidden_file", "lock_files", "nightly_folder", "empty_export", "glob_name"):
        CASES[case](inbox)
    (inbox / "notes.docx").write_bytes(b"PK")
    (inbox / "Deals.csv.part").write_text("partial", encoding="utf-8")
    con, result = ingest(inbox)
    entries = sorted(p.name for p in inbox.iterdir())
    listed = con.execute("select file_name, status, note from raw_files "
                         "order by file_id").fetchall()
    assert [name for name, _, _ in listed] == entries
    for name, status, note in listed:
        assert status in ("loaded", "skipped"), name
        if status == "skipped":
            assert note and any(w == f"{name}: skipped, {note}" for w in result.warnings)
    # Deals*.csv is read by its own name: not as a glob that pulls in Deals.csv
    assert con.execute("select rows_read from raw_files where file_name = 'Deals*.csv'"
                       ).fetchone() == (150,)


def test_a_long_field_loads_and_its_deal_with_it(base, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(base, inbox)
    CASES["long_field"](inbox)
    con, _ = ingest(inbox)
    file_id = con.execute("select file_id from raw_files where file_name = 'Deals_long.csv'"
                          ).fetchone()[0]
    assert con.execute("select record_number from raw_crm__deals where file_id = ? "
                       "and record_number in (6, 7) order by 1", [file_id]).fetchall() \
        == [(6,), (7,)]


def test_naming_lines_keeps_memory_small_whatever_the_values(base, tmp_path):
    """A reject at the end makes ingest read the file again for lines: it keeps the start of
    each value only, not 60 MB of descriptions."""
    inbox = tmp_path / "inbox"
    shutil.copytree(base, inbox)
    header, rows = deals(60)
    for row in rows:
        row[header.index("Description")] = "z" * (1 << 20)
    rows[-1][header.index("Amount")] = "n/a"
    write(inbox / "Deals_long.csv", header, rows)
    tracemalloc.start()
    con, _ = ingest(inbox, reject_threshold=0.5)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert con.execute("select line, value from raw_rejects").fetchall() == [(61, "n/a")]
    assert peak < 16 << 20


def test_a_western_excel_file_loads_its_accented_names_exactly(base, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(base, inbox)
    CASES["cp1252_users"](inbox)
    con, _ = ingest(inbox)
    names = [r[0] for r in con.execute("select name from raw_crm__users "
                                       "order by record_number").fetchall()]
    assert names == list(WESTERN_NAMES)
    assert not any("\u4e00" <= c <= "\u9fff" for name in names for c in name)


@pytest.mark.parametrize("text", [
    pytest.param("Name\nMüller\nJosé\n", id="accents alone"),
    pytest.param("Name\nMüller Ångström façade\n", id="accents before letters"),
])
def test_cp1252_is_never_read_as_chinese(tmp_path, text):
    from pipeline.ingest.encodings import detect

    path = tmp_path / "names.csv"
    path.write_bytes(text.encode("cp1252"))
    assert detect(path) == "cp1252"


def test_bytes_that_are_neither_gb18030_nor_cp1252_refuse_the_file_naming_the_line(
        base, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(base, inbox)
    header, rows = deals(20)
    write(inbox / "Deals_odd.csv", header, rows)
    data = (inbox / "Deals_odd.csv").read_bytes().split(b"\r\n")
    data[4] = data[4] + b"\x81\x20"  # a GB18030 lead byte without its trail; no cp1252 byte
    (inbox / "Deals_odd.csv").write_bytes(b"\r\n".join(data))
    con, result = ingest(inbox)
    note = con.execute("select status, note from raw_files where file_name = 'Deals_odd.csv'"
                       ).fetchone()
    assert note[0] == "refused"
    assert "Deals_odd.csv, line 5: bytes that are not valid UTF-8, and the file is neither " \
           "clearly GB18030" in note[1]


def chinese_copy(source: Path, target: Path) -> None:
    """The fixture as UTF-8 without a BOM, with Chinese text in its first name column."""
    from pipeline.ingest.loading import match_mapping
    from pipeline.ingest.mapping import load_sources
    from pipeline.paths import SOURCES_DIR

    text = source.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines(keepends=True)))
    sources = load_sources([SOURCES_DIR])
    start = next(i for i, row in enumerate(rows[:30])
                 if _matches(match_mapping, row, sources))
    mapping = match_mapping(source, tuple(rows[start]), sources)
    name_field = next((f for f in ("deal_name", "account_name", "name", "subject", "title")
                       if f in mapping.columns), None)
    if name_field:
        column = [c.strip() for c in rows[start]].index(mapping.columns[name_field].name)
        rows[start + 1][column] = "北京华信科技有限公司 " + rows[start + 1][column]
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)


def _matches(match_mapping, row, sources) -> bool:
    try:
        match_mapping(Path("x.csv"), tuple(c.strip() for c in row), sources)
    except InputRejected:
        return False
    return True


@pytest.mark.parametrize("folder", ["zoho", "zoho_analytics", "salesforce/cloud",
                                    "salesforce/devorg", "salesforce_reports", "hubspot",
                                    "fxiaoke"])
def test_every_sources_exports_resaved_by_chinese_excel_load_the_same_rows(tmp_path, folder):
    loaded = {}
    for kind in ("utf-8", "gb18030"):
        inbox = tmp_path / kind
        inbox.mkdir()
        shutil.copy(SAMPLE_DIR / "org.csv", inbox / "org.csv")
        for source in sorted((FIXTURES / folder).glob("*.csv")):
            chinese_copy(source, inbox / source.name)
            if kind == "gb18030":
                path = inbox / source.name
                path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
        con, result = ingest(inbox, reject_threshold=1.0)
        for file in result.files:
            if file.path.name != "org.csv" and not file.path.read_bytes().isascii():
                assert file.encoding == kind, file.path.name
        loaded[kind] = raw_rows(con), con.execute(
            "select file_name, line, column_name, value, reason from raw_rejects "
            "order by all").fetchall()
    assert loaded["gb18030"] == loaded["utf-8"]
    assert any("北京华信科技有限公司" in str(row) for row in loaded["gb18030"][0])


def test_no_deals_left_stops_the_run_naming_each_refused_file_and_why(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLE_DIR / "org.csv", inbox / "org.csv")
    header, rows = deals(20)
    write(inbox / "Deals_empty_rows.csv", header, [])
    expected = CASES["missing_required_column"](inbox)
    result = IngestResult()
    with pytest.raises(InputRejected) as error:
        load_exports(duckdb.connect(), load_config(inbox=inbox, settle_seconds=0), result)
    assert error.value.exit_code == 3
    message = str(error.value)
    assert "no deals export loaded" in message
    assert "Deals_no_amount.csv refused: Deals_no_amount.csv, line 1: column 'Amount'" in message
    assert "Deals_empty_rows.csv skipped: the file has a header but no rows" in message
    # the caller still has every file and warning of the failed run
    assert {f.path.name: f.status for f in result.files} == {
        "Deals_empty_rows.csv": "skipped", expected.file: "refused", "org.csv": "loaded"}
    assert any(w.startswith("Deals_no_amount.csv: refused") for w in result.warnings)


def test_no_org_file_left_stops_the_run(base, tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(base, inbox)
    (inbox / "org.csv").write_bytes(b"\xef\xbb\xbfuser_id,name,email,manager_id,team,region\r\n"
                                    b"u1,A\xff,,,,\r\n")
    with pytest.raises(InputRejected, match="no org export loaded; org.csv refused: org.csv, "
                       "line 2: bytes that are not valid UTF-8"):
        ingest(inbox)


def test_a_stage_history_orphan_no_longer_fails_the_contracts(tmp_path):
    """A deal deleted in the CRM between the two exports, its history moved this month: the
    rows are quarantined at ingest, and the build passes its contracts (it failed with exit
    4, rpt_pipeline_waterfall: not_nullable)."""
    from pipeline.warehouse.build import build_models
    from pipeline.warehouse.validate import validate_marts

    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE_DIR, inbox)
    header, rows = deals(1)
    history = ["zcrm_5743045000049999991", "zcrm_5743045000039999999", "Gone", "Qualification",
               "1", "10", "Needs Analysis", "1000", "100", "2026-12-13", "王芳",
               "zcrm_5743045000010000009", "2026-11-02 12:10:22"]
    moved = [*history]
    moved[0], moved[3], moved[6], moved[12] = ("zcrm_5743045000049999992", "Needs Analysis",
                                               "Value Proposition", "2026-11-18 12:10:22")
    path = inbox / "Deals_Stage_History_2026_11_20.csv"
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
            [history, moved])
    config = load_config(inbox=inbox, out=tmp_path / "out", as_of=date(2026, 11, 20),
                         settle_seconds=0)
    con = duckdb.connect()
    result = load_exports(con, config)
    build_models(con, config)
    validate_marts(con, config)
    assert con.execute("select count(*) from raw_rejects where value = '5743045000039999999'"
                       ).fetchone() == (2,)
    assert any(w.startswith("Deals_Stage_History_2026_11_20.csv, line ")
               and "the first of 2 rows quarantined: their deal is not in the deals export" in w
               for w in result.warnings)
