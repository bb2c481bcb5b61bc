"""Who gets which reports, in which language: config/recipients.yaml and org.csv.

Addresses come from this file and from org.csv only, never from CRM data. Every manager in
org.csv with an email gets their own team's reports (unless `managers: false`); the file adds
people (the company report for sales ops), sets a manager's language, and can restrict the
addresses mail may go to by domain.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from pipeline.config import LANGUAGES
from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

COMPANY = "company"
# in each published run folder: who gets which edition
RECIPIENTS_FILE = "recipients.json"
# a plain address: no display name, no comments, nothing a header could be tricked with
ADDRESS = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    scope_id: str
    language: str


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
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise fail(f"not valid YAML: {error}") from error
    unknown = set(spec) - {"managers", "allowed_domains", "ops", "recipients"}
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}")
    ops = tuple(str(a) for a in spec.get("ops") or ())
    for address in ops:
        if not ADDRESS.match(address):
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
    if "email" in entry and not ADDRESS.match(str(entry["email"])):
        raise fail(f"recipient {number}: {entry['email']!r} is not a plain email address")
    if "email" in entry and "scope" not in entry:
        raise fail(f"recipient {number}: an address needs a scope (company or a manager's "
                   "user_id)")
    if entry.get("language", LANGUAGES[0]) not in LANGUAGES:
        raise fail(f"recipient {number}: language must be one of {LANGUAGES}")
    return {key: str(value) for key, value in entry.items()}


def resolve_recipients(rules: RecipientRules, users: pd.DataFrame,
                       default_language: str) -> list[Recipient]:
    """Everyone who gets a report, one entry per address and scope.

    `users` is dim_users. An entry that names a user or scope the org chart no longer has
    is skipped with a warning: one person leaving must not stop everyone's reports.
    """
    people = {row.user_id: row for row in users.itertuples() if row.is_in_org}
    managers = {row.user_id for row in users.itertuples() if row.is_manager}
    chosen: dict[tuple[str, str], Recipient] = {}
    if rules.managers:
        for user_id in sorted(managers):
            person = people.get(user_id)
            if person is not None and isinstance(person.email, str) and person.email:
                chosen[(person.email.lower(), user_id)] = Recipient(
                    person.email, person.name, user_id, default_language)
    for entry in rules.entries:
        found = _from_entry(entry, people, managers, default_language)
        if found is not None:
            chosen[(found.address.lower(), found.scope_id)] = found
    kept = []
    for recipient in chosen.values():
        if not ADDRESS.match(recipient.address):
            log.warning("not sending to %r: not a plain email address", recipient.address)
        elif not rules.allows(recipient.address):
            log.warning("not sending to %s: its domain is not in allowed_domains",
                        recipient.address)
        else:
            kept.append(recipient)
    return sorted(kept, key=lambda r: (r.scope_id != COMPANY, r.scope_id, r.address.lower()))


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
