"""Conventions that keep names, contracts, templates, docs and the Makefile from drifting."""

from __future__ import annotations

import re
import subprocess

import duckdb
import pytest
import yaml

from pipeline.build import LAYER_PREFIXES, discover_models
from pipeline.paths import I18N_DIR, ROOT, SQL_DIR, TEMPLATES_DIR
from pipeline.schemas import SCHEMAS

MODELS = discover_models()
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_table_has_a_contract_and_every_contract_a_table():
    assert set(MODELS) == set(SCHEMAS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_sql_file_states_its_grain_on_its_first_line(name):
    first = MODELS[name].sql.splitlines()[0]
    assert first.startswith(f"-- {name}: one row per"), first


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_sql_file_is_one_select_ending_in_final(name):
    sql = MODELS[name].sql
    assert re.search(r"\bselect \* from final\s*$", sql), name
    assert not re.search(r"\b(create|insert|update|delete|drop)\b", sql, re.I), name


def test_no_sql_reads_the_clock():
    for path in SQL_DIR.rglob("*.sql"):
        text = path.read_text(encoding="utf-8").lower()
        for call in ("current_date", "current_timestamp", "now()", "today()",
                     "get_current_timestamp", "localtimestamp"):
            assert call not in text, f"{path.name} uses {call}"


def test_model_names_match_their_layer():
    for model in MODELS.values():
        assert model.name.startswith(LAYER_PREFIXES[model.layer])


def test_every_contract_describes_its_grain_and_columns():
    for name, schema in SCHEMAS.items():
        assert schema.Config.description.startswith("One row per"), name
        for column, field in schema.to_schema().columns.items():
            assert field.description, f"{name}.{column} has no description"


@pytest.fixture(scope="module")
def mart_types(sample_run):
    with duckdb.connect(str(sample_run.warehouse), read_only=True) as con:
        return con.execute("select table_name, column_name, data_type from "
                           "information_schema.columns where table_name in "
                           f"({', '.join('?' for _ in MODELS)})", list(MODELS)).fetchall()


@pytest.mark.parametrize("pattern, expected", [
    (r"^(?!.*_rate_)(.*_)?amount$", "DECIMAL(18,2)"),
    (r"^(?!fx_).*_rate(_change|_amount)?$", "DOUBLE"),  # fx_rate is a price: DECIMAL
    (r"^fx_rate$", "DECIMAL(18,8)"),
    (r"_count$", "BIGINT"),
    (r"(_date|^month|_month|^period_start|^period_end)$", "DATE"),
    (r"_at$", "TIMESTAMP"),
    (r"^(is|has)_", "BOOLEAN"),
    (r"_id$", "VARCHAR"),
])
def test_column_names_say_their_type(mart_types, pattern, expected):
    wrong = [(t, c, d) for t, c, d in mart_types if re.search(pattern, c) and d != expected]
    assert not wrong


def test_every_report_partial_is_named_after_the_mart_it_shows():
    partials = {p.stem[1:] for p in TEMPLATES_DIR.glob("_*.html")} - {"macros"}
    for name in partials:
        assert {f"rpt_{name}", f"fct_{name}"} & set(MODELS), name
    scoped = {name for name in MODELS if name.startswith("rpt_scope_")}
    assert scoped <= {f"rpt_{name}" for name in partials}


def test_the_catalogues_have_the_same_labels_and_every_label_used_exists():
    catalogues = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
                  for p in I18N_DIR.glob("*.yaml")}
    assert set(catalogues) == {"en", "zh_CN"}
    assert catalogues["en"].keys() == catalogues["zh_CN"].keys()
    used = set()
    for path in TEMPLATES_DIR.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]*[a-z])["']""", path.read_text("utf-8")))
    for path in (ROOT / "pipeline").rglob("*.py"):
        used |= set(re.findall(r"""\.text\(\s*["']([a-z_]+)["']""", path.read_text("utf-8")))
    assert used - catalogues["en"].keys() == set()
    for key in catalogues["en"]:
        placeholders = set(re.findall(r"\{(\w+)\}", catalogues["en"][key]))
        assert placeholders == set(re.findall(r"\{(\w+)\}", catalogues["zh_CN"][key])), key


def test_every_make_target_has_help_and_help_lists_them():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z][a-z_-]*):", makefile, re.M)
    undocumented = [t for t in targets
                    if not re.search(rf"^{t}:.*## ", makefile, re.M)]
    assert undocumented == []
    listed = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    for target in targets:
        assert re.search(rf"^\s+{target}\s", listed, re.M), target
    for target in ("run", "test", "ingest", "marts", "validate", "reports", "help"):
        assert target in targets


def test_the_readme_opens_with_the_two_commands_and_names_every_mart():
    quickstart = README[:README.index("\n## ", README.index("## Quickstart") + 1)]
    assert "make run" in quickstart and "make test" in quickstart
    for name in MODELS:
        if name.startswith(("fct_", "dim_", "rpt_")):
            assert f"`{name}`" in README, name


def test_every_metric_macro_is_defined_in_the_readme():
    macros = re.findall(r"create or replace macro (\w+)",
                        (SQL_DIR / "macros" / "metrics.sql").read_text(encoding="utf-8"))
    metrics = README[README.index("## Metrics"):]
    for macro in macros:
        assert f"`{macro}`" in metrics, macro
