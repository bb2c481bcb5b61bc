"""Nightly operations, as ops meet them: real processes killed with SIGKILL, two runs at once,
a real SMTP server, and everything a run writes searched for the SMTP password."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.delivery.delivery_log import DeliveryLog
from pipeline.paths import ROOT, SAMPLE_DIR
from pipeline.warehouse.db import open_warehouse
from tests import mailserver

AS_OF = "2026-11-20"
MANAGER = "5743045000010000004"
TEAM = {MANAGER, "5743045000010000008", "5743045000010000012", "5743045000010000016",
        "5743045000010000020", "5743045000010000024"}
CONFIG = """\
recipients_file: recipients.yaml
mail_attempts: 3
mail_backoff_seconds: 0.01
threads: 2
settle_seconds: 0
"""
RECIPIENTS = """\
managers: true
allowed_domains: [example.com]
ops: [ops@example.com]
recipients:
  - email: boss@example.com
    scope: company
"""


def _id(value: str) -> str:
    return value.removeprefix("zcrm_")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A one-team inbox (two editions: the company and the team) and its settings."""
    folder = tmp_path_factory.mktemp("ops")
    inbox = folder / "inbox"
    inbox.mkdir()
    _filter(SAMPLE_DIR / "org.csv", inbox / "org.csv", "user_id", "utf-8",
            lambda row: row | {"manager_id": ""} if _id(row["user_id"]) == MANAGER else row)
    _filter(SAMPLE_DIR / "targets.csv", inbox / "targets.csv", "user_id", "utf-8")
    _filter(SAMPLE_DIR / "Deals_2026_11_20.csv", inbox / "Deals.csv", "Deal Owner.id",
            "utf-8-sig")
    (folder / "pipeline.yaml").write_text(CONFIG, encoding="utf-8")
    (folder / "recipients.yaml").write_text(RECIPIENTS, encoding="utf-8")
    return folder


