"""Delivery against a real SMTP server on loopback: STARTTLS with a test certificate, login,
and the faults a real server gives (421, 451, 550, 535, a dropped connection)."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace

import pytest

from pipeline.delivery.deliver import deliver_reports, notify_ops, resend
from pipeline.delivery.delivery_log import DeliveryLog
from pipeline.delivery.messages import clean_header
from pipeline.errors import DeliveryFailed
from tests import mailserver


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server, controller = mailserver.start(tmp_path_factory.mktemp("smtp"))
    yield server
    controller.stop()


@pytest.fixture
def published(sample_run, tmp_path, server, monkeypatch):
    """A copy of the sample's published run, its own delivery log, and SMTP settings."""
    as_of = sample_run.as_of.isoformat()
    out = tmp_path / "out"
    shutil.copytree(sample_run.reports_dir / as_of, out / "reports" / as_of)
    server.reset()
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    return replace(sample_run, out=out, mail_backoff_seconds=0.01, mail_attempts=3)


def recipients(config) -> list[dict]:
    folder = config.reports_dir / config.as_of.isoformat()
    return json.loads((folder / "recipients.json").read_text(encoding="utf-8"))


def log_rows(config) -> dict[str, tuple]:
    with DeliveryLog(config.delivery_log, "test") as book:
        return {d.recipient: (d.report, d.status, d.attempts, d.message_id)
                for d in book.all(config.as_of.isoformat())}


def test_each_recipient_gets_one_message_with_its_reports_and_a_rerun_sends_nothing(
        published, server):
    people = recipients(published)
    deliver_reports(published, "run-1", dry_run=False)
    assert sorted(r.recipients[0] for r in server.received) == sorted(
        p["address"] for p in people)
    assert all(len(r.recipients) == 1 for r in server.received)
    rows = log_rows(published)
    assert {status for _, status, _, _ in rows.values()} == {"sent"}

    english = next(p for p in people if p["language"] == "en")
    message = server.to(english["address"])[0].message
    assert message["Message-ID"] == rows[english["address"]][3]
    assert message["To"].addresses[0].addr_spec == english["address"]
    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(("html",))
    assert message.get_body(("plain",)).get_content().strip()
    cids = set(re.findall(r'src="cid:([^"]+)"', body.get_content()))
    inline = {part["Content-ID"].strip("<>") for part in message.walk()
              if part.get_content_type() == "image/png"}
    assert cids and cids == inline
    attached = sorted(part.get_filename() for part in message.iter_attachments())
    assert attached == ["discipline-2026-11-20.pdf", "discipline_violations-2026-11-20.csv",
                        "funnel_loss-2026-11-20.pdf", "performance-2026-11-20.pdf"]
    assert all(name.isascii() for name in attached)
    assert message["Subject"] == "Sarah Mitchell's team · sales reports · November 20, 2026"

    deliver_reports(published, "run-2", dry_run=False)
    assert len(server.received) == len(people)
    assert log_rows(published) == rows


def test_temporary_faults_are_retried_and_a_refused_recipient_blocks_nobody(
        published, server):
    people = [p["address"] for p in recipients(published)]
    busy, dropped, refused, closing = people[0], people[1], people[2], people[3]
    server.fail("RCPT", "451 4.3.0 Mailbox busy, try later", address=busy)
    server.fail("RCPT", "disconnect", address=dropped)
    server.fail("RCPT", "550 5.1.1 No such user", address=refused)
    server.fail("DATA", "421 4.3.2 Service shutting down", address=closing)
    with pytest.raises(DeliveryFailed, match=f"{refused}.*failed, 550 5.1.1 No such user"):
        deliver_reports(published, "run-1", dry_run=False)
    rows = log_rows(published)
    assert rows[refused][1:3] == ("failed", 1)
    for address in (busy, dropped, closing):
        assert rows[address][1:3] == ("sent", 2)
    assert {a for a, row in rows.items() if row[1] == "sent"} == set(people) - {refused}
    assert not server.to(refused)
    assert all(len(server.to(a)) == 1 for a in set(people) - {refused})

    # the next run tries the failed one again, and only that one
    deliver_reports(published, "run-2", dry_run=False)
    assert len(server.to(refused)) == 1
    assert len(server.received) == len(people)


