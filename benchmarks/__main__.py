"""python -m benchmarks run [--sizes 15000 100000 1000000 3000000] [--floors-up-to 1000000] | report

run     for each size: generate (or reuse) the sources root, run the pipeline as `make run` does, measure its
        stages, the quality and (up to --floors-up-to enterprises) the floors, save
        benchmarks/results/<date>-<N>.json; then write the report
report  docs/benchmarks.md and docs/benchmarks.png from the newest result of each size
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FLOORS_UP_TO = 1_000_000  # as benchmarks/run.py (not imported here: `report` needs neither Dagster nor dbt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--sizes", type=int, nargs="+", default=[15_000, 100_000, 1_000_000, 3_000_000])
    run.add_argument("--floors-up-to", type=int, default=FLOORS_UP_TO, metavar="N",
                     help="measure the floors (bare DuckDB reruns the whole build's SQL: about 5 minutes at 1M; "
                          "pandas, the naive resolver, the engine's landing, S1, HRSS) only at sizes up to N "
                          f"(default {FLOORS_UP_TO:,}); above it the result says they were skipped")
    run.add_argument("--landing-only", action="store_true",
                     help="generate and land only (`make run --landing-only`): a province whose whole run does not "
                          "fit the machine; saved as <date>-<N>-landing.json, reported apart")
    run.add_argument("--seed", type=int, default=20251231)
    run.add_argument("--warehouse-memory", metavar="LIMIT",
                     help="DuckDB's memory limit for the runs (LAKEHOUSE_WAREHOUSE_MEMORY, e.g. 10GB); default: the "
                          "machine's default (resources/settings.py)")
    run.add_argument("--work", type=Path, default=REPO / "var" / "bench",
                     help="sources roots (cached) and run homes")
    run.add_argument("--results", type=Path, default=REPO / "benchmarks" / "results")
    run.add_argument("--docs", type=Path, default=REPO / "docs")
    report = sub.add_parser("report")
    report.add_argument("--results", type=Path, default=REPO / "benchmarks" / "results")
    report.add_argument("--docs", type=Path, default=REPO / "docs")
    args = parser.parse_args(argv)

    from . import report as report_

    if args.command == "run":
        from .run import bench_size, save

        if args.warehouse_memory:
            os.environ["LAKEHOUSE_WAREHOUSE_MEMORY"] = args.warehouse_memory

        for n in args.sizes:
            if args.landing_only:
                from .run import bench_landing

                result = bench_landing(n, args.work.resolve(), args.seed)
                print(f"[{n:,}] landing {result['pipeline']['wall_s']:.1f} s -> {save(result, args.results)}",
                      flush=True)
                continue
            result = bench_size(n, args.work.resolve(), args.seed, args.floors_up_to)
            path = save(result, args.results)
            p = result["pipeline"]
            print(f"[{n:,}] {p['wall_s']:.1f} s end to end, {p['cpu_s']:.1f} s CPU, peak RSS {p['peak_rss_mib']:,} MiB"
                  f" -> {path}", flush=True)
    out = report_.write(args.results, args.docs)
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
