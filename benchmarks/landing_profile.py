"""Where landing time goes, delivery by delivery, against the engine's floor on the same file.

    python -m benchmarks.landing_profile --sources var/bench/sources-1000000 [--source tax grid] [--files 2]
                                         [--work /tmp/landing-profile] [--json out.json]

For each delivery of the file-based sources it runs, one after the other on one thread of control:
- the floor (`floors.engine_landing`'s read and COPY of that one file);
- our landing outside Dagster, the same calls the landing asset makes (assets/landing/assets.py `fetch_file`, then
  `land`), each phase timed: the file read, the raw archive (SHA-256 and the copy), the reader (decode and parse),
  and inside `land` every DuckDB statement, grouped by what it does.
It never writes into the sources root: the lake it lands into is under --work and is removed afterwards.

The pipeline overlaps the next delivery's read with the current one's `land` (a reader thread) and adds Dagster's
step around it, so its stage time is not this sum; this tells which phase costs what.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from assets.landing import land as land_module
from assets.landing import store
from assets.landing.assets import READERS
from assets.landing.deliveries import discover
from contracts.sources import DATASETS
from resources import connections
from resources.lake import Lake

from .floors import ENGINE_FORMATS, GBK_METHODS, PARQUET, engine_read

# the statements land() runs, by what they do (the first pattern that matches names a statement)
PHASES = (
    ("json fields extracted (raw)", re.compile(r"^CREATE TEMP TABLE raw ")),
    ("typed table: trim, parse, checks, domain rules, key", re.compile(r"^CREATE TEMP TABLE typed ")),
    ("contradicting duplicates (repeated identities, their raw values, UPDATE)",
     re.compile(r"^(CREATE TEMP TABLE (repeated|repeated_rows|contradicting) "
                r"|UPDATE typed SET _reason = c\._duplicate)")),
    ("bronze Parquet written", re.compile(r"^COPY \(SELECT (?!'\w+' AS source_system)")),
    ("quarantine Parquet written", re.compile(r"^COPY \(SELECT ")),
    ("quarantine reasons counted", re.compile(r"^SELECT reason, count")),
    ("preview", re.compile(r"^SELECT .* LIMIT 5$", re.S)),
)


def phase_of(sql: str) -> str:
    return next((name for name, rx in PHASES if rx.search(sql)), "other statements")


class TimedConnection:
    """A DuckDB connection that adds each statement's seconds to `timings`, by phase."""

    def __init__(self, con: duckdb.DuckDBPyConnection, timings: dict[str, float]):
        self._con, self._timings = con, timings

    def execute(self, sql: str, *args):
        t0 = time.perf_counter()
        try:
            return self._con.execute(sql, *args)
        finally:
            self._timings[phase_of(sql)] += time.perf_counter() - t0

    def sql(self, sql: str):
        con, timings = self._con, self._timings

        class Relation:  # the preview's relation runs when it is fetched
            def to_arrow_table(self):
                t0 = time.perf_counter()
                try:
                    return con.sql(sql).to_arrow_table()
                finally:
                    timings[phase_of(sql)] += time.perf_counter() - t0

        return Relation()

    def __getattr__(self, name):
        return getattr(self._con, name)


class _TimedDuckdb:
    """Stands in for the `duckdb` module of resources/connections.py while land() runs."""

    def __init__(self, timings: dict[str, float]):
        self.timings = timings

    def connect(self, *args, **kwargs):
        return TimedConnection(duckdb.connect(*args, **kwargs), self.timings)

    def __getattr__(self, name):
        return getattr(duckdb, name)


def floor_delivery(con: duckdb.DuckDBPyConnection, ds, path: Path, work: Path, gbk: str | None
                   ) -> tuple[float, int, str]:
    """The engine's floor on one file, as `floors.engine_landing` times it (one database per source, so an
    extension's LOAD counts with the first file): seconds, rows written, method."""
    floor_dir = work / "floor"
    floor_dir.mkdir(parents=True, exist_ok=True)
    target = floor_dir / "out.parquet"
    t0 = time.perf_counter()
    select, params, method = engine_read(con, ds, path, floor_dir, gbk)
    con.execute(f"COPY ({select}) TO $target {PARQUET}", {**params, "target": str(target)})
    seconds = time.perf_counter() - t0
    rows = pq.ParquetFile(target).metadata.num_rows
    shutil.rmtree(floor_dir)
    return seconds, rows, method


OUTSIDE_LAND = ("file read", "raw archive (SHA-256 + copy)", "reader (decode, parse to Arrow)")


