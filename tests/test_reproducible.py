"""Two fresh runs of one multi-team inbox give the same reports, byte for byte, even when the
second reads every raw table and every table built from sql/ in another order; and the
violations CSV attached to every email never hands a spreadsheet a formula from the CRM.

The inbox is the sample with, in two teams, records that tie on every sort key but their
id (a cloned open deal, a same-day win of a key account by a rep of another team, two reps
of one name without deals), and deals and an account named like formulas."""

from __future__ import annotations

import csv
import os
import shutil
from html import unescape
from pathlib import Path

import pytest
from openpyxl import load_workbook

import pipeline.ingest.inbox
import pipeline.warehouse.build
from pipeline.config import load_config
from pipeline.control.run import run
from pipeline.paths import SAMPLE_DIR
from pipeline.report.archive import RUNS_PAGE
from pipeline.report.spreadsheet import PLAIN_NUMBER
from pipeline.tools.sample import AS_OF
from pipeline.warehouse.build import MODEL_PREFIXES
from pipeline.warehouse.db import open_warehouse

DEALS = "Deals_2026_11_20.csv"
ACCOUNTS = "Accounts_2026_11_20.csv"
# open deals that break a discipline rule, in four teams, renamed as formulas
HOSTILE_DEALS = {
    "zcrm_5743045000030001707": '=HYPERLINK("http://x","y")',  # 华东一组
    "zcrm_5743045000030001590": "+cmd|' /C calc'!A0",  # 华北组
    "zcrm_5743045000030001582": "@SUM(1+1)*cmd|' /C calc'!A0",  # 华南组
    "zcrm_5743045000030001705": "-2+3+cmd|' /C calc'!A0",  # 华东二组
    "zcrm_5743045000030001549": "＝1+1",  # 华东一组, a full-width equals sign
}
# a key account that no one has visited (key_account_follow_up)
HOSTILE_ACCOUNT = ("zcrm_5743045000020000013", "=cmd|' /C calc'!A0")
# open deals with violations, cloned under a new id: the same rules, name, owner and days
CLONED_DEALS = {"zcrm_5743045000030001717": "zcrm_5743045000039999001",  # 华东一组
                "zcrm_5743045000030001736": "zcrm_5743045000039999002"}  # 华北组
# the latest win of key account ...185 (华东一组), won the same day by a rep of 华北组
SAME_DAY_WIN = ("zcrm_5743045000090000026", "zcrm_5743045000039999003",
                "zcrm_5743045000010000010", "李娜")
# two reps of one name without a deal, in 华北组 and in 华南组: every number of theirs ties
NAMESAKES = [("5743045000010000091", "5743045000010000006", "华北组", "华北"),
             ("5743045000010000092", "5743045000010000006", "华北组", "华北"),
             ("5743045000010000093", "5743045000010000007", "华南组", "华南"),
             ("5743045000010000094", "5743045000010000007", "华南组", "华南")]


