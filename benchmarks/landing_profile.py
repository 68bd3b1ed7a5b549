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

from assets.landing import land as land_module
from assets.landing import store
from assets.landing.assets import READERS
from assets.landing.deliveries import discover
from contracts.sources import DATASETS

from .floors import ENGINE_FORMATS, PARQUET, engine_read

# the statements land() runs, by what they do (the first pattern that matches names a statement)
PHASES = (
    ("json fields extracted (raw)", re.compile(r"^CREATE TEMP TABLE raw ")),
    ("typed table: parse, reasons, raw values, key", re.compile(r"^CREATE TEMP (VIEW checked|TABLE typed) ")),
    ("domain rules (UPDATE typed)", re.compile(r"^UPDATE typed SET _reason = concat_ws")),
    ("contradicting duplicates (window + UPDATE)", re.compile(r"^(CREATE TEMP TABLE contradicting|UPDATE typed SET "
                                                              r"_reason = c\._duplicate)")),
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
    """Stands in for the `duckdb` module inside assets/landing/land.py while profiling."""

    def __init__(self, timings: dict[str, float]):
        self.timings = timings

    def connect(self, *args, **kwargs):
        return TimedConnection(duckdb.connect(*args, **kwargs), self.timings)

    def __getattr__(self, name):
        return getattr(duckdb, name)


def profile_delivery(ds, partition: str, path: Path, lake: Path, work: Path) -> dict:
    t: dict[str, float] = defaultdict(float)
    # the floor on the same file
    floor_dir = work / "floor"
    floor_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect()
    try:
        select, params, method = engine_read(con, ds, path, floor_dir)
        con.execute(f"COPY ({select}) TO $target {PARQUET}", {**params, "target": str(floor_dir / "out.parquet")})
    finally:
        con.close()
    floor = time.perf_counter() - t0
    shutil.rmtree(floor_dir)

    # ours: what fetch_file and land do, phase by phase
    t0 = time.perf_counter()
    data = path.read_bytes()
    t["file read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    digest, _ = store.archive(lake / "raw", data, path.suffix)
    t["raw archive (SHA-256 + copy)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw = READERS[ds.format](path, ds, data)
    t["reader (decode, parse to Arrow)"] = time.perf_counter() - t0
    del data
    land_module.ensure_schema_file(lake, ds)
    saved = land_module.duckdb
    land_module.duckdb = _TimedDuckdb(t)
    t0 = time.perf_counter()
    try:
        result = land_module.land(ds, partition, raw, str(path.name), digest, lake,
                                  file_stat={})
    finally:
        land_module.duckdb = saved
    inside = sum(v for k, v in t.items() if k not in ("file read", "raw archive (SHA-256 + copy)",
                                                      "reader (decode, parse to Arrow)"))
    t["land(): registration, row counts, record"] = time.perf_counter() - t0 - inside
    ours = sum(t.values())
    return {"source": ds.source, "file": path.name, "rows_in": result.rows_in, "bytes": path.stat().st_size,
            "floor_s": round(floor, 3), "floor_method": method, "ours_s": round(ours, 3),
            "phases_s": {k: round(v, 3) for k, v in t.items()}}


def profile(sources: Path, work: Path, only: set[str] | None, files: int | None) -> list[dict]:
    out = []
    lake = work / "lake"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        for ds in DATASETS:
            if ds.format not in ENGINE_FORMATS or (only and ds.source not in only):
                continue
            for partition, path in list(discover(sources, ds).items())[:files]:
                row = profile_delivery(ds, partition, path, lake, work)
                print(f"{ds.source:6} {path.name:24} {row['rows_in']:>9,} rows  floor {row['floor_s']:6.2f} s  "
                      f"ours {row['ours_s']:6.2f} s  ({row['ours_s'] / row['floor_s']:.2f}x)", flush=True)
                out.append(row)
                shutil.rmtree(lake)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def summary(rows: list[dict]) -> dict:
    """Per source: files, rows, floor and ours (sums), ratio, and the phases summed."""
    by: dict[str, dict] = {}
    for r in rows:
        s = by.setdefault(r["source"], {"files": 0, "rows": 0, "floor_s": 0.0, "ours_s": 0.0,
                                        "floor_method": r["floor_method"], "phases_s": defaultdict(float)})
        s["files"] += 1
        s["rows"] += r["rows_in"]
        s["floor_s"] += r["floor_s"]
        s["ours_s"] += r["ours_s"]
        for k, v in r["phases_s"].items():
            s["phases_s"][k] += v
    for s in by.values():
        s["ratio"] = round(s["ours_s"] / s["floor_s"], 2) if s["floor_s"] else None
        s["floor_s"], s["ours_s"] = round(s["floor_s"], 2), round(s["ours_s"], 2)
        s["phases_s"] = {k: round(v, 2) for k, v in sorted(s["phases_s"].items(), key=lambda kv: -kv[1])}
    return by


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.landing_profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, required=True, help="a sources root (read only)")
    parser.add_argument("--source", nargs="*", help="only these sources (default: every file-based one)")
    parser.add_argument("--files", type=int, help="at most this many deliveries per dataset (default: all)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/landing-profile"), help="scratch (removed after)")
    parser.add_argument("--json", type=Path, help="write the per-delivery rows and the summary here")
    args = parser.parse_args(argv)
    with duckdb.connect() as con:
        threads = con.execute("select current_setting('threads')").fetchone()[0]
    print(f"DuckDB {duckdb.__version__}, {threads} threads")
    rows = profile(args.sources.resolve(), args.work, set(args.source or []) or None, args.files)
    by = summary(rows)
    print()
    for source, s in by.items():
        print(f"{source}: {s['files']} files, {s['rows']:,} rows, floor {s['floor_s']} s ({s['floor_method']}), "
              f"ours {s['ours_s']} s, {s['ratio']}x")
        for k, v in s["phases_s"].items():
            print(f"    {v:7.2f} s  {k}")
    if args.json:
        args.json.write_text(json.dumps({"duckdb": duckdb.__version__, "deliveries": rows, "sources": by},
                                        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
