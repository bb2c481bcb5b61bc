"""Who gets which edition, and who should but cannot: each address checked whole, each
refusal naming where the address came from, and nobody else affected."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from pipeline.delivery.recipients import (
    NO_ADDRESS,
    NOT_PLAIN,
    OUTSIDE_DOMAINS,
    RecipientRules,
    is_plain_address,
    resolve_recipients,
)

USERS = pd.DataFrame([
    # user_id, name, email, is_in_org, is_manager
    ("boss", "Boss", "boss@example.com", True, True),
    ("east", "East Lead", "east@example.com\n", True, True),
    ("west", "West Lead", "west@partner.org", True, True),
    ("north", "North Lead", None, True, True),
    ("rep", "A Rep", "rep@example.com", True, False),
], columns=["user_id", "name", "email", "is_in_org", "is_manager"])
LINES = {"boss": "org.csv, line 2", "east": "org.csv, line 3", "west": "org.csv, line 5",
         "north": "org.csv, line 6"}


@pytest.mark.parametrize("value, plain", [
    ("a@example.com", True),
    ("a.b+c@mail.example.co", True),
    ("a@example.com\n", False),
    ("a@example.com\r\nBcc: evil@example.com", False),
    (" a@example.com", False),
    ("Ann <a@example.com>", False),
    ("a@example.com, b@example.com", False),
    ("a@example", False),
    (None, False),
])
def test_an_address_is_plain_only_as_a_whole(value, plain):
    assert is_plain_address(value) is plain


def test_each_manager_who_cannot_be_served_is_refused_alone_naming_the_line(caplog):
    rules = RecipientRules(allowed_domains=("example.com",))
    with caplog.at_level(logging.WARNING):
        kept, refused = resolve_recipients(rules, USERS, "zh_CN", LINES)
    assert [(r.scope_id, r.address) for r in kept] == [("boss", "boss@example.com")]
    assert [(r.scope_id, r.source, r.reason) for r in refused] == [
        ("east", "org.csv, line 3", NOT_PLAIN),
        ("north", "org.csv, line 6", NO_ADDRESS),
        ("west", "org.csv, line 5", OUTSIDE_DOMAINS)]
    assert "org.csv, line 3: column 'email': value 'east@example.com\\n'" in caplog.text


def test_a_recipients_file_entry_is_named_by_its_number():
    rules = RecipientRules(managers=False, entries=(
        {"email": "ops@example.com", "scope": "company"},
        {"email": "ops@other.org", "scope": "company"}), allowed_domains=("example.com",))
    kept, refused = resolve_recipients(rules, USERS, "en", LINES)
    assert [r.address for r in kept] == ["ops@example.com"]
    assert [(r.source, r.reason) for r in refused] == [
        ("recipients file, recipient 2", OUTSIDE_DOMAINS)]