def ours_delivery(ds, partition: str, path: Path, lake: Lake, spill: Path) -> tuple[int, dict[str, float]]:
    """Our landing of one file, as the landing asset does it (fetch_file, then land): rows in, seconds per phase."""
    t: dict[str, float] = defaultdict(float)
    t0 = time.perf_counter()
    data = path.read_bytes()
    t[OUTSIDE_LAND[0]] = time.perf_counter() - t0
    t0 = time.perf_counter()
    digest, _ = store.archive(lake, data, path.suffix)
    t[OUTSIDE_LAND[1]] = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw = READERS[ds.format](path, ds, data)
    t[OUTSIDE_LAND[2]] = time.perf_counter() - t0
    del data
    land_module.ensure_schema_file(lake, ds)
    saved = connections.duckdb
    connections.duckdb = _TimedDuckdb(t)
    t0 = time.perf_counter()
    try:
        result = land_module.land(ds, partition, raw, path.name, digest, lake, spill=spill, file_stat={})
    finally:
        connections.duckdb = saved
    inside = sum(v for k, v in t.items() if k not in OUTSIDE_LAND)
    t["land(): registration, row counts, record"] = time.perf_counter() - t0 - inside
    return result.rows_in, dict(t)


def profile(sources: Path, work: Path, only: set[str] | None, files: int | None, gbk: str | None = None,
            floor_only: bool = False) -> list[dict]:
    out = []
    lake = Lake.at(work / "lake")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        for ds in DATASETS:
            if ds.format not in ENGINE_FORMATS or (only and ds.source not in only):
                continue
            con = duckdb.connect()
            for partition, path in list(discover(sources, ds).items())[:files]:
                floor, rows, method = floor_delivery(con, ds, path, work, gbk)
                row = {"source": ds.source, "file": path.name, "bytes": path.stat().st_size, "rows": rows,
                       "floor_s": round(floor, 3), "floor_method": method}
                line = f"{ds.source:6} {path.name:24} {rows:>9,} rows  floor {floor:6.2f} s"
                if not floor_only:
                    row["rows"], phases = ours_delivery(ds, partition, path, lake, work / "spill")
                    row["ours_s"] = round(sum(phases.values()), 3)
                    row["phases_s"] = {k: round(v, 3) for k, v in phases.items()}
                    line += f"  ours {row['ours_s']:6.2f} s  ({row['ours_s'] / floor:.2f}x)"
                    shutil.rmtree(lake.local_path(""))
                print(line, flush=True)
                out.append(row)
            con.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def summary(rows: list[dict]) -> dict:
    """Per source: files, rows, floor and ours (sums), ratio, and the phases summed."""
    by: dict[str, dict] = {}
    for r in rows:
        s = by.setdefault(r["source"], {"files": 0, "rows": 0, "floor_s": 0.0, "floor_method": r["floor_method"]})
        s["files"] += 1
        s["rows"] += r["rows"]
        s["floor_s"] += r["floor_s"]
        if "ours_s" in r:
            s["ours_s"] = s.get("ours_s", 0.0) + r["ours_s"]
            phases = s.setdefault("phases_s", defaultdict(float))
            for k, v in r["phases_s"].items():
                phases[k] += v
    for s in by.values():
        if "ours_s" in s:
            s["ratio"] = round(s["ours_s"] / s["floor_s"], 2) if s["floor_s"] else None
            s["ours_s"] = round(s["ours_s"], 2)
            s["phases_s"] = {k: round(v, 2) for k, v in sorted(s["phases_s"].items(), key=lambda kv: -kv[1])}
        s["floor_s"] = round(s["floor_s"], 2)
    return by


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.landing_profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, required=True, help="a sources root (read only)")
    parser.add_argument("--source", nargs="*", help="only these sources (default: every file-based one)")
    parser.add_argument("--files", type=int, help="at most this many deliveries per dataset (default: all)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/landing-profile"), help="scratch (removed after)")
    parser.add_argument("--gbk", choices=list(GBK_METHODS), help="how the floor reads a GBK file (default: "
                        "pyarrow's reader, the fastest)")
    parser.add_argument("--floor-only", action="store_true", help="time the floor alone, not our landing")
    parser.add_argument("--json", type=Path, help="write the per-delivery rows and the summary here")
    args = parser.parse_args(argv)
    with duckdb.connect() as con:
        threads = con.execute("select current_setting('threads')").fetchone()[0]
    print(f"DuckDB {duckdb.__version__}, {threads} threads")
    rows = profile(args.sources.resolve(), args.work, set(args.source or []) or None, args.files, args.gbk,
                   args.floor_only)
    by = summary(rows)
    print()
    for source, s in by.items():
        print(f"{source}: {s['files']} files, {s['rows']:,} rows, floor {s['floor_s']} s ({s['floor_method']})"
              + (f", ours {s['ours_s']} s, {s['ratio']}x" if "ours_s" in s else ""))
        for k, v in s.get("phases_s", {}).items():
            print(f"    {v:7.2f} s  {k}")
    if args.json:
        args.json.write_text(json.dumps({"duckdb": duckdb.__version__, "deliveries": rows, "sources": by},
                                        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
