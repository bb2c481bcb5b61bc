"""The benchmark: `make bench SCALE=small|medium|large` (or a number of deals).

In one process: writes a Zoho-shaped inbox at the scale (pipeline/tools/bench_data.py), then
measures (1) the bare read, DuckDB read_csv of every file into a table and nothing else:
the physical limit; (2) each step of the pipeline, with the run's own settings; (3) a plain
pandas version of two marts (rep performance by month, the funnel by stage) from the same
files: what an analyst would otherwise write, against (4) the pipeline's ingest and SQL for
only the models those two marts read, in a warehouse of their own: like for like. Wall time,
rows per second and peak RSS (this process and its workers) for each; a table on stdout and
out/bench/<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.config import load_config
from pipeline.control import publish
from pipeline.control.run import step_function
from pipeline.paths import SQL_DIR
from pipeline.tools import bench_data
from pipeline.warehouse.build import build_order, discover_models, set_run_variables
from pipeline.warehouse.db import connect

log = logging.getLogger(__name__)

PACKAGES = ("duckdb", "pandas", "pandera", "typst", "matplotlib")
TWO_MARTS = ("rpt_rep_performance_monthly", "rpt_funnel_stages")
PAIR = ("performance", "funnel_loss")
PAIRS_MEASURED = 10
ACTIVITY_FILES = {"Calls.csv": ("Call Owner.id", "Call Start Time"),
                  "Meetings.csv": ("Host.id", "From"),
                  "Tasks.csv": ("Task Owner.id", "Due Date")}
NOTE = ("Taken on a shared 2-core machine (two other engineers running test suites): "
        "wall times are noisy; load_average says how busy it was.")


class PeakRss:
    """Samples the resident memory of this process and its children every 20 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self.peak = _tree_rss()
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _tree_rss())


