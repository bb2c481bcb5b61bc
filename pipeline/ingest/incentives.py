"""The commission plan file (config/incentives.yaml) -> raw_config__incentive_* tables.

The file is optional: without it the three tables are empty, rpt_rep_incentives has no row
and the reports leave the incentives section out. When it is there it is checked here, key
by key, so that a mistyped rate or two overlapping tiers stop the run with a message (exit 2)
instead of paying the wrong amount. Every number is read as a Decimal from its text, never
through a float, and the SQL reads the plans from the tables: they are data, never SQL text.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import yaml

from pipeline import yamlfile
from pipeline.errors import ConfigError

log = logging.getLogger(__name__)

ROUNDING_MODES = ("half_up", "half_even")
ROLES = ("rep", "manager")
PLAN_KEYS = {"id", "applies_to", "base_rate", "tiers", "monthly_cap", "quarterly_bonus",
             "deductions"}
# table -> column -> type; the plans, their attainment tiers, and their deductions
TABLES = {
    "raw_config__incentive_plans": {
        "plan_id": "varchar", "plan_order": "integer", "teams": "varchar[]",
        "roles": "varchar[]", "base_fraction": "decimal(9, 6)",
        "commission_cap_amount": "decimal(18, 2)", "bonus_attainment": "decimal(9, 4)",
        "bonus_amount": "decimal(18, 2)", "deduction_cap_amount": "decimal(18, 2)",
        "rounding_places": "integer", "rounding_mode": "varchar"},
    "raw_config__incentive_tiers": {
        "plan_id": "varchar", "tier_number": "integer", "from_attainment": "decimal(9, 4)",
        "to_attainment": "decimal(9, 4)", "multiplier": "decimal(9, 4)"},
    "raw_config__incentive_deductions": {
        "plan_id": "varchar", "rule_id": "varchar", "deduction_amount": "decimal(18, 2)"},
}
# Decimal places each kind of number may have, so that none is rounded on its way in
PLACES = {"amount": 2, "fraction": 6, "factor": 4}


def load_incentives(con: duckdb.DuckDBPyConnection, path: Path | None,
                    rule_ids: set[str]) -> int:
    """The plans into the raw_config__incentive_ tables; returns how many there are."""
    tables = read_incentives(path, rule_ids) if path and path.exists() else {
        name: [] for name in TABLES}
    if not path or not path.exists():
        log.info("no commission plan file (%s): no incentives are computed or shown", path)
    for name, columns in TABLES.items():
        con.execute(f"create or replace table {name} ("
                    + ", ".join(f"{column} {type_}" for column, type_ in columns.items()) + ")")
        if tables[name]:
            con.executemany(f"insert into {name} values ({', '.join('?' for _ in columns)})",
                            [[row.get(column) for column in columns] for row in tables[name]])
    return len(tables["raw_config__incentive_plans"])


def read_incentives(path: Path, rule_ids: set[str]) -> dict[str, list[dict]]:
    """The file's rows per raw table; ConfigError naming the file and the problem."""
    def fail(reason: str) -> ConfigError:
        return ConfigError(f"{path}: {reason}")

    try:
        spec = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise fail(f"not valid YAML: {error}") from error
    if not isinstance(spec, dict):
        raise fail("expected a mapping with rounding and plans")
    _known(spec, {"rounding", "plans"}, "the file", fail)
    places, mode = _rounding(spec.get("rounding"), fail)
    plans = spec.get("plans")
    if not isinstance(plans, list) or not plans:
        raise fail("plans is a list of at least one plan")
    tables: dict[str, list[dict]] = {name: [] for name in TABLES}
    seen: set[str] = set()
    for order, item in enumerate(plans, start=1):
        plan, tiers, deductions = _plan(item, order, seen, rule_ids, fail)
        tables["raw_config__incentive_plans"].append(
            plan | {"rounding_places": places, "rounding_mode": mode})
        tables["raw_config__incentive_tiers"] += tiers
        tables["raw_config__incentive_deductions"] += deductions
    return tables


def _known(item: dict, keys: set[str], where: str, fail) -> None:
    unknown = set(item) - keys
    if unknown:
        raise fail(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(keys)}")


def _rounding(item, fail) -> tuple[int, str]:
    if not isinstance(item, dict):
        raise fail("rounding is required: {places: 0, 1 or 2, mode: half_up or half_even}")
    _known(item, {"places", "mode"}, "rounding", fail)
    places, mode = item.get("places"), item.get("mode")
    if isinstance(places, bool) or places not in (0, 1, 2):
        raise fail(f"rounding: places is 0, 1 or 2, got {places!r}")
    if mode not in ROUNDING_MODES:
        raise fail(f"rounding: mode is one of {ROUNDING_MODES}, got {mode!r}")
    return places, mode


