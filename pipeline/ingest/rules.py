"""The discipline rules file (config/discipline.yaml) -> raw_config__rules.

The file is checked here, so that a mistyped kind or threshold stops the run with a message
(exit 2) instead of silently checking nothing. The SQL of each kind reads its thresholds
from the table: they are data, never part of the SQL text.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

from pipeline import yamlfile
from pipeline.errors import ConfigError

SEVERITIES = ("info", "warning", "critical")
# kind -> what its records are, and the thresholds it takes (name -> type)
KINDS = {
    "stale_deal": ("deal", {"days": int}),
    "overdue_close_date": ("deal", {"days": int}),
    "missing_fields": ("deal", {"stage": str, "fields": list}),
    "repeated_push": ("deal", {"count": int}),
    "stage_skipping": ("deal", {"stages": list, "days": int}),
    "stuck_in_stage": ("deal", {"percentile": float, "max_days": int}),
    "overdue_task": ("task", {"days": int, "completed_statuses": list}),
    "key_account_follow_up": ("account", {"days": int, "won_within_days": int,
                                          "value_tiers": list, "tiers": list}),
    "activity_volume": ("rep", {"per_week": float, "weeks": int}),
}
# a rule's name in the reports, when the rules file gives it none: its kind's
KIND_NAMES = {
    "stale_deal": ("Stale deal", "商机停滞"),
    "overdue_close_date": ("Overdue close date", "成交日期已过"),
    "missing_fields": ("Missing fields", "字段缺失"),
    "repeated_push": ("Repeated push", "反复推迟"),
    "stage_skipping": ("Stage skipped", "跳过阶段"),
    "stuck_in_stage": ("Stuck in stage", "阶段停留过久"),
    "overdue_task": ("Overdue task", "任务逾期"),
    "key_account_follow_up": ("Key account not followed up", "重点客户未跟进"),
    "activity_volume": ("Too few activities", "活动量不足"),
}
FIELDS = ("amount", "close_date", "next_step")
COLUMNS = {
    "rule_id": "varchar", "kind": "varchar", "record_type": "varchar", "enabled": "boolean",
    "severity": "varchar", "severity_weight": "double", "name_en": "varchar",
    "name_zh": "varchar", "description_en": "varchar",
    "description_zh": "varchar", "days": "integer", "count": "integer",
    "percentile": "double", "max_days": "integer", "per_week": "double", "weeks": "integer",
    "won_within_days": "integer", "stage": "varchar", "stages": "varchar[]",
    "fields": "varchar[]", "completed_statuses": "varchar[]", "tiers": "varchar[]",
    "value_tiers": "varchar[]",
    "teams": "varchar[]",
    "regions": "varchar[]", "deal_types": "varchar[]",
}


def load_rules(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The rules into raw_config__rules; returns how many are enabled."""
    rows = read_rules(path)
    con.execute("create or replace table raw_config__rules ("
                + ", ".join(f"{name} {type_}" for name, type_ in COLUMNS.items()) + ")")
    if rows:
        con.executemany(f"insert into raw_config__rules values "
                        f"({', '.join('?' for _ in COLUMNS)})",
                        [[row.get(name) for name in COLUMNS] for row in rows])
    return sum(1 for row in rows if row["enabled"])


def read_rules(path: Path) -> list[dict]:
    def fail(reason: str) -> ConfigError:
        return ConfigError(f"{path}: {reason}")

    if not path.exists():
        raise fail("the discipline rules file does not exist")
    try:
        spec = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise fail(f"not valid YAML: {error}") from error
    weights = {**{"info": 0.25, "warning": 0.5, "critical": 1.0},
               **(spec.get("severity_weights") or {})}
    if set(weights) != set(SEVERITIES) or not all(
            isinstance(w, int | float) and 0 <= w <= 1 for w in weights.values()):
        raise fail(f"severity_weights gives each of {SEVERITIES} a weight from 0 to 1")
    rows, seen = [], set()
    for item in spec.get("rules") or []:
        rows.append(_rule(item, weights, seen, fail))
    return rows


def _rule(item: dict, weights: dict, seen: set, fail) -> dict:
    rule_id = item.get("id")
    if not rule_id or rule_id in seen:
        raise fail(f"each rule needs an id of its own, got {rule_id!r}")
    seen.add(rule_id)
    kind = item.get("kind")
    if kind not in KINDS:
        raise fail(f"rule {rule_id}: kind must be one of {sorted(KINDS)}")
    record_type, params = KINDS[kind]
    severity = item.get("severity", "warning")
    if severity not in SEVERITIES:
        raise fail(f"rule {rule_id}: severity must be one of {SEVERITIES}")
    description = item.get("description") or {}
    if not {"en", "zh_CN"} <= description.keys():
        raise fail(f"rule {rule_id}: description needs en and zh_CN")
    name = item.get("name") or {}
    if not isinstance(name, dict) or not set(name) <= {"en", "zh_CN"}:
        raise fail(f"rule {rule_id}: name takes en and zh_CN")
    known = {"id", "kind", "severity", "enabled", "name", "description", "scope", *params}
    unknown = set(item) - known
    if unknown:
        raise fail(f"rule {rule_id}: unknown keys {sorted(unknown)}; {kind} takes "
                   f"{sorted(params)}")
    row = {"rule_id": str(rule_id), "kind": kind, "record_type": record_type,
           "enabled": bool(item.get("enabled", True)), "severity": severity,
           "severity_weight": float(weights[severity]),
           "name_en": str(name.get("en") or KIND_NAMES[kind][0]),
           "name_zh": str(name.get("zh_CN") or KIND_NAMES[kind][1]),
           "description_en": str(description["en"]),
           "description_zh": str(description["zh_CN"])}
    for name, type_ in params.items():
        value = item.get(name)
        if value is None:
            continue
        if type_ is list:
            if not isinstance(value, list):
                raise fail(f"rule {rule_id}: {name} is a list")
            value = [str(v) for v in value]
        elif type_ is float and isinstance(value, int | float) or isinstance(value, type_):
            value = type_(value)
        else:
            raise fail(f"rule {rule_id}: {name} must be a {type_.__name__}, got {value!r}")
        row[name] = value
    if kind == "missing_fields" and not set(row.get("fields") or []) <= set(FIELDS):
        raise fail(f"rule {rule_id}: fields are some of {FIELDS}")
    if not set(row.get("value_tiers") or []) <= {"A", "B", "C"}:
        raise fail(f"rule {rule_id}: value_tiers are some of A, B, C")
    scope = item.get("scope") or {}
    unknown = set(scope) - {"teams", "regions", "deal_types"}
    if unknown:
        raise fail(f"rule {rule_id}: scope takes teams, regions, deal_types, not "
                   f"{sorted(unknown)}")
    for name in ("teams", "regions", "deal_types"):
        if scope.get(name):
            row[name] = [str(v) for v in scope[name]]
    return row
