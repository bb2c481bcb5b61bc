"""A CRM of one's own by a mapping alone: a user's mapping folder (sources_dirs) is chosen over
the built-in mappings, every message about a mapping says which file to change (never a
built-in one), and a mapping can give a field a value of its own (`value:`, `default:`).

The Dutch-locale Salesforce report is hand-made (tests/fixtures/salesforce_reports/
verkoopkansen_nl.csv); the developer-org sample is read from ../shared/datasets/, and its test
skips when that folder is absent.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from pipeline.config import load_config
from pipeline.control.run import run
from pipeline.errors import ConfigError, InputRejected
from pipeline.ingest.inbox import load_exports
from pipeline.ingest.loading import match_mapping
from pipeline.ingest.mapping import load_sources
from pipeline.paths import ROOT, SOURCES_DIR
from pipeline.warehouse.db import open_warehouse

FIXTURES = Path(__file__).parent / "fixtures"
DEVORG = ROOT.parent / "shared" / "datasets" / "salesforce-devorg-sample"
EXAMPLE = ROOT / "examples" / "salesforce-devorg"
DUTCH_STAGES = [
    {"stage": "Prospectie", "order": 1},
    {"stage": "Kwalificatie", "order": 2},
    {"stage": "Behoefteanalyse", "order": 3},
    {"stage": "Onderhandeling/Beoordeling", "order": 4},
    {"stage": "Gesloten gewonnen", "order": 5, "status": "won"},
    {"stage": "Gesloten verloren", "status": "lost"},
]
DUTCH_FORMATS = {"date": ["%d-%m-%Y"], "timestamp": ["%d-%m-%Y %H:%M", "%d-%m-%Y"],
                 "probability": "percent", "decimal": {"thousands": ".", "point": ","}}
ORG = ("user_id,name,email,manager_id,team,region\nboss,Boss,,,,\n"
       "jan,Jan de Vries,,boss,Verkoop,NL\neva,Eva Jansen,,boss,Verkoop,NL\n")
# the header of the developer-org sample's Opportunity.csv, as published: no OwnerId
DEVORG_HEADER = ("Id,AccountId,Name,Description,StageName,Amount,Probability,ExpectedRevenue,"
                 "CloseDate,NextStep,LeadSource,IsClosed,IsWon,CreatedDate,LastModifiedDate,"
                 "LastActivityDate,Opportunity Lifecycle (Days),Opp Creation Date_Simulated,"
                 "Opp Close Date_Simulated")
ADMIN = "005bm00000NCJmQAAX"


def copy_of(builtin: str, folder: Path, name: str, **changes) -> Path:
    """A user's copy of a built-in mapping in their own folder, changed only as given."""
    spec = yaml.safe_load((SOURCES_DIR / f"{builtin}.yaml").read_text(encoding="utf-8"))
    spec.update(changes)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def dutch_copy(folder: Path) -> Path:
    return copy_of("salesforce_reports", folder, "salesforce_nl", source="salesforce_nl",
                   formats=DUTCH_FORMATS, stages=DUTCH_STAGES)


def ingest(inbox: Path, **settings) -> tuple[duckdb.DuckDBPyConnection, object]:
    con = duckdb.connect()
    result = load_exports(con, load_config(inbox=inbox, settle_seconds=0, **settings))
    return con, result


def inbox_of(tmp_path: Path, *files: Path, org: str = ORG) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in files:
        shutil.copy(path, inbox / path.name)
    (inbox / "org.csv").write_text(org, encoding="utf-8")
    return inbox


# --- A user's mapping is chosen over a built-in one ------------------------------------------

