"""The landing's pure builders on real small deliveries (Arrow tables from the real readers, an in-memory DuckDB, real
Parquet in a temporary lake): the typing statements and the bronze / quarantine queries of assets/landing/typing.py
and land.py, and what the landing asset reports (assets/landing/report.py)."""
from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.landing import readers, report
from assets.landing.assets import conservation
from assets.landing.land import (
    QUARANTINE_SCHEMA,
    LandingResult,
    bronze_query,
    land,
    malformed_table,
    quarantine_dir,
    quarantine_query,
)
from assets.landing.typing import typing_statements
from contracts.sources import CNIPA_PATENTS, DATASETS, SAMR_CHANGES, SAMR_ENTITIES, TAX_RETURNS
from resources.lake import Lake

TAX_HEADER = "纳税人识别号,纳税人名称,所属期,增值税,企业所得税,其他税费,税收合计,销售收入,主管税务机关"
GOOD = "91330782MA2JXXXX1Q,义乌市新星饰品有限公司,202406,100,20,5,125,1000,义乌税务"
# a delivery's name as a department might write it: a quote, double quotes, a semicolon, Chinese
AWKWARD_SOURCE = 'tax/it\'s "税收"; 目录/税收_202406.csv'
LOADED = dt.datetime(2025, 1, 31, 12, 0)
LINEAGE = ["_source_file", "_source_row", "_delivery_sha256", "_loaded_at", "_delivery_partition"]


def tax_delivery(*rows: str, header: str = TAX_HEADER) -> readers.RawDelivery:
    data = "\n".join([header, *rows]).encode("gbk")
    return readers.read_csv(Path("税收_202406.csv"), TAX_RETURNS, data)


def typed_and_queried(ds, raw: readers.RawDelivery, partition: str, source: str = AWKWARD_SOURCE):
    """The builders composed as land() composes them, on an in-memory DuckDB: (bronze rows, quarantine rows)."""
    json_source = ds.format in ("jsonl", "api")
    con = duckdb.connect()
    con.register("lines" if json_source else "raw", raw.table)
    for statement in typing_statements(ds, partition, LOADED.date().isoformat(), json_source):
        con.execute(statement)
    con.register("malformed", malformed_table(raw.malformed))
    bronze = con.sql(bronze_query(ds, partition, source, "ab" * 32, LOADED)).to_arrow_table()
    quarantine = con.sql(quarantine_query(ds, partition, source, "ab" * 32, LOADED)).to_arrow_table()
    con.close()
    return bronze, quarantine


def test_a_csv_delivery_types_loads_and_quarantines_with_its_lineage():
    raw = tax_delivery(
        GOOD,
        "91330782MA2JXXXX1Q,甲,202406,abc,0,0,0,0,义乌",  # row 3: text in an amount
        "91330782MA2JXXXX1Q,乙,202407,1,0,0,1,1,义乌",  # row 4: a July row in the June delivery
        "91330782MA2JYYYY2R,丙,202406,1,0,0,1,1,义乌",  # rows 5 and 6: one taxpayer-month, two contents
        "91330782MA2JYYYY2R,丙,202406,2,0,0,2,2,义乌",
        "91330782MA2JXXXX1Q,丁,202406,1,0")  # row 7: truncated
    bronze, quarantine = typed_and_queried(TAX_RETURNS, raw, "2024-06")

    assert bronze.column_names == [f.name for f in TAX_RETURNS.fields] + LINEAGE
    [row] = bronze.to_pylist()
    assert (row["taxpayer_id"], row["tax_period"], row["vat"]) == ("91330782MA2JXXXX1Q", dt.date(2024, 6, 1),
                                                                   Decimal("100.00"))
    assert (row["_source_file"], row["_source_row"], row["_loaded_at"], row["_delivery_partition"]) == (
        AWKWARD_SOURCE, 2, LOADED, "2024-06")

    assert quarantine.column_names == QUARANTINE_SCHEMA.names
    q = {r["source_row"]: r for r in quarantine.to_pylist()}
    assert sorted(q) == [3, 4, 5, 6, 7]
    assert q[3]["reason"] == "增值税 (vat): 'abc' is not a number (amount)"
    assert q[4]["reason"] == "所属期: 2024-07-01 is after the delivery's period 2024-06"
    assert q[5]["reason"] == q[6]["reason"] == ("duplicate 纳税人识别号 + 所属期 91330782MA2JYYYY2R | 2024-06-01 with "
                                                "different content in this delivery (rows 5, 6)")
    assert q[7]["source_record_key"] is None and "different number of fields" in q[7]["reason"]
    assert json.loads(q[3]["raw_values"])["增值税"] == "abc" and q[7]["raw_values"].startswith("91330782")
    assert {(r["source_system"], r["dataset"], r["partition"], r["source_file"], r["loaded_at"])
            for r in q.values()} == {("tax", "returns", "2024-06", AWKWARD_SOURCE, LOADED)}


