"""The hostile-input suite end to end: every case of tests/hostile.py dropped at once into a
copy of the sample (a multi-team inbox), one manager's org.csv address broken by a line
feed and a smuggled header, and the whole run with mail to a real SMTP server on loopback.

The run goes on and publishes (exit 6, each problem named); each case's file gets its
outcome, a message naming file, line and value, and rows read = loaded + rejected; every
manager's reports are byte for byte those of a clean run of the sample; every manager but
the broken one gets one email, holding their own team and nothing else; ops get one summary
naming what was left out."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from pipeline.paths import ROOT, SAMPLE_CONFIG, SAMPLE_DIR
from pipeline.tools.sample import AS_OF
from pipeline.warehouse.db import open_warehouse
from tests import mailserver
from tests.hostile import CASES
from tests.test_hostile_ingest import assert_named

BROKEN = "5743045000010000004"  # 赵敏, manager of 华东一组
BROKEN_ADDRESS = "min.zhao@example.com\nBcc: evil@example.com"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server, controller = mailserver.start(tmp_path_factory.mktemp("smtp"))
    yield server
    controller.stop()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, server):
    folder = tmp_path_factory.mktemp("hostile")
    inbox = folder / "inbox"
    shutil.copytree(SAMPLE_DIR, inbox)
    org = (inbox / "org.csv").read_text(encoding="utf-8")
    (inbox / "org.csv").write_text(org.replace("min.zhao@example.com",
                                               f'"{BROKEN_ADDRESS}"'), encoding="utf-8")
    expected = {name: case(inbox) for name, case in CASES.items()}
    settings = folder / "pipeline.yaml"
    settings.write_text(
        f"recipients_file: {SAMPLE_CONFIG.parent / 'recipients.yaml'}\n"
        f"incentives_file: {SAMPLE_CONFIG.parent / 'incentives.yaml'}\n"
        f"loss_reasons_file: {SAMPLE_CONFIG.parent / 'loss_reasons.yaml'}\n"
        "settle_seconds: 0\nmail_attempts: 2\nmail_backoff_seconds: 0.01\n", encoding="utf-8")
    out = folder / "out"
    server.reset()
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--inbox", str(inbox), "--out", str(out),
         "--as-of", AS_OF.isoformat(), "--config", str(settings), "--log-json"],
        cwd=ROOT, env={**os.environ, **server.env()}, capture_output=True, text=True,
        timeout=900)
    manifest = json.loads(next((out / "runs").glob("*.json")).read_text(encoding="utf-8"))
    con = open_warehouse(out / "warehouse.duckdb", read_only=True)
    yield SimpleNamespace(result=result, manifest=manifest, con=con, expected=expected,
                          out=out, received=list(server.received), counts=server.counts())
    con.close()


def test_the_run_publishes_and_names_each_problem(hostile):
    assert hostile.result.returncode == 6, hostile.result.stderr[-3000:]
    problems = hostile.manifest["problems"]
    refused = {e.file for e in hostile.expected.values() if e.status == "refused"}
    assert refused and all(any(p.startswith(f"{f}: refused") for p in problems)
                           for f in refused), problems
    assert any(p.startswith("org.csv, line 5: email ") and "赵敏" in p for p in problems)
    assert hostile.manifest["status"] == "published with problems"
    assert (hostile.out / "reports" / AS_OF.isoformat() / "index.html").is_file()


@pytest.mark.parametrize("case", CASES)
def test_each_hostile_file_has_its_outcome_message_and_counts(hostile, case):
    expected = hostile.expected[case]
    status, read, loaded, rejected = hostile.con.execute(
        "select status, rows_read, rows_loaded, rows_rejected from raw_files "
        "where file_name = ?", [expected.file]).fetchone()
    assert status == expected.status
    if read is not None:
        assert read == loaded + rejected
    if expected.counts:
        assert (read, loaded, rejected) == expected.counts
    if expected.where:
        assert_named(expected, hostile.con,
                     SimpleNamespace(warnings=hostile.manifest["warnings"]))


def test_every_managers_reports_are_those_of_a_clean_run(hostile, sample_run):
    """Byte for byte, but for the build id each report prints (the inputs differ). A PDF is
    typeset from its HTML, compared here."""
    clean = sample_run.reports_dir / AS_OF.isoformat()
    dirty = hostile.out / "reports" / AS_OF.isoformat()
    ids = [build_id(sample_run.warehouse), build_id(hostile.out / "warehouse.duckdb")]
    editions = [p for p in clean.iterdir() if p.is_dir() and p.name != "company"]
    assert len(editions) == 7
    compared = 0
    for edition in editions:
        for path in sorted(edition.rglob("*")):
            if path.is_file() and path.suffix != ".pdf":
                twin = dirty / path.relative_to(clean)
                assert content(twin, ids) == content(path, ids), path.relative_to(clean)
                compared += 1
    assert compared > 100


def build_id(warehouse: Path) -> str:
    with open_warehouse(warehouse, read_only=True) as con:
        return con.execute("select value from pipeline_state where key = 'build_id'"
                           ).fetchone()[0][:16]


def content(path: Path, build_ids: list[str]) -> bytes:
    data = path.read_bytes()
    for build in build_ids:
        data = data.replace(build.encode(), b"BUILD")
    return data


def test_each_manager_but_the_broken_one_gets_one_email_and_nobody_else_any(hostile):
    recipients = hostile.counts
    expected = {"guodong.lin@example.com", "jianhua.wang@example.com",
                "sarah.mitchell@example.com", "david.chen@example.com",
                "yang.liu@example.com", "grace.wang@example.com", "sales-ops@example.com"}
    assert set(recipients) == expected
    # sales ops: the company's reports, and the summary of what was left out
    assert recipients == {a: 1 for a in expected} | {"sales-ops@example.com": 2}
    for received in hostile.received:
        message = received.message
        assert "evil" not in str(message["To"]) and message["Bcc"] is None
    summary = next(r.message for r in hostile.received
                   if r.message.get_content_type() == "text/plain")
    assert "org.csv, line 5" in summary.get_content()


def test_a_managers_email_holds_their_team_and_nothing_else(hostile):
    con = hostile.con
    sellers = dict(con.execute("select distinct owner_id, owner_name from fct_deals "
                               "where owner_name is not null").fetchall())
    scopes = dict(con.execute("select scope_id, list(member_id) from int_report_scopes "
                              "group by 1").fetchall())
    emails = dict(con.execute("select email, user_id from dim_users "
                              "where email is not null").fetchall())
    checked = 0
    for received in hostile.received:
        scope = emails.get(received.recipients[0])
        if scope is None or scope not in scopes:
            continue
        texts = message_texts(received.message)
        members = set(scopes[scope])
        for owner, name in sellers.items():
            inside = [part for part, text in texts.items() if name in text]
            if owner in members:
                assert f"performance-{AS_OF.isoformat()}.pdf" in inside, (scope, name)
            else:
                assert not inside, (scope, name, inside)
        checked += 1
    assert checked == 6


def message_texts(message) -> dict[str, str]:
    """The text of every part a manager reads: the body and each attachment."""
    texts = {"body": message.get_body(("html",)).get_content()
             + message.get_body(("plain",)).get_content()}
    for part in message.iter_attachments():
        name, data = part.get_filename(), part.get_payload(decode=True)
        if name.endswith(".pdf"):
            texts[name] = "".join(page.extract_text() or ""
                                  for page in PdfReader(io.BytesIO(data)).pages)
        else:
            texts[name] = data.decode("utf-8-sig")
    return texts


def test_the_published_run_is_the_only_release_left(hostile):
    assert [p.name for p in (hostile.out / ".releases").iterdir()] == [
        (hostile.out / "current").resolve().name]