def _tree_cpu(pid: int | None = None) -> float:
    """CPU seconds (user and system) of a process and its descendants, living or reaped: on a
    shared machine, what a step costs whatever else runs beside it."""
    pid = pid or os.getpid()
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        children = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                children += [int(c) for c in handle.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK") + sum(_tree_cpu(child) for child in children)


def _tree_rss(pid: int | None = None) -> int:
    """Bytes resident in a process and all its descendants (Linux /proc)."""
    pid = pid or os.getpid()
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            rss = next((int(line.split()[1]) * 1024 for line in handle
                        if line.startswith("VmRSS:")), 0)
        children = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                children += [int(c) for c in handle.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return rss + sum(_tree_rss(child) for child in children)


class Bench:
    def __init__(self) -> None:
        self.figures: list[dict] = []

    @contextmanager
    def measure(self, part: str, name: str, rows: int):
        started, cpu = time.perf_counter(), _tree_cpu()
        with PeakRss() as rss:
            yield
        seconds = time.perf_counter() - started
        self.figures.append({"part": part, "name": name, "seconds": round(seconds, 3),
                             "cpu_seconds": round(_tree_cpu() - cpu, 2),
                             "rows": rows, "rows_per_second": round(rows / seconds),
                             "peak_rss_mib": round(rss.peak / 2**20, 1)})
        log.info("%-9s %-22s %8.2f s %12s rows/s %9.1f MiB", part, name, seconds,
                 f"{rows / seconds:,.0f}", rss.peak / 2**20)

    def seconds(self, part: str, *names: str) -> float:
        return sum(f["seconds"] for f in self.figures
                   if f["part"] == part and (not names or f["name"] in names))

    def cpu(self, part: str, *names: str) -> float:
        return sum(f["cpu_seconds"] for f in self.figures
                   if f["part"] == part and (not names or f["name"] in names))

    def peak(self, part: str) -> float:
        return max(f["peak_rss_mib"] for f in self.figures if f["part"] == part)


def bare_read(bench: Bench, inbox: Path, work: Path, counts: dict[str, int],
              threads: int, memory_limit: str) -> None:
    database = work / "bare.duckdb"
    database.unlink(missing_ok=True)
    with duckdb.connect(str(database)) as con:
        con.execute("set threads = $t", {"t": threads})
        con.execute("set memory_limit = $m", {"m": memory_limit})
        for index, name in enumerate(sorted(counts)):
            with bench.measure("bare_read", name, counts[name]):
                con.execute(f"create table t{index} as select * from read_csv($path, "
                            "all_varchar = true)", {"path": str(inbox / name)})
    database.unlink()


def bench_config(inbox: Path, out: Path):
    return replace(load_config(inbox=inbox, out=out, as_of=date.fromisoformat(bench_data.AS_OF),
                               settle_seconds=0), recipients_file=None)


def pipeline_steps(bench: Bench, inbox: Path, out: Path, total_rows: int,
                   render: bool) -> None:
    from pipeline.report.render import render_reports

    shutil.rmtree(out, ignore_errors=True)
    config = bench_config(inbox, out)
    config = replace(config, release_dir=publish.current_or_new(out, "bench"))
    with connect(config) as con:
        for step in ("ingest", "build", "validate", "snapshot"):
            with bench.measure("pipeline", step, total_rows):
                step_function(step)(con, config)
    with connect(config, read_only=True) as con:
        if render:
            editions = con.execute("select count(*) + 1 from dim_users where is_manager"
                                   ).fetchone()[0]
            with bench.measure("pipeline", "report", total_rows):
                render_reports(con, config)
            bench.figures[-1]["editions"] = editions
            bench.figures[-1]["seconds_per_edition"] = round(
                bench.figures[-1]["seconds"] / editions, 3)
            render_pairs(bench, con, config, out / "pairs")


def render_pairs(bench: Bench, con, config, folder: Path) -> None:
    """A manager's report pair (performance and funnel loss, HTML and PDF, in the run's
    language) for PAIRS_MEASURED managers, on the run's worker processes, started
    beforehand: the seconds per pair."""
    from pipeline.report import render
    from pipeline.report.pdf import epoch, write_pdf
    from pipeline.warehouse.db import frame

    managers = [e for e in render.plan_editions(frame(con, "dim_users"), [], config)
                if e.scope.scope_id != "company"]
    # spread over the list (directors first, then managers), so each level counts as often
    # as it occurs
    editions = managers[::max(1, len(managers) // PAIRS_MEASURED)][:PAIRS_MEASURED]
    meta = {"as_of": config.as_of, "build_id": "bench", "newest_record": None}
    with render.workers(config.threads, con) as (pool, _):
        run = pool.map if pool is not None else map
        list(run(abs, range(config.threads)))  # every worker started, the warehouse open
        with bench.measure("render", "report_pairs", len(editions)):
            jobs = [job for found in run(write_pair, [folder / e.folder for e in editions],
                                         editions, [meta] * len(editions)) for job in found]
            list(run(write_pdf, *zip(*[(html, target, epoch(config.as_of))
                                       for html, target in jobs], strict=True)))
    pages = sum(pdf_pages(target) for _, target in jobs)
    bench.figures[-1]["pairs"] = len(editions)
    bench.figures[-1]["pdf_pages"] = pages
    bench.figures[-1]["cpu_seconds_per_pdf_page"] = round(
        bench.figures[-1]["cpu_seconds"] / max(pages, 1), 3)
    bench.figures[-1]["seconds_per_pair"] = round(
        bench.figures[-1]["seconds"] / max(len(editions), 1), 3)
    shutil.rmtree(folder, ignore_errors=True)


def pdf_pages(path: Path) -> int:
    """The pages of a PDF Typst wrote: its page objects, which Typst never compresses."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", path.read_bytes()))


def write_pair(folder: Path, edition, meta: dict) -> list[tuple[str, Path]]:
    """In a render worker: the pair's HTML; returns the PDF jobs."""
    from pipeline.report import render

    env = render.environment(edition.locale)
    return [(render.write_report(folder, edition, report, env, render.edition_marts(edition),
                                 meta)[1],
             folder / f"{report}.pdf") for report in PAIR]


def two_marts_pipeline(bench: Bench, inbox: Path, out: Path, total_rows: int) -> None:
    """The pipeline's side of the pandas comparison: ingest, then the SQL of only the models
    that rep performance by month and the funnel by stage read, in a warehouse of their own."""
    models = discover_models()
    needed, stack = set(), list(TWO_MARTS)
    while stack:
        name = stack.pop()
        if name in models and name not in needed:
            needed.add(name)
            stack += models[name].reads
    config = bench_config(inbox, out)
    shutil.rmtree(out, ignore_errors=True)
    with connect(config) as con:
        with bench.measure("two_marts", "ingest", total_rows):
            step_function("ingest")(con, config)
        with bench.measure("two_marts", "build", total_rows):
            set_run_variables(con, config)
            for path in sorted((SQL_DIR / "macros").glob("*.sql")):
                con.execute(path.read_text(encoding="utf-8"))
            for model in build_order({n: models[n] for n in needed}):
                con.execute(f"create or replace table {model.name} as (\n{model.sql}\n)")
        bench.figures[-1]["models"] = len(needed)
    shutil.rmtree(out, ignore_errors=True)


def pandas_reference(bench: Bench, inbox: Path, counts: dict[str, int]) -> None:
    """Rep performance by month (won, lost, amount won, win rate, activities) and the funnel
    by stage, as an analyst would write them, from the files the pipeline reads for them."""
    files = ["Deals.csv", "Deals_Stage_History.csv", *ACTIVITY_FILES]
    with bench.measure("pandas", "performance_and_funnel", sum(counts[f] for f in files)):
        deals = pd.read_csv(inbox / "Deals.csv", dtype=str, keep_default_na=False)
        history = pd.read_csv(inbox / "Deals_Stage_History.csv", dtype=str,
                              keep_default_na=False)
        deals["amount"] = pd.to_numeric(deals["Amount"], errors="coerce")
        deals["closed"] = pd.to_datetime(deals["Closing Date"], errors="coerce")
        deals["won"] = deals["Stage"].eq("Closed Won")
        deals["lost"] = deals["Stage"].str.startswith("Closed-Lost") | deals["Stage"].eq(
            "Closed Lost")
        closed = deals[deals["won"] | deals["lost"]].copy()
        closed["month"] = closed["closed"].dt.to_period("M")
        closed["won_amount"] = closed["amount"].where(closed["won"], 0)
        performance = closed.groupby(["Deal Owner.id", "month"]).agg(
            won_count=("won", "sum"), lost_count=("lost", "sum"),
            won_amount=("won_amount", "sum"))
        performance["win_rate"] = performance["won_count"] / (
            performance["won_count"] + performance["lost_count"])
        activities = pd.concat([
            pd.read_csv(inbox / name, usecols=list(columns), dtype=str,
                        keep_default_na=False).set_axis(["owner", "at"], axis=1)
            for name, columns in ACTIVITY_FILES.items()])
        activities["month"] = pd.to_datetime(activities["at"], errors="coerce",
                                              format="mixed").dt.to_period("M")
        performance = performance.join(activities.groupby(["owner", "month"]).size().rename(
            "activities_count").rename_axis(["Deal Owner.id", "month"]), how="outer")
        reached = pd.concat([
            history[["Deal Name.id", "Stage"]].rename(columns={"Deal Name.id": "deal"}),
            history[["Deal Name.id", "Moved To"]].rename(
                columns={"Deal Name.id": "deal", "Moved To": "Stage"}),
            deals[["Record Id", "Stage"]].rename(columns={"Record Id": "deal"}),
        ]).drop_duplicates()
        funnel = reached.groupby("Stage")["deal"].nunique().rename("deals_count")
        funnel = funnel.to_frame().reset_index()
    bench.figures[-1]["result_rows"] = len(performance) + len(funnel)


def machine() -> dict:
    with open("/proc/meminfo", encoding="ascii") as handle:
        total = next(int(line.split()[1]) for line in handle if line.startswith("MemTotal"))
    return {"cores": os.cpu_count(), "memory_gib": round(total / 2**20, 1),
            "platform": platform.platform(), "python": platform.python_version(),
            "versions": {p: version(p) for p in PACKAGES}}


def summary(bench: Bench) -> dict:
    bare = bench.seconds("bare_read")
    checked = bench.seconds("pipeline", "ingest", "build", "validate")
    pandas = bench.seconds("pandas")
    two_marts = bench.seconds("two_marts")
    result = {
        "bare_read_seconds": round(bare, 3),
        "bare_read_cpu_seconds": round(bench.cpu("bare_read"), 2),
        "ingest_build_validate_cpu_seconds": round(
            bench.cpu("pipeline", "ingest", "build", "validate"), 2),
        "ingest_build_validate_seconds": round(checked, 3),
        "pipeline_over_bare_read": round(checked / bare, 2),
        "pandas_seconds": round(pandas, 3),
        "two_marts_pipeline_seconds": round(two_marts, 3),
        "pandas_over_pipeline": round(pandas / two_marts, 2),
        "pandas_over_whole_ingest_and_build": round(
            pandas / bench.seconds("pipeline", "ingest", "build"), 2),
        "pipeline_peak_rss_mib": bench.peak("pipeline"),
        "two_marts_peak_rss_mib": bench.peak("two_marts"),
        "pandas_peak_rss_mib": bench.peak("pandas"),
    }
    report = [f for f in bench.figures if f["name"] == "report"]
    if report:
        result["report_seconds_per_edition"] = report[0]["seconds_per_edition"]
    pairs = [f for f in bench.figures if f["name"] == "report_pairs"]
    if pairs:
        result["report_seconds_per_pair"] = pairs[0]["seconds_per_pair"]
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small",
                        help="small, medium, large, or a number of deals (small)")
    parser.add_argument("--out", type=Path, default=Path("out/bench"))
    parser.add_argument("--no-render", action="store_true",
                        help="measure every step but the reports")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("matplotlib", "pipeline.report.render", "pipeline.ingest.inbox",
                  "pipeline.warehouse.build", "pipeline.warehouse.validate",
                  "pipeline.warehouse.history"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    scale = bench_data.scale_of(args.scale)
    config = load_config()
    inbox = args.out / f"data-{scale.deals}"
    started = time.perf_counter()
    shutil.rmtree(inbox, ignore_errors=True)
    counts = bench_data.generate(inbox, scale, config.threads)
    log.info("wrote %s rows of %d deals in %.1f s to %s", f"{sum(counts.values()):,}",
             scale.deals, time.perf_counter() - started, inbox)
    bench = Bench()
    bare_read(bench, inbox, args.out, counts, config.threads, config.memory_limit)
    pipeline_steps(bench, inbox, args.out / f"run-{scale.deals}", sum(counts.values()),
                   render=not args.no_render)
    two_marts_pipeline(bench, inbox, args.out / f"two-marts-{scale.deals}",
                       sum(counts.values()))
    pandas_reference(bench, inbox, counts)
    result = {"scale": args.scale, "deals": scale.deals, "reps": scale.reps,
              "managers": scale.managers, "rows": counts,
              "settings": {"threads": config.threads, "memory_limit": config.memory_limit},
              "machine": machine(), "note": NOTE,
              "load_average": [round(x, 2) for x in os.getloadavg()],
              "figures": bench.figures, "summary": summary(bench)}
    path = args.out / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{args.scale}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    for key, value in result["summary"].items():
        log.info("%-32s %s", key, value)
    log.info("figures in %s", path)
    return result


if __name__ == "__main__":
    main()