def test_a_json_delivery_is_typed_from_its_lines():
    lines = [json.dumps({"sqh": "CN1", "sqr": ["甲", "乙"], "sqrq": "2024-01-02", "sqggr": "2024-06-01"}),
             '{"sqh": "CN2", "sqr": ',  # broken
             json.dumps({"sqh": "CN3", "sqr": ["甲"], "sqrq": "2024-05-01", "sqggr": "2024-01-01"})]
    raw = readers.read_jsonl(Path("patents_2024.jsonl"), CNIPA_PATENTS, "\n".join(lines).encode("utf-8"))
    statements = typing_statements(CNIPA_PATENTS, "2024", "2025-01-31", json_source=True)
    assert statements[0].startswith("CREATE TEMP TABLE raw AS SELECT _source_row, _line")
    bronze, quarantine = typed_and_queried(CNIPA_PATENTS, raw, "2024", "cnipa/patents_2024.jsonl")
    assert [(r["application_number"], r["applicants"]) for r in bronze.to_pylist()] == [("CN1", ["甲", "乙"])]
    q = {r["source_row"]: r["reason"] for r in quarantine.to_pylist()}
    assert q == {2: "not valid JSON", 3: "sqggr (granted_on): 2024-01-01 is before sqrq (filed_on) 2024-05-01"}


def test_the_statements_follow_the_declaration():
    """One statement types, checks and applies every domain rule; the check for contradicting rows only where the
    dataset declares the row's identity within a delivery."""
    tax = typing_statements(TAX_RETURNS, "2024-06", "2025-01-31", json_source=False)
    assert tax[0].startswith("CREATE TEMP TABLE typed AS")
    for ds in DATASETS:
        statements = typing_statements(ds, "2024", "2025-01-31", json_source=ds.format in ("jsonl", "api"))
        [typed] = [s for s in statements if s.startswith("CREATE TEMP TABLE typed AS")]
        assert typed.count("is below its minimum") == sum(f.minimum is not None for f in ds.fields), ds.asset_name
    assert "is after the delivery''s period 2024-06" in tax[0] and "is before 1949" in tax[0]
    assert any("contradicting" in s for s in tax)
    assert not any("contradicting" in s for s in typing_statements(SAMR_CHANGES, "snapshot", "2025-01-31", False))


def test_only_rows_that_differ_contradict_and_exact_copies_load():
    """Rows sharing a taxpayer-month load when they are copies (staging counts them), and are quarantined, each
    naming the other, when their content differs; a row that fails typing is not compared."""
    copy = "91330782MA2JZZZZ3T,戊,202406,7,0,0,7,70,义乌"
    raw = tax_delivery(GOOD, copy, copy,
                       "91330782MA2JYYYY2R,丙,202406,1,0,0,1,1,义乌",
                       "91330782MA2JYYYY2R,丙,202406,1,0,0,1,1,义乌 ",  # a trailing space is other content
                       "91330782MA2JYYYY2R,丙,202406,x,0,0,1,1,义乌")  # fails typing: not compared
    bronze, quarantine = typed_and_queried(TAX_RETURNS, raw, "2024-06")
    assert [r["_source_row"] for r in bronze.to_pylist()] == [2, 3, 4]
    q = {r["source_row"]: r["reason"] for r in quarantine.to_pylist()}
    assert q[5] == q[6] == ("duplicate 纳税人识别号 + 所属期 91330782MA2JYYYY2R | 2024-06-01 with different content "
                            "in this delivery (rows 5, 6)")
    assert q[7] == "增值税 (vat): 'x' is not a number (amount)"


