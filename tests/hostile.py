"""Hostile inputs, one writer per case: each puts its file into an inbox (a copy of
data/sample, or any inbox holding the sample's org.csv) and returns what ingest must do with
it: the file's status and row counts, and the message naming its file, line and value.

Every writer only adds: a file of its own, or rows with ids of its own at the end of
org.csv. A row it writes that loads is a copy of a sample row (the same deal, the same
account) or belongs to no one in the org chart, so no manager's numbers move; what a case
may touch is the company report (an owner or a survey answer the org chart does not have).
tests/test_hostile_ingest.py runs each one at ingest level.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.paths import SAMPLE_DIR

LINE_BREAK = re.compile(r"\r\n|\r|\n")
# ids no sample record has
GONE_DEAL = "zcrm_5743045000039999999"
STRANGER = "zcrm_5743045000019999999"  # an owner not in org.csv


@dataclass(frozen=True)
class Expected:
    """What ingest does with a hostile file. `where` the message is: 'rejects' (a row of
    raw_rejects), 'warnings' (raw_warnings), 'note' (raw_files.note: a refused file) or
    'log' (the run's warnings). `counts`: rows read, loaded, rejected in raw_files (None
    where they cannot be counted)."""

    file: str
    status: str
    where: str | None = None
    text: str | None = None
    line: int | None = None
    value: str | None = None
    counts: tuple[int | None, int, int | None] | None = None
    encoding: str | None = None
    exit_code: int = 0


def sample(name: str, limit: int | None = None) -> tuple[list[str], list[list[str]]]:
    with (SAMPLE_DIR / name).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:limit + 1 if limit else None]


def deals(limit: int = 150) -> tuple[list[str], list[list[str]]]:
    return sample("Deals_2026_11_20.csv", limit)


def write(path: Path, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8",
          ends: list[str] | None = None, delimiter: str = ",") -> list[int]:
    """Zoho's shape (every value quoted); ends[i] ends data row i (CRLF by default).
    Returns the line each data row starts on."""
    parts, starts, line = [], [], 1

    def add(row: list[str], end: str) -> None:
        nonlocal line
        buffer = io.StringIO()
        csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="",
                   delimiter=delimiter).writerow(row)
        parts.append(buffer.getvalue() + end)
        line += len(LINE_BREAK.findall(parts[-1]))

    add(header, "\r\n")
    for index, row in enumerate(rows):
        starts.append(line)
        add(row, ends[index] if ends else "\r\n")
    path.write_bytes("".join(parts).encode(encoding))
    return starts


def append_org(inbox: Path, lines: list[str]) -> int:
    """Rows at the end of org.csv; returns the line the first one starts on."""
    org = inbox / "org.csv"
    text = org.read_text(encoding="utf-8-sig")
    if not text.endswith(("\n", "\r")):
        text += "\r\n"
    first = len(LINE_BREAK.findall(text)) + 1
    org.write_text(text + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return first


# --- orphans in every child export ---------------------------------------------------------

def orphan_stage_history(inbox: Path) -> Expected:
    header, rows = sample("Deals_Stage_History_2026_11_20.csv", 3)
    gone = []
    for number in (1, 2):
        row = list(rows[0])
        row[0] = f"zcrm_574304500004999999{number}"
        row[1] = GONE_DEAL
        gone.append(row)
    lines = write(inbox / "Deals_Stage_History_orphans.csv", header, rows + gone)
    return Expected("Deals_Stage_History_orphans.csv", "loaded", "rejects",
                    "is not in the deals export", lines[3], GONE_DEAL.removeprefix("zcrm_"),
                    (5, 3, 2))


def _orphan_activity(inbox: Path, export: str, name: str, owner: str, related: str,
                     id_prefix: str) -> Expected:
    header, rows = sample(export, 2)
    for number, row in enumerate(rows, start=1):
        row[0] = f"zcrm_{id_prefix}{number:04d}"
        row[header.index(owner)] = STRANGER
        row[header.index(related)] = "zcrm_5743045000029999999"
    lines = write(inbox / name, header, rows)
    return Expected(name, "loaded", "warnings", "neither the deals nor the accounts export",
                    lines[0], "5743045000029999999", (2, 2, 0))


def orphan_calls(inbox: Path) -> Expected:
    return _orphan_activity(inbox, "Calls_2026_11_20.csv", "Calls_orphans.csv",
                            "Call Owner.id", "Related To.id", "574304500005999")


def orphan_tasks(inbox: Path) -> Expected:
    return _orphan_activity(inbox, "Tasks_2026_11_20.csv", "Tasks_orphans.csv",
                            "Task Owner.id", "Related To.id", "574304500006999")


def orphan_meetings(inbox: Path) -> Expected:
    return _orphan_activity(inbox, "Meetings_2026_11_20.csv", "Meetings_orphans.csv",
                            "Host.id", "Related To.id", "574304500007999")


def orphan_satisfaction(inbox: Path) -> Expected:
    (inbox / "satisfaction_orphans.csv").write_text(
        "date,account_id,deal_id,score,scale,comment\n"
        f"2026-11-02,,{GONE_DEAL.removeprefix('zcrm_')},9,0-10,\n", encoding="utf-8")
    return Expected("satisfaction_orphans.csv", "loaded", "warnings", "not in the exports",
                    2, GONE_DEAL.removeprefix("zcrm_"), (1, 1, 0))


def unknown_cost_holders(inbox: Path) -> Expected:
    (inbox / "costs_unknown.csv").write_text(
        "period,team,channel,category,amount\n"
        "2026-10,,wholesale,rebate,100\n"
        "2026-10,Nowhere,,travel,50\n", encoding="utf-8")
    return Expected("costs_unknown.csv", "loaded", "rejects", "the channels file does not list",
                    2, "wholesale", (2, 0, 2))


def unknown_target_holder(inbox: Path) -> Expected:
    (inbox / "targets_unknown.csv").write_text(
        "period,user_id,team,metric,target\n"
        f"2026-11,{STRANGER},,won_amount,1000\n", encoding="utf-8")
    return Expected("targets_unknown.csv", "loaded", "warnings", "is not in org.csv", 2,
                    STRANGER.removeprefix("zcrm_"), (1, 1, 0))


def overlapping_targets(inbox: Path) -> Expected:
    someone = "5743045000019999998"
    (inbox / "targets_overlap.csv").write_text(
        "period,user_id,team,metric,target\n"
        f"2026-Q4,{someone},,won_amount,3000\n"
        f"2026-11,{someone},,won_amount,1000\n", encoding="utf-8")
    return Expected("targets_overlap.csv", "loaded", "rejects", "covers the same month", 2,
                    "2026-Q4", (2, 0, 2))


# --- the org chart -------------------------------------------------------------------------

def manager_cycle(inbox: Path) -> Expected:
    line = append_org(inbox, ["5743045000019999901,Loop One,,5743045000019999902,,",
                              "5743045000019999902,Loop Two,,5743045000019999901,,",
                              "5743045000019999903,Below Loop,,5743045000019999901,,"])
    return Expected("org.csv", "loaded", "rejects", "leads back to them", line,
                    "5743045000019999902")


def user_listed_twice(inbox: Path) -> Expected:
    line = append_org(inbox, ["5743045000019999904,Twice,,,,",
                              "zcrm_5743045000019999904,Twice Again,,,,"])
    return Expected("org.csv", "loaded", "rejects", "more than once", line,
                    "5743045000019999904")


def unknown_manager(inbox: Path) -> Expected:
    line = append_org(inbox, ["5743045000019999905,No Boss,,5743045000019999999,,"])
    return Expected("org.csv", "loaded", "warnings", "kept with no manager", line,
                    "5743045000019999999")


def unusable_address(inbox: Path) -> Expected:
    line = append_org(inbox, ['5743045000019999906,Line Feed,"a@x.com\n",,,'])
    return Expected("org.csv", "loaded", "warnings", "not a plain email address", line,
                    "a@x.com\n")


# --- files ---------------------------------------------------------------------------------

def long_field(inbox: Path) -> Expected:
    header, rows = deals()
    rows[5][header.index("Description")] = "x" * (10 << 20)
    rows[6][header.index("Description")] = "y" * (200 << 10)
    write(inbox / "Deals_long.csv", header, rows)
    return Expected("Deals_long.csv", "loaded", counts=(150, 150, 0))


def glob_name(inbox: Path) -> Expected:
    header, rows = deals()
    write(inbox / "Deals*.csv", header, rows)
    return Expected("Deals*.csv", "loaded", counts=(150, 150, 0))


def hidden_file(inbox: Path) -> Expected:
    header, rows = deals(5)
    write(inbox / "..Deals.csv", header, rows)
    return Expected("..Deals.csv", "skipped", "log", "hidden file")


def lock_files(inbox: Path) -> Expected:
    (inbox / "~$Deals.xlsx").write_bytes(b"\x00" * 162)
    (inbox / ".~lock.Deals.csv#").write_text("x", encoding="utf-8")
    return Expected("~$Deals.xlsx", "skipped", "log", "Office lock file")


def nightly_folder(inbox: Path) -> Expected:
    (inbox / "2026-11-19").mkdir()
    header, rows = deals(5)
    write(inbox / "2026-11-19" / "Deals.csv", header, rows)
    return Expected("2026-11-19", "skipped", "log", "backfill")


def empty_export(inbox: Path) -> Expected:
    (inbox / "Deals_empty.csv").write_bytes(b"")
    return Expected("Deals_empty.csv", "skipped", "log", "the file is empty", counts=(0, 0, 0))


def header_only_export(inbox: Path) -> Expected:
    header, _ = deals()
    write(inbox / "Deals_header_only.csv", header, [])
    return Expected("Deals_header_only.csv", "skipped", "log", "a header but no rows",
                    counts=(0, 0, 0))


def excel_row_limit(inbox: Path) -> Expected:
    rows = [[f"005Ec{n:013d}", f"u{n}@example.com", f"User {n}", f"u{n}@example.com", "1"]
            for n in range(65_535)]
    write(inbox / "User_65536.csv", ["Id", "Username", "Name", "Email", "IsActive"], rows)
    return Expected("User_65536.csv", "loaded", "log", "possibly truncated: 65,536 lines",
                    counts=(65_535, 65_535, 0))


def unknown_header(inbox: Path) -> Expected:
    header, rows = deals(20)
    drop = header.index("Stage")
    write(inbox / "mystery.csv", [h for i, h in enumerate(header) if i != drop],
          [[v for i, v in enumerate(r) if i != drop] for r in rows])
    return Expected("mystery.csv", "refused", "note", "closest is Zoho CRM deals", 1,
                    counts=(20, 0, 20))


def missing_required_column(inbox: Path) -> Expected:
    header, rows = deals(20)
    drop = header.index("Amount")
    write(inbox / "Deals_no_amount.csv", [h for i, h in enumerate(header) if i != drop],
          [[v for i, v in enumerate(r) if i != drop] for r in rows])
    return Expected("Deals_no_amount.csv", "refused", "note", "column 'Amount': required "
                    "column missing", 1, counts=(20, 0, 20))


def too_many_rejects(inbox: Path) -> Expected:
    header, rows = deals()
    for index in (3, 40, 90):
        rows[index][header.index("Amount")] = "n/a"
    lines = write(inbox / "Deals_bad_amounts.csv", header, rows)
    return Expected("Deals_bad_amounts.csv", "refused", "note", "above the 1.0% allowed",
                    lines[3], "n/a", (150, 0, 150))


# --- encodings -----------------------------------------------------------------------------

def gb18030_accounts(inbox: Path) -> Expected:
    header, rows = sample("Accounts_2026_11_20.csv", 50)
    write(inbox / "Accounts_gb18030.csv", header, rows, encoding="gb18030")
    return Expected("Accounts_gb18030.csv", "loaded", counts=(50, 50, 0), encoding="gb18030")


WESTERN_NAMES = ("Müller", "José", "Zoë", "Ångström", "Françoise Façade")


def cp1252_users(inbox: Path) -> Expected:
    rows = [[f"005Ec00000{n:08d}", f"w{n}@example.com", name, f"w{n}@example.com", "1"]
            for n, name in enumerate(WESTERN_NAMES, start=1)]
    write(inbox / "User_western.csv", ["Id", "Username", "Name", "Email", "IsActive"], rows,
          encoding="cp1252")
    return Expected("User_western.csv", "loaded", counts=(5, 5, 0), encoding="cp1252")


def utf16_without_bom(inbox: Path) -> Expected:
    header, rows = sample("Accounts_2026_11_20.csv", 50)
    write(inbox / "Accounts_unicode.txt", header, rows, encoding="utf-16-le", delimiter="\t")
    return Expected("Accounts_unicode.txt", "loaded", counts=(50, 50, 0),
                    encoding="utf-16-le")


def undecodable_bytes(inbox: Path) -> Expected:
    header, rows = deals()
    lines = write(inbox / "Deals_bad_bytes.csv", header, rows)
    data = (inbox / "Deals_bad_bytes.csv").read_bytes()
    at = data.index(rows[30][0].encode())
    (inbox / "Deals_bad_bytes.csv").write_bytes(data[:at] + b"\xff" + data[at:])
    return Expected("Deals_bad_bytes.csv", "refused", "note", "not valid UTF-8", lines[30],
                    counts=(None, 0, None))


# --- rows ----------------------------------------------------------------------------------

def nul_byte(inbox: Path) -> Expected:
    header, rows = deals()
    rows[9][header.index("Deal Name")] = "Bad\x00name"
    lines = write(inbox / "Deals_nul.csv", header, rows)
    return Expected("Deals_nul.csv", "loaded", "rejects", "NUL byte", lines[9], "Bad\x00name",
                    (150, 149, 1))


def mixed_line_ends(inbox: Path) -> Expected:
    header, rows = deals()
    ends = ["\r\n"] * len(rows)
    ends[4], ends[8], ends[9] = "\n", "\r", "\n"
    write(inbox / "Deals_mixed.csv", header, rows, ends=ends)
    return Expected("Deals_mixed.csv", "loaded", counts=(150, 150, 0))


def duplicated_header_column(inbox: Path) -> Expected:
    header, rows = deals()
    amount = header.index("Amount")
    twice = [row + [row[amount]] for row in rows]
    twice[7][-1] = "1"
    lines = write(inbox / "Deals_twice.csv", header + ["Amount"], twice)
    return Expected("Deals_twice.csv", "loaded", "rejects", "the copies differ", lines[7],
                    rows[7][amount], (150, 149, 1))


def bom_mid_file(inbox: Path) -> Expected:
    header, rows = deals()
    path = inbox / "Deals_joined.csv"
    write(path, header, rows[75:])
    second = path.read_bytes()
    write(path, header, rows[:75])
    first = path.read_bytes()
    path.write_bytes(first + b"\xef\xbb\xbf" + second)
    line = len(LINE_BREAK.findall(first.decode())) + 1
    return Expected("Deals_joined.csv", "loaded", "rejects", "the header again", line,
                    '\ufeff"Record Id"', (151, 150, 1))


def bom_in_value(inbox: Path) -> Expected:
    """A file joined onto another without its header: a BOM before a record's first quote."""
    header, rows = deals()
    path = inbox / "Deals_bom_value.csv"
    lines = write(path, header, rows)
    quoted = f'"{rows[2][0]}"'.encode()
    path.write_bytes(path.read_bytes().replace(quoted, b"\xef\xbb\xbf" + quoted, 1))
    return Expected("Deals_bom_value.csv", "loaded", "log", "byte order mark", lines[2],
                    f'\ufeff"{rows[2][0]}"', (150, 150, 0))