def test_a_dutch_salesforce_report_loads_with_the_users_copy_of_the_built_in_mapping(tmp_path):
    """Dates dd-mm-jjjj, a decimal comma, Dutch stage names: a copy of
    salesforce_reports.yaml changed only in its formats and stages reads it, though the
    built-in mapping matches the same header."""
    inbox = inbox_of(tmp_path, FIXTURES / "salesforce_reports" / "verkoopkansen_nl.csv")
    mappings = tmp_path / "mappings"
    dutch_copy(mappings)
    config = load_config(inbox=inbox, out=tmp_path / "out", as_of=date(2026, 3, 31),
                         settle_seconds=0, sources_dirs=(mappings,))
    run(config, ("ingest", "build"))
    con = open_warehouse(config.warehouse, read_only=True)
    assert con.execute("select source, rows_read, rows_loaded, footer_lines from raw_files "
                       "where entity = 'deals'").fetchall() == [("salesforce_nl", 4, 4, 3)]
    assert con.execute("select count(*) from raw_rejects").fetchone() == (0,)
    totals = con.execute("select status, count(*), sum(amount) from fct_deals group by 1 "
                         "order by 1").fetchall()
    # won: EUR 75.000,00; lost: EUR 1.235.000,50; open: EUR 270.000,00 + EUR 950,25
    assert totals == [("lost", 1, Decimal("1235000.50")), ("open", 2, Decimal("270950.25")),
                      ("won", 1, Decimal("75000.00"))]
    # 03-04-2026 is the 3rd of April, not the 4th of March
    assert con.execute("select close_date, owner_id, team from fct_deals where status = 'won'"
                       ).fetchone() == (date(2026, 4, 3), "jan", "Verkoop")
    assert con.execute("select stage, stage_order from fct_deals where deal_id = "
                       "'006bm00000NLa04AAA'").fetchone() == ("Kwalificatie", 2)


def test_the_built_in_mapping_alone_says_how_to_make_ones_own(tmp_path):
    inbox = inbox_of(tmp_path, FIXTURES / "salesforce_reports" / "verkoopkansen_nl.csv")
    con, _ = ingest(inbox, reject_threshold=1.0)
    reasons = dict(con.execute("select column_name, min(reason) from raw_rejects "
                               "group by 1").fetchall())
    copy = ("copy pipeline/ingest/sources/salesforce_reports.yaml into a folder of your own "
            "named in the sources_dirs setting of the config file and ")
    assert reasons["Stage"].startswith(f"unknown stage; {copy}add it to the stages in the copy")
    assert "or list your stages under stages: {salesforce_reports: [...]}" in reasons["Stage"]
    assert reasons["Close Date"].startswith(
        "not a date in the format %m/%d/%Y or %Y/%m/%d or %Y-%m-%d; if the export writes them "
        f"another way, {copy}add its format to formats: date: in the copy")
    assert reasons["Amount"].startswith(
        "not a number with thousands ',' and decimal point '.'; if the export writes numbers "
        f"another way, {copy}set its separators under formats: decimal: in the copy")


def test_a_users_mapping_is_chosen_over_a_built_in_one_for_the_same_header(tmp_path):
    copy_of("salesforce_reports", tmp_path / "a", "mine", source="mine")
    sources = load_sources([SOURCES_DIR, tmp_path / "a"])
    header = ("Opportunity Owner", "Opportunity Name", "Opportunity ID", "Stage", "Amount",
              "Close Date")
    mapping = match_mapping(Path("report.csv"), header, sources)
    assert (mapping.source.name, mapping.key) == ("mine", "opportunity_report")
    # without the user's folder, the built-in one reads it, as before
    builtin = match_mapping(Path("report.csv"), header, load_sources([SOURCES_DIR]))
    assert builtin.source.name == "salesforce_reports"


def test_two_of_the_users_mappings_matching_one_header_are_an_error_naming_both(tmp_path):
    first = copy_of("salesforce_reports", tmp_path / "a", "nl", source="nl")
    second = copy_of("salesforce_reports", tmp_path / "b", "be", source="be",
                     entities={"report": {"entity": "deals",
                                          "signature": ["Opportunity ID", "Stage"],
                                          "columns": {"deal_id": "Opportunity ID",
                                                      "deal_name": "Opportunity Name",
                                                      "owner_name": "Opportunity Owner",
                                                      "amount": "Amount",
                                                      "close_date": "Close Date",
                                                      "stage": "Stage"}}})
    sources = load_sources([SOURCES_DIR, tmp_path / "a", tmp_path / "b"])
    header = ("Opportunity Owner", "Opportunity Name", "Opportunity ID", "Stage", "Amount",
              "Close Date")
    with pytest.raises(InputRejected) as raised:
        match_mapping(Path("report.csv"), header, sources)
    message = str(raised.value)
    assert "the header matches two of your own mappings" in message
    assert str(first) in message and str(second) in message


