"""The commission plan file: optional, checked strictly, and its errors stop the run with a
message that names the file and the problem (exit 2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.ingest.incentives import read_incentives
from pipeline.ingest.rules import read_rules
from pipeline.paths import DEFAULT_INCENTIVES, DEFAULT_RULES, SAMPLE_CONFIG
from tests.test_main import pipeline, small_inbox  # noqa: F401 (a fixture)

RULES = {"stale_deal", "overdue_task"}
GOOD = """
rounding: {places: 2, mode: half_up}
plans:
  - id: east
    applies_to: {teams: [East], roles: [rep]}
    base_rate: 0.05
    tiers:
      - {from: 0, to: 1.0, multiplier: 1}
      - {from: 1.0, to: 1.5, multiplier: 1.5}
      - {from: 1.5, multiplier: 2}
    monthly_cap: 50000
    quarterly_bonus: {attainment: 1.0, amount: 20000}
    deductions:
      per_violation: {stale_deal: 200, overdue_task: 50}
      monthly_cap: 1000
"""


def write(tmp_path, text: str):
    path = tmp_path / "incentives.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_reads_as_decimals(tmp_path):
    tables = read_incentives(write(tmp_path, GOOD), RULES)
    plan, = tables["raw_config__incentive_plans"]
    assert plan["base_fraction"] == Decimal("0.05") and isinstance(plan["base_fraction"],
                                                                   Decimal)
    assert (plan["teams"], plan["roles"]) == (["East"], ["rep"])
    assert (plan["rounding_places"], plan["rounding_mode"]) == (2, "half_up")
    assert plan["bonus_amount"] == Decimal("20000") and plan["deduction_cap_amount"] == 1000
    assert [(t["from_attainment"], t["to_attainment"], t["multiplier"])
            for t in tables["raw_config__incentive_tiers"]] == [
        (0, Decimal("1.0"), 1), (Decimal("1.0"), Decimal("1.5"), Decimal("1.5")),
        (Decimal("1.5"), None, 2)]
    assert {d["rule_id"] for d in tables["raw_config__incentive_deductions"]} == RULES


def test_the_samples_plans_fit_the_shipped_rules():
    rules = {r["rule_id"] for r in read_rules(DEFAULT_RULES)}
    plans = SAMPLE_CONFIG.parent / "incentives.yaml"
    assert read_incentives(plans, rules)["raw_config__incentive_plans"]


@pytest.mark.parametrize("old, new, message", [
    pytest.param("rounding: {places: 2, mode: half_up}", "", "rounding is required",
                 id="no rounding rule"),
    pytest.param("mode: half_up", "mode: bankers", "mode is one of",
                 id="unknown rounding mode"),
    pytest.param("places: 2", "places: 3", "places is 0, 1 or 2", id="too many places"),
    pytest.param("    monthly_cap: 50000", "    monthly_cap: 50000\n    bonus: 1",
                 r"plan east: unknown keys \['bonus'\]", id="unknown key in a plan"),
    pytest.param("base_rate: 0.05", "base_rate: five percent",
                 "base_rate must be a number", id="a rate that is not a number"),
    pytest.param("base_rate: 0.05", "base_rate: 5", "at most 1", id="a rate as a percent"),
    pytest.param("base_rate: 0.05", "base_rate: 0.0512345",
                 "more than 6 decimal places", id="a rate with too many places"),
    pytest.param("monthly_cap: 50000", "monthly_cap: 500.005",
                 "more than 2 decimal places", id="an amount with part of a cent"),
    pytest.param("{from: 1.0, to: 1.5, multiplier: 1.5}",
                 "{from: 0.9, to: 1.5, multiplier: 1.5}", "tiers overlap",
                 id="overlapping tiers"),
    pytest.param("{from: 1.0, to: 1.5, multiplier: 1.5}",
                 "{from: 1.1, to: 1.5, multiplier: 1.5}", "a gap between tiers",
                 id="a gap between tiers"),
    pytest.param("{from: 0, to: 1.0, multiplier: 1}", "{from: 0, multiplier: 1}",
                 "has no upper end", id="an open tier before another"),
    pytest.param("{from: 1.5, multiplier: 2}", "{from: 1.5, to: 1.5, multiplier: 2}",
                 r"to \(1.5\) must be above from", id="an empty tier"),
    pytest.param("{from: 0, to: 1.0, multiplier: 1}", "{from: 0.5, to: 1.0, multiplier: 1}",
                 "a gap between tiers", id="tiers not starting at 0"),
    pytest.param("roles: [rep]", "roles: [intern]", "applies_to.roles are some of",
                 id="an unknown role"),
    pytest.param("applies_to: {teams: [East], roles: [rep]}", "applies_to: {}",
                 "applies_to names teams, roles or both", id="a plan for no one"),
    pytest.param("stale_deal: 200", "stale_dael: 200",
                 r"the discipline rules file does not have: \['stale_dael'\]",
                 id="a deduction for a rule that does not exist"),
    pytest.param("amount: 20000}", "amount: 20000, every: month}",
                 "quarterly_bonus is", id="a bonus with an unknown key"),
    pytest.param("  - id: east", "  - id: 7", "each plan needs an id", id="an id not a name"),
])
def test_a_broken_plan_file_names_the_file_and_the_problem(tmp_path, old, new, message):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ConfigError, match=message) as raised:
        read_incentives(path, RULES)
    assert str(raised.value).startswith(f"{path}: ")


def test_two_plans_with_one_id_are_refused(tmp_path):
    plans = GOOD.split("plans:\n")[1]
    with pytest.raises(ConfigError, match="each plan needs an id of its own, got 'east'"):
        read_incentives(write(tmp_path, GOOD + plans), RULES)


def test_not_yaml_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_incentives(write(tmp_path, "plans: [\n"), RULES)


def test_the_setting_is_relative_to_the_config_file(tmp_path):
    config = tmp_path / "settings.yaml"
    config.write_text("incentives_file: plans/pay.yaml\n", encoding="utf-8")
    assert load_config(config).incentives_file == tmp_path / "plans" / "pay.yaml"
    assert load_config().incentives_file == DEFAULT_INCENTIVES


def test_a_broken_plan_file_stops_the_run_with_exit_2(small_inbox, tmp_path):  # noqa: F811
    write(tmp_path, GOOD.replace("{from: 1.0, to: 1.5", "{from: 0.8, to: 1.5"))
    config = tmp_path / "settings.yaml"
    config.write_text("incentives_file: incentives.yaml\n", encoding="utf-8")
    out = tmp_path / "out"
    result = pipeline("run", "--dry-run", "--inbox", str(small_inbox), "--out", str(out),
                      "--config", str(config), "--as-of", "2026-11-20")
    assert result.returncode == 2, result.stderr
    assert f"{tmp_path / 'incentives.yaml'}: plan east: tier 2: starts at 0.8, inside the " \
        "tier before it (to 1.0): tiers overlap" in result.stderr
    assert not (out / "warehouse.duckdb").exists()