def read_export(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def write_export(path: Path, header: list[str], rows: list[dict]) -> None:
    """As the sample writes it: a BOM and every field quoted for the CRM's exports."""
    crm = path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open("w", encoding="utf-8-sig" if crm else "utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n",
                                quoting=csv.QUOTE_ALL if crm else csv.QUOTE_MINIMAL)
        writer.writeheader()
        writer.writerows(rows)


def tied_inbox(folder: Path) -> Path:
    shutil.copytree(SAMPLE_DIR, folder)
    header, deals = read_export(folder / DEALS)
    by_id = {row["Record Id"]: row for row in deals}
    assert set(HOSTILE_DEALS) | set(CLONED_DEALS) | {SAME_DAY_WIN[0]} <= set(by_id), \
        "the sample changed: choose other records"
    for record_id, name in HOSTILE_DEALS.items():
        by_id[record_id]["Deal Name"] = name
    account_id, account_name = HOSTILE_ACCOUNT
    for row in deals:
        if row["Account Name.id"] == account_id:
            row["Account Name"] = account_name
    deals += [by_id[original] | {"Record Id": clone} for original, clone in CLONED_DEALS.items()]
    original, clone, owner_id, owner_name = SAME_DAY_WIN
    deals.append(by_id[original] | {"Record Id": clone, "Deal Owner.id": owner_id,
                                    "Deal Owner": owner_name})
    write_export(folder / DEALS, header, deals)

    header, accounts = read_export(folder / ACCOUNTS)
    assert [row for row in accounts if row["Record Id"] == account_id]
    for row in accounts:
        if row["Record Id"] == account_id:
            row["Account Name"] = account_name
    write_export(folder / ACCOUNTS, header, accounts)

    header, org = read_export(folder / "org.csv")
    org += [{"user_id": user_id, "name": "Alex Lee", "email": f"alex.{user_id[-2:]}@example.com",
             "manager_id": manager, "team": team, "region": region}
            for user_id, manager, team, region in NAMESAKES]
    write_export(folder / "org.csv", header, org)
    return folder


def shuffled_after(step, prefixes: tuple[str, ...]):
    """The real step, then every table it wrote rewritten in a random order: the same rows,
    read by every later step (the SQL, the reports) in another order."""

    def step_then_shuffle(con, config, *more):
        result = step(con, config, *more)
        con.execute("select setseed(0.25)")
        tables = [(schema, name) for (schema, name) in con.execute(
            "select schema_name, table_name from duckdb_tables() where not temporary "
            "order by table_name").fetchall() if name.startswith(prefixes)]
        assert tables
        for schema, table in tables:
            con.execute(f'create or replace table "{schema}"."{table}" as '
                        f'select * from "{schema}"."{table}" order by random()')
        return result

    return step_then_shuffle


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The tied inbox, run twice from nothing: once as read; once with the raw tables
    shuffled after ingest, and every table built from sql/ shuffled after the build."""
    base = tmp_path_factory.mktemp("reproducible")
    inbox = tied_inbox(base / "inbox")
    configs = []
    for name, shuffle in (("first", False), ("second", True)):
        config = load_config(inbox=inbox, out=base / name, as_of=AS_OF, settle_seconds=0)
        with pytest.MonkeyPatch.context() as patch:
            if shuffle:
                patch.setattr(pipeline.ingest.inbox, "load_exports",
                              shuffled_after(pipeline.ingest.inbox.load_exports, ("raw_",)))
                patch.setattr(pipeline.warehouse.build, "build_models",
                              shuffled_after(pipeline.warehouse.build.build_models, MODEL_PREFIXES))
            run(config)
        configs.append(config)
    return configs


def files(folder: Path) -> dict[str, bytes]:
    """Every file under the folder, the links of a release followed."""
    found = {}
    for parent, _, names in os.walk(folder, followlinks=True):
        for name in names:
            path = Path(parent) / name
            found[str(path.relative_to(folder))] = path.read_bytes()
    return found


def test_two_fresh_runs_give_byte_identical_reports(two_runs):
    # index.html is the runs page, the run log's view: its runs differ by id and duration
    first, second = ({name: data for name, data in files(config.reports_dir).items()
                      if name != RUNS_PAGE} for config in two_runs)
    assert len(first) > 100
    assert sorted(first) == sorted(second)
    assert {".html", ".pdf", ".png", ".svg", ".csv", ".txt", ".json", ".xlsx"} <= {
        Path(name).suffix for name in first}
    differ = [name for name in first if first[name] != second[name]]
    assert differ == []


def test_the_inbox_has_the_ties_it_promises(two_runs):
    with open_warehouse(two_runs[0].published_warehouse, read_only=True) as con:
        for original, clone in CLONED_DEALS.items():
            rules = [{rule for (rule,) in con.execute(
                "select rule_id from fct_discipline_violations where record_id = ?",
                [plain_id(deal)]).fetchall()} for deal in (original, clone)]
            assert rules[0] & rules[1], "the clone breaks none of its original's rules"
        wins = con.execute(
            "select count(distinct owner_id) from fct_deals where deal_id in (?, ?) "
            "group by close_date", [plain_id(SAME_DAY_WIN[0]), plain_id(SAME_DAY_WIN[1])]
        ).fetchall()
        assert wins == [(2,)]
        teams = con.execute("select team, count(*) from dim_users where name = 'Alex Lee' "
                            "group by team order by team").fetchall()
        assert teams == [("华北组", 2), ("华南组", 2)]


def violations_csv(config, scope: str) -> list[dict]:
    path = config.reports_dir / AS_OF.isoformat() / scope / "discipline_violations.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def plain_id(record_id: str) -> str:
    return record_id.removeprefix("zcrm_")


@pytest.mark.parametrize("scope", ["company", "5743045000010000004", "5743045000010000003"])
def test_hostile_names_reach_the_csv_as_text_that_reads_the_same(two_runs, scope):
    """Each hostile name in the scope's CSV: an apostrophe (the spreadsheet's mark of text,
    not shown) in front of exactly the name."""
    rows = violations_csv(two_runs[0], scope)
    names = {(row["record_type"], row["record_id"]): row["record_name"] for row in rows}
    hostile = {("deal", plain_id(r)): name for r, name in HOSTILE_DEALS.items()}
    hostile[("account", plain_id(HOSTILE_ACCOUNT[0]))] = HOSTILE_ACCOUNT[1]
    mine = {key: name for key, name in hostile.items() if key in names}
    assert mine, f"no hostile record in {scope}'s CSV"
    for key, name in mine.items():
        assert names[key] == "'" + name, key


def test_no_cell_of_any_csv_starts_a_formula_and_numbers_stay_numbers(two_runs):
    found = list((two_runs[0].reports_dir / AS_OF.isoformat()).rglob("*.csv"))
    assert len(found) >= 4
    for path in found:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            for column, cell in row.items():
                if cell[:1] in ("=", "+", "-", "@", "＝", "＋", "－", "＠", "\t", "\r"):
                    assert PLAIN_NUMBER.fullmatch(cell), (path, column, cell)
            for column in ("measured_value", "threshold_value", "days_open"):
                if row[column]:
                    float(row[column])


def test_the_reports_show_the_hostile_names_as_they_are(two_runs):
    html = two_runs[0].reports_dir / AS_OF.isoformat() / "company" / "discipline.html"
    text = unescape(html.read_text(encoding="utf-8"))
    assert '=HYPERLINK("http://x","y")' in text
    assert "'=HYPERLINK" not in text


def test_hostile_names_reach_the_spreadsheets_as_text_and_no_cell_is_a_formula(two_runs):
    folder = two_runs[0].reports_dir / AS_OF.isoformat()
    hostile = [*HOSTILE_DEALS.values(), HOSTILE_ACCOUNT[1]]
    found = set()
    books = sorted(folder.rglob("*.xlsx"))
    assert len(books) > 10
    for path in books:
        for sheet in load_workbook(path):
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path, sheet.title, cell.coordinate)
                    if cell.data_type == "s":
                        found |= {name for name in hostile if name in cell.value}
    assert found == set(hostile)
