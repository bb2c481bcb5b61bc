"""build --select: part of the warehouse rebuilt in place, on the real sql/ models."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date

import duckdb
import pytest

from pipeline.config import Config
from pipeline.errors import ConfigError, InputRejected
from pipeline.paths import ROOT, SAMPLE_CONFIG, SAMPLE_DIR
from pipeline.warehouse.build import build_models, discover_models, select_models
from pipeline.warehouse.db import read_state
from tests.builders import Crm

AS_OF = "2026-02-10"
MODELS = discover_models()


def pipeline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def config(as_of: str = AS_OF, **settings) -> Config:
    return Config(as_of=date.fromisoformat(as_of), **settings)


@pytest.fixture
def built() -> Crm:
    """A built warehouse, then the won deal's amount changed in the raw export."""
    crm = Crm()
    crm.person("lead", team=None).person("r1", manager="lead")
    crm.deal("won", owner="r1", stage="Closed Won", amount=100, close="2026-01-20")
    crm.target("r1", "2026-01", 200).target("r1", "2026-02", 300).target("r1", "2026-03", 400)
    crm.build(as_of=AS_OF)
    crm.con.execute("update raw_crm__deals set amount = 250 where deal_id = 'won'")
    return crm


def forecast_won(crm: Crm) -> float:
    return crm.row("select won_amount from rpt_forecast "
                   "where scope_id = 'lead' and owner_id is null")["won_amount"]


def performance_won(crm: Crm) -> float:
    return crm.row("select sum(won_amount) as won from rpt_scope_performance "
                   "where scope_id = 'lead' and owner_id is null "
                   "and period_kind = 'month'")["won"]


def test_each_selector_form_picks_its_models():
    assert select_models(MODELS, ["rpt_forecast"]) == {"rpt_forecast"}
    upstream = select_models(MODELS, ["+rpt_forecast"])
    assert {"rpt_forecast", "fct_deals", "stg_crm__deals", "int_report_scopes"} <= upstream
    assert not upstream & {"rpt_scope_performance", "stg_ops__costs"}
    downstream = select_models(MODELS, ["stg_ops__targets+"])
    assert {"stg_ops__targets", "int_targets_monthly", "rpt_forecast"} <= downstream
    assert not downstream & {"stg_crm__deals", "fct_deals"}
    both = select_models(MODELS, ["+int_targets_monthly+"])
    assert {"stg_ops__targets", "int_targets_monthly", "rpt_forecast"} <= both
    assert "stg_crm__deals" not in both
    assert select_models(MODELS, ["rpt_forecast", "fct_deals"]) == {"rpt_forecast",
                                                                    "fct_deals"}


def test_upstream_selection_rebuilds_it_and_leaves_an_unrelated_mart_as_it_was(built):
    assert forecast_won(built) == 100 and performance_won(built) == 100
    build_models(built.con, config(), select=["+rpt_forecast"])
    assert forecast_won(built) == 250
    assert performance_won(built) == 100  # rpt_scope_performance is not upstream of it
    build_models(built.con, config())
    assert performance_won(built) == 250


def test_a_model_alone_is_rebuilt_from_the_tables_as_they_are(built):
    built.con.execute("delete from rpt_forecast")
    build_models(built.con, config(), select=["rpt_forecast"])
    assert forecast_won(built) == 100  # fct_deals was not rebuilt: the old amount


def test_downstream_selection_rebuilds_every_reader(built):
    build_models(built.con, config(), select=["stg_crm__deals+"])
    assert forecast_won(built) == 250 and performance_won(built) == 250


def test_selectors_are_a_union_separated_by_spaces(built):
    build_models(built.con, config(), select=["+fct_deals", "rpt_forecast +rpt_report_windows"])
    assert forecast_won(built) == 250
    assert performance_won(built) == 100


def test_an_unknown_model_names_the_closest(built):
    with pytest.raises(ConfigError, match="no model is named 'rpt_forcast'; did you mean "
                                          "rpt_forecast"):
        build_models(built.con, config(), select=["+rpt_forcast"])


@pytest.mark.parametrize("selector", ["rpt_forecast,fct_deals", "rpt+forecast", "++", ""])
def test_a_malformed_selector_is_refused(built, selector):
    with pytest.raises(ConfigError, match="--select"):
        build_models(built.con, config(), select=[selector])


