"""The channels file (config/channels.yaml): checked strictly, a bad one stops the run."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from pipeline.errors import ConfigError
from pipeline.ingest.channels import read_channels
from pipeline.paths import DEFAULT_CHANNELS

GOOD = """
channels:
  - {id: direct, label: {en: Direct sales, zh_CN: 直销}}
  - {id: agent, label: {en: Agents, zh_CN: 代理商}}
default: direct
rules:
  - {field: partner_type, values: [Reseller, Partner], channel: agent}
"""


def test_the_shipped_file_is_valid():
    channels, rules = read_channels(DEFAULT_CHANNELS)
    assert [c["channel"] for c in channels] == ["direct", "agent", "distributor", "ecommerce"]
    assert [c["channel"] for c in channels if c["is_default"]] == ["direct"]
    assert {r["match_field"] for r in rules} == {"channel", "partner_type", "lead_source"}


def test_a_rule_becomes_one_row_per_value(tmp_path):
    path = tmp_path / "channels.yaml"
    path.write_text(GOOD, encoding="utf-8")
    _, rules = read_channels(path)
    assert rules == [
        {"rule_order": 1, "match_field": "partner_type", "match_value": "Reseller",
         "channel": "agent"},
        {"rule_order": 1, "match_field": "partner_type", "match_value": "Partner",
         "channel": "agent"}]


@pytest.mark.parametrize("old, new, message", [
    ("default: direct", "default: retail", "default must name one of the channels"),
    ("field: partner_type", "field: account_type", "rule 1: field must be one of"),
    ("channel: agent}", "channel: agents}", "rule 1: channel must be one of"),
    ("values: [Reseller, Partner]", "values: Reseller", "rule 1: values is a list"),
    ("{id: agent,", "{id: Agent,", "channel 2: id must be lower case"),
    ("{id: agent,", "{id: direct,", "channel direct is listed twice"),
    ("zh_CN: 代理商}", "zh: 代理商}", "channel agent: label needs en and zh_CN"),
    ("rules:", "rule:", "unknown keys ['rule']"),
    ("channel: agent}", "channel: agent, when: always}", "rule 1: unknown keys ['when']"),
], ids=["unknown default", "unknown field", "unknown channel", "values not a list",
        "id not lower case", "id twice", "label without zh_CN", "misspelt key",
        "unknown rule key"])
def test_a_bad_channels_file_names_the_problem(tmp_path, old, new, message):
    path = tmp_path / "channels.yaml"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        read_channels(path)
    assert str(path) in str(raised.value)


def test_a_missing_channels_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="the channels file does not exist"):
        read_channels(tmp_path / "nowhere.yaml")


def test_a_bad_channels_file_stops_the_run_with_exit_2_before_reading_the_inbox(tmp_path):
    (tmp_path / "channels.yaml").write_text(GOOD.replace("channel: agent}",
                                                         "channel: agents}"),
                                            encoding="utf-8")
    config = tmp_path / "settings.yaml"
    config.write_text("channels_file: channels.yaml\n", encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--no-mail", "--config", str(config),
         "--inbox", str(inbox), "--out", str(tmp_path / "out"), "--as-of", "2026-11-20"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert f"{tmp_path / 'channels.yaml'}: rule 1: channel must be one of " \
           "['direct', 'agent'], got 'agents'" in result.stderr
    assert not (tmp_path / "out" / "warehouse.duckdb").exists()
