"""The summary a run ends with: real runs of the command line on a small hand-made inbox, the
summary read from their JSON lines, and the same summary as a person reads it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.control.lock import run_lock
from pipeline.control.summary import summary, text
from pipeline.paths import ROOT, SAMPLE_DIR

AS_OF = "2026-11-20"
MANAGER = "5743045000010000004"
TEAM = {MANAGER, "5743045000010000008", "5743045000010000012", "5743045000010000016",
        "5743045000010000020", "5743045000010000024"}
# a tenth of a file's rows may be quarantined: the one bad row of twenty costs that row only
SETTINGS = "reject_threshold: 0.1\nsettle_seconds: 0\nthreads: 1\n"


def write_inbox(folder: Path, bad_stages: int) -> Path:
    """The team's six people (its manager at the top) and twenty of their deals, the first
    `bad_stages` with a stage the mapping does not know; and a file that is no export."""
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    with (SAMPLE_DIR / "org.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        people = [row | ({"manager_id": ""} if row["user_id"] == MANAGER else {})
                  for row in reader if row["user_id"].removeprefix("zcrm_") in TEAM]
        write_csv(inbox / "org.csv", reader.fieldnames, people, "utf-8")
    with (SAMPLE_DIR / "Deals_2026_11_20.csv").open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        deals = [row for row in reader
                 if row["Deal Owner.id"].removeprefix("zcrm_") in TEAM][:20]
        for deal in deals[:bad_stages]:
            deal["Stage"] = "Won (verbal)"
        write_csv(inbox / "Deals.csv", reader.fieldnames, deals, "utf-8-sig")
    (inbox / "notes.pdf").write_bytes(b"%PDF-1.4 not an export")
    return inbox


def write_csv(path: Path, fields, rows: list[dict], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)


def pipeline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args, "--log-json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def events(stderr: str, name: str) -> list[dict]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == name]


def run_in(folder: Path, *args: str, bad_stages: int = 0) -> tuple[subprocess.CompletedProcess,
                                                                   Path]:
    inbox = write_inbox(folder, bad_stages)
    (folder / "settings.yaml").write_text(SETTINGS, encoding="utf-8")
    out = folder / "out"
    return pipeline("run", *args, "--inbox", str(inbox), "--out", str(out), "--as-of", AS_OF,
                    "--config", str(folder / "settings.yaml")), out


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A run that publishes: one row of twenty quarantined, the pdf skipped, email written to
    the outbox."""
    result, out = run_in(tmp_path_factory.mktemp("published"), "--dry-run", bad_stages=1)
    assert result.returncode == 0, result.stderr[-3000:]
    return result, out


def test_a_published_run_ends_with_its_summary_checked_by_hand(published):
    result, out = published
    [event] = events(result.stderr, "run_summary")
    [record] = (out / "runs").glob("*.json")
    assert event == {
        "time": event["time"], "level": "info", "logger": "pipeline.summary",
        "run_id": record.stem, "message": event["message"],
        "event": "run_summary", "command": "run", "as_of": AS_OF, "status": "succeeded",
        "exit_code": 0, "error": None, "failed_step": None,
        # org.csv and Deals.csv; notes.pdf skipped
        "files_read": 2, "files_refused": 0, "files_skipped": 1,
        # the team's 6 people, and 19 of its 20 deals: one has a stage the mapping lacks
        "rows_loaded": 6 + 19, "rows_rejected": 1,
        # notes.pdf skipped, not a .csv, .txt or .xlsx export (the ingest's); the exports'
        # newest change long before the as-of date (the build's): every warning logged
        "warnings": 2,
        "warehouse": str(out / "warehouse.duckdb"),
        "reports_index": str(out / "reports" / "index.html"),
        "reports_folder": str(out / "reports" / AS_OF),
        # the manager is the only one in org.csv with a team, so the only recipient
        "emails": {"written": 1, "outbox": str(out / "outbox" / AS_OF)},
        "run_record": str(record),
    }
    assert (out / "reports" / "index.html").is_file()
    assert len(list((out / "outbox" / AS_OF).glob("*.eml"))) == 1
    warnings = json.loads(record.read_text(encoding="utf-8"))["warnings"]
    assert warnings[0].startswith("notes.pdf: skipped") and "is the nightly export" in warnings[1]
    # off a terminal, no progress bar: JSON lines only, the summary the last
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert lines[-1]["event"] == "run_summary"


def test_the_summary_reads_as_a_few_lines_with_the_same_fields(published):
    result, out = published
    [event] = events(result.stderr, "run_summary")
    [record] = (out / "runs").glob("*.json")
    fields = summary(json.loads(record.read_text(encoding="utf-8")), record)
    assert {k: event[k] for k in fields} == fields
    assert event["message"] == text(fields)
    assert text(fields).splitlines() == [
        f"run {record.stem} (run, as of {AS_OF}): succeeded (exit 0)",
        f"  read:       2 files loaded, 1 skipped; 25 rows loaded, 1 rejected "
        f"(table raw_rejects of {out / 'warehouse.duckdb'})",
        "  warnings:   2 (listed in the run record)",
        f"  warehouse:  {out / 'warehouse.duckdb'}",
        f"  reports:    {out / 'reports' / 'index.html'} (this run: {out / 'reports' / AS_OF}/)",
        f"  emails:     1 written to {out / 'outbox' / AS_OF}/ (dry run: none sent)",
        f"  run record: {record}",
    ]


