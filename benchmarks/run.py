"""One benchmark size: the sources root (generated once, cached), the pipeline run exactly as `make run` runs it
(scripts/demo.py as its own process, on a fresh LAKEHOUSE_HOME), its stages measured, then the resolution quality
against ground truth and, up to --floors-up-to enterprises, the floors: each stage's own and end to end against
their sum."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from assets.publish import store
from assets.transform.quality import measure
from contracts.published import PUBLISHED
from resources.settings import LakehouseSettings, instance_dir, prepare_dagster_home
from simulator.generate import simulator_version

from . import floors
from .measure import Sampler, attribute, disk_bytes, peak_in_windows
from .stages import LANDING, ORCHESTRATION, RESOLUTION, kind_of, read_stages

REPO = Path(__file__).resolve().parent.parent
DBT_PROJECT = REPO / "dbt_project"
MONTHS = 12
MIB = 1024 * 1024
FLOORS_UP_TO = 1_000_000  # the floors are measured up to this N (--floors-up-to)


def generation_record(root: Path) -> Path:
    """What generating `root` took (the simulator's summary: seconds, peak RSS, files), kept beside it."""
    return root.with_name(f"generation-{root.name.removeprefix('sources-')}.json")


def ensure_sources(root: Path, enterprises: int, seed: int) -> dict:
    """Generate the sources root unless a complete one for the same size, seed and simulator code is cached there;
    a cached root reports what its generation took when that was recorded."""
    marker = root / "_truth" / "generation.json"
    version = simulator_version()
    record = generation_record(root)
    if marker.exists():
        info = json.loads(marker.read_text(encoding="utf-8"))
        if (info.get("enterprises") == enterprises and info.get("seed") == seed
                and len(info.get("months", [])) == MONTHS and info.get("simulator") == version):
            measured = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}
            if measured.get("simulator") != version or "seconds" not in measured:
                return {"cached": True, "simulator": version}
            return {"cached": True, "simulator": version, "seconds": measured["seconds"],
                    "peak_rss_mib": measured.get("peak_rss_mib")}
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "simulator", "generate", "--out", str(root), "--enterprises",
                           str(enterprises), "--seed", str(seed), "--months", str(MONTHS), "--quiet"],
                          check=True, stdout=subprocess.PIPE, text=True)
    summary = {**json.loads(done.stdout), "seconds": round(time.perf_counter() - started, 1)}
    record.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return {"cached": False, "seconds": summary["seconds"], "simulator": version,
            "peak_rss_mib": summary.get("peak_rss_mib")}


# configured by the benchmark (the home and the root) or derived from them by resources/settings.py: none is inherited
CONFIG = ("LAKEHOUSE_HOME", "LAKEHOUSE_SOURCES_ROOT", "LAKEHOUSE_LAKE_URL", "LAKEHOUSE_LAKE", "SAMR_DB_URL",
          "DAGSTER_HOME", "HRSS_API_BASE_URL", "HRSS_API_TOKEN", "VIRTUAL_ENV")


def _env(home: Path, root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG}
    # the lake in the home, removed with it before each size (never a configured object store)
    lake = str(home / "lake")
    env.update({**LakehouseSettings(home=str(home), lake_url=lake).dbt_environment(),
                "LAKEHOUSE_SOURCES_ROOT": str(root),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"})
    return env


def spill_dirs(home: Path) -> tuple[Path, ...]:
    """Where the run's DuckDB connections spill past their memory limits: the build's (beside the warehouse), the
    gate's (resources/settings.py `spill_path`) and any in-memory connection's default (.tmp of the working
    directory, the repository's)."""
    return (home / "warehouse.duckdb.tmp", home / "tmp", REPO / ".tmp")


def run_pipeline(home: Path, root: Path, landing_only: bool = False) -> tuple[float, Sampler, str, int]:
    """`make run` on this root: wall seconds, the sampler (the process tree's samples, the spill directories'), its
    output and exit code. Its output is its stage lines and summary only: Dagster's events, dbt's and GX's output
    go to its own log file ($LAKEHOUSE_HOME/logs, scripts/demo.py)."""
    shutil.rmtree(home, ignore_errors=True)
    # what `make install` does for a user's home, before the clock starts: the instance (where the run finds it, its
    # DAGSTER_HOME unset), and dbt's partial-parse state for this profile (the user's own is put back afterwards)
    prepare_dagster_home(instance_dir(home))
    env = _env(home, root)
    subprocess.run([str(Path(sys.executable).with_name("dbt")), "parse", "--quiet", "--profiles-dir", "."],
                   cwd=DBT_PROJECT, env=env, check=True, capture_output=True)
    log = home / "make-run.log"
    with log.open("w") as out:
        started = time.time()
        proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "demo.py"),
                                 *(["--landing-only"] if landing_only else [])], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
        # the simulated HRSS API is a department's system, not the pipeline: its process is left out
        with Sampler(proc.pid, exclude=("serve-hrss",), spill_dirs=spill_dirs(home),
                     disk_dirs=(home, REPO / ".tmp")) as sampler:
            code = proc.wait()
        wall = time.time() - started
    printed = log.read_text(encoding="utf-8", errors="replace")
    return wall, sampler, printed, code


