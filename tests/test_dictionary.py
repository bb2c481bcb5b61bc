"""`make docs`: the data dictionary's pages, read as an analyst reads them."""

from __future__ import annotations

import html
import re
import subprocess

import pytest

from pipeline.errors import ConfigError
from pipeline.paths import ROOT
from pipeline.warehouse.build import discover_models
from pipeline.warehouse.dictionary import METRICS, read_metrics, write_dictionary

MODELS = discover_models()
MARTS = sorted(n for n in MODELS if n.startswith(("rpt_", "fct_", "dim_")))


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def section(page: str, name: str) -> str:
    found = re.search(rf'<section id="{name}">(.*?)</section>', page, re.S)
    assert found, name
    return found.group(1)


def row(page: str, column: str) -> list[str]:
    found = re.search(rf'<tr id="column-{column}">(.*?)</tr>', page, re.S)
    assert found, column
    return [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)]


@pytest.fixture(scope="module")
def docs(sample_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("dictionary") / "docs"
    write_dictionary(out, warehouse=sample_run.warehouse)
    return out


@pytest.fixture(scope="module")
def scope_performance(docs):
    return (docs / "rpt_scope_performance.html").read_text(encoding="utf-8")


def test_a_marts_page_states_its_grain(scope_performance):
    grain = re.search(r'<p class="grain" id="grain">(.*?)</p>', scope_performance).group(1)
    assert text(grain) == "One row per scope per period per owner, plus a total row per period."


def test_a_marts_page_gives_each_column_its_type_and_description(scope_performance):
    assert row(scope_performance, "won_amount") == [
        "won_amount", "DECIMAL(18,2)", "never", "Amount won."]
    assert row(scope_performance, "win_rate") == [
        "win_rate", "DOUBLE", "may be null", "won_count / (won_count + lost_count)."]
    assert row(scope_performance, "scope_id")[1] == "VARCHAR"
    listed = re.findall(r'<tr id="column-(\w+)">', scope_performance)
    assert listed[:5] == ["scope_id", "period_kind", "period_start", "period_end", "owner_id"]


def test_a_marts_page_lists_its_contracts_checks(scope_performance):
    checks = [text(c) for c in re.findall(r"<li>(.*?)</li>",
                                          section(scope_performance, "checks"), re.S)]
    assert "unique (scope_id, period_kind, period_start, owner_id)" in checks
    assert "won_amount >= 0" in checks
    assert "0 <= win_rate <= 1" in checks
    assert "-1 <= net_promoter_score <= 1" in checks
    assert ("period_kind in ('month_to_date', 'quarter_to_date', "
            "'previous_year_quarter_to_date', 'month')") in checks
    assert "win rate null only without closed deals" in checks


def test_a_row_rule_with_a_sql_twin_is_shown_as_its_sql(docs):
    page = (docs / "fct_deals.html").read_text(encoding="utf-8")
    assert ("furthest stage not behind current: stage_order is null or "
            "furthest_stage_order &gt;= stage_order") in section(page, "checks")


def test_a_marts_page_gives_its_lineage_as_links(scope_performance):
    lineage = section(scope_performance, "lineage")
    upstream = re.search(r'<ul class="lineage" id="upstream">(.*?)</ul>', lineage, re.S)[1]
    downstream = re.search(r'<ul class="lineage" id="downstream">(.*?)</ul>', lineage, re.S)[1]
    assert '<a href="int_performance_facts.html">' in upstream
    assert '<a href="int_report_scopes.html">' in upstream
    assert '<a href="rpt_target_attainment.html">' in downstream
    assert "rpt_scope_performance" not in upstream + downstream


def test_a_raw_table_upstream_is_named_without_a_link(docs):
    page = (docs / "stg_crm__deals.html").read_text(encoding="utf-8")
    assert "raw_crm__deals</code> <span class=\"muted\">(loaded from the inbox)" in page
    assert 'href="raw_crm__deals.html"' not in page


def test_a_marts_page_quotes_the_metrics_that_define_its_columns(scope_performance):
    metrics = text(section(scope_performance, "metrics"))
    assert ("win_rate: won_count / (won_count + lost_count); by amount (win_rate_amount): "
            "won_amount / (won_amount + lost_amount). Null when nothing closed.") in metrics
    assert "Pace (expected_won_amount, pace_rate): the target prorated" in metrics
    # named by the definition, not by a column
    assert "Previous year's quarter to date: rpt_scope_performance has it" in metrics
    # defines columns this mart does not have
    assert "coverage_rate" not in metrics and "Churn risk" not in metrics


def test_a_metric_naming_a_column_of_a_table_is_on_that_tables_page(docs):
    page = (docs / "fct_deal_stage_events.html").read_text(encoding="utf-8")
    assert ('<a href="fct_deal_stage_events.html"><code>fct_deal_stage_events.days_in_stage'
            '</code></a>') in section(page, "metrics")


def test_every_table_has_a_page_and_the_index_lists_marts_first(docs):
    assert {p.stem for p in docs.glob("*.html")} == set(MODELS) | {"index"}
    index = (docs / "index.html").read_text(encoding="utf-8")
    layers = re.findall(r'<section id="(\w+)">', index)
    assert layers == ["marts", "intermediate", "staging", "metrics"]
    marts = re.findall(r'href="(\w+)\.html"', section(index, "marts"))
    assert marts == MARTS
    listed = re.findall(r'<td><a href="(\w+)\.html">', index)
    assert sorted(listed) == sorted(MODELS)


def test_without_a_warehouse_the_types_are_the_contracts(tmp_path):
    write_dictionary(tmp_path / "docs", warehouse=tmp_path / "none.duckdb")
    page = (tmp_path / "docs" / "rpt_scope_performance.html").read_text(encoding="utf-8")
    assert row(page, "won_amount")[:2] == ["won_amount", "number"]
    assert row(page, "won_count")[:2] == ["won_count", "integer"]
    assert row(page, "period_start")[:2] == ["period_start", "timestamp"]
    assert "column types from the contracts" in page


def metrics_file(tmp_path, bullet: str):
    path = tmp_path / "metrics.md"
    path.write_text(f"# Metrics\n\n## Metrics\n\nWords.\n\n- **`win_rate`**: as ever.\n{bullet}\n"
                    "\n## History\n\n- **Not a metric** (`rpt_nowhere`)\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("bullet, named", [
    ("- **Ghost rate** (`rpt_ghost_rates`): a mart no file builds.", "rpt_ghost_rates"),
    ("- **Ghost column**: read from\n  `fct_deals.ghost_amount`.", "fct_deals.ghost_amount"),
])
def test_a_metric_naming_a_table_or_column_that_does_not_exist_stops_the_dictionary(
        tmp_path, bullet, named):
    with pytest.raises(ConfigError, match=re.escape(named)):
        write_dictionary(tmp_path / "docs", metrics_path=metrics_file(tmp_path, bullet))
    assert not (tmp_path / "docs").exists()