def test_missing_upstream_tables_are_named_with_how_to_build_them():
    crm = Crm()  # raw tables only: nothing built yet
    crm.person("lead", team=None).person("r1", manager="lead")
    crm.deal("won", owner="r1", stage="Closed Won", amount=100, close="2026-01-20")
    with pytest.raises(ConfigError, match=r"read dim_users, fct_deals, .* does not hold: "
                                          r"select them too \(--select \+rpt_forecast also"):
        build_models(crm.con, config(), select=["rpt_forecast"])
    build_models(crm.con, config(), select=["+rpt_forecast"])
    assert forecast_won(crm) == 100
    bare = duckdb.connect()
    with pytest.raises(ConfigError,
                       match="run `ingest` first for raw_config__stages, raw_crm__deals"):
        build_models(bare, config(), select=["stg_crm__deals"])


def test_a_selection_keeps_the_as_of_date_and_settings_of_the_warehouse(built):
    with pytest.raises(ConfigError, match="built as of 2026-02-10, not 2026-02-11; .* "
                                          "pass --as-of 2026-02-10"):
        build_models(built.con, config("2026-02-11"), select=["rpt_forecast"])
    with pytest.raises(ConfigError, match="built with other settings"):
        build_models(built.con, config(currency="USD"), select=["rpt_forecast"])
    assert forecast_won(built) == 100


def test_a_selection_must_be_validated_again_before_reports(built):
    full = read_state(built.con, "build_id")
    built.con.execute("insert into pipeline_state values ('validated_build_id', ?)", [full])
    partial = build_models(built.con, config(), select=["+rpt_forecast"])
    assert partial != full
    assert read_state(built.con, "build_id") == partial
    assert read_state(built.con, "validated_build_id") is None


def test_a_selection_runs_only_the_audits_of_tables_it_rebuilt(built):
    built.cost("2026-01", 10, channel="nowhere")
    built.con.execute("insert into raw_files (file_id, file_name, sha256) "
                      "values (1, 'costs.csv', 'x')")
    with pytest.raises(InputRejected, match="assert_costs_name_known_channels"):
        build_models(built.con, config(), select=["+stg_ops__costs", "+stg_config__channels"])
    build_models(built.con, config(), select=["+rpt_forecast"])  # that audit is not its


def test_the_command_line_rebuilds_a_selection_of_the_published_warehouse(sample_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(sample_run.out, out, symlinks=True)
    common = ("--inbox", str(SAMPLE_DIR), "--out", str(out), "--config", str(SAMPLE_CONFIG))
    as_of = sample_run.as_of.isoformat()
    result = pipeline("build", "--select", "+rpt_forecast", "rpt_data_freshness",
                      "--as-of", as_of, *common)
    assert result.returncode == 0, result.stderr
    assert "selected models" in result.stderr and "rpt_data_freshness" in result.stderr
    assert pipeline("validate", "--as-of", as_of, *common).returncode == 0
    wrong = pipeline("build", "--select", "rpt_forcast", "--as-of", as_of, *common)
    assert wrong.returncode == 2
    assert "did you mean rpt_forecast" in wrong.stderr
    other_day = pipeline("build", "-s", "rpt_forecast", "--as-of", "2026-11-19", *common)
    assert other_day.returncode == 2
    assert f"pass --as-of {as_of}" in other_day.stderr


def test_make_marts_passes_select():
    dry = subprocess.run(["make", "-n", "--no-print-directory", "marts",
                          "SELECT=+rpt_forecast fct_deals+"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert "pipeline build" in dry and "--select +rpt_forecast fct_deals+" in dry
    plain = subprocess.run(["make", "-n", "--no-print-directory", "marts"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout
    assert "--select" not in plain



def test_the_sample_warehouse_shows_the_marts_in_main_and_each_layer_in_its_schema(
        sample_run):
    with duckdb.connect(str(sample_run.published_warehouse), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        assert con.execute("select count(*) from rpt_forecast").fetchone()[0] > 0
    marts = {name for name, model in MODELS.items() if model.layer == "marts"}
    assert {t for s, t in tables if s == "main"} == marts
    by_schema = {"raw": "raw_", "staging": "stg_", "intermediate": "int_"}
    for schema, prefix in by_schema.items():
        names = {t for s, t in tables if s == schema}
        assert names and all(t.startswith(prefix) for t in names), schema
    assert {t for s, t in tables if s == "staging"} == {
        name for name, model in MODELS.items() if model.layer == "staging"}
    assert ("pipeline", "pipeline_state") in tables


def test_a_build_drops_the_copy_a_warehouse_without_schemas_kept_in_main(built):
    built.con.execute("create table main.stg_crm__deals as "
                      "select * from staging.stg_crm__deals where false")
    assert built.rows("select * from stg_crm__deals") == []  # main is searched first
    build_models(built.con, config(), select=["+rpt_forecast"])
    assert forecast_won(built) == 250
    assert built.rows("select schema_name from duckdb_tables() "
                      "where table_name = 'stg_crm__deals'") == [{"schema_name": "staging"}]