def footprint(home: Path, root: Path) -> dict[str, int]:
    """MiB on disk after the run, by what holds them: the sources root (the departments', read only) and each part
    of the home."""
    mib = lambda *paths: round(disk_bytes(paths) / MIB)  # noqa: E731
    lake, published = home / "lake", home / "published"
    parts = {"sources root": mib(root), "lake: raw archive": mib(lake / "raw"), "lake: bronze": mib(lake / "bronze"),
             "lake: quarantine": mib(lake / "quarantine"), "warehouse": mib(home / "warehouse.duckdb"),
             "published: extracts": mib(*[v for p in PUBLISHED for v in (published / p.name).glob("v=*")]),
             "published: change sets": mib(*[published / p.name / "changes" for p in PUBLISHED]),
             "published: each park's": mib(published / "parks")}
    parts["home, all"] = mib(home)
    return parts


def machine(settings: LakehouseSettings, work: Path) -> dict:
    """The machine the size ran on: cores, memory, the disk left free after the run, DuckDB's memory limit."""
    return {"cpus": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1024**3, 1),
            "disk_free_gib": round(shutil.disk_usage(work).free / 1024**3, 1),
            "warehouse_memory_limit": settings.warehouse_memory}


def bench_landing(enterprises: int, work: Path, seed: int) -> dict:
    """A size's generation and landing only (`make run --landing-only`: every delivery landed, nothing built): a
    province's first two steps, measured where its whole run does not fit the machine. Its result has scope
    "landing" and stays out of the tables of whole runs."""
    root, home = work / f"sources-{enterprises}", work / f"run-{enterprises}"
    print(f"[{enterprises:,}] sources root {root} ...", flush=True)
    generation = ensure_sources(root, enterprises, seed)
    print(f"[{enterprises:,}] make run --landing-only on a fresh home {home} ...", flush=True)
    wall, sampler, printed, code = run_pipeline(home, root, landing_only=True)
    if code != 0:
        raise SystemExit(f"the landing failed at N={enterprises:,} (exit {code}); see {home / 'make-run.log'}")
    disk = footprint(home, root)
    windows, landed_rows, runs = read_stages(instance_dir(home), home / "no-dbt-run")
    stages = attribute(sampler.samples, windows, rest=ORCHESTRATION)
    spilled = peak_in_windows(sampler.spill_samples, windows)
    for name, st in stages.items():
        rows = landed_rows.get(name.removeprefix(LANDING), 0) if name.startswith(LANDING) else None
        st["rows"] = rows
        st["rows_per_s"] = round(rows / st["wall_s"]) if rows and st["wall_s"] > 0 else None
        st["peak_rss_mib"] = round(st.pop("peak_rss_bytes") / MIB)
        st["peak_spill_mib"] = round(spilled.get(name, 0) / MIB)
    samples = sampler.samples
    settings = LakehouseSettings(home=str(home), sources_root=str(root))
    return {
        "enterprises": enterprises, "months": MONTHS, "seed": seed, "scope": "landing",
        "date": dt.date.today().isoformat(),
        "machine": machine(settings, work),
        "generation": generation,
        "pipeline": {"wall_s": round(wall, 1),
                     "cpu_s": round(samples[-1][1] - samples[0][1], 1) if len(samples) > 1 else 0.0,
                     "peak_rss_mib": round(max((r for _, _, r in samples), default=0) / MIB),
                     "peak_spill_mib": round(sampler.peak_spill_bytes / MIB),
                     "peak_disk_mib": round(sampler.peak_disk_bytes / MIB), "disk_mib": disk,
                     "dagster_runs": runs, "landed_rows": sum(landed_rows.values()),
                     "printed": printed.splitlines()},
        "stages": stages,
    }


def published_rows(published: Path) -> int:
    return sum((store.current_manifest(published, p.name) or {}).get("row_count", 0) for p in PUBLISHED)