def test_a_failed_run_says_what_failed_and_where_its_record_is(tmp_path):
    # three of twenty deals quarantined is above the tenth: Deals.csv is refused
    result, out = run_in(tmp_path, "--no-mail", bad_stages=3)
    assert result.returncode == 3
    [event] = events(result.stderr, "run_summary")
    [record] = (out / "runs").glob("*.json")
    assert {k: event[k] for k in ("status", "exit_code", "failed_step", "files_read",
                                  "files_refused", "files_skipped", "rows_loaded",
                                  "run_record")} == {
        "status": "failed", "exit_code": 3, "failed_step": "ingest", "files_read": 1,
        "files_refused": 1, "files_skipped": 1, "rows_loaded": 6, "run_record": str(record)}
    assert event["error"].startswith(f"{tmp_path / 'inbox'}: no deals export loaded")
    assert event["level"] == "error"
    assert "reports_index" not in event and "emails" not in event
    assert "nothing was published" in event["message"]
    assert json.loads(record.read_text(encoding="utf-8"))["exit_code"] == 3


def test_a_run_whose_settings_are_refused_points_at_its_record(tmp_path):
    result = pipeline("ingest", "--config", str(tmp_path / "missing.yaml"),
                      "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    [event] = events(result.stderr, "run_summary")
    [record] = (tmp_path / "out" / "runs").glob("*.json")
    assert {k: event[k] for k in ("command", "status", "exit_code", "failed_step",
                                  "run_record")} == {
        "command": "ingest", "status": "failed", "exit_code": 2, "failed_step": None,
        "run_record": str(record)}
    assert "missing.yaml" in event["error"]


def test_a_run_that_finds_the_folder_busy_has_no_record_and_says_so(tmp_path):
    out = tmp_path / "out"
    with run_lock(out, "other-run"):
        result = pipeline("ingest", "--inbox", str(SAMPLE_DIR), "--out", str(out))
    assert result.returncode == 75
    [event] = events(result.stderr, "run_summary")
    assert {k: event[k] for k in ("command", "status", "exit_code", "run_record")} == {
        "command": "ingest", "status": "failed", "exit_code": 75, "run_record": None}
    assert "another run is using" in event["error"]
    assert "no run record" in event["message"]
    assert not (out / "runs").exists()


def manifest(**changes) -> dict:
    """A run record as pipeline/control/manifest.py writes it."""
    return {"run_id": "r1", "command": "run", "as_of": AS_OF, "inbox": "in", "out": "out",
            "mail": "send", "status": "succeeded", "exit_code": 0, "error": None,
            "steps": dict.fromkeys(("ingest", "build", "validate", "snapshot", "report",
                                    "publish", "deliver"), 1.0),
            "inputs": [{"file_name": "Deals.csv", "status": "loaded", "rows_loaded": 10},
                       {"file_name": "Old.csv", "status": "refused", "rows_loaded": 0},
                       {"file_name": "Deals copy.csv", "status": "duplicate",
                        "rows_loaded": 0}],
            "rejects": {"unknown stage": 2, "not a date": 1}, "warnings": ["a", "b"],
            "outputs": {"warehouse": "out/warehouse.duckdb", "reports": {}},
            "emails": [{"report": "company", "status": "sent"},
                       {"report": "lead", "status": "failed"},
                       {"report": "run-failure", "status": "sent"}]} | changes


def test_a_run_whose_email_failed_has_published_its_reports():
    fields = summary(manifest(status="failed", exit_code=5,
                              error="1 of 2 messages not delivered"), Path("out/runs/r1.json"))
    assert {k: fields[k] for k in ("failed_step", "files_read", "files_refused",
                                   "files_skipped", "rows_loaded", "rows_rejected",
                                   "warnings", "reports_index", "emails")} == {
        "failed_step": "deliver", "files_read": 1, "files_refused": 1, "files_skipped": 1,
        "rows_loaded": 10, "rows_rejected": 3, "warnings": 2,
        "reports_index": str(Path("out/reports/index.html")),
        # the ops' message is not a report
        "emails": {"sent": 1, "failed": 1}}
    lines = text(fields).splitlines()
    assert lines[0] == (f"run r1 (run, as of {AS_OF}): failed in deliver, exit 5: 1 of 2 "
                        "messages not delivered")
    assert lines[1] == ("  read:       1 file loaded, 1 refused, 1 skipped; 10 rows loaded, "
                        "3 rejected (by reason in the run record)")
    assert "  emails:     1 failed, 1 sent" in lines
    assert not any("nothing was published" in line for line in lines)


def test_a_run_published_with_problems_and_one_that_mailed_nothing():
    problems = summary(manifest(status="published with problems", exit_code=6,
                                error="published with 1 problems: Old.csv: refused"),
                       Path("r1.json"))
    assert text(problems).splitlines()[0] == (
        f"run r1 (run, as of {AS_OF}): published with problems (exit 6): published with 1 "
        "problems: Old.csv: refused")
    quiet = manifest(mail="off", emails=[])
    del quiet["steps"]["deliver"]
    fields = summary(quiet, Path("r1.json"))
    assert fields["emails"] is None
    assert "  emails:     none" in text(fields).splitlines()


def test_a_single_step_says_only_what_it_did():
    fields = summary(manifest(command="validate", mail="off", steps={"validate": 1.0}),
                     Path("r1.json"))
    assert set(fields) == {"run_id", "command", "as_of", "status", "exit_code", "error",
                           "failed_step", "warehouse", "run_record"}
