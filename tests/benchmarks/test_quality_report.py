"""The resolution figures the check and the benchmark report: per source, overall with and without the registry's
own records, and by the number of name variations a record carries; computed by the one precision/recall query on
real DuckDB and real Parquet, and rendered by the report."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assets.transform.quality import measure_links
from benchmarks.report import render, verdicts

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"

# (source, key, true owner, variations): A..D are registry entities; persons and a trade union own nothing
TRUTH = [
    ("samr", "A", "A", 0), ("samr", "B", "B", 0), ("samr", "C", "C", 0), ("samr", "D", "D", 0),
    ("tax", "t1", "A", 0), ("tax", "t2", "B", 1), ("tax", "t3", "C", 2), ("tax", "t4", None, 0),
    ("grid", "g1", "A", 1), ("grid", "g2", "D", 3), ("grid", "g3", "B", 4), ("grid", "g4", None, 0),
]
# what a resolver linked: t3 left unlinked, g3 linked to the wrong entity, g4 (a union) linked although it is none
LINKS = [("samr", "A", "A"), ("samr", "B", "B"), ("samr", "C", "C"), ("samr", "D", "D"),
         ("tax", "t1", "A"), ("tax", "t2", "B"), ("grid", "g1", "A"), ("grid", "g2", "D"), ("grid", "g3", "C"),
         ("grid", "g4", "A")]


def write_truth(path: Path, with_variations: bool = True) -> Path:
    columns = {"source_system": [r[0] for r in TRUTH], "source_record_key": [r[1] for r in TRUTH],
               "pripid": [r[2] for r in TRUTH],
               "owner_kind": ["person" if r[2] is None else "local_enterprise" for r in TRUTH]}
    if with_variations:
        columns["variations"] = pa.array([r[3] for r in TRUTH], pa.int8())
    pq.write_table(pa.table(columns), path)
    return path


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create table links(source_system varchar, source_record_key varchar, pripid varchar)")
    con.executemany("insert into links values (?, ?, ?)", LINKS)
    yield con
    con.close()


def by_label(rows: list[dict]) -> dict[str, dict]:
    return {r["source_system"]: r for r in rows}


def test_per_source_overall_and_by_variations(tmp_path, con):
    rows = by_label(measure_links(con, write_truth(tmp_path / "truth.parquet"), "select * from links"))
    counts = lambda r: (r["records"], r["truly_local"], r["linked"], r["correct"])  # noqa: E731
    assert counts(rows["tax"]) == (4, 3, 2, 2) and rows["tax"]["recall"] == pytest.approx(2 / 3)
    assert counts(rows["grid"]) == (4, 3, 4, 2) and rows["grid"]["precision"] == pytest.approx(0.5)
    assert counts(rows["samr"]) == (4, 4, 4, 4)
    assert counts(rows["all"]) == (12, 10, 10, 8)
    # without the registry's own records (which link to themselves) recall falls from 8/10 to 4/6
    assert counts(rows["all except samr"]) == (8, 6, 6, 4)
    assert rows["all except samr"]["recall"] == pytest.approx(4 / 6)
    # departmental records only, by how many variations their name carries (4 counts as 3+)
    assert counts(rows["variations 0"]) == (3, 1, 2, 1)
    assert counts(rows["variations 1"]) == (2, 2, 2, 2)
    assert counts(rows["variations 2"]) == (1, 1, 0, 0)
    assert counts(rows["variations 3+"]) == (2, 2, 2, 1)
    assert [r["breakdown"] for r in measure_links(con, tmp_path / "truth.parquet", "select * from links")] == (
        ["source"] * 3 + ["overall"] * 2 + ["variations"] * 4)


def test_a_truth_without_variations_still_measures(tmp_path, con):
    """A hand-written root's or another generator's truth need not say how names vary."""
    rows = measure_links(con, write_truth(tmp_path / "truth.parquet", with_variations=False), "select * from links")
    labels = [r["source_system"] for r in rows]
    assert labels == ["grid", "samr", "tax", "all", "all except samr"]
    assert by_label(rows)["all"]["correct"] == 8


def test_report_shows_the_breakdowns(tmp_path, con):
    base = json.loads(sorted(RESULTS.glob("*-15000.json"))[-1].read_text(encoding="utf-8"))
    result = copy.deepcopy(base)
    result["quality"] = measure_links(con, write_truth(tmp_path / "truth.parquet"), "select * from links")
    text = render([result], "benchmarks.png")
    assert "| all except samr | 66.67% / 66.67% |" in text
    assert "| 2 | 100.00% / 0.00% (1) |" in text and "| 3+ | 50.00% / 50.00% (2) |" in text
    lines = {t: (m, v) for t, m, v in verdicts([result])}
    assert lines["N=15k: recall ≥ 99.5%, with and without the registry's own records"] == ("80.00% / 66.67%", "missed")
    assert lines["N=15k: precision ≥ 99.99%"] == ("80.000%", "missed")
    # sizes whose roots different simulator code wrote are not compared
    big = {**copy.deepcopy(result), "enterprises": 1_000_000}
    result["generation"]["simulator"], big["generation"]["simulator"] = "a" * 12, "b" * 12
    compared = {t: v for t, m, v in verdicts([result, big])}
    assert compared["resolution quality at 1M no worse than at 15k (precision, recall)"].startswith("not comparable")
    big["generation"]["simulator"] = "a" * 12
    compared = {t: v for t, m, v in verdicts([result, big])}
    assert compared["resolution quality at 1M no worse than at 15k (precision, recall)"] == "met"
    # a result written before the breakdowns (per-source rows and 'all' only): 'all except samr' from its per-source
    # counts, variations not measured
    before = copy.deepcopy(base)
    before["quality"] = [{k: v for k, v in q.items() if k != "breakdown"} for q in base["quality"]
                         if q.get("breakdown", "source") == "source" or q["source_system"] == "all"]
    old = render([before], "benchmarks.png")
    assert "| 0 | not measured |" in old
    departmental = [q for q in before["quality"] if q["source_system"] not in ("samr", "all")]
    expected = sum(q["correct"] for q in departmental) / sum(q["truly_local"] for q in departmental)
    precision = sum(q["correct"] for q in departmental) / sum(q["linked"] for q in departmental)
    assert f"| all except samr | {precision:.2%} / {expected:.2%} |" in old


def test_a_cached_root_is_reused_only_when_the_same_simulator_wrote_it(tmp_path):
    from benchmarks.run import MONTHS, ensure_sources
    from simulator.generate import simulator_version

    root = tmp_path / "sources"
    first = ensure_sources(root, 200, seed=3)
    marker = json.loads((root / "_truth" / "generation.json").read_text(encoding="utf-8"))
    assert first["cached"] is False and marker["simulator"] == first["simulator"] == simulator_version()
    assert len(marker["months"]) == MONTHS
    # a cached root reports what its generation took (kept beside it when it was generated)
    assert ensure_sources(root, 200, seed=3) == {"cached": True, "simulator": simulator_version(),
                                                 "seconds": first["seconds"],
                                                 "peak_rss_mib": first["peak_rss_mib"]}
    # a root written by other simulator code is other data: generated again
    (root / "_truth" / "generation.json").write_text(json.dumps({**marker, "simulator": "0" * 12}), encoding="utf-8")
    again = ensure_sources(root, 200, seed=3)
    assert again["cached"] is False
    generation = json.loads((root / "_truth" / "generation.json").read_text(encoding="utf-8"))
    assert generation["simulator"] == simulator_version()