def test_retries_give_up_after_the_configured_attempts(published, server):
    server.fail("MAIL", "451 4.7.1 Greylisted", times=3)
    with pytest.raises(DeliveryFailed, match="gave up after 3 attempts: 451 4.7.1 Greylisted"):
        deliver_reports(published, "run-1", dry_run=False)
    rows = log_rows(published)
    failed = [a for a, row in rows.items() if row[1:3] == ("failed", 3)]
    assert len(failed) == 1
    assert not server.to(failed[0])
    assert len(server.received) == len(rows) - 1


def test_a_refused_login_stops_all_sending_and_the_next_run_sends_everything(
        published, server, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "wrong")
    with pytest.raises(DeliveryFailed):
        deliver_reports(published, "run-1", dry_run=False)
    assert server.received == []
    rows = log_rows(published)
    assert {status for _, status, _, _ in rows.values()} == {"pending"}
    monkeypatch.setenv("SMTP_PASSWORD", mailserver.PASSWORD)
    deliver_reports(published, "run-2", dry_run=False)
    assert len(server.received) == len(rows)


def test_a_server_we_cannot_verify_gets_nothing(published, server, monkeypatch):
    monkeypatch.delenv("SMTP_CA_FILE")
    with pytest.raises(DeliveryFailed, match="CERTIFICATE_VERIFY_FAILED"):
        deliver_reports(published, "run-1", dry_run=False)
    assert server.received == []


def test_a_drop_after_the_data_is_unknown_never_resent_but_resend_sends_it_anew(
        published, server):
    person = recipients(published)[0]
    address = person["address"]
    server.fail("DATA", "disconnect", address=address)
    with pytest.raises(DeliveryFailed, match="unknown"):
        deliver_reports(published, "run-1", dry_run=False)
    report, status, attempts, first_id = log_rows(published)[address]
    assert (status, attempts) == ("unknown", 1)

    deliver_reports(published, "run-2", dry_run=False)
    assert log_rows(published)[address][1] == "unknown"
    assert not server.to(address)

    resend(published, "run-3", address.upper())
    _, status, attempts, new_id = log_rows(published)[address]
    assert (status, attempts) == ("sent", 1)
    assert new_id != first_id
    assert [r.message["Message-ID"] for r in server.to(address)] == [new_id]
    assert server.to(address)[0].message["To"].addresses[0].display_name == person["name"]


def test_a_header_built_from_data_cannot_add_a_recipient(published, server):
    folder = published.reports_dir / published.as_of.isoformat()
    people = recipients(published)
    target = people[0]
    spec_path = folder / target["folder"] / "email.json"
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    spec["subject"] = "X\r\nBcc: evil@example.com"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    for person in people:
        person["name"] = "Boss\r\nBcc: evil@example.com =?utf-8?q?Cc=3A_evil=40example.com?="
    (folder / "recipients.json").write_text(json.dumps(people), encoding="utf-8")

    deliver_reports(published, "run-1", dry_run=False)
    assert all(r.recipients == [r.message["To"].addresses[0].addr_spec]
               for r in server.received)
    assert not any("evil" in rcpt for r in server.received for rcpt in r.recipients)
    message = server.to(target["address"])[0].message
    assert message["Bcc"] is None and message["Cc"] is None
    assert message["Subject"] == "X Bcc: evil@example.com"
    assert "evil@example.com" not in {a.addr_spec for a in message["To"].addresses}


@pytest.mark.parametrize(("value", "clean"), [
    ("Team\r\nBcc: x@example.com", "Team Bcc: x@example.com"),
    ("a\x00b\x85c\u2028d", "a b c d"),
    ("=?utf-8?b?QmNjOiB4?=", "= ?utf-8?b?QmNjOiB4?="),
    ("华东一组 · 销售报表", "华东一组 · 销售报表"),
])
def test_clean_header(value, clean):
    assert clean_header(value) == clean


def test_dry_run_writes_each_message_to_the_outbox_and_sends_nothing(published, server):
    deliver_reports(published, "run-1", dry_run=True)
    files = sorted((published.outbox_dir / published.as_of.isoformat()).glob("*.eml"))
    assert len(files) == len(recipients(published))
    assert server.received == []
    assert not published.delivery_log.exists()


def test_ops_get_one_summary_per_date_that_says_what_failed(published, server):
    notify_ops(published, "run-1", 5, "a@example.com (company): failed, 550", dry_run=False)
    notify_ops(published, "run-2", 5, "a@example.com (company): failed, 550", dry_run=False)
    assert server.counts() == {"sales-ops@example.com": 1}
    body = server.received[0].message.get_content()
    assert "已发布报表" in body and "a@example.com (company): failed, 550" in body
    assert "run-1" in body
