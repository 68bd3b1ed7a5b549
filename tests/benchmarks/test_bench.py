"""The benchmark itself: a small size end to end (real sources, the real `make run`, real floors), and the
attribution of samples to stages."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.measure import Sampler, attribute, peak_in_windows, tree
from resources.settings import LakehouseSettings

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("samr", "tax", "stats", "miit", "hrss", "grid", "eco", "most", "cnipa", "land")


def test_samples_split_evenly_among_overlapping_stages():
    samples = [(0.0, 0.0, 100), (1.0, 1.0, 200), (2.0, 3.0, 500), (3.0, 4.0, 300), (4.0, 4.0, 100)]
    stages = {"a": [(0.0, 2.0)], "b": [(1.0, 3.0)]}
    out = attribute(samples, stages, rest="rest")
    assert out["a"] == {"wall_s": 1.5, "cpu_s": 2.0, "peak_rss_bytes": 500}
    assert out["b"] == {"wall_s": 1.5, "cpu_s": 2.0, "peak_rss_bytes": 500}
    assert out["rest"] == {"wall_s": 1.0, "cpu_s": 0.0, "peak_rss_bytes": 300}
    assert sum(s["wall_s"] for s in out.values()) == 4.0


def test_process_tree_counts_children():
    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(200 * 1024 * 1024); time.sleep(3)"])
    try:
        import time

        time.sleep(1.5)
        cpu, rss = tree(__import__("os").getpid())
        assert rss > 200 * 1024 * 1024  # this process plus the child's 200 MiB
    finally:
        child.kill()
        child.wait()


def test_sampler_measures_what_duckdb_spills_where_the_settings_send_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_WAREHOUSE_MEMORY", "64MB")
    settings = LakehouseSettings(home=str(tmp_path / "home"))
    # an aggregation of 6M distinct strings: far more than 64 MB of hash table, so DuckDB spills it
    code = ("import duckdb, json, sys; con = duckdb.connect(config=json.loads(sys.argv[1])); "
            "con.execute('select count(*) from (select md5(i::varchar) as s, count(*) from range(6000000) t(i) "
            "group by s)').fetchall()")
    proc = subprocess.Popen([sys.executable, "-c", code, json.dumps(settings.duckdb_config())])
    with Sampler(proc.pid, spill_dirs=(settings.spill_path,), spill_every=1, interval=0.05) as sampler:
        assert proc.wait() == 0
    assert settings.spill_path.is_relative_to(settings.home_path)
    assert sampler.peak_spill_bytes > 16 * 1024 * 1024, sampler.spill_samples[-5:]
    stamps = [t for t, _ in sampler.spill_samples]
    peaks = peak_in_windows(sampler.spill_samples, {"all": [(stamps[0], stamps[-1] + 1)], "never": [(0.0, 1.0)]})
    assert peaks == {"all": sampler.peak_spill_bytes, "never": 0}


@pytest.mark.timeout(900)
def test_benchmark_run_measures_every_stage_floor_and_quality(tmp_path):
    results, docs = tmp_path / "results", tmp_path / "docs"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "run", "--sizes", "2000",
                           "--work", str(tmp_path / "work"), "--results", str(results), "--docs", str(docs)],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [path] = results.glob("*-2000.json")
    result = json.loads(path.read_text(encoding="utf-8"))
    pipeline, stages = result["pipeline"], result["stages"]
    assert pipeline["dagster_runs"] == {"runs": 4, "failed_runs": 0}
    assert {f"landing: {s}" for s in SOURCES} <= set(stages)
    assert {"dbt staging", "resolution (企业码 ladder)", "marts", "checks: dbt tests", "publication"} <= set(stages)
    assert any(n.startswith("gate") for n in stages)
    # the stages account for the whole run, and each was seen using memory
    assert sum(s["wall_s"] for s in stages.values()) == pytest.approx(pipeline["wall_s"], rel=0.1)
    assert all(s["peak_rss_mib"] > 0 for s in stages.values() if s["wall_s"] > 0.5)
    assert sum(stages[f"landing: {s}"]["rows"] for s in SOURCES) == pipeline["landed_rows"] > 0
    assert stages["checks: links_match_ground_truth"]["rows"] == pipeline["source_records"] > 0
    assert stages["publication"]["rows"] == pipeline["published_rows"] > 0
    floors = result["floors"]
    assert 0 < floors["bare_duckdb"]["seconds"] < floors["bare_duckdb"]["transform_s"]
    assert floors["bare_duckdb"]["models"] >= 30
    pandas_ = floors["pandas_landing"]
    assert set(pandas_["per_source"]) == {"tax", "miit", "grid", "most", "land"} and pandas_["rows"] > 0
    naive = {q["source_system"]: q for q in floors["naive_resolution"]["quality"]}
    ours = {q["source_system"]: q for q in result["quality"]}
    assert naive["grid"]["recall"] == 0.0  # grid accounts carry no code: only names link them
    gained = floors["naive_resolution"]["recall_gained"]
    assert ours["all"]["recall"] - naive["all"]["recall"] == pytest.approx(gained, abs=1e-4)
    assert ours["all"]["precision"] >= 0.995 and ours["all"]["recall"] >= 0.97
    # the unlinked truly local records, and how many of them carry a name the registry holds more than once
    ambiguity = result["name_ambiguity"]
    assert ambiguity["missed"] >= ambiguity["name_shared_in_registry"] >= 0
    assert ambiguity["missed"] <= ours["all"]["truly_local"] - ours["all"]["correct"]
    # S1's and HRSS's floors beside their landing stages, and end to end against the sum of the stages' floors
    assert floors["s1_columnar"]["rows"] > 0 and floors["s1_columnar"]["ours_seconds"] == stages["landing: samr"][
        "wall_s"]
    assert floors["hrss_api"]["records"] > 0 and floors["hrss_api"]["periods"] == 12
    e2e = floors["end_to_end"]
    assert e2e["missing"] == [] and e2e["floor_sum_s"] == pytest.approx(sum(
        floors[k]["seconds"] for k in ("engine_landing", "s1_columnar", "hrss_api", "bare_duckdb")), abs=0.02)
    assert e2e["ratio"] == pytest.approx(pipeline["wall_s"] / e2e["floor_sum_s"], rel=0.01)
    report = (docs / "benchmarks.md").read_text(encoding="utf-8")
    assert "| landing: tax |" in report and "bare DuckDB" in report and "naive" in report
    assert "## End to end against the sum of its stages' floors" in report
    assert "## How time and memory grow with N" in report
    assert (docs / "benchmarks.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # what generating the root took, kept beside it, and what the run spilled (DuckDB's temporary files)
    assert result["generation"]["cached"] is False and result["generation"]["peak_rss_mib"] > 0
    assert json.loads((tmp_path / "work" / "generation-2000.json").read_text())["enterprises"] == 2000
    assert pipeline["peak_spill_mib"] >= max(s["peak_spill_mib"] for s in stages.values()) >= 0
    assert "| peak spill to disk (DuckDB's temporary files) |" in report
    # what the run left on disk, by part, and the most its home held meanwhile
    disk = pipeline["disk_mib"]
    assert disk["sources root"] > 0 and disk["lake: bronze"] > 0 and disk["warehouse"] > 0
    assert disk["published: extracts"] > 0 and disk["lake: raw archive"] < disk["sources root"]  # kept compressed
    assert pipeline["peak_disk_mib"] >= disk["warehouse"] + disk["lake: bronze"]
    assert "## On disk" in report and "| **home, peak while the run went** |" in report

    # a size measured in part (a province): generated and landed as `make run --landing-only` lands it, nothing built;
    # reported apart, with what its whole run would need scaled from the whole run above
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "run", "--landing-only", "--sizes", "2000",
                           "--work", str(tmp_path / "work"), "--results", str(results), "--docs", str(docs)],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    part = json.loads((results / f"{result['date']}-2000-landing.json").read_text(encoding="utf-8"))
    assert part["scope"] == "landing" and part["pipeline"]["dagster_runs"] == {"runs": 3, "failed_runs": 0}
    assert part["pipeline"]["landed_rows"] == pipeline["landed_rows"]  # the same root, landed the same way
    assert not (tmp_path / "work" / "run-2000" / "warehouse.duckdb").exists()  # nothing built
    assert part["generation"]["cached"] is True and part["generation"]["seconds"] > 0
    report = (docs / "benchmarks.md").read_text(encoding="utf-8")
    assert "## A province on one machine: generation and landing" in report
    assert "| **the home, whole run** |" in report and "whole run not made" in report
    assert "| N=2k × 12 months: `make run` on one" in report
