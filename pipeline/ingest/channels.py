"""The channels file (config/channels.yaml) -> raw_config__channels, raw_config__channel_rules.

The file names the sales channels (直销, 代理商, 分销商, 电商 ...) with their labels, the rules
that give each deal its channel, in order (the first that matches wins), and the channel of
a deal no rule matches. It is checked here, so that a misspelt field or an unknown channel
stops the run with a message (exit 2) instead of putting every deal in the default channel.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import yaml

from pipeline import yamlfile
from pipeline.errors import ConfigError

# what a rule can look at: the deal's own channel column, the Account Type of its partner
# account, its Lead Source, its Type
FIELDS = ("channel", "partner_type", "lead_source", "deal_type")
CHANNEL_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
CHANNEL_COLUMNS = {"channel": "varchar", "channel_order": "integer", "label_en": "varchar",
                   "label_zh": "varchar", "is_default": "boolean"}
RULE_COLUMNS = {"rule_order": "integer", "match_field": "varchar", "match_value": "varchar",
                "channel": "varchar"}


def load_channels(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The channels and their rules into the raw_config__ tables; returns the rule count."""
    channels, rules = read_channels(path)
    for table, columns, rows in (("raw_config__channels", CHANNEL_COLUMNS, channels),
                                 ("raw_config__channel_rules", RULE_COLUMNS, rules)):
        con.execute(f"create or replace table {table} ("
                    + ", ".join(f"{name} {type_}" for name, type_ in columns.items()) + ")")
        if rows:
            con.executemany(f"insert into {table} values ({', '.join('?' for _ in columns)})",
                            [[row[name] for name in columns] for row in rows])
    return len({row["rule_order"] for row in rules})


def read_channels(path: Path) -> tuple[list[dict], list[dict]]:
    """(one row per channel, one row per rule and value), checked."""
    def fail(reason: str) -> ConfigError:
        return ConfigError(f"{path}: {reason}")

    if not path.exists():
        raise fail("the channels file does not exist")
    try:
        spec = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise fail(f"not valid YAML: {error}") from error
    if not isinstance(spec, dict):
        raise fail("expected a mapping with channels, default and rules")
    unknown = set(spec) - {"channels", "default", "rules"}
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}; the file has channels, default, rules")
    channels = _channels(spec.get("channels"), spec.get("default"), fail)
    known = [row["channel"] for row in channels]
    rules = []
    items = spec.get("rules") or []
    if not isinstance(items, list):
        raise fail("rules is a list, in order: the first rule that matches a deal wins")
    for number, item in enumerate(items, start=1):
        rules += _rule(number, item, known, fail)
    return channels, rules


def _channels(items, default, fail) -> list[dict]:
    if not isinstance(items, list) or not items:
        raise fail("channels lists at least one channel, each with an id and a label")
    rows, seen = [], set()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise fail(f"channel {number}: expected id and label, got {item!r}")
        channel = item.get("id")
        if not isinstance(channel, str) or not CHANNEL_ID.fullmatch(channel):
            raise fail(f"channel {number}: id must be lower case letters, digits and _, "
                       f"got {channel!r}")
        if channel in seen:
            raise fail(f"channel {channel} is listed twice")
        seen.add(channel)
        unknown = set(item) - {"id", "label"}
        if unknown:
            raise fail(f"channel {channel}: unknown keys {sorted(unknown)}; a channel has "
                       "id and label")
        label = item.get("label")
        if not isinstance(label, dict) or not {"en", "zh_CN"} <= label.keys() or set(
                label) - {"en", "zh_CN"} or not all(isinstance(v, str) and v.strip()
                                                    for v in label.values()):
            raise fail(f"channel {channel}: label needs en and zh_CN text")
        rows.append({"channel": channel, "channel_order": number, "label_en": label["en"],
                     "label_zh": label["zh_CN"], "is_default": channel == default})
    if default not in seen:
        raise fail(f"default must name one of the channels {sorted(seen)}, got {default!r}")
    return rows


def _rule(number: int, item, known: list[str], fail) -> list[dict]:
    if not isinstance(item, dict):
        raise fail(f"rule {number}: expected field, values and channel, got {item!r}")
    unknown = set(item) - {"field", "values", "channel"}
    if unknown:
        raise fail(f"rule {number}: unknown keys {sorted(unknown)}; a rule has field, values "
                   "and channel")
    field = item.get("field")
    if field not in FIELDS:
        raise fail(f"rule {number}: field must be one of {list(FIELDS)}, got {field!r}")
    values = item.get("values")
    if not isinstance(values, list) or not values or not all(
            isinstance(v, str | int) and str(v).strip() for v in values):
        raise fail(f"rule {number}: values is a list of the {field} values it matches")
    channel = item.get("channel")
    if channel not in known:
        raise fail(f"rule {number}: channel must be one of {known}, got {channel!r}")
    return [{"rule_order": number, "match_field": field, "match_value": str(value).strip(),
             "channel": channel} for value in dict.fromkeys(values)]
