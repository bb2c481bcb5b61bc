"""The sample generator: it writes the committed files byte for byte, and the sample is the
organisation the README promises (teams, managers, reps, a year of deals, history)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.paths import ROOT, SAMPLE_DIR
from pipeline.tools import sample
from pipeline.warehouse.db import open_warehouse


def test_the_generator_reproduces_the_committed_sample(tmp_path):
    sample.generate(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in SAMPLE_DIR.iterdir() if p.is_file())
    for name in written:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name


def test_make_run_uses_the_samples_own_as_of_date():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^AS_OF \?= (\S+)$", makefile, re.M).group(1) == sample.AS_OF.isoformat()


@pytest.fixture(scope="module")
def marts(sample_run):
    con = open_warehouse(sample_run.warehouse, read_only=True)
    yield con
    con.close()


def one(con, sql: str):
    return con.execute(sql).fetchall()[0][0]


def test_three_teams_under_two_levels_of_managers_and_fifteen_reps(marts):
    assert one(marts, "select count(distinct team) from dim_users where team is not null") >= 3
    assert one(marts, "select count(distinct management_level) from dim_users "
                      "where is_manager and management_level > 0") >= 2
    assert one(marts, "select count(distinct owner_id) from fct_deals") >= 15


def test_fifteen_hundred_deals_over_twelve_months_with_history(marts):
    assert one(marts, "select count(*) from fct_deals") >= 1500
    assert one(marts, "select date_diff('month', min(created_date), max(created_date)) "
                      "from fct_deals") >= 12
    assert one(marts, "select count(*) from stg_crm__deal_stage_history") > 1500
    for kind in ("call", "meeting", "task"):
        assert one(marts, f"select count(*) from fct_activities where activity_type = '{kind}'")
    assert one(marts, "select count(*) from stg_ops__targets") > 0


def test_chinese_names_loss_reasons_and_skipped_stages(marts):
    han = "[\u4e00-\u9fff]"  # Python puts in the characters: RE2 has no \u escape
    assert one(marts, f"select count(*) from dim_users where regexp_matches(name, '{han}')")
    assert one(marts, f"select count(*) from fct_deals where regexp_matches(loss_reason, '{han}')")
    skipped = one(marts, """
        select count(*) from (
            select deal_id, stage_order - lag(stage_order) over (
                partition by deal_id order by entered_at) as step
            from fct_deal_stage_events where status = 'open'
        ) where step > 1""")
    assert skipped > 10


def test_the_samples_loss_labels_are_its_reasons_and_the_competitor_leads(marts):
    # 选择了竞争对手 and Lost to Competition are one reason: together the largest lost amount
    # of the company's window (each alone is smaller than 预算不足)
    assert one(marts, "select count(*) from fct_deals where loss_reason is not null "
                      "and (loss_reason_id is null or loss_reason_id like 'label:%')") == 0
    assert one(marts, "select loss_reason_id from rpt_scope_loss_pareto "
                      "where scope_id = 'company' and pareto_rank = 1") == "competitor"
    assert one(marts, "select count(distinct loss_reason) from fct_deals "
                      "where loss_reason_id = 'competitor'") == 2


def test_a_deal_exported_twice_is_in_the_sample(marts):
    assert one(marts, "select count(*) from (select deal_id from raw_crm__deals "
                      "group by 1 having count(*) > 1)") > 10


def test_some_reps_have_no_target(marts):
    assert one(marts, "select count(*) from rpt_rep_performance_monthly "
                      "where month = date '2026-11-01' and target_won_amount is null") >= 1


def test_sample_files_keep_the_zoho_export_shape():
    deals = (SAMPLE_DIR / "Deals_2026_11_20.csv").read_bytes()
    assert deals.startswith(b'\xef\xbb\xbf"Record Id","Deal Owner.id"')
    assert b"\r\n" in deals and b'"zcrm_' in deals
    assert Path(SAMPLE_DIR / "org.csv").read_text(encoding="utf-8").startswith(
        "user_id,name,email,manager_id,team,region")


def test_the_waterfall_reconciles_on_the_sample(marts):
    rows = marts.execute("""
        select window_kind, owner_id,
            sum(count_change) filter (where movement <> 'closing')
                - sum(count_change) filter (where movement = 'closing'),
            sum(amount) filter (where movement <> 'closing')
                - sum(amount) filter (where movement = 'closing')
        from rpt_pipeline_waterfall group by 1, 2""").fetchall()
    assert len(rows) > 20
    assert all(count == 0 and amount == 0 for _, _, count, amount in rows)