def bench_size(enterprises: int, work: Path, seed: int, floors_up_to: int = FLOORS_UP_TO) -> dict:
    """One size: its result dict. Above `floors_up_to` enterprises the floors are skipped (the result says so):
    bare DuckDB reruns the whole build's SQL (about 5 minutes at 1M); the quality measurement still runs."""
    root = work / f"sources-{enterprises}"
    home = work / f"run-{enterprises}"
    print(f"[{enterprises:,}] sources root {root} ...", flush=True)
    generation = ensure_sources(root, enterprises, seed)
    print(f"[{enterprises:,}] make run (scripts/demo.py) on a fresh home {home} ...", flush=True)
    state = DBT_PROJECT / "target" / "partial_parse.msgpack"
    saved = state.read_bytes() if state.exists() else None
    try:
        wall, sampler, printed, code = run_pipeline(home, root)
    finally:
        if saved is not None:
            state.write_bytes(saved)
    if code != 0:
        raise SystemExit(f"the pipeline failed at N={enterprises:,} (exit {code}); see {home / 'make-run.log'}")
    disk = footprint(home, root)  # before the floors add their own files to the home
    settings = LakehouseSettings(home=str(home), sources_root=str(root))
    dbt_artifacts = settings.dbt_results_path
    windows, landed_rows, runs = read_stages(instance_dir(home), dbt_artifacts / "run_results.json")
    samples = sampler.samples
    stages = attribute(samples, windows, rest=ORCHESTRATION)
    spilled = peak_in_windows(sampler.spill_samples, windows)
    warehouse = settings.warehouse_path
    truth = root / "_truth" / "source_records.parquet"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        source_records = con.execute("select count(*) from marts.xref_source_record").fetchone()[0]
    total_landed = sum(landed_rows.values())
    published = published_rows(settings.published_path)
    basis = {"landed": total_landed, "source_records": source_records, "published": published}
    for name, s in stages.items():
        kind = kind_of(name)
        rows = landed_rows.get(name.removeprefix(LANDING), 0) if kind.rows == "landed_source" else basis.get(kind.rows)
        s["rows"] = rows
        s["rows_per_s"] = round(rows / s["wall_s"]) if rows and s["wall_s"] > 0 else None
        s["peak_rss_mib"] = round(s.pop("peak_rss_bytes") / MIB)
        s["peak_spill_mib"] = round(spilled.get(name, 0) / MIB)

    quality = measure(warehouse, truth) if truth.exists() else []
    ambiguity = floors.name_ambiguity(warehouse, truth)
    peak = max((r for _, _, r in samples), default=0)
    cpu = samples[-1][1] - samples[0][1] if len(samples) > 1 else 0.0
    if enterprises > floors_up_to:
        print(f"[{enterprises:,}] floors skipped (N > --floors-up-to {floors_up_to:,})", flush=True)
        measured_floors = {"skipped": f"N={enterprises:,} is above --floors-up-to {floors_up_to:,}: the floors "
                                      f"(bare DuckDB, pandas, naive resolver, engine landing, S1, HRSS) were not "
                                      f"measured at this size"}
    else:
        print(f"[{enterprises:,}] floors: bare DuckDB, pandas landing, engine landing, S1 columnar read, HRSS API, "
              "naive resolver ...", flush=True)
        measured_floors = measure_floors(root, home, warehouse, dbt_artifacts, truth, stages, quality, wall)
    return {
        "enterprises": enterprises, "months": MONTHS, "seed": seed,
        "date": dt.date.today().isoformat(),
        "machine": machine(settings, work),
        "generation": generation,
        "pipeline": {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mib": round(peak / MIB),
                     "peak_spill_mib": round(sampler.peak_spill_bytes / MIB),
                     "peak_disk_mib": round(sampler.peak_disk_bytes / MIB), "disk_mib": disk,
                     "dagster_runs": runs, "landed_rows": total_landed, "source_records": source_records,
                     "published_rows": published, "printed": printed.splitlines()},
        "stages": stages,
        "floors": measured_floors,
        "quality": quality,
        "name_ambiguity": ambiguity,
    }