def test_no_malformed_rows_is_an_empty_relation_of_the_quarantine_shape():
    empty = malformed_table([])
    assert empty.num_rows == 0 and empty.column_names == ["_source_row", "_raw_values", "_reason"]
    assert malformed_table([(7, "a,b", "truncated")]).to_pylist() == [
        {"_source_row": 7, "_raw_values": "a,b", "_reason": "truncated"}]


# ---- what the landing asset reports ----

@pytest.fixture()
def landed(tmp_path) -> tuple[Path, list[LandingResult]]:
    """Two real tax deliveries landed into a temporary lake, and a month that had none."""
    lake = Lake.at(tmp_path / "lake")
    june = land(TAX_RETURNS, "2024-06", tax_delivery(GOOD + ",补报", "91330782MA2JXXXX1Q,甲,202406,abc,0,0,0,0,义乌,",
                                                     header=TAX_HEADER + ",备注"),
                "tax/税收_202406.csv", "a" * 64, lake, spill=tmp_path / "spill", loaded_at=LOADED)
    july = land(TAX_RETURNS, "2024-07", tax_delivery(GOOD.replace("202406", "202407"),
                                                     "91330782MA2JXXXX1Q,乙,202407,xyz,0,0,0,0,义乌"),
                "tax/税收_202407.csv", "b" * 64, lake, spill=tmp_path / "spill", loaded_at=LOADED)
    return lake, [june, july, LandingResult(TAX_RETURNS.asset_name, "2024-08", "", None, delivered=False)]


def values(metadata: dict) -> dict:
    return {k: v.value if isinstance(v, dg.MetadataValue) else v for k, v in metadata.items()}


def test_one_delivery_shows_its_source_and_a_preview(landed):
    lake, (june, _, _) = landed
    md = values(report.landing_metadata(TAX_RETURNS, [june], lake))
    assert (md["rows_in"], md["rows_loaded"], md["rows_quarantined"], md["dagster/row_count"]) == (2, 1, 1, 1)
    assert md["source"] == "tax/税收_202406.csv" and md["delivery_sha256"] == "a" * 64
    assert "义乌市新星饰品有限公司" in md["preview"] and md["unknown_columns"] == "备注"
    assert md["quarantine_reasons"] == {"增值税 (vat): 'abc' is not a number (amount)": 1}
    assert md["bronze_path"] == lake.local_path("bronze/tax/returns").as_posix() and "registry" not in md


def test_several_deliveries_are_summed_and_listed(landed):
    lake, results = landed
    md = values(report.landing_metadata(TAX_RETURNS, results, lake))
    assert (md["rows_in"], md["rows_loaded"], md["rows_quarantined"]) == (4, 2, 2)
    assert "source" not in md and "preview" not in md
    assert len(md["deliveries"].splitlines()) == 2 + 3 and "| 2024-08 | no delivery |" in md["deliveries"]
    assert sorted(md["quarantine_reasons"]) == ["增值税 (vat): 'abc' is not a number (amount)",
                                                "增值税 (vat): 'xyz' is not a number (amount)"]
    assert report.quarantine_reasons([results[0], results[0]]) == {
        "增值税 (vat): 'abc' is not a number (amount)": 2}
    assert report.unknown_columns(results) == ["备注"]
    assert [report.delivery_line(TAX_RETURNS, r) for r in results] == [
        "tax_returns 2024-06: 2 in, 1 loaded, 1 quarantined from tax/税收_202406.csv",
        "tax_returns 2024-07: 2 in, 1 loaded, 1 quarantined from tax/税收_202407.csv",
        "tax_returns 2024-08: no delivery"]


