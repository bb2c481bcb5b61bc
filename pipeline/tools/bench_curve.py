"""The benchmark at three scales, 1x, 2x and 4x a base number of deals, and its chart:
`make bench-curve BASE=125000` (or `python -m pipeline.tools.bench_curve --base 125000`).

Each scale runs `python -m pipeline.tools.bench --no-render` in a process of its own (so no scale
inherits another's memory), then docs/bench_linearity.png shows, against the number of input
rows, the time per row (wall and CPU) of ingest + build + validate beside the bare read's,
and the peak RSS per row. Flat lines are linear cost. `--plot FILE...` redraws the chart
from bench JSON files already written.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

MULTIPLES = (1, 2, 4)
CHART = Path("docs/bench_linearity.png")


def run_scales(base: int, out: Path) -> list[Path]:
    paths = []
    for multiple in MULTIPLES:
        deals = base * multiple
        before = set(out.glob(f"*-{deals}.json"))
        subprocess.run([sys.executable, "-m", "pipeline.tools.bench", "--scale", str(deals),
                        "--out", str(out), "--no-render"], check=True)
        paths += sorted(set(out.glob(f"*-{deals}.json")) - before)[-1:]
        for folder in out.glob(f"*-{deals}"):
            if folder.is_dir():
                shutil.rmtree(folder)  # the inbox and warehouses: gigabytes at 4x
    return paths


def points(paths: list[Path]) -> list[dict]:
    """Per bench JSON: input rows, and per row: microseconds and bytes."""
    found = []
    for path in paths:
        result = json.loads(path.read_text(encoding="utf-8"))
        rows = sum(result["rows"].values())
        summary = result["summary"]
        found.append({
            "deals": result["deals"], "rows": rows,
            "pipeline_us_per_row": summary["ingest_build_validate_seconds"] / rows * 1e6,
            "pipeline_cpu_us_per_row":
                summary["ingest_build_validate_cpu_seconds"] / rows * 1e6,
            "bare_read_us_per_row": summary["bare_read_seconds"] / rows * 1e6,
            "bare_read_cpu_us_per_row": summary["bare_read_cpu_seconds"] / rows * 1e6,
            "peak_bytes_per_row": summary["pipeline_peak_rss_mib"] * 2**20 / rows,
            "peak_rss_mib": summary["pipeline_peak_rss_mib"],
        })
    return sorted(found, key=lambda p: p["rows"])


def spread(values: list[float]) -> float:
    """The largest relative distance from the first scale's figure."""
    return max(abs(v - values[0]) / values[0] for v in values)


def fit(found: list[dict], per_row: str) -> tuple[float, float]:
    """Least squares total = fixed + slope * rows, from a per-row figure: (fixed, slope)."""
    xs = [p["rows"] for p in found]
    ys = [p[per_row] * p["rows"] for p in found]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs)
    return mean_y - slope * mean_x, slope


def plot(found: list[dict], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [p["rows"] / 1e6 for p in found]
    figure, (times, memory) = plt.subplots(1, 2, figsize=(12, 4.6))
    for key, label in (("pipeline_us_per_row", "ingest + build + validate, wall"),
                       ("pipeline_cpu_us_per_row", "ingest + build + validate, CPU"),
                       ("bare_read_us_per_row", "bare read (DuckDB read_csv), wall"),
                       ("bare_read_cpu_us_per_row", "bare read, CPU")):
        values = [p[key] for p in found]
        fixed, slope = fit(found, key)
        times.plot(rows, values, marker="o", label=f"{label}: spread {spread(values):.0%}; "
                   f"fit {fixed / 1e6:,.0f} s + {slope:.1f} us/row")
    times.set(title="Time per input row", xlabel="input rows (millions)",
              ylabel="microseconds per row", ylim=(0, None))
    times.legend(fontsize=7)
    values = [p["peak_bytes_per_row"] for p in found]
    fixed, slope = fit(found, "peak_bytes_per_row")
    memory.plot(rows, values, marker="o", color="tab:red",
                label=f"peak RSS per row: spread {spread(values):.0%}; "
                      f"fit {fixed / 2**20:,.0f} MiB + {slope:.0f} B/row")
    for p in found:
        memory.annotate(f"{p['peak_rss_mib']:,.0f} MiB", (p["rows"] / 1e6,
                                                         p["peak_bytes_per_row"]),
                        textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    memory.set(title="Peak memory per input row", xlabel="input rows (millions)",
               ylabel="bytes per row", ylim=(0, None))
    memory.legend(fontsize=7)
    deals = ", ".join(f"{p['deals']:,}" for p in found)
    figure.suptitle(f"Benchmark at {deals} deals (shared 2-core machine: CPU time is the "
                    "steadier measure; a fit's fixed part is what does not grow with rows)",
                    fontsize=9)
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=100)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=125_000, help="deals at 1x (125000)")
    parser.add_argument("--out", type=Path, default=Path("out/bench"))
    parser.add_argument("--chart", type=Path, default=CHART)
    parser.add_argument("--plot", type=Path, nargs="+", help="bench JSON files to chart")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = args.plot or run_scales(args.base, args.out)
    found = points(paths)
    plot(found, args.chart)
    (args.out / "curve.json").write_text(json.dumps(found, indent=2), encoding="utf-8")
    for p in found:
        print(f"{p['deals']:>10,} deals {p['rows']:>12,} rows  "
              f"{p['pipeline_us_per_row']:6.2f} us/row wall  "
              f"{p['pipeline_cpu_us_per_row']:6.2f} us/row CPU  "
              f"{p['peak_bytes_per_row']:7.0f} B/row  {p['peak_rss_mib']:7.0f} MiB")
    print(f"chart in {args.chart}")
    return found


if __name__ == "__main__":
    main()
