"""The benchmark at a tiny scale: every figure is there; no test here depends on a timing."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from pipeline.tools import bench, bench_curve, bench_data
from pipeline.warehouse.db import open_warehouse

AS_OF = date.fromisoformat(bench_data.AS_OF)


@pytest.fixture(scope="module")
def run_2000(tmp_path_factory):
    """The benchmark at 2,000 deals, its build profiled: the result and its folder."""
    out = tmp_path_factory.mktemp("bench")
    return bench.main(["--scale", "2000", "--out", str(out), "--no-render", "--profile"]), out


def test_the_benchmark_writes_every_figure(run_2000):
    result, tmp_path = run_2000
    saved = json.loads(next(tmp_path.glob("*-2000.json")).read_text(encoding="utf-8"))
    assert saved == result
    parts = {(f["part"], f["name"]) for f in result["figures"]}
    assert {("bare_read", name) for name in result["rows"]} <= parts
    assert {("pipeline", s) for s in ("ingest", "build", "validate", "snapshot")} <= parts
    assert ("pandas", "performance_and_funnel") in parts
    assert all(f["seconds"] > 0 and f["peak_rss_mib"] > 0 for f in result["figures"])
    assert set(result["summary"]) >= {"pipeline_over_bare_read", "pandas_over_pipeline",
                                      "pipeline_peak_rss_mib"}
    assert result["machine"]["cores"] >= 1 and "duckdb" in result["machine"]["versions"]
    # the generated exports load whole: nothing quarantined, every row in a raw table
    with open_warehouse(tmp_path / "run-2000" / "warehouse.duckdb",
                        read_only=True) as con:
        assert con.execute("select count(*) from raw_rejects").fetchone()[0] == 0
        loaded = dict(con.execute("select file_name, rows_loaded from raw_files").fetchall())
    assert loaded == result["rows"]


def test_each_target_of_issue_17_is_beside_its_figure(run_2000):
    result, _ = run_2000
    summary = result["summary"]
    found = {t["target"]: t for t in result["targets"]}
    assert len(found) == 4
    wall = found["ingest + build + validate over the bare read, wall"]
    assert wall["figure"] == summary["pipeline_over_bare_read"] and wall["limit"] == "<= 3"
    assert wall["met"] == (summary["pipeline_over_bare_read"] <= 3)
    cpu = found["ingest + build + validate over the bare read, CPU"]
    assert cpu["figure"] == round(summary["ingest_build_validate_cpu_seconds"]
                                  / summary["bare_read_cpu_seconds"], 2)
    assert found["pandas reference over the two marts' pipeline, wall"]["limit"] == ">= 1"
    rss = found["peak RSS of ingest + build + validate, MiB"]
    assert rss["limit"] == "<= 2048" and rss["met"] == (rss["figure"] <= 2048)
    steps = [f["peak_rss_mib"] for f in result["figures"] if f["part"] == "pipeline"
             and f["name"] in ("ingest", "build", "validate")]
    assert rss["figure"] == max(steps)


def test_a_target_is_met_at_its_limit_and_missed_past_it():
    summary = {"pipeline_over_bare_read": 3.0, "pipeline_over_bare_read_cpu": 3.01,
               "pandas_over_pipeline": 1.5, "pipeline_peak_rss_mib": 2048.0}
    assert [t["met"] for t in bench.targets(summary, 100_000)] == [True, False, True, True]
    # from a million deals up the pipeline must be twice as fast as pandas
    large = bench.targets(summary, 1_000_000)
    assert large[2]["limit"] == ">= 2" and large[2]["met"] is False


def test_the_pandas_reference_makes_the_marts_numbers(run_2000):
    result, out = run_2000
    inbox = out / "data-2000"
    warehouse = out / "run-2000" / "warehouse.duckdb"
    frames = bench.pandas_reference(bench.Bench(), inbox, result["rows"], AS_OF)
    bench.check_reference(frames, warehouse)  # the bench itself checked it too
    performance = frames["rpt_rep_performance_monthly"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = con.execute("select sum(won_count), sum(lost_count), sum(activities_count) "
                            "from rpt_rep_performance_monthly").fetchone()
    assert marts[0] > 0 and marts[2] > 0
    assert tuple(performance[["won_count", "lost_count", "activities_count"]].sum()) == marts
    # and the check fails when one number is off
    frames["rpt_rep_performance_monthly"].loc[0, "won_amount"] += 100
    with pytest.raises(AssertionError, match="won_amount differs"):
        bench.check_reference(frames, warehouse)
    frames = bench.pandas_reference(bench.Bench(), inbox, result["rows"], AS_OF)
    frames["rpt_funnel_stages"] = frames["rpt_funnel_stages"].iloc[1:]
    with pytest.raises(AssertionError, match="rpt_funnel_stages has"):
        bench.check_reference(frames, warehouse)


def test_the_pandas_reference_reads_each_date_in_its_exports_format(run_2000, tmp_path):
    result, out = run_2000
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in (out / "data-2000").iterdir():
        (inbox / path.name).write_bytes(path.read_bytes())
    calls = pd.read_csv(inbox / "Calls.csv", dtype=str, keep_default_na=False)
    calls.loc[7, "Call Start Time"] = "07/03/2026 10:00"  # not Zoho's format
    calls.to_csv(inbox / "Calls.csv", index=False)
    with pytest.raises(ValueError, match="07/03/2026 10:00"):
        bench.pandas_reference(bench.Bench(), inbox, result["rows"], AS_OF)


def test_the_profile_names_where_the_builds_time_goes(run_2000):
    result, _ = run_2000
    profile = result["profile"]
    models = bench.discover_models()
    assert profile["models"] == len(models) == len(profile["every_model"])
    assert {f["model"] for f in profile["every_model"]} == set(models)
    assert all(f["seconds"] > 0 and f["cpu_seconds"] >= 0 for f in profile["every_model"])
    assert [f["seconds"] for f in profile["top"]] == sorted(
        (f["seconds"] for f in profile["every_model"]), reverse=True)[:len(profile["top"])]
    activities = profile["big_tables"]["activities"]
    assert activities["input_rows"] == sum(
        result["rows"][f] for f in ("Calls.csv", "Meetings.csv", "Tasks.csv"))
    assert {"raw_crm__calls", "stg_crm__calls", "int_activities_unioned",
            "fct_activities"} <= set(activities["tables"])
    assert "int_owner_months" not in activities["tables"]  # an aggregate is no copy
    assert activities["times_written"] >= 3


def test_a_big_inputs_copies_are_the_one_to_one_models_that_read_it():
    def model(name, *reads):
        return SimpleNamespace(name=name, reads=frozenset(reads))

    models = [model("stg_a", "raw_a"), model("int_a", "stg_a"), model("int_a_by_day", "int_a"),
              model("fct_a", "int_a", "stg_b"), model("rpt_b", "stg_b")]
    rows = {"raw_a": 100, "stg_a": 100, "int_a": 90, "int_a_by_day": 30, "fct_a": 90,
            "stg_b": 5, "rpt_b": 5}
    found = bench._copies(models, rows, ("raw_a",))
    assert found["tables"] == ["fct_a", "int_a", "raw_a", "stg_a"]
    assert found["times_written"] == 3.8  # (100 + 100 + 90 + 90) / 100
    assert found["models_reading_them"] == ["fct_a", "int_a", "int_a_by_day", "stg_a"]


def test_a_scale_always_writes_the_same_files(tmp_path):
    scale = bench_data.Scale(500)
    bench_data.generate(tmp_path / "a", scale)
    bench_data.generate(tmp_path / "b", scale)
    for path in sorted((tmp_path / "a").iterdir()):
        other = tmp_path / "b" / path.name
        assert hashlib.sha256(path.read_bytes()).digest() == \
            hashlib.sha256(other.read_bytes()).digest(), path.name


def test_the_org_has_a_manager_per_ten_reps_and_a_director_per_ten_managers():
    scale = bench_data.scale_of("large")
    assert (scale.deals, scale.reps, scale.managers, scale.directors) == (
        1_000_000, 500, 50, 5)


def test_the_curve_charts_time_and_memory_per_row(tmp_path):
    paths = []
    for deals, rows, seconds, mib in ((100, 1000, 1.0, 100.0), (200, 2000, 2.2, 190.0)):
        path = tmp_path / f"{deals}.json"
        path.write_text(json.dumps({"deals": deals, "rows": {"Deals.csv": rows}, "summary": {
            "ingest_build_validate_seconds": seconds,
            "ingest_build_validate_cpu_seconds": seconds * 1.5,
            "bare_read_seconds": seconds / 3, "bare_read_cpu_seconds": seconds / 4,
            "pipeline_peak_rss_mib": mib}}), "utf-8")
        paths.append(str(path))
    chart = tmp_path / "curve.png"
    found = bench_curve.main(["--plot", *paths, "--chart", str(chart), "--out", str(tmp_path)])
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert [p["rows"] for p in found] == [1000, 2000]
    assert round(found[1]["pipeline_us_per_row"]) == 1100
