"""Every CRM the product reads, from an export in its real shape to the numbers in fct_deals.

Fixtures live in tests/fixtures/<source>/; the public data sets in ../shared/datasets/ are
read from there, and their tests skip when that folder is absent.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline.config import load_config
from pipeline.control.run import run
from pipeline.paths import ROOT
from pipeline.warehouse.db import open_warehouse

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = ROOT.parent / "shared" / "datasets"
AS_OF = date(2026, 3, 31)


def build(tmp_path: Path, files: list[Path], org: str, as_of: date = AS_OF,
          **settings) -> duckdb.DuckDBPyConnection:
    """Ingest and build an inbox of the given files plus an org.csv; the warehouse, open."""
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    for path in files:
        shutil.copy(path, inbox / path.name)
    (inbox / "org.csv").write_text(org, encoding="utf-8")
    config = load_config(inbox=inbox, out=tmp_path / "out", as_of=as_of, settle_seconds=0,
                         **settings)
    run(config, ("ingest", "build"))
    return open_warehouse(config.warehouse, read_only=True)


def totals(con) -> dict[str, tuple[int, Decimal]]:
    rows = con.execute("select status, count(*), sum(amount) from fct_deals group by 1")
    return {status: (n, amount) for status, n, amount in rows.fetchall()}


def one(con, sql: str, params=None):
    rows = con.execute(sql, params or []).fetchall()
    assert len(rows) == 1, rows
    return rows[0] if len(rows[0]) > 1 else rows[0][0]


ORG = "user_id,name,email,manager_id,team,region\nboss,Boss,,,,\n"


def org_of(*people: tuple[str, str]) -> str:
    return ORG + "".join(f"{uid},{name},,boss,Sales,East\n" for uid, name in people)


# --- Zoho CRM ------------------------------------------------------------------------------

def test_zoho_module_export_under_the_old_potentials_names(tmp_path):
    con = build(tmp_path, [FIXTURES / "zoho" / "Potentials_2026_03_31.csv"],
                org_of(("4876876000000100011", "王芳"), ("4876876000000100012", "Tom Lee")))
    assert totals(con) == {"won": (2, Decimal("150000.00")), "lost": (1, Decimal("80000.50")),
                           "open": (1, Decimal("45000.00"))}
    row = one(con, "select owner_id, team, loss_reason, close_date from fct_deals "
                   "where deal_id = '4876876000000301002'")
    assert row == ("4876876000000100011", "Sales", "价格太高", date(2026, 3, 20))


def test_zoho_analytics_export_with_derived_ids_and_owner_names(tmp_path):
    con = build(tmp_path, [FIXTURES / "zoho_analytics" / "Potentials.csv"],
                org_of(("1005", "Roger Terrence"), ("1001", "Rozario Diego")))
    # Forecast Type decides: two won ($22,700.00 + $1,250.50), one lost, one open
    assert totals(con) == {"won": (2, Decimal("23950.50")), "lost": (1, Decimal("10700.00")),
                           "open": (1, Decimal("29700.00"))}
    # the two "Lewis, James" potentials differ by their lead: two deals, not one
    assert one(con, "select count(distinct deal_id) from fct_deals "
                    "where deal_name = 'Lewis, James'") == 2
    assert one(con, "select distinct owner_id from fct_deals where deal_name like 'L%'") \
        == "1005"
    assert one(con, "select created_at, close_date from fct_deals where deal_name = "
                    "'Kirk, Rebecca'") == (datetime(2026, 1, 15, 0, 2), date(2026, 3, 16))


@pytest.mark.skipif(not (SHARED / "zoho-analytics-sample").is_dir(), reason="no ../shared")
def test_the_public_zoho_analytics_sample(tmp_path):
    folder = SHARED / "zoho-analytics-sample"
    with (folder / "Users.csv").open(encoding="utf-8") as handle:
        users = [(r["USER_ID"], r["Last Name"]) for r in csv.DictReader(handle)]
    con = build(tmp_path, [folder / f"{name}.csv" for name in
                           ("Potentials", "Accounts", "Users", "Calls", "Events", "Tasks")],
                org_of(*users), reject_threshold=0.0)
    assert one(con, "select count(*) from raw_rejects") == 0
    import pandas as pd

    expected = pd.read_csv(folder / "Potentials.csv", dtype=str, keep_default_na=False)
    expected["amount"] = expected["Amount"].str.replace(r"[$,]", "", regex=True).astype(float)
    won = expected[expected["Forecast Type"] == "Won"]
    found = totals(con)
    assert found["won"][0] == len(won) == 1425
    assert float(found["won"][1]) == pytest.approx(won["amount"].sum())
    assert found["lost"][0] == (expected["Forecast Type"] == "Lost").sum()
    assert one(con, "select count(*) from fct_deals where team is null") == 0
    assert one(con, "select count(*) from fct_activities where activity_type = 'call'") == 4100


# --- Salesforce ----------------------------------------------------------------------------

CLOUD_STAGES = {"salesforce": [
    {"stage": "Qualification", "order": 1}, {"stage": "Discovery", "order": 2},
    {"stage": "Proposal/Quote", "order": 3}, {"stage": "Negotiation", "order": 4},
    {"stage": "Closed Won", "order": 5, "status": "won"},
    {"stage": "Closed Lost", "status": "lost"}]}
CLOUD_OWNER = org_of(("005Ec000004oBPNIA2", "Data Cloud Admin"))


def test_salesforce_api_extract_with_the_orgs_own_stages(tmp_path):
    folder = FIXTURES / "salesforce" / "cloud"
    con = build(tmp_path, sorted(folder.glob("*.csv")), CLOUD_OWNER, stages=CLOUD_STAGES)
    # IsClosed / IsWon decide: 12 won, 3 lost, whatever Probability says
    assert totals(con)["won"] == (12, Decimal("10542562.98"))
    assert totals(con)["lost"][0] == 3 and totals(con)["open"][0] == 35
    # 2024-01-22T16:14:25.000+0000 is 2024-01-23 00:14:25 in Asia/Shanghai
    assert one(con, "select created_at from fct_deals where deal_id = '006Ec00000AieKFIAZ'") \
        == datetime(2024, 1, 23, 0, 14, 25)
    assert one(con, "select count(*) from stg_crm__accounts") == 22  # JSON blobs in cells
    assert one(con, "select count(*) from fct_activities where activity_type = 'task'") == 75


def test_salesforce_data_loader_extract_upper_case_and_all_quoted(tmp_path):
    source = FIXTURES / "salesforce" / "cloud" / "Opportunity.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    target = tmp_path / "extract.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow([name.upper() for name in rows[0]])
        writer.writerows(rows[1:])
    con = build(tmp_path, [target], CLOUD_OWNER, stages=CLOUD_STAGES)
    assert totals(con)["won"] == (12, Decimal("10542562.98"))


def test_a_record_marked_deleted_removes_the_deal(tmp_path):
    source = FIXTURES / "salesforce" / "cloud" / "Opportunity.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    deleted = list(rows[1])
    deleted[header.index("IsDeleted")] = "1"
    deleted[header.index("LastModifiedDate")] = "2024-12-31T00:00:00.000+0000"
    later = tmp_path / "Opportunity_deleted.csv"
    with later.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, deleted])
    con = build(tmp_path, [source, later], CLOUD_OWNER, stages=CLOUD_STAGES)
    assert one(con, "select count(*) from fct_deals") == 49
    assert one(con, "select count(*) from fct_deals where deal_id = ?", [rows[1][0]]) == 0


def test_salesforce_extract_resaved_by_excel_with_opportunity_history(tmp_path):
    folder = FIXTURES / "salesforce" / "devorg"
    con = build(tmp_path, sorted(folder.glob("*.csv")), org_of(
        ("005bm00000NCJmQAAX", "Ann"), ("005bm00000NCJmRAAX", "Ben"),
        ("005bm00000NCJmSAAX", "Cai")))
    assert totals(con)["won"] == (12, Decimal("2815000.00"))
    assert totals(con)["lost"][0] == 8 and totals(con)["open"][0] == 16
    assert one(con, "select close_date from fct_deals where deal_id = '006bm00000LKJNNAA5'") \
        == date(2024, 2, 3)  # 02/03/24
    # won on 02/23/26, lost on 03/07/26: a lost deal that had passed every open stage
    events = con.execute("select stage from fct_deal_stage_events where deal_id = "
                         "'006bm00000LKJNTAA5' order by entered_at").fetchall()
    assert [e[0] for e in events] == ["Closed Won", "Closed Lost"]
    assert one(con, "select furthest_stage from fct_deals where deal_id = "
                    "'006bm00000LKJNTAA5'") == "Negotiation/Review"


def test_salesforce_report_export_footer_stripped_and_case_distinct_ids(tmp_path):
    con = build(tmp_path, [FIXTURES / "salesforce_reports" / "opportunities_report.csv"],
                org_of(("jane", "Jane Doe"), ("raj", "Raj Patel")))
    assert totals(con) == {"won": (1, Decimal("75000.00")), "lost": (1, Decimal("235000.00")),
                           "open": (1, Decimal("270000.00"))}
    # 006bm00000LKJNnAAP and 006bm00000LKJNnaAP differ only by case: two deals
    ids = {r[0] for r in con.execute("select deal_id from fct_deals").fetchall()}
    assert {"006bm00000LKJNnAAP", "006bm00000LKJNnaAP"} <= ids
    assert one(con, "select rows_read, rows_loaded, rows_rejected, footer_lines "
                    "from raw_files where entity = 'deals'") == (3, 3, 0, 3)
    assert one(con, "select count(*) from raw_rejects") == 0


def test_salesforce_report_in_chinese_with_a_title_line(tmp_path):
    con = build(tmp_path, [FIXTURES / "salesforce_reports" / "业务机会报表.csv"],
                org_of(("zw", "张伟")))
    assert totals(con) == {"won": (1, Decimal("85000.00")), "open": (1, Decimal("60000.00"))}
    assert one(con, "select close_date, owner_id from fct_deals where status = 'won'") == (
        date(2026, 2, 20), "zw")


# --- HubSpot ---------------------------------------------------------------------------------

def test_hubspot_deal_export(tmp_path):
    con = build(tmp_path, [FIXTURES / "hubspot" / "hubspot-crm-exports-deals-2026-03-31.csv"],
                org_of(("ann", "Ann Smith"), ("bob", "Bob Chen")))
    assert totals(con) == {"won": (1, Decimal("12000.00")), "lost": (1, Decimal("8000.00")),
                           "open": (2, Decimal("30500.50"))}
    row = one(con, "select owner_id, probability, close_date, loss_reason from fct_deals "
                   "where deal_id = '18462957003'")
    assert row == ("bob", 0.0, date(2026, 3, 18), "Budget")
    assert one(con, "select probability from fct_deals where deal_id = '18462957002'") == 0.9
    assert one(con, "select close_date from fct_deals where deal_id = '18462957004'") is None


def test_hubspot_all_properties_export_with_repeated_labels(tmp_path):
    con = build(tmp_path, [FIXTURES / "hubspot" / "all-deals-all-properties.csv"],
                org_of(("ann", "Ann Smith")))
    assert totals(con) == {"won": (1, Decimal("50000.00")), "open": (1, Decimal("75000.00"))}
    # "Deal owner" is there twice; the mapping reads the first
    assert {r[0] for r in con.execute("select owner_id from fct_deals").fetchall()} == {"ann"}


# --- Fxiaoke 纷享销客 ----------------------------------------------------------------------

def fxiaoke_as(kind: str, folder: Path) -> list[Path]:
    """The Fxiaoke fixtures as UTF-8, UTF-8 with BOM, GB18030, or XLSX (导出结果.xlsx)."""
    paths = []
    for source in sorted((FIXTURES / "fxiaoke").glob("*.csv")):
        text = source.read_text(encoding="utf-8")
        target = folder / source.name
        if kind == "xlsx":
            from openpyxl import Workbook

            book = Workbook()
            sheet = book.active
            for row in csv.reader(text.splitlines()):
                sheet.append(row)
            target = target.with_suffix(".xlsx")
            book.save(target)
        else:
            encoding = {"utf-8": "utf-8", "utf-8-bom": "utf-8-sig", "gb18030": "gb18030"}[kind]
            target.write_bytes(text.encode(encoding))
        paths.append(target)
    return paths


@pytest.mark.parametrize("kind", ["utf-8", "utf-8-bom", "gb18030", "xlsx"])
def test_fxiaoke_exports_in_every_encoding_and_as_xlsx(tmp_path, kind):
    folder = tmp_path / "made"
    folder.mkdir()
    con = build(tmp_path, fxiaoke_as(kind, folder), org_of(("lina", "李娜"), ("chenjing", "陈静")))
    # 阶段状态 decides: 赢单 won, 输单 and 无效 lost, 进行中 open
    assert totals(con) == {"won": (1, Decimal("1200000.00")), "lost": (2, Decimal("410000.00")),
                           "open": (1, Decimal("88000.00"))}
    assert one(con, "select owner_id, probability from fct_deals where status = 'won'") == (
        "lina", 1.0)
    kinds = con.execute("select activity_type, count(*) from fct_activities group by 1 "
                        "order by 1").fetchall()
    assert kinds == [("call", 2), ("meeting", 2)]
    assert one(con, "select encoding from raw_files where entity = 'deals'") == (
        "utf-8-sig" if kind == "utf-8-bom" else kind)


# --- A CRM we have never seen: a mapping file alone ------------------------------------------

MAVEN = SHARED / "maven-crm-sales-opportunities"


@pytest.mark.skipif(not MAVEN.is_dir(), reason="no ../shared")
def test_the_maven_data_set_loads_with_a_mapping_alone(tmp_path):
    import pandas as pd

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("sales_pipeline.csv", "sales_teams.csv"):
        shutil.copy(MAVEN / name, inbox / name)
    config = load_config(inbox=inbox, out=tmp_path / "out", as_of=date(2017, 12, 31),
                         settle_seconds=0, sources_dirs=(ROOT / "examples" / "sources",))
    run(config)
    con = open_warehouse(config.warehouse, read_only=True)
    pipeline = pd.read_csv(MAVEN / "sales_pipeline.csv")
    expected = pipeline.groupby("sales_agent").agg(
        won_count=("deal_stage", lambda s: (s == "Won").sum()),
        lost_count=("deal_stage", lambda s: (s == "Lost").sum()),
        won_amount=("close_value", lambda v: v[pipeline.loc[v.index, "deal_stage"] == "Won"]
                    .sum()))
    found = con.execute(
        "select owner_id, sum(won_count), sum(lost_count), sum(won_amount) "
        "from rpt_rep_performance_monthly group by 1").df().set_index("owner_id")
    found.columns = ["won_count", "lost_count", "won_amount"]
    expected = expected[(expected["won_count"] + expected["lost_count"]) > 0]
    assert sorted(found.index) == sorted(expected.index)
    for agent, row in expected.iterrows():
        assert found.loc[agent, "won_count"] == row["won_count"], agent
        assert found.loc[agent, "lost_count"] == row["lost_count"], agent
        assert float(found.loc[agent, "won_amount"]) == pytest.approx(row["won_amount"]), agent
    assert one(con, "select count(*) from fct_deals") == len(pipeline) == 8800
    # the managers named only as managers got rows of their own, and scopes
    assert one(con, "select count(*) from dim_users where is_manager") == 6


def test_xlsx_with_typed_cells_for_any_source(tmp_path):
    """Excel stores numbers, dates and times as such: they load as the values they are."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Deals"
    sheet.append(["Record Id", "Deal Owner.id", "Deal Owner", "Deal Name", "Amount",
                  "Closing Date", "Stage", "Created Time", "Modified Time"])
    sheet.append(["zcrm_4876876000000301001", "zcrm_4876876000000100011", "王芳", "One",
                  120000.5, date(2026, 3, 10), "Closed Won", datetime(2026, 1, 5, 10, 0),
                  datetime(2026, 3, 10, 16, 0)])
    sheet.append([])
    sheet.append(["zcrm_4876876000000301002", "zcrm_4876876000000100011", "王芳", "Two",
                  80000, date(2026, 4, 30), "Qualification", datetime(2026, 2, 1, 9, 30),
                  datetime(2026, 3, 1, 9, 30)])
    path = tmp_path / "Deals.xlsx"
    book.save(path)
    con = build(tmp_path, [path], org_of(("4876876000000100011", "王芳")))
    assert totals(con) == {"won": (1, Decimal("120000.50")), "open": (1, Decimal("80000.00"))}
    assert one(con, "select close_date, created_at from fct_deals where deal_name = 'One'") == (
        date(2026, 3, 10), datetime(2026, 1, 5, 10, 0))
    # a row's line is its sheet row: the empty row 3 is skipped, not counted
    assert one(con, "select record_number from raw_crm__deals where deal_name = 'Two'") == 2