def _filter(source: Path, target: Path, key: str, encoding: str, change=lambda row: row):
    with source.open(encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [change(row) for row in reader if _id(row[key]) in TEAM]
        fields = reader.fieldnames
    with target.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fields, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server, controller = mailserver.start(tmp_path_factory.mktemp("smtp"))
    yield server
    controller.stop()


def command(setup: Path, out: Path, *args: str, inbox: Path | None = None) -> list[str]:
    return [sys.executable, "-m", "pipeline", *args, "--inbox", str(inbox or setup / "inbox"),
            "--out", str(out), "--as-of", AS_OF, "--config", str(setup / "pipeline.yaml"),
            "--log-json"]


def start(setup, out, server, *args: str) -> subprocess.Popen:
    return subprocess.Popen(command(setup, out, *(args or ("run",))), cwd=ROOT,
                            env={**os.environ, **server.env()}, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, start_new_session=True)


def finish(setup, out, server, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(setup, out, *(args or ("run",))), cwd=ROOT,
                          env={**os.environ, **server.env()}, capture_output=True, text=True,
                          timeout=600)


def kill_when(process: subprocess.Popen, seen) -> list[dict]:
    """Reads the run's JSON log lines until `seen(line)`, then kills the whole run."""
    lines = []
    for text in process.stderr:
        try:
            line = json.loads(text)
        except json.JSONDecodeError:
            continue
        lines.append(line)
        if seen(line):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return lines
    raise AssertionError(f"the run ended (exit {process.wait()}) before the kill point: "
                         f"{lines[-3:]}")


def started(step: str):
    return lambda line: line.get("event") == "step_started" and line.get("step") == step


def state(out: Path) -> dict:
    """What a reader sees of a run: every table's rows, the bytes of every published report,
    archive page and history record, and the delivery log."""
    warehouse = {}
    if (out / "warehouse.duckdb").exists():
        with open_warehouse(out / "warehouse.duckdb", read_only=True) as con:
            tables = [r[0] for r in con.execute(
                "select table_name from duckdb_tables() order by 1").fetchall()]
            warehouse = {t: [tuple(_rounded(v) for v in row) for row in con.execute(
                f'select * from "{t}" order by all').fetchall()] for t in tables}
    published = {name: _digests(out / name) for name in ("reports", "history", "validation")}
    # out/reports/index.html is the runs page, the run log's view (every run, however it
    # ended), not a report: the tests of the runs page look at it
    published["reports"].pop("index.html", None)
    log = []
    if (out / "delivery.sqlite").exists():
        with DeliveryLog(out / "delivery.sqlite", "test") as book:
            log = [(d.as_of_date, d.recipient, d.report, d.generation, d.message_id, d.status)
                   for d in book.all()]
    return {"warehouse": warehouse, **published, "log": log}


def _digests(root: Path) -> dict[str, str]:
    """Every file under root, links followed, by its path and SHA-256."""
    found = {}
    for folder, _, names in os.walk(root, followlinks=True):
        for name in names:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _rounded(value):
    """A double summed in parallel may differ in its last bit from run to run."""
    return float(f"{value:.12g}") if isinstance(value, float) else value


@pytest.fixture(scope="module")
def uninterrupted(setup, server, tmp_path_factory):
    server.reset()
    out = tmp_path_factory.mktemp("uninterrupted") / "out"
    result = finish(setup, out, server)
    assert result.returncode == 0, result.stderr[-3000:]
    return {"out": out, "state": state(out), "received": server.counts(),
            "stderr": result.stderr}


def test_the_uninterrupted_run_mails_each_recipient_once_and_a_rerun_changes_nothing(
        setup, server, uninterrupted, tmp_path):
    assert uninterrupted["received"] == {f"{n}@example.com": 1 for n in ("min.zhao", "boss")}
    assert {row[-1] for row in uninterrupted["state"]["log"]} == {"sent"}
    out = tmp_path / "out"
    shutil.copytree(uninterrupted["out"], out)
    server.reset()
    assert finish(setup, out, server).returncode == 0
    assert server.received == []
    assert state(out) == uninterrupted["state"]


def test_the_run_summary_counts_the_email_sent(uninterrupted):
    [summary] = [line for line in map(json.loads, uninterrupted["stderr"].splitlines())
                 if line.get("event") == "run_summary"]
    # the team's manager and the company's recipient, each sent one message
    assert (summary["status"], summary["emails"]) == ("succeeded", {"sent": 2})
    assert summary["reports_index"] == str(uninterrupted["out"] / "reports" / "index.html")


@pytest.fixture(scope="module")
def night1(setup, tmp_path_factory):
    """The same date published from other exports (every amount 100 more), as a dry run whose
    recipients file allows no manager's domain: what a killed run must leave exactly as it
    was, and a run that could reach none of its managers."""
    folder = tmp_path_factory.mktemp("night1")
    inbox = folder / "inbox"
    shutil.copytree(setup / "inbox", inbox)
    _filter(setup / "inbox" / "Deals.csv", inbox / "Deals.csv", "Deal Owner.id", "utf-8-sig",
            lambda row: row | {"Amount": str(int(row["Amount"] or 0) + 100)})
    (folder / "pipeline.yaml").write_text(CONFIG, encoding="utf-8")
    (folder / "recipients.yaml").write_text(
        RECIPIENTS.replace("allowed_domains: [example.com]", "allowed_domains: [example.org]"),
        encoding="utf-8")
    out = folder / "out"
    result = subprocess.run(command(folder, out, "run", "--dry-run", inbox=inbox), cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    return SimpleNamespace(out=out, result=result)


def killed(setup, out, server, failpoint: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(setup, out, "run"), cwd=ROOT, capture_output=True,
                          text=True, timeout=600,
                          env={**os.environ, **server.env(), "PIPELINE_FAILPOINT": failpoint})


def test_runs_killed_in_the_build_the_report_and_the_publish_leave_the_published_state(
        setup, server, uninterrupted, night1, tmp_path):
    """Three runs killed in turn, each half-way through a step (the last after its release
    is complete, just before the one rename), compared with the state before the first."""
    out = tmp_path / "out"
    shutil.copytree(night1.out, out, symlinks=True)
    before = state(out)
    assert before["reports"] and before["history"] and before["warehouse"]
    server.reset()
    for failpoint in ("build.halfway", "report.halfway", "publish.before_switch"):
        assert killed(setup, out, server, failpoint).returncode == -signal.SIGKILL, failpoint
        assert state(out) == before, failpoint
        assert len(list((out / ".releases").iterdir())) == 2  # the killed run's, unseen
    rerun = finish(setup, out, server)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert state(out) == uninterrupted["state"]
    assert server.counts() == uninterrupted["received"]
    _only_the_current_release_is_left(out)
    # the runs page: the first night, the three killed runs, the rerun
    page = (out / "reports" / "index.html").read_text(encoding="utf-8")
    assert [page.count(f'<tr class="{status}"') for status in (
        "published_with_problems", "unfinished", "published")] == [1, 3, 1]


def test_runs_killed_just_after_publishing_and_while_sending_never_send_twice(
        setup, server, uninterrupted, night1, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(night1.out, out, symlinks=True)
    server.reset()
    # killed just after the one rename: all of the new release shows, no mail has gone
    assert killed(setup, out, server, "publish.after_switch").returncode == -signal.SIGKILL
    assert state(out) == uninterrupted["state"] | {"log": []}
    assert server.received == []
    # the next is killed while sending, its message to boss waiting at RCPT
    server.fail("RCPT", "hold", address="boss@example.com")
    kill_when(start(setup, out, server), lambda line: server.held.is_set())
    server.release()
    rerun = finish(setup, out, server)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "taking over the lock" in rerun.stderr
    assert state(out) == uninterrupted["state"]
    assert server.counts() == uninterrupted["received"]
    _only_the_current_release_is_left(out)


def _only_the_current_release_is_left(out: Path) -> None:
    assert list((out / ".releases").iterdir()) == [(out / "current").resolve()]
    linked = {p.resolve() for p in [*(out / "reports").iterdir(),
                                    *(out / "history").glob("*/*")] if p.is_symlink()}
    assert {p.resolve() for p in [*(out / ".store" / "reports").iterdir(),
                                  *(out / ".store" / "history").glob("*/*")]} == linked


def test_an_analyst_reads_the_published_warehouse_while_a_run_builds_the_next(
        setup, server, night1, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(night1.out, out, symlinks=True)
    before = state(out)
    with open_warehouse(out / "warehouse.duckdb", read_only=True) as con:
        published = con.execute("select sum(amount) from fct_deals").fetchone()[0]
    server.reset()
    read_while_building = []

    def validated(line: dict) -> bool:
        if line.get("event") == "step_finished" and line.get("step") == "validate":
            with open_warehouse(out / "warehouse.duckdb", read_only=True) as con:
                read_while_building.append(
                    con.execute("select sum(amount) from fct_deals").fetchone()[0])
            return True
        return False

    kill_when(start(setup, out, server), validated)
    assert read_while_building == [published]
    assert state(out) == before


def test_two_runs_started_together_one_proceeds_the_other_exits_75(
        setup, server, tmp_path):
    out = tmp_path / "out"
    server.reset()
    runs = [start(setup, out, server, "run", "--no-mail") for _ in range(2)]
    results = [(p.wait(timeout=600), p.stderr.read()) for p in runs]
    assert sorted(code for code, _ in results) == [0, 75]
    busy = next(text for code, text in results if code == 75)
    holder = next(p for p, (code, _) in zip(runs, results, strict=True) if code == 0)
    assert "another run is using" in busy
    manifest = json.loads(next((out / "runs").glob("*.json")).read_text(encoding="utf-8"))
    assert manifest["pid"] == holder.pid  # the one run on record is the one that ran
    assert f"run {manifest['run_id']} (PID {holder.pid}, started " in busy
    assert (out / "reports" / AS_OF / "index.html").exists()


def test_a_failed_run_sends_managers_nothing_and_ops_one_summary_per_date(
        setup, server, tmp_path):
    out = tmp_path / "out"
    broken = tmp_path / "inbox"
    shutil.copytree(setup / "inbox", broken)
    deals = (broken / "Deals.csv").read_text(encoding="utf-8-sig")
    (broken / "Deals.csv").write_text(deals.replace('"Closed Won"', '"Won (verbal)"'),
                                      encoding="utf-8-sig")
    server.reset()
    for _ in range(2):
        result = subprocess.run(
            command(setup, out, "run", inbox=broken), cwd=ROOT,
            env={**os.environ, **server.env()}, capture_output=True, text=True,
            timeout=600)
        assert result.returncode == 3, result.stderr[-2000:]
    assert server.counts() == {"ops@example.com": 1}
    summary = server.received[0].message
    assert "exit 3" in summary["Subject"] or "退出码 3" in summary["Subject"]
    assert "Won (verbal)" in summary.get_content()
    manifest = json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text("utf-8"))
    assert (manifest["status"], manifest["exit_code"]) == ("failed", 3)
    assert not (out / "reports").exists()
    # what the stopped ingest had read, refused and warned about is on record
    inputs = {i["file_name"]: i for i in manifest["inputs"]}
    assert set(inputs) == {"org.csv", "targets.csv", "Deals.csv"}
    assert inputs["Deals.csv"]["status"] == "refused"
    assert "Won (verbal)" in inputs["Deals.csv"]["note"]
    assert inputs["org.csv"]["status"] == "loaded" and inputs["org.csv"]["rows_loaded"] == 6
    assert any(w.startswith("Deals.csv: refused") for w in manifest["warnings"])
    assert "no deals export" in manifest["error"]


def test_a_run_that_can_reach_no_manager_is_not_a_plain_success(night1):
    assert night1.result.returncode == 6, night1.result.stderr[-2000:]
    out = night1.out
    assert (out / "reports" / AS_OF / "company" / "performance.pdf").is_file()  # published
    manifest = json.loads(next((out / "runs").glob("*.json")).read_text("utf-8"))
    assert manifest["status"] == "published with problems"
    assert manifest["problems"] == [
        "none of the managers who should get reports could be reached: org.csv, line 2: "
        "min.zhao@example.com (its domain is not in allowed_domains)"]
    # no manager's message; ops get their summary whatever allowed_domains says
    assert sorted(p.name for p in (out / "outbox" / AS_OF).iterdir()) == [
        "run-problems--ops@example.com.eml"]
    summary = message_from_bytes(
        (out / "outbox" / AS_OF / "run-problems--ops@example.com.eml").read_bytes(),
        policy=policy.default)
    assert "none of the managers" in summary.get_content()

def test_the_manifest_records_inputs_outputs_emails_and_timings(uninterrupted):
    manifests = list((uninterrupted["out"] / "runs").glob("*.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text(encoding="utf-8"))
    assert (manifest["status"], manifest["exit_code"], manifest["as_of"]) == (
        "succeeded", 0, AS_OF)
    assert {i["file_name"] for i in manifest["inputs"]} == {"org.csv", "targets.csv",
                                                            "Deals.csv"}
    deals = next(i for i in manifest["inputs"] if i["file_name"] == "Deals.csv")
    assert deals["rows_read"] == deals["rows_loaded"] + deals["rows_rejected"] > 0
    assert len(deals["sha256"]) == 64
    assert manifest["validation"]["passed"] is True
    assert set(manifest["steps"]) == {"ingest", "build", "validate", "snapshot", "report",
                                      "publish", "deliver"}
    assert "company/performance.pdf" in manifest["outputs"]["reports"]
    assert {(e["recipient"], e["status"]) for e in manifest["emails"]} == {
        ("boss@example.com", "sent"), ("min.zhao@example.com", "sent")}


def test_no_log_manifest_or_output_holds_the_smtp_password(uninterrupted):
    secrets = [mailserver.PASSWORD.encode(), base64.b64encode(mailserver.PASSWORD.encode()),
               base64.b64encode(f"\0{mailserver.USER}\0{mailserver.PASSWORD}".encode()),
               base64.b64encode(f"{mailserver.USER}\0{mailserver.USER}\0"
                                f"{mailserver.PASSWORD}".encode())]
    assert "sent" in uninterrupted["stderr"]
    blobs = [uninterrupted["stderr"].encode()]
    blobs += [p.read_bytes() for p in uninterrupted["out"].rglob("*") if p.is_file()]
    assert len(blobs) > 20
    for secret in secrets:
        assert not any(secret in blob for blob in blobs), secret


def test_a_lock_left_by_a_dead_process_is_taken_over(setup, server, tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from pipeline.control.lock import run_lock\n"
        "with run_lock(Path(sys.argv[1]), 'dead-run'):\n"
        "    print('held', flush=True); time.sleep(60)\n"), str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    busy = finish(setup, out, server, "ingest")
    assert busy.returncode == 75
    assert f"run dead-run (PID {holder.pid}" in busy.stderr
    holder.kill()
    holder.wait()
    result = finish(setup, out, server, "ingest")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "taking over the lock of run dead-run" in result.stderr


def test_backfill_runs_each_date_in_order_without_mail(setup, server, tmp_path):
    out, inbox = tmp_path / "out", tmp_path / "inbox"
    shutil.copytree(setup / "inbox", inbox)
    shutil.copytree(setup / "inbox", inbox / "2026-11-18")  # that night's own exports
    server.reset()
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "backfill", "--inbox", str(inbox), "--out",
         str(out), "--config", str(setup / "pipeline.yaml"), "--from", "2026-11-18",
         "--to", "2026-11-19", "--log-json"],
        cwd=ROOT, env={**os.environ, **server.env()}, capture_output=True, text=True,
        timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in (out / "history" / "deal_states").glob("*.parquet")) == [
        "2026-11-18.parquet", "2026-11-19.parquet"]
    assert sorted(p.name for p in (out / "reports").glob("2026-*")) == [
        "2026-11-18", "2026-11-19"]
    manifests = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "runs").glob("*")]
    assert sorted((m["as_of"], Path(m["inbox"]).name) for m in manifests) == [
        ("2026-11-18", "2026-11-18"), ("2026-11-19", "inbox")]
    assert server.received == []
