"""The delivery log: out/delivery.sqlite, one row per message a date's run owes a recipient.

It lives beside the warehouse, not in it: the warehouse is rebuilt by every run, the log
must outlive them all. Every change is committed before the next network step, so a run
killed at any point leaves a log that says what may have reached the recipient.

status: pending (not sent yet), sent (the server accepted it), failed (refused, or given up
after retries; a rerun tries again), unknown (the connection dropped after the message
data began: it may have arrived, so it is never sent again without `make resend`).

A chat target's messages are rows too: recipient kind:name (wecom:east-team), report the
edition's folder, or folder#file for a file its robot posts after the summary.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import CHAT_KINDS

SCHEMA = """
create table if not exists deliveries (
    as_of_date text not null,
    recipient text not null,
    report text not null,
    scope_id text not null,
    language text not null,
    generation integer not null default 0,
    message_id text not null,
    status text not null check (status in ('pending', 'sent', 'failed', 'unknown')),
    attempts integer not null default 0,
    last_error text,
    run_id text,
    updated_at text not null,
    primary key (as_of_date, recipient, report)
);
create table if not exists delivery_events (
    as_of_date text not null,
    recipient text not null,
    report text not null,
    message_id text not null,
    status text not null,
    detail text,
    run_id text,
    at text not null
);
"""


@dataclass(frozen=True)
class Delivery:
    as_of_date: str
    recipient: str
    report: str
    scope_id: str
    language: str
    generation: int
    message_id: str
    status: str
    attempts: int
    last_error: str | None


class DeliveryLog:
    def __init__(self, path: Path, run_id: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.run_id = run_id
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("pragma journal_mode = wal")
        self.db.execute("pragma synchronous = full")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> DeliveryLog:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def owe(self, as_of: str, recipient: str, report: str, scope_id: str, language: str,
            message_id: str) -> None:
        """Records a message the date owes, unless the log already knows it."""
        self.db.execute(
            "insert into deliveries (as_of_date, recipient, report, scope_id, language, "
            "message_id, status, run_id, updated_at) values (?, ?, ?, ?, ?, ?, 'pending', ?, ?) "
            "on conflict do nothing",
            (as_of, recipient, report, scope_id, language, message_id, self.run_id, _now()))

    def due(self, as_of: str, recipient: str | None = None) -> list[Delivery]:
        sql = (f"select {_COLUMNS} from deliveries where as_of_date = ? "
               "and status in ('pending', 'failed')")
        params: list = [as_of]
        if recipient is not None:
            sql += " and lower(recipient) = lower(?)"
            params.append(recipient)
        return [Delivery(*row) for row in self.db.execute(
            sql + " order by report, recipient", params)]

    def all(self, as_of: str | None = None) -> list[Delivery]:
        sql = f"select {_COLUMNS} from deliveries"
        rows = (self.db.execute(sql + " where as_of_date = ? order by report, recipient",
                                (as_of,)) if as_of else
                self.db.execute(sql + " order by as_of_date, report, recipient"))
        return [Delivery(*row) for row in rows]

    def find(self, as_of: str, recipient: str, report: str) -> Delivery | None:
        found = self.db.execute(
            f"select {_COLUMNS} from deliveries where as_of_date = ? and recipient = ? "
            "and report = ?", (as_of, recipient, report)).fetchone()
        return Delivery(*found) if found else None

    def mark(self, delivery: Delivery, status: str, detail: str | None = None, *,
             attempted: bool = False) -> None:
        self.db.execute("begin immediate")
        try:
            self.db.execute(
                "update deliveries set status = ?, last_error = ?, run_id = ?, updated_at = ?, "
                "attempts = attempts + ? where as_of_date = ? and recipient = ? and report = ?",
                (status, detail if status != "sent" else None, self.run_id, _now(),
                 int(attempted), delivery.as_of_date, delivery.recipient, delivery.report))
            self.db.execute(
                "insert into delivery_events values (?, ?, ?, ?, ?, ?, ?, ?)",
                (delivery.as_of_date, delivery.recipient, delivery.report,
                 delivery.message_id, status, detail, self.run_id, _now()))
        except BaseException:
            self.db.execute("rollback")
            raise
        self.db.execute("commit")

    def renew(self, delivery: Delivery, message_id: str) -> None:
        """A resend: the next generation, a new Message-ID, pending again."""
        self.db.execute(
            "update deliveries set generation = generation + 1, message_id = ?, "
            "status = 'pending', attempts = 0, last_error = null, run_id = ?, updated_at = ? "
            "where as_of_date = ? and recipient = ? and report = ?",
            (message_id, self.run_id, _now(), delivery.as_of_date, delivery.recipient,
             delivery.report))


_COLUMNS = ("as_of_date, recipient, report, scope_id, language, generation, message_id, "
            "status, attempts, last_error")


def is_chat(recipient: str) -> bool:
    """Whether a row's recipient is a chat target (kind:name), not an email address."""
    kind, colon, _ = recipient.partition(":")
    return bool(colon) and kind in CHAT_KINDS


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