def test_salesforce_user_list_names_owners_outside_the_org_chart(tmp_path):
    users = tmp_path / "User.csv"
    users.write_text("Id,Username,Name,Email,IsActive\n"
                     "005Ec000004oBPNIA2,admin@example.com,Data Cloud Admin,a@example.com,1\n",
                     encoding="utf-8")
    con = build(tmp_path, [FIXTURES / "salesforce" / "cloud" / "Opportunity.csv", users],
                ORG, stages=CLOUD_STAGES)
    assert one(con, "select name, is_in_org from dim_users where user_id = "
                    "'005Ec000004oBPNIA2'") == ("Data Cloud Admin", False)


# --- Recognition --------------------------------------------------------------------------

def test_every_export_shape_is_recognised_as_itself():
    """A header with every column a mapping reads is matched to that mapping, not to a
    shorter one whose signature it also carries."""
    from pipeline.ingest.loading import match_mapping
    from pipeline.ingest.mapping import load_sources
    from pipeline.paths import SOURCES_DIR

    sources = load_sources([SOURCES_DIR])
    mistaken = {}
    for mapping in (m for s in sources.values() for m in s.entities.values()):
        header = dict.fromkeys([*mapping.signature,
                                *(c for col in mapping.columns.values() for c in col.sources)])
        matched = match_mapping(Path("x.csv"), tuple(header), sources)
        if matched is not mapping:
            mistaken[mapping.title] = matched.title
    assert mistaken == {}