def _number(value, kind: str, where: str, fail, *, positive: bool = False) -> Decimal:
    """A number of the file as the Decimal its text says; at most PLACES[kind] places."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise fail(f"{where} must be a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise fail(f"{where} must be a number, got {value!r}") from error
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise fail(f"{where} must be {'above' if positive else 'at least'} 0, got {value!r}")
    if number.as_tuple().exponent < -PLACES[kind]:
        raise fail(f"{where} has more than {PLACES[kind]} decimal places: {value!r}")
    if number >= Decimal(10) ** (16 if kind == "amount" else 3):
        raise fail(f"{where} is too large: {value!r}")
    return number


def _plan(item, order: int, seen: set[str], rule_ids: set[str], fail):
    if not isinstance(item, dict):
        raise fail(f"plan {order}: expected a mapping, got {item!r}")
    plan_id = item.get("id")
    if not isinstance(plan_id, str) or not plan_id or plan_id in seen:
        raise fail(f"plan {order}: each plan needs an id of its own, got {plan_id!r}")
    seen.add(plan_id)
    where = f"plan {plan_id}"
    _known(item, PLAN_KEYS, where, fail)
    if "base_rate" not in item:
        raise fail(f"{where}: base_rate (a fraction of the won amount, 0.03 = 3%) is required")
    base = _number(item["base_rate"], "fraction", f"{where}: base_rate", fail)
    if base > 1:
        raise fail(f"{where}: base_rate is a fraction of the won amount, at most 1")
    plan = {"plan_id": plan_id, "plan_order": order, "base_fraction": base,
            **_applies_to(item.get("applies_to"), where, fail)}
    if item.get("monthly_cap") is not None:
        plan["commission_cap_amount"] = _number(item["monthly_cap"], "amount",
                                                f"{where}: monthly_cap", fail, positive=True)
    bonus = item.get("quarterly_bonus")
    if bonus is not None:
        if not isinstance(bonus, dict) or set(bonus) != {"attainment", "amount"}:
            raise fail(f"{where}: quarterly_bonus is {{attainment: 1.0, amount: 20000}}")
        plan["bonus_attainment"] = _number(bonus["attainment"], "factor",
                                           f"{where}: quarterly_bonus.attainment", fail,
                                           positive=True)
        plan["bonus_amount"] = _number(bonus["amount"], "amount",
                                       f"{where}: quarterly_bonus.amount", fail)
    tiers = _tiers(item.get("tiers"), plan_id, where, fail)
    deductions, cap = _deductions(item.get("deductions"), plan_id, where, rule_ids, fail)
    plan["deduction_cap_amount"] = cap
    return plan, tiers, deductions


def _applies_to(item, where: str, fail) -> dict:
    if not isinstance(item, dict):
        raise fail(f"{where}: applies_to is required: {{teams: [...]}} and/or {{roles: "
                    f"[rep, manager]}}")
    _known(item, {"teams", "roles"}, f"{where}: applies_to", fail)
    found = {}
    for name in ("teams", "roles"):
        values = item.get(name)
        if values is None:
            continue
        if not isinstance(values, list) or not values or not all(
                isinstance(v, str) and v for v in values):
            raise fail(f"{where}: applies_to.{name} is a list of names, got {values!r}")
        found[name] = values
    if not found:
        raise fail(f"{where}: applies_to names teams, roles or both")
    if not set(found.get("roles", ())) <= set(ROLES):
        raise fail(f"{where}: applies_to.roles are some of {ROLES}, got {found['roles']!r}")
    return found


def _tiers(items, plan_id: str, where: str, fail) -> list[dict]:
    """Attainment bands from 0 up, each starting where the one before ends: no gap, no
    overlap; only the last may leave `to` out (no upper end)."""
    if items is None:
        return []
    if not isinstance(items, list) or not items:
        raise fail(f"{where}: tiers is a list of {{from, to, multiplier}}")
    rows, previous_to = [], Decimal(0)
    for number, tier in enumerate(items, start=1):
        at = f"{where}: tier {number}"
        if not isinstance(tier, dict):
            raise fail(f"{at}: expected {{from, to, multiplier}}, got {tier!r}")
        _known(tier, {"from", "to", "multiplier"}, at, fail)
        if "from" not in tier or "multiplier" not in tier:
            raise fail(f"{at}: from and multiplier are required")
        start = _number(tier["from"], "factor", f"{at}: from", fail)
        end = None if tier.get("to") is None else _number(tier["to"], "factor", f"{at}: to",
                                                          fail)
        if previous_to is None:
            raise fail(f"{at}: the tier before it has no upper end (to), so this one "
                       "overlaps it")
        if start < previous_to:
            raise fail(f"{at}: starts at {start}, inside the tier before it (to {previous_to})"
                       ": tiers overlap")
        if start > previous_to:
            raise fail(f"{at}: starts at {start}, but the tier before it ends at "
                       f"{previous_to}: a gap between tiers")
        if end is not None and end <= start:
            raise fail(f"{at}: to ({end}) must be above from ({start})")
        rows.append({"plan_id": plan_id, "tier_number": number, "from_attainment": start,
                     "to_attainment": end,
                     "multiplier": _number(tier["multiplier"], "factor",
                                           f"{at}: multiplier", fail)})
        previous_to = end
    return rows


def _deductions(item, plan_id: str, where: str, rule_ids: set[str], fail):
    if item is None:
        return [], None
    if not isinstance(item, dict):
        raise fail(f"{where}: deductions is {{per_violation: {{rule_id: amount}}, "
                   "monthly_cap: amount}")
    _known(item, {"per_violation", "monthly_cap"}, f"{where}: deductions", fail)
    per = item.get("per_violation")
    if not isinstance(per, dict) or not per:
        raise fail(f"{where}: deductions.per_violation maps a discipline rule id to an amount")
    unknown = set(map(str, per)) - rule_ids
    if unknown:
        raise fail(f"{where}: deductions name rules that the discipline rules file does not "
                   f"have: {sorted(unknown)}; its rules: {sorted(rule_ids)}")
    rows = [{"plan_id": plan_id, "rule_id": str(rule_id),
             "deduction_amount": _number(amount, "amount",
                                         f"{where}: deductions for {rule_id}", fail,
                                         positive=True)}
            for rule_id, amount in per.items()]
    cap = None
    if item.get("monthly_cap") is not None:
        cap = _number(item["monthly_cap"], "amount", f"{where}: deductions.monthly_cap", fail,
                      positive=True)
    return rows, cap