def measure_floors(root: Path, home: Path, warehouse: Path, dbt_artifacts: Path, truth: Path, stages: dict,
                   quality: list, wall: float) -> dict:
    """Every floor of this size, each beside the stage it floors, and end to end against their sum."""
    bare = floors.bare_duckdb(warehouse, dbt_artifacts, home)
    pandas_ = floors.pandas_landing(root, home)
    engine = floors.engine_landing(root, home)
    s1 = floors.s1_columnar(root) if (root / "samr" / "samr.db").is_file() else None
    hrss = floors.hrss_api(root)
    run_results = json.loads((dbt_artifacts / "run_results.json").read_text(encoding="utf-8"))["results"]
    source_records_s = next((r["execution_time"] for r in run_results
                             if r["unique_id"].endswith(".int_source_records")), 0.0)
    naive = floors.naive_resolution(warehouse, truth, source_records_s)

    transform_s = sum(s["wall_s"] for n, s in stages.items() if kind_of(n).transformation)
    csv_sources = set(pandas_)
    ours_csv_s = sum(s["wall_s"] for n, s in stages.items()
                     if n.startswith(LANDING) and n.removeprefix(LANDING) in csv_sources)
    csv_rows = sum(p["rows"] for p in pandas_.values())
    pandas_s = sum(p["seconds"] for p in pandas_.values())
    ours_resolution_s = stages.get(RESOLUTION, {}).get("wall_s", 0.0)
    overall = next((q for q in quality if q["source_system"] == "all"), None)
    naive_overall = next((q for q in naive["quality"] if q["source_system"] == "all"), None)
    out = {
        "bare_duckdb": {**bare, "transform_s": round(transform_s, 2),
                        "transform_ratio": round(transform_s / bare["seconds"], 2) if bare["seconds"] else None,
                        "pipeline_ratio": round(wall / bare["seconds"], 2) if bare["seconds"] else None},
        "pandas_landing": {"per_source": pandas_, "rows": csv_rows, "seconds": round(pandas_s, 2),
                           "rows_per_s": round(csv_rows / pandas_s) if pandas_s else None,
                           "ours_seconds": round(ours_csv_s, 2),
                           "ours_rows_per_s": round(csv_rows / ours_csv_s) if ours_csv_s else None,
                           "ratio": round(pandas_s / ours_csv_s, 2) if ours_csv_s else None},
        "engine_landing": engine_landing_result(engine, stages),
        "naive_resolution": {**naive, "ours_seconds": ours_resolution_s,
                             "recall_gained": round(overall["recall"] - naive_overall["recall"], 4)
                             if overall and naive_overall else None,
                             "seconds_spent": round(ours_resolution_s - naive["seconds"], 2)},
    }
    if s1:
        out["s1_columnar"] = beside(s1, stages, "samr")
    out["hrss_api"] = beside(hrss, stages, "hrss")
    out["end_to_end"] = end_to_end(out, wall)
    return out


def beside(floor: dict, stages: dict, source: str) -> dict:
    """A source's floor with its landing stage's wall seconds and ours ÷ floor."""
    ours = stages.get(LANDING + source, {}).get("wall_s")
    return {**floor, "ours_seconds": ours,
            "ratio": round(ours / floor["seconds"], 2) if ours and floor["seconds"] else None}


# what the end-to-end floor adds up: each stage's own floor, landing included. The checks (dbt tests, the ground
# truth), the gate and the publication have none measured and count as ours alone; so does orchestration.
FLOOR_PARTS = {"engine_landing": "file-based landing: the engine's COPY of every delivery file",
               "s1_columnar": "S1 landing: a columnar read of its tables as text",
               "hrss_api": "HRSS landing: the API serving every page",
               "bare_duckdb": "transformations: the build's SQL in bare DuckDB"}


def end_to_end(measured: dict, wall: float) -> dict:
    """The sum of the stages' floors (FLOOR_PARTS, those measured) against the pipeline's wall seconds."""
    parts = {k: measured[k]["seconds"] for k in FLOOR_PARTS if k in measured}
    floor_sum = sum(parts.values())
    return {"parts": parts, "missing": [k for k in FLOOR_PARTS if k not in measured],
            "floor_sum_s": round(floor_sum, 2), "wall_s": round(wall, 1),
            "ratio": round(wall / floor_sum, 2) if floor_sum else None}


def engine_landing_result(per_source: dict, stages: dict) -> dict:
    """The engine's floor per file-based source beside our landing stage of the same source: ours ÷ floor."""
    for source, s in per_source.items():
        ours = stages.get(LANDING + source, {}).get("wall_s")
        s["ours_seconds"] = ours
        s["ratio"] = round(ours / s["seconds"], 2) if ours and s["seconds"] else None
    floor_s = sum(s["seconds"] for s in per_source.values())
    ours_s = sum(s["ours_seconds"] or 0.0 for s in per_source.values())
    return {"duckdb": duckdb.__version__, "per_source": per_source, "seconds": round(floor_s, 3),
            "ours_seconds": round(ours_s, 2), "ratio": round(ours_s / floor_s, 2) if floor_s else None}


def save(result: dict, results_dir: Path) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    scope = f"-{result['scope']}" if result.get("scope") else ""
    path = results_dir / f"{result['date']}-{result['enterprises']}{scope}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