def test_a_registry_that_is_not_there_is_said_not_failed(tmp_path):
    nothing = [LandingResult(SAMR_ENTITIES.asset_name, "snapshot", "", None, delivered=False)]
    assert report.registry_absent(SAMR_ENTITIES, nothing) == report.NO_REGISTRY
    assert values(report.landing_metadata(SAMR_ENTITIES, nothing, Lake.at(tmp_path)))["registry"] == report.NO_REGISTRY
    assert report.registry_absent(TAX_RETURNS, [LandingResult("tax_returns", "2024-06", "", None, delivered=False)]) \
        is None


def test_conservation_result_fails_when_a_file_on_disk_lost_rows(landed):
    lake, results = landed
    partitions = [r.partition for r in results if r.delivered]
    ok = report.conservation_result(*conservation(lake, TAX_RETURNS, partitions))
    assert ok.passed and ok.check_name == report.CONSERVATION_CHECK and ok.metadata["deliveries_checked"].value == 2
    lake.local_path(f"{quarantine_dir(TAX_RETURNS)}/2024-07.parquet").unlink()
    lost = report.conservation_result(*conservation(lake, TAX_RETURNS, partitions))
    assert not lost.passed and lost.severity == dg.AssetCheckSeverity.ERROR
    assert "| 2024-07 | 2 | 1 | 0 | False |" in lost.metadata["deliveries"].value


def test_unrecognised_files_are_named_once_by_the_right_dataset(tmp_path):
    found = [("tax/税收_2024.csv", "not a month"), ("stray.txt", "not a source folder"),
             ("samr/notes.txt", "no delivery pattern")]
    assert report.own_unrecognised(found, TAX_RETURNS) == [("tax/税收_2024.csv", "not a month")]
    first = DATASETS[0]
    assert ("stray.txt", "not a source folder") in report.own_unrecognised(found, first)
    assert report.own_unrecognised(found, SAMR_CHANGES) == []  # samr's files are named by samr's first dataset
    warned = report.recognised_result(report.own_unrecognised(found, TAX_RETURNS), tmp_path)
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert warned.description == "tax/税收_2024.csv: not a month"
    clean = report.recognised_result([], tmp_path)
    assert clean.passed and clean.description == "every file is a delivery"


def test_a_delivery_larger_than_the_landings_memory_spills_where_it_is_told(tmp_path, monkeypatch):
    """300,000 tax rows landed under a 32 MB limit: DuckDB spills into the given folder (the landing asset gives
    $LAKEHOUSE_HOME/tmp/duckdb), not the working directory, and every row is still accounted for."""
    from assets.landing import land as land_module
    from benchmarks.measure import Sampler

    monkeypatch.setattr(land_module, "DUCKDB_MEMORY_LIMIT", "32MB")
    monkeypatch.chdir(tmp_path)
    rows = [f"91330782MA{i:07d}Q,义乌市新星饰品有限公司{i},202406,{i % 1000},20,5,{i % 1000 + 25},1000,义乌税务"
            for i in range(300_000)]
    delivery = tax_delivery(*rows, "91330782MA2JXXXX1Q,甲,202406,abc,0,0,0,0,义乌")
    spill = tmp_path / "home" / "tmp" / "duckdb"
    with Sampler(os.getpid(), spill_dirs=(spill,), spill_every=1, interval=0.02) as sampler:
        result = land(TAX_RETURNS, "2024-06", delivery, "tax/税收_202406.csv", "c" * 64, Lake.at(tmp_path / "lake"),
                      spill=spill, loaded_at=LOADED)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (300_001, 300_000, 1)
    assert sampler.peak_spill_bytes > 8 * 2**20, sampler.spill_samples
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "lake"]  # no .tmp in the working directory
