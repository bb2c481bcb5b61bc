"""Who gets which reports, in which language: config/recipients.yaml and org.csv.

Addresses come from this file and from org.csv only, never from CRM data. Every manager in
org.csv with an email gets their own team's reports (unless `managers: false`); the file adds
people (the company report for sales ops), sets a manager's language, and can restrict the
addresses mail may go to by domain.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from pipeline import yamlfile
from pipeline.config import LANGUAGES
from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

COMPANY = "company"
# in each published run folder: who gets which edition, and who should have but cannot
RECIPIENTS_FILE = "recipients.json"
REFUSED_FILE = "refused_recipients.json"
# in each edition's folder: the morning summary its chat targets' robots post
CHAT_FILE = "chat.json"
# a plain address: no display name, no comments, nothing a header could be tricked with
ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


NOT_PLAIN = "not a plain email address"
OUTSIDE_DOMAINS = "its domain is not in allowed_domains"
NO_ADDRESS = "no email address in the org file"


def is_plain_address(value) -> bool:
    """The whole value is one plain address: no line break, space or display name around it."""
    return isinstance(value, str) and ADDRESS.fullmatch(value) is not None


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    scope_id: str
    language: str


@dataclass(frozen=True)
class Refusal:
    """Someone who should get a scope's reports but cannot: the address, where it came from
    (org.csv and its line, or the recipients file), and why."""

    address: str
    name: str
    scope_id: str
    source: str
    reason: str


@dataclass(frozen=True)
class RecipientRules:
    managers: bool = True
    allowed_domains: tuple[str, ...] = ()
    ops: tuple[str, ...] = ()
    entries: tuple[dict, ...] = ()

    def allows(self, address: str) -> bool:
        domain = address.rsplit("@", 1)[-1].lower()
        return not self.allowed_domains or domain in self.allowed_domains


def load_recipient_rules(path: Path | None) -> RecipientRules:
    """The recipients file, checked; no file means every manager, nobody else."""
    if path is None:
        return RecipientRules()
    if not path.exists():
        raise ConfigError(f"{path}: the recipients file does not exist")

    def fail(reason: str) -> ConfigError:
        return ConfigError(f"{path}: {reason}")

    try:
        spec = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise fail(f"not valid YAML: {error}") from error
    unknown = set(spec) - {"managers", "allowed_domains", "ops", "recipients"}
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}")
    ops = tuple(str(a) for a in spec.get("ops") or ())
    for address in ops:
        if not is_plain_address(address):
            raise fail(f"ops: {address!r} is not a plain email address")
    entries = []
    for number, entry in enumerate(spec.get("recipients") or (), start=1):
        entries.append(_entry(entry, number, fail))
    return RecipientRules(
        managers=bool(spec.get("managers", True)),
        allowed_domains=tuple(str(d).lower().lstrip("@") for d in spec.get("allowed_domains")
                              or ()),
        ops=ops, entries=tuple(entries))


def _entry(entry: dict, number: int, fail) -> dict:
    if not isinstance(entry, dict):
        raise fail(f"recipient {number}: expected a mapping")
    unknown = set(entry) - {"email", "user_id", "name", "scope", "language"}
    if unknown:
        raise fail(f"recipient {number}: unknown keys {sorted(unknown)}")
    if ("email" in entry) == ("user_id" in entry):
        raise fail(f"recipient {number}: give either email or user_id")
    if "email" in entry and not is_plain_address(str(entry["email"])):
        raise fail(f"recipient {number}: {entry['email']!r} is not a plain email address")
    if "email" in entry and "scope" not in entry:
        raise fail(f"recipient {number}: an address needs a scope (company or a manager's "
                   "user_id)")
    if entry.get("language", LANGUAGES[0]) not in LANGUAGES:
        raise fail(f"recipient {number}: language must be one of {LANGUAGES}")
    return {key: str(value) for key, value in entry.items()}


def resolve_recipients(rules: RecipientRules, users: pd.DataFrame, default_language: str,
                       org_lines: dict[str, str] | None = None,
                       ) -> tuple[list[Recipient], list[Refusal]]:
    """Everyone who gets a report (one entry per address and scope), and everyone who should
    but cannot: a manager without an address, an address that is not a plain one, or one
    outside allowed_domains.

    `users` is dim_users; `org_lines` says where each user's row is ("org.csv, line 5"). An
    entry that names a user or scope the org chart no longer has is skipped with a warning:
    one person leaving must not stop everyone's reports.
    """
    org_lines = org_lines or {}
    people = {row.user_id: row for row in users.itertuples() if row.is_in_org}
    managers = {row.user_id for row in users.itertuples() if row.is_manager}
    chosen: dict[tuple[str, str], tuple[Recipient, str]] = {}
    kept, refused = [], []
    if rules.managers:
        for user_id in sorted(managers):
            person = people.get(user_id)
            if person is None:
                continue
            source = org_lines.get(user_id, "org.csv")
            if isinstance(person.email, str) and person.email:
                chosen[(person.email.lower(), user_id)] = (Recipient(
                    person.email, person.name, user_id, default_language), source)
            else:
                refused.append(Refusal("", person.name, user_id, source, NO_ADDRESS))
    for number, entry in enumerate(rules.entries, start=1):
        found = _from_entry(entry, people, managers, default_language)
        if found is not None:
            source = org_lines.get(entry["user_id"], "org.csv") if "user_id" in entry \
                else f"recipients file, recipient {number}"
            chosen[(found.address.lower(), found.scope_id)] = (found, source)
    for recipient, source in chosen.values():
        reason = (NOT_PLAIN if not is_plain_address(recipient.address)
                  else None if rules.allows(recipient.address) else OUTSIDE_DOMAINS)
        if reason is None:
            kept.append(recipient)
            continue
        refused.append(Refusal(recipient.address, recipient.name, recipient.scope_id, source,
                               reason))
        log.warning("%s: column 'email': value %r: not sending the reports of %s to it: %s",
                    source, recipient.address, recipient.scope_id, reason)
    order = lambda r: (r.scope_id != COMPANY, r.scope_id, r.address.lower())  # noqa: E731
    return sorted(kept, key=order), sorted(refused, key=order)


def _from_entry(entry: dict, people: dict, managers: set[str],
                default_language: str) -> Recipient | None:
    scope = entry.get("scope", entry.get("user_id"))
    if scope != COMPANY and scope not in managers:
        log.warning("recipients: skipping %s: scope %r is neither 'company' nor a manager in "
                    "org.csv", entry.get("email", entry.get("user_id")), scope)
        return None
    if "email" in entry:
        return Recipient(entry["email"], entry.get("name", entry["email"]), scope,
                         entry.get("language", default_language))
    person = people.get(entry["user_id"])
    if person is None or not (isinstance(person.email, str) and person.email):
        log.warning("recipients: skipping user_id %r: not in org.csv, or no email there",
                    entry["user_id"])
        return None
    return Recipient(person.email, entry.get("name", person.name), scope,
                     entry.get("language", default_language))


def org_lines(con) -> dict[str, str]:
    """Where each person's row of the org file is, for a message: "org.csv, line 5" (the
    line ingest measured where it warned about the row, else the record's number + 1)."""
    rows = con.execute(
        "select org.user_id, files.file_name, coalesce(min(warned.line), "
        "org.record_number + 1) from raw_ops__org as org "
        "inner join raw_files as files on files.file_id = org.file_id "
        "left join raw_warnings as warned on warned.file_id = org.file_id "
        "and warned.record_number = org.record_number "
        "group by org.user_id, files.file_name, org.record_number").fetchall()
    return {user_id: f"{name}, line {line}" if line is not None else name
            for user_id, name, line in rows}


def read_recipients(run_folder: Path) -> list[dict]:
    path = run_folder / RECIPIENTS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def read_refused(run_folder: Path) -> list[dict]:
    path = run_folder / REFUSED_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
