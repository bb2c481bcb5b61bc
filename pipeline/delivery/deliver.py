"""Deliver: the published run's email to each of its recipients, and its morning summary to
each chat target's group robot (pipeline/delivery/chat.py), exactly once.

Who gets what is the run folder's recipients.json (from config and org.csv, never from CRM
data). Each message is recorded in the delivery log before it is sent, so a rerun sends only
what the log does not know as sent or possibly delivered; `resend` is the only way to send
a message again, with a new Message-ID. With --dry-run the messages are written to
out/outbox/<as-of>/ as .eml files (and each robot's request as JSON) and the log is not
touched. Email and chat fail apart: a refused robot stops no email, a mail server that is
down stops no robot; either's failure ends the delivery with DeliveryFailed (exit 5).
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import Config, smtp_settings
from pipeline.delivery.chat import deliver_chat, resend_chat, write_chat_outbox
from pipeline.delivery.delivery_log import Delivery, DeliveryLog, is_chat
from pipeline.delivery.messages import (
    message_id,
    report_message,
    sender_domain,
    text_message,
)
from pipeline.delivery.recipients import RECIPIENTS_FILE, load_recipient_rules, read_recipients
from pipeline.delivery.smtp import AuthFailed, Mailer, Permanent, Temporary, Unknown
from pipeline.delivery.webhook import Clock
from pipeline.errors import ConfigError, DeliveryFailed, PublishedWithProblems
from pipeline.report.i18n import Locale

log = logging.getLogger(__name__)

RUN_FAILURE = "run-failure"
RUN_PROBLEMS = "run-problems"
DRY_RUN_SENDER = "reports@localhost"


@dataclass(frozen=True)
class Outgoing:
    """A message the log owes: its row, and how to build it."""

    delivery: Delivery
    name: str


def deliver_reports(config: Config, run_id: str, *, dry_run: bool,
                    clock: Clock | None = None) -> list[Delivery]:
    """Sends (or writes) every message of the published run that is not yet sent, email and
    chat; returns the log's rows for the date. Raises DeliveryFailed if any message of this
    run failed, after every other was sent. `clock` paces and backs off the robots."""
    run_folder = _run_folder(config)
    recipients = read_recipients(run_folder)
    if dry_run:
        _write_outbox(config, run_folder, recipients)
        return []
    failed = []
    try:
        _deliver_email(config, run_id, run_folder, recipients)
    except DeliveryFailed as error:
        failed.append(str(error))
    try:
        deliver_chat(config, run_id, run_folder, clock)
    except DeliveryFailed as error:
        failed.append(str(error))
    if failed:
        raise DeliveryFailed("; ".join(failed))
    with DeliveryLog(config.delivery_log, run_id) as book:
        return book.all(config.as_of.isoformat())


def _deliver_email(config: Config, run_id: str, run_folder: Path,
                   recipients: list[dict]) -> list[Delivery]:
    as_of = config.as_of.isoformat()
    settings = smtp_settings()
    domain = sender_domain(settings.sender)
    with DeliveryLog(config.delivery_log, run_id) as book:
        for r in recipients:
            book.owe(as_of, r["address"], r["folder"], r["scope_id"], r["language"],
                     message_id(as_of, r["folder"], r["address"], 0, domain))
        names = _names(recipients)
        due = [Outgoing(d, names.get((d.recipient, d.report), "")) for d in book.due(as_of)
               if not is_chat(d.recipient)]
        _send(book, due, config, run_folder, settings)
        return _finish([r for r in book.all(as_of) if not is_chat(r.recipient)], due)


def resend(config: Config, run_id: str, recipient: str, report: str | None = None,
           clock: Clock | None = None) -> None:
    """Sends a date's messages to one recipient (an address, or a chat target as kind:name)
    again, each with a new Message-ID."""
    run_folder = _run_folder(config)
    if is_chat(recipient):
        resend_chat(config, run_id, run_folder, recipient, report, clock)
        return
    as_of = config.as_of.isoformat()
    settings = smtp_settings()
    with DeliveryLog(config.delivery_log, run_id) as book:
        chosen = [d for d in book.all(as_of) if d.recipient.lower() == recipient.lower()
                  and (report is None or d.report == report)
                  and d.report not in (RUN_FAILURE, RUN_PROBLEMS)]
        if not chosen:
            raise ConfigError(f"the delivery log has no report for {recipient} as of {as_of}"
                              + (f" in {report}" if report else ""))
        for d in chosen:
            book.renew(d, message_id(as_of, d.report, d.recipient, d.generation + 1,
                                     sender_domain(settings.sender)))
        names = _names(read_recipients(run_folder))
        renewed = [Outgoing(book.find(as_of, d.recipient, d.report),
                            names.get((d.recipient, d.report), "")) for d in chosen]
        _send(book, renewed, config, run_folder, settings)
        _finish(book.all(as_of), renewed)


def notify_ops(config: Config, run_id: str, exit_code: int, error: str, *,
               dry_run: bool) -> None:
    """One summary of a failed run to the ops addresses, at most once per as-of date.
    Never raises: the run has already failed, and says why in its own log."""
    locale = Locale(config.language, config.currency)
    date = locale.date(config.as_of)
    _tell_ops(config, run_id, RUN_FAILURE, (
        locale.text("failure_subject", date=date, code=exit_code),
        locale.text("failure_body_delivery" if exit_code == DeliveryFailed.exit_code
                    else "failure_body", date=date, code=exit_code, run_id=run_id,
                    error=error)), dry_run=dry_run)


def notify_problems(config: Config, run_id: str, problems: list[str], *,
                    dry_run: bool) -> None:
    """One summary of what a published run had to leave out (refused files, recipients it
    could not serve) to the ops addresses, at most once per as-of date. Never raises."""
    locale = Locale(config.language, config.currency)
    date, code = locale.date(config.as_of), PublishedWithProblems.exit_code
    _tell_ops(config, run_id, RUN_PROBLEMS, (
        locale.text("problems_subject", date=date, count=len(problems), code=code),
        locale.text("problems_body", date=date, code=code, run_id=run_id,
                    problems="\n".join(f"- {p}" for p in problems))), dry_run=dry_run)


def _tell_ops(config: Config, run_id: str, key: str, text: tuple[str, str], *,
              dry_run: bool) -> None:
    try:
        ops = load_recipient_rules(config.recipients_file).ops
        if not ops:
            return
        as_of = config.as_of.isoformat()
        if dry_run:
            folder = config.outbox_dir / as_of
            folder.mkdir(parents=True, exist_ok=True)
            for address in ops:
                message = text_message(sender=DRY_RUN_SENDER, recipient=address,
                                       subject=text[0], body=text[1], sent_at=_now(),
                                       msgid=message_id(as_of, key, address, 0, "localhost"))
                (folder / f"{key}--{address}.eml").write_bytes(message.as_bytes())
            return
        settings = smtp_settings()
        with DeliveryLog(config.delivery_log, run_id) as book:
            due = []
            for address in ops:
                book.owe(as_of, address, key, "ops", config.language,
                         message_id(as_of, key, address, 0, sender_domain(settings.sender)))
                found = book.find(as_of, address, key)
                if found.status in ("pending", "failed"):
                    due.append(Outgoing(found, ""))
            _send(book, due, config, None, settings, text=text)
    except Exception as problem:  # noqa: BLE001 - reported, never raised: see docstrings
        log.error("could not send the %s summary to ops: %s", key, problem)


def _send(book: DeliveryLog, due: list[Outgoing], config: Config, run_folder: Path | None,
          settings, text: tuple[str, str] | None = None) -> None:
    with Mailer(settings) as mailer:
        for position, outgoing in enumerate(due):
            d = outgoing.delivery
            try:
                if text is None:
                    message = report_message(run_folder / d.report, sender=settings.sender,
                                             recipient=d.recipient, name=outgoing.name,
                                             as_of=d.as_of_date, msgid=d.message_id,
                                             sent_at=_now())
                else:
                    message = text_message(sender=settings.sender, recipient=d.recipient,
                                           subject=text[0], body=text[1], msgid=d.message_id,
                                           sent_at=_now())
            except ConfigError as error:  # this recipient's message only
                book.mark(d, "failed", str(error))
                log.error("%s to %r not sent: %s", d.report, d.recipient, error)
                continue
            try:
                _send_one(book, mailer, d, message, config)
            except AuthFailed as error:
                for left in due[position:]:
                    book.mark(left.delivery, left.delivery.status,
                              f"not sent: the server refused the login ({error})")
                log.error("the SMTP server refused the login (%s): nothing more is sent; "
                          "%d messages wait for the next run", error, len(due) - position)
                return


def _send_one(book: DeliveryLog, mailer: Mailer, d: Delivery, message, config: Config) -> None:
    error: Exception | None = None
    for attempt in range(1, config.mail_attempts + 1):
        if attempt > 1:
            time.sleep(config.mail_backoff_seconds * 2 ** (attempt - 2))
        began = False

        def data_begins() -> None:
            nonlocal began
            began = True
            book.mark(d, "unknown", "message data sent, no reply yet", attempted=True)

        try:
            reply = mailer.send(message, d.recipient, data_begins)
        except Temporary as problem:
            error = problem
            book.mark(d, "pending", f"attempt {attempt}: {problem}", attempted=not began)
            log.warning("%s to %s: %s; trying again", d.report, d.recipient, problem)
            continue
        except Permanent as problem:
            book.mark(d, "failed", str(problem), attempted=not began)
            log.error("%s to %s refused: %s", d.report, d.recipient, problem)
            return
        except Unknown as problem:
            book.mark(d, "unknown", str(problem))
            log.error("%s to %s may or may not have arrived: %s; not sent again "
                      "(`make resend` sends it again)", d.report, d.recipient, problem)
            return
        book.mark(d, "sent", reply)
        log.info("sent %s to %s as %s", d.report, d.recipient, d.message_id)
        return
    book.mark(d, "failed", f"gave up after {config.mail_attempts} attempts: {error}")
    log.error("%s to %s: gave up after %d attempts: %s", d.report, d.recipient,
              config.mail_attempts, error)


def _finish(rows: list[Delivery], attempted: list[Outgoing]) -> list[Delivery]:
    tried = {(o.delivery.recipient, o.delivery.report) for o in attempted}
    bad = [r for r in rows if (r.recipient, r.report) in tried and r.status != "sent"]
    sent = sum(1 for r in rows if (r.recipient, r.report) in tried and r.status == "sent")
    log.info("delivery: %d sent now, %d sent before, %d not delivered", sent,
             sum(1 for r in rows if r.status == "sent") - sent, len(bad))
    if bad:
        raise DeliveryFailed(f"{len(bad)} of {len(tried)} messages not delivered: " + "; ".join(
            f"{r.recipient} ({r.report}): {r.status}, {r.last_error}" for r in bad[:5]))
    return rows


def _write_outbox(config: Config, run_folder: Path, recipients: list[dict]) -> None:
    as_of = config.as_of.isoformat()
    folder = config.outbox_dir / as_of
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for r in recipients:
        message = report_message(
            run_folder / r["folder"], sender=DRY_RUN_SENDER, recipient=r["address"],
            name=r["name"], as_of=as_of, sent_at=_now(),
            msgid=message_id(as_of, r["folder"], r["address"], 0, "localhost"))
        name = f"{r['folder'].replace('/', '-')}--{r['address']}.eml"
        (folder / name).write_bytes(message.as_bytes())
    posts = write_chat_outbox(config, run_folder, folder)
    log.info("dry run: wrote %d messages and %d chat requests to %s (nothing sent)",
             len(recipients), posts, folder)


def _names(recipients: list[dict]) -> dict[tuple[str, str], str]:
    return {(r["address"], r["folder"]): r["name"] for r in recipients}


def _run_folder(config: Config) -> Path:
    folder = config.reports_dir / config.as_of.isoformat()
    if not (folder / RECIPIENTS_FILE).is_file():
        raise ConfigError(f"no published reports in {folder}; run the pipeline for "
                          f"{config.as_of.isoformat()} first")
    return folder


def _now() -> datetime:
    return datetime.now(UTC)
