"""The benchmark at a tiny scale: every figure is there; no test here depends on a timing."""

from __future__ import annotations

import hashlib
import json

from pipeline.tools import bench, bench_curve, bench_data
from pipeline.warehouse.db import open_warehouse


def test_the_benchmark_writes_every_figure(tmp_path):
    result = bench.main(["--scale", "2000", "--out", str(tmp_path), "--no-render"])
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
