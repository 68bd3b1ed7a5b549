"""Where a model runs out of memory: each top-level CTE of its compiled SQL materialized as a table of its own, one
statement each, under a memory limit, with its time, rows and the process's peak RSS so far.

    dbt compile --select int_links_exact --target-path /tmp/t   (with LAKEHOUSE_HOME of a built warehouse)
    python -m benchmarks.cte_steps /tmp/t/compiled/.../int_links_exact.sql HOME/warehouse.duckdb \\
        /tmp/steps.duckdb 5GB [--from CTE]

The warehouse is attached read-only as `warehouse` (as dbt-duckdb names it); the tables go to the scratch database.
Reads CTEs written one per block, `name as (` at the start of a line and `),` closing it (the project's style).
"""
from __future__ import annotations

import argparse
import re
import resource
import time
from pathlib import Path

import duckdb

START = re.compile(r"^([a-z_]+)( \([^)]*\))? as \((.*)$")


def ctes(sql: str) -> list[tuple[str, str, str]]:
    """(name, column list or '', body) of each top-level CTE, in order."""
    found, body, name, columns = [], [], None, ""
    for line in sql.splitlines():
        m = START.match(line.removeprefix("with ")) if name is None else None
        if m:
            name, columns, rest = m.group(1), m.group(2) or "", m.group(3)
            if rest.endswith("),") and rest.count("(") < rest.count(")"):  # a one-line CTE
                found.append((name, columns, rest[:-2]))
                name = None
            else:
                body = [rest] if rest else []
        elif name is not None:
            if line in ("),", ")"):
                found.append((name, columns, "\n".join(body)))
                name = None
            else:
                body.append(line)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("compiled", type=Path)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("scratch", type=Path)
    parser.add_argument("memory_limit")
    parser.add_argument("--from", dest="start", help="start at this CTE (the ones before it already built)")
    args = parser.parse_args()
    con = duckdb.connect(str(args.scratch), config={"memory_limit": args.memory_limit, "threads": 2,
                                                     "preserve_insertion_order": False})
    con.execute("attach $path as warehouse (read_only)", {"path": str(args.warehouse)})
    started = args.start is None
    for name, columns, body in ctes(args.compiled.read_text(encoding="utf-8")):
        started = started or name == args.start
        if not started:
            continue
        t = time.time()
        # a CTE with a column list (`rules (a, b) as (values ...)`) names its columns through a derived table
        select = f"select * from ({body}) t{columns}" if columns else body
        try:
            con.execute(f"create or replace table {name} as {select}")
        except duckdb.Error as e:
            print(f"{name:24s} FAILED after {time.time() - t:.1f} s: {str(e).splitlines()[0]}", flush=True)
            raise SystemExit(1) from e
        rows = con.execute(f"select count(*) from {name}").fetchone()[0]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"{name:24s} {time.time() - t:7.1f} s {rows:>14,} rows  peak RSS {peak:,} MiB", flush=True)


if __name__ == "__main__":
    main()