def test_a_header_no_mapping_matches_says_where_to_write_one(tmp_path):
    header = ("Id", "IsDeleted", "LastName", "FirstName", "Name", "Company", "Industry",
              "OwnerId", "Status", "IsConverted")  # a Salesforce Lead extract
    with pytest.raises(InputRejected) as raised:
        match_mapping(Path("Lead.csv"), header, load_sources([SOURCES_DIR]))
    assert "the header matches no known export" in str(raised.value)
    assert str(raised.value).endswith(
        "to read it, write a mapping for it in a folder of your own named in the sources_dirs "
        "setting of the config file (see docs/adding-a-crm.md)")
    mine = tmp_path / "mine"
    copy_of("salesforce", mine, "sf", source="sf")
    with pytest.raises(InputRejected) as raised:
        match_mapping(Path("Lead.csv"), header, load_sources([SOURCES_DIR, mine]))
    assert "if the file is that export, change its signature or columns in " \
        f"{mine / 'sf.yaml'}" in str(raised.value)


def test_messages_about_a_users_mapping_name_the_users_file(tmp_path):
    folder = tmp_path / "mappings"
    path = copy_of("fxiaoke", folder, "fx", source="fx")
    inbox = inbox_of(tmp_path, FIXTURES / "fxiaoke" / "商机导出结果.csv")
    export = inbox / "商机导出结果.csv"
    rows = list(csv.reader(export.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    rows[1][header.index("阶段状态")] = "暂停"      # a status value the mapping does not list
    rows[2][header.index("商机阶段")] = "验证"      # a stage it does not list
    rows[3][header.index("预计成交日期")] = "2026年3月1日"
    with export.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    con, _ = ingest(inbox, sources_dirs=(folder,), reject_threshold=1.0)
    reasons = dict(con.execute("select column_name, reason from raw_rejects").fetchall())
    assert reasons["阶段状态"] == (
        "unknown status value; map it under entities: opportunities: status: values: in "
        f"{path}. Known: 进行中, 赢单, 输单, 无效")
    assert reasons["商机阶段"].startswith(f"unknown stage; add it to the stages in {path}. ")
    assert reasons["预计成交日期"].endswith(
        f"if the export writes them another way, add its format to formats: date: in {path}")


def test_stages_set_in_the_config_file_are_changed_there(tmp_path):
    inbox = inbox_of(tmp_path, FIXTURES / "salesforce_reports" / "verkoopkansen_nl.csv")
    con, _ = ingest(inbox, reject_threshold=1.0,
                    stages={"salesforce_reports": DUTCH_STAGES[:4] + DUTCH_STAGES[5:]
                            + [{"stage": "Gewonnen", "order": 5, "status": "won"}]})
    (reason,) = con.execute("select reason from raw_rejects where column_name = 'Stage'"
                            ).fetchone()
    assert reason.startswith("unknown stage; add it to stages: {salesforce_reports: [...]} "
                             "in the config file. Known: ")


# --- A value the mapping gives ---------------------------------------------------------------

def devorg_shaped(path: Path) -> Path:
    """Three opportunities in the shape of the dev-org sample's Opportunity.csv."""
    rows = [
        "006bm00000LKJNNAA5,001bm00001ZL8UCAA1,Dickenson Mobile Generators,,Qualification,"
        "15000,10,1500,02/03/24,,Purchased List,FALSE,FALSE,02/23/26,02/23/26 08:55 PM,,14,"
        "02/12/24,02/26/24",
        "006bm00000LKJNPAA5,001bm00001ZL8UEAA1,United Oil Installations,,Closed Won,"
        "235000,100,235000,02/03/24,,Partner,TRUE,TRUE,02/23/26,02/23/26 08:55 PM,,20,"
        "01/10/24,01/30/24",
        "006bm00000LKJNQAA5,001bm00001ZL8UFAA1,Grand Hotels Generator,,Closed Lost,"
        "120000,0,0,02/03/24,,,TRUE,FALSE,02/23/26,03/07/26 10:00 AM,,5,01/10/24,01/15/24",
    ]
    path.write_text("\n".join([DEVORG_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def owner_mapping(folder: Path, owner) -> Path:
    """The built-in Salesforce mapping, copied, with the owner given as `owner`."""
    spec = yaml.safe_load((SOURCES_DIR / "salesforce.yaml").read_text(encoding="utf-8"))
    spec["source"] = "salesforce_devorg"
    spec["entities"]["opportunities"]["columns"]["owner_id"] = owner
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "salesforce_devorg.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def test_an_opportunity_extract_without_owner_loads_with_a_default_owner(tmp_path):
    org = tmp_path / "org.csv"
    org.write_text("user_id,name,email,manager_id,team,region\nmgr,Manager,,,Sales,\n"
                   f"{ADMIN},Dev Org Admin,,mgr,Sales,\n", encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    devorg_shaped(inbox / "Opportunity.csv")
    mappings = tmp_path / "mappings"
    owner_mapping(mappings, {"column": "OwnerId", "optional": True, "default": ADMIN})
    # the org chart is not in the inbox: the config names it (extra_inbox_files)
    config = load_config(inbox=inbox, out=tmp_path / "out", as_of=date(2026, 3, 8),
                         settle_seconds=0, sources_dirs=(mappings,), extra_inbox_files=(org,))
    run(config, ("ingest", "build"))
    con = open_warehouse(config.warehouse, read_only=True)
    assert con.execute("select file_name, source, status from raw_files order by file_id"
                       ).fetchall() == [("Opportunity.csv", "salesforce_devorg", "loaded"),
                                        ("org.csv", "sales_ops", "loaded")]
    assert con.execute("select status, count(*), sum(amount), min(owner_id), min(team) "
                       "from fct_deals group by 1 order by 1").fetchall() == [
        ("lost", 1, Decimal("120000.00"), ADMIN, "Sales"),
        ("open", 1, Decimal("15000.00"), ADMIN, "Sales"),
        ("won", 1, Decimal("235000.00"), ADMIN, "Sales")]


def test_without_a_default_owner_the_extract_is_refused(tmp_path):
    inbox = inbox_of(tmp_path)
    devorg_shaped(inbox / "Opportunity.csv")
    with pytest.raises(InputRejected) as raised:
        ingest(inbox)
    assert str(raised.value).endswith(
        "no deals export loaded; Opportunity.csv refused: Opportunity.csv, line 1: column "
        "'OwnerId': required column missing for Salesforce opportunities")


def test_a_value_is_every_rows_and_a_default_fills_only_the_empty_cells(tmp_path):
    inbox = inbox_of(tmp_path)
    lines = devorg_shaped(inbox / "Opportunity.csv").read_text(encoding="utf-8").splitlines()
    with_owner = [lines[0].replace(",Name,", ",Name,OwnerId,")] + [
        line.replace(",Dickenson Mobile Generators,", ",Dickenson Mobile Generators,"
                     "005bm00000NCJmRAAX,").replace(",United Oil Installations,",
                                                    ",United Oil Installations,,")
        .replace(",Grand Hotels Generator,", ",Grand Hotels Generator,005bm00000NCJmSAAX,")
        for line in lines[1:]]
    (inbox / "Opportunity.csv").write_text("\n".join(with_owner) + "\n", encoding="utf-8")
    mappings = tmp_path / "mappings"
    owner_mapping(mappings, {"column": "OwnerId", "default": ADMIN})
    con, _ = ingest(inbox, sources_dirs=(mappings,))
    assert con.execute("select deal_name, owner_id from raw_crm__deals order by 1").fetchall() \
        == [("Dickenson Mobile Generators", "005bm00000NCJmRAAX"),
            ("Grand Hotels Generator", "005bm00000NCJmSAAX"),
            ("United Oil Installations", ADMIN)]
    owner_mapping(mappings, {"value": ADMIN})
    con, _ = ingest(inbox, sources_dirs=(mappings,))
    assert con.execute("select distinct owner_id from raw_crm__deals").fetchall() == [(ADMIN,)]


def test_a_value_that_would_not_load_is_an_error_of_the_mapping(tmp_path):
    inbox = inbox_of(tmp_path)
    devorg_shaped(inbox / "Opportunity.csv")
    mappings = tmp_path / "mappings"
    path = owner_mapping(mappings, {"value": "Dev Org Admin"})
    with pytest.raises(ConfigError) as raised:
        ingest(inbox, sources_dirs=(mappings,))
    assert str(raised.value) == (
        f"{path}: opportunities: owner_id: the value 'Dev Org Admin' cannot be read: not an "
        "id of this source (expected [a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?); an id turned into a "
        "number by Excel looks like this")
    # unquoted, YAML reads 00123 as the number 83: a value is written in quotes
    path.write_text(path.read_text(encoding="utf-8").replace("value: Dev Org Admin",
                                                             "value: 00123"), encoding="utf-8")
    with pytest.raises(ConfigError, match="owner_id: value is written in quotes"):
        ingest(inbox, sources_dirs=(mappings,))


def test_a_missing_extra_inbox_file_is_a_configuration_error(tmp_path):
    inbox = inbox_of(tmp_path)
    with pytest.raises(ConfigError, match="extra_inbox_files: no such file .*teams.csv"):
        ingest(inbox, extra_inbox_files=(tmp_path / "teams.csv",))


@pytest.mark.skipif(not DEVORG.is_dir(), reason="no ../shared")
def test_the_devorg_sample_as_published_loads_with_the_worked_example(tmp_path):
    """examples/salesforce-devorg/, the worked example of docs "Adding a CRM", on the sample
    exactly as published: every opportunity loads, owned by the default owner."""
    config = load_config(EXAMPLE / "pipeline.yaml", inbox=DEVORG, out=tmp_path / "out",
                         as_of=date(2026, 3, 8), settle_seconds=0)
    run(config, ("ingest", "build"))
    con = open_warehouse(config.warehouse, read_only=True)
    with (DEVORG / "Opportunity.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert "OwnerId" not in rows[0]

    def total(won: str, closed: str) -> tuple[int, Decimal]:
        chosen = [r for r in rows if r["IsWon"] == won and r["IsClosed"] == closed]
        return len(chosen), sum((Decimal(r["Amount"]) for r in chosen if r["Amount"]),
                                Decimal("0.00"))

    found = {status: (n, amount) for status, n, amount in con.execute(
        "select status, count(*), coalesce(sum(amount), 0) from fct_deals group by 1"
    ).fetchall()}
    assert found == {"won": total("TRUE", "TRUE"), "lost": total("FALSE", "TRUE"),
                     "open": total("FALSE", "FALSE")}
    assert sum(n for n, _ in found.values()) == len(rows) == 36
    assert con.execute("select distinct owner_id, team from fct_deals").fetchall() == [
        (ADMIN, "Sales")]
    files = dict(con.execute("select file_name, status from raw_files").fetchall())
    assert files == {"Account.csv": "loaded", "Opportunity.csv": "loaded",
                     "OpportunityHistory.csv": "loaded", "org.csv": "loaded",
                     "Contact.csv": "refused", "Lead.csv": "refused",
                     "OpportunityHistoryGroup.csv": "refused", "PROVENANCE.md": "skipped"}
    assert con.execute("select count(*) from raw_rejects").fetchone() == (0,)
    assert con.execute("select count(*) from fct_deal_stage_events").fetchone()[0] > 0