def test_only_the_metrics_section_is_read_one_definition_per_bullet(tmp_path):
    metrics = read_metrics(metrics_file(tmp_path, "- **Pace** (`pace_rate`): ahead\n  or not."))
    assert [(m.name, m.defines) for m in metrics] == [
        ("win_rate", {"win_rate"}), ("Pace", {"pace_rate"})]
    assert metrics[1].text == "**Pace** (`pace_rate`): ahead or not."


def test_the_metrics_of_the_docs_are_read_and_name_only_tables_that_exist():
    metrics = read_metrics(METRICS)
    assert len(metrics) > 40
    assert {"win_rate", "Pace", "Churn risk"} <= {m.name for m in metrics}
    assert any("rpt_customer_churn_risk" in m.tables for m in metrics)


def test_a_metrics_text_is_escaped(tmp_path):
    path = metrics_file(tmp_path, "- **Odd** <script>alert(1)</script> & `fct_deals`")
    write_dictionary(tmp_path / "docs", metrics_path=path)
    index = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in index
    assert "<script>" not in index
    assert '<a href="fct_deals.html"><code>fct_deals</code></a>' in index


def test_it_replaces_its_own_folder_and_refuses_any_other(tmp_path):
    out = tmp_path / "docs"
    write_dictionary(out)
    (out / "rpt_dropped_long_ago.html").write_text("stale", encoding="utf-8")
    write_dictionary(out)
    assert not (out / "rpt_dropped_long_ago.html").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a data dictionary"):
        write_dictionary(mine)
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep"


def test_make_docs_runs_though_a_docs_folder_exists(tmp_path):
    assert (ROOT / "docs").is_dir()
    planned = subprocess.run(["make", "--no-print-directory", "-n", "docs", f"OUT={tmp_path}"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert (f"-m pipeline.warehouse.dictionary --out {tmp_path}/docs "
            f"--warehouse {tmp_path}/warehouse.duckdb") in planned
