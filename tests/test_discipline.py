"""Discipline over whole runs: the rules file steers the next run with no code change, every
default rule fires on the sample, and violations persist, or resolve, from night to night."""

from __future__ import annotations

import csv
import logging
from datetime import date
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.control.run import run
from pipeline.ingest.rules import read_rules
from pipeline.paths import DEFAULT_RULES, SAMPLE_DIR
from pipeline.tools.sample import AS_OF, generate_series
from pipeline.warehouse.db import open_warehouse


def run_once(inbox: Path, out: Path, as_of: date, steps=("ingest", "build"), **settings):
    logging.disable(logging.INFO)
    try:
        run(load_config(inbox=inbox, out=out, as_of=as_of, settle_seconds=0, **settings),
            steps)
    finally:
        logging.disable(logging.NOTSET)
    return open_warehouse(out / "warehouse.duckdb", read_only=True)


def counts(con) -> dict[str, int]:
    return dict(con.execute("select rule_id, count(*) from fct_discipline_violations "
                            "where not is_resolved group by 1").fetchall())


def test_editing_the_rules_file_changes_the_next_run(tmp_path):
    rules = DEFAULT_RULES.read_text(encoding="utf-8")
    before = counts(run_once(SAMPLE_DIR, tmp_path / "a", AS_OF))
    edited = tmp_path / "rules.yaml"
    edited.write_text(rules.replace("    days: 14\n", "    days: 30\n").replace(
        "  - id: overdue_task\n    kind: overdue_task\n",
        "  - id: overdue_task\n    kind: overdue_task\n    enabled: false\n"),
        encoding="utf-8")
    after = counts(run_once(SAMPLE_DIR, tmp_path / "b", AS_OF, rules_file=edited))
    assert 0 < after["stale_deal"] < before["stale_deal"]
    assert before["overdue_task"] > 0 and "overdue_task" not in after
    assert {k: v for k, v in after.items() if k != "stale_deal"} == {
        k: v for k, v in before.items() if k not in ("stale_deal", "overdue_task")}


@pytest.fixture(scope="module")
def sample(sample_run):
    con = open_warehouse(sample_run.warehouse, read_only=True)
    yield con
    con.close()


def test_every_default_rule_fires_on_the_sample(sample):
    fired = counts(sample)
    assert {r["rule_id"] for r in read_rules(DEFAULT_RULES)} <= set(fired)


def test_the_sample_looks_like_a_real_team(sample):
    scores = [s for (s,) in sample.execute(
        "select compliance_score from rpt_discipline_by_rep where as_of_date = ?",
        [AS_OF]).fetchall()]
    assert sum(s >= 85 for s in scores) >= 2, scores   # a few reps clean
    assert sum(s <= 30 for s in scores) >= 2, scores   # a few with many violations
    assert len(scores) >= 15


def test_violations_persist_and_a_fixed_record_resolves_the_next_night(tmp_path):
    first_night, second_night = generate_series(tmp_path / "series", 2)
    out = tmp_path / "out"
    steps = ("ingest", "build", "validate", "snapshot")
    con = run_once(first_night, out, date.fromisoformat(first_night.name), steps)
    task, persisting = con.execute("""
        select
            (select record_id from fct_discipline_violations where rule_id = 'overdue_task'
             order by record_id limit 1),
            (select record_id from fct_discipline_violations where rule_id = 'stale_deal'
             and measured_value >= 30 order by record_id limit 1)
    """).fetchall()[0]
    con.close()
    # the rep completes the task before the next export
    tasks = next(second_night.glob("Tasks_*.csv"))
    with tasks.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["Record Id"] == f"zcrm_{task}":
            row["Status"] = "Completed"
    with tasks.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL,
                                lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    con = run_once(second_night, out, date.fromisoformat(second_night.name), steps)
    fixed = con.execute("select is_resolved, first_seen_date from fct_discipline_violations "
                        "where rule_id = 'overdue_task' and record_id = ?", [task]).fetchall()
    assert fixed == [(True, date.fromisoformat(first_night.name))]
    kept = con.execute("select is_new, first_seen_date, days_open from "
                       "fct_discipline_violations where rule_id = 'stale_deal' "
                       "and record_id = ?", [persisting]).fetchall()
    assert kept == [(False, date.fromisoformat(first_night.name), 1)]
    trend = con.execute("select count(*) from rpt_discipline_by_scope "
                        "where scope_id = 'company'").fetchall()
    assert trend == [(2,)]


def test_a_changed_config_file_changes_the_build_id(crm, tmp_path):
    crm.person("lead", team=None).person("r1", manager="lead").deal("d1")

    def build_id() -> str:
        crm.build(as_of="2026-03-31")
        return crm.con.execute("select value from pipeline_state "
                               "where key = 'build_id'").fetchone()[0]

    first = build_id()
    assert build_id() == first
    crm.rules("""
rules:
  - id: stale
    kind: stale_deal
    days: 7
    description: {en: "x", zh_CN: "x"}
""", tmp_path)
    assert build_id() != first