def unknown_stage(inbox: Path) -> Expected:
    header, rows = deals()
    rows[11][header.index("Stage")] = "Verbal Commit"
    lines = write(inbox / "Deals_new_stage.csv", header, rows)
    return Expected("Deals_new_stage.csv", "loaded", "rejects", "unknown stage", lines[11],
                    "Verbal Commit", (150, 149, 1))


def ragged_row(inbox: Path) -> Expected:
    header, rows = deals()
    lines = write(inbox / "Deals_ragged.csv", header, rows[:20] + [["zcrm_1", "two"]]
                  + rows[20:])
    return Expected("Deals_ragged.csv", "loaded", "rejects", "2 fields where the header has 29",
                    lines[20], None, (151, 150, 1))


CASES: dict[str, Callable[[Path], Expected]] = {case.__name__: case for case in (
    orphan_stage_history, orphan_calls, orphan_tasks, orphan_meetings, orphan_satisfaction,
    unknown_cost_holders, unknown_target_holder, overlapping_targets,
    manager_cycle, user_listed_twice, unknown_manager, unusable_address,
    long_field, glob_name, hidden_file, lock_files, nightly_folder, empty_export,
    header_only_export, excel_row_limit, unknown_header, missing_required_column,
    too_many_rejects,
    gb18030_accounts, cp1252_users, utf16_without_bom, undecodable_bytes,
    nul_byte, mixed_line_ends, duplicated_header_column, bom_mid_file, bom_in_value,
    unknown_stage, ragged_row,
)}
