"""The staging step's pure builders (assets/publish/gates.py) on real small files: a DuckDB warehouse in an awkwardly
named folder, staged Parquet written by the version store, a real PII scan."""
from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from assets.publish import gates, pii, store
from contracts.published import Published
from contracts.sql import qualified_name, quote_identifier
from data_quality.validate import Outcome
from resources import connections
from tests import duck

KEY = dg.AssetKey(["staged", "park_kpi"])
AWKWARD = 'it\'s a "test"; 目录'
VERSION = "20250101T000000Z-aaaaaaaa"
QUOTE_D = 'c"d'  # a column name with a double quote


def values(metadata: dict) -> dict:
    return {k: v.value if isinstance(v, dg.MetadataValue) else v for k, v in metadata.items()}


@pytest.fixture()
def warehouse(tmp_path):
    """A build warehouse in a folder named like no sane folder, with a mart named and columned likewise."""
    path = tmp_path / AWKWARD / "warehouse.duckdb"
    path.parent.mkdir()
    con = duckdb.connect(str(path))
    con.execute(f"create schema marts; create table {qualified_name('marts', AWKWARD)} ("
                f"{quote_identifier('a b')} integer, {quote_identifier(QUOTE_D)} varchar, e double)")
    con.execute(f"insert into {qualified_name('marts', AWKWARD)} values (1, 'x', 0.5), (2, 'y', 1.5)")
    con.close()
    return path


def test_the_extract_reads_the_declared_columns_of_its_mart(warehouse):
    con = duckdb.connect()
    con.execute(gates.attach_sql(warehouse))
    declared = Published("awkward", AWKWARD, "one row per test", key=("a b",), columns=(QUOTE_D, "a b"))
    cursor = con.execute(gates.select_sql(declared))
    assert [d[0] for d in cursor.description] == [QUOTE_D, "a b"] and cursor.fetchall() == [("x", 1), ("y", 2)]
    every = con.execute(gates.select_sql(Published("awkward", AWKWARD, "g", key=("a b",)))).fetchall()
    assert every == [(1, "x", 0.5), (2, "y", 1.5)]
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute(f"insert into {qualified_name(gates.WAREHOUSE, 'marts', AWKWARD)} values (3, 'z', 0)")
    con.close()


def test_gaps_are_accepted_by_name_or_by_delivery():
    march = {"dataset": "tax_returns", "partition": "2025-03", "delivery": "tax/税收_202503.csv", "problem": "p"}
    april = {**march, "partition": "2025-04", "delivery": "tax/税收_202504.csv"}
    s1 = {"dataset": "samr_entities", "partition": "snapshot", "delivery": "run 1234abcd", "problem": "q"}
    assert gates.split_gaps([march, april, s1], ["tax_returns:2025-03", "run 1234abcd"]) == ([march, s1], [april])
    assert gates.split_gaps([march], []) == ([], [march])


def test_staged_metadata_describes_the_staged_files(tmp_path):
    con = duckdb.connect()
    folder, manifest = store.stage(con, tmp_path, "park_kpi", VERSION,
                                   "select range as id, 'park ' || range as name from range(7)", {"run_id": "r"})
    con.close()
    md = values(gates.staged_metadata(VERSION, folder, manifest))
    assert md["version"] == VERSION and md["dagster/row_count"] == 7 and md["path"] == str(folder)
    assert [c.name for c in md["dagster/column_schema"].columns] == ["id", "name"]
    assert "| id | name |" in md["preview"] and "park 4" in md["preview"] and "park 5" not in md["preview"]


def test_gx_result_carries_the_failures_and_the_bounds():
    failed = Outcome("park_kpi", False, 5, failures=[
        {"expectation": "expect_column_values_to_not_be_null", "column": "park_code", "observed": "2 unexpected",
         "sample": [None, None]}], docs_url="file:///gx/index.html")
    bounds = {"min_row_count": 8, "max_row_count": 13}
    result = gates.gx_result(KEY, failed, bounds, {"version": "20241231T000000Z-zzzzzzzz", "row_count": 10})
    md = values(result.metadata)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR and result.check_name == gates.GX_CHECK
    assert (md["expectations"], md["failed"], md["row_count_bounds"]) == (5, 1, bounds)
    assert md["previous_version"] == "20241231T000000Z-zzzzzzzz" and md["data_docs"] == "file:///gx/index.html"
    assert "| expect_column_values_to_not_be_null | park_code | 2 unexpected | None, None |" in md["failures"]
    assert result.description == failed.summary()
    met = gates.gx_result(KEY, Outcome("park_kpi", True, 5), {"min_row_count": 1, "max_row_count": None}, None)
    assert met.passed and values(met.metadata)["previous_version"] == "none"
    assert "failures" not in met.metadata and "data_docs" not in met.metadata


def test_pii_result_shows_masked_findings_of_a_real_scan(tmp_path):
    column = 'it\'s "备注"'
    duck.run(f"copy (select '联系 13812345678' as {quote_identifier(column)}, 'ok' as other) to $path "
             f"(format parquet)", {"path": str(tmp_path / "part-0.parquet")})
    result = gates.pii_result(KEY, pii.scan(tmp_path, connections.bounded(None, "256MB")), 1)
    md = values(result.metadata)
    assert not result.passed and result.check_name == gates.PII_CHECK and md["files_scanned"] == 1
    assert "13812345678" not in md["findings"] and "mobile phone number" in md["findings"]
    assert result.description == f"1 finding(s): part-0.parquet:{column} mobile phone number in 1 row(s)"
    clean = gates.pii_result(KEY, [], 1)
    assert clean.passed and clean.description == "no personal data found"
    assert values(clean.metadata)["findings"] == "none"


def test_upstream_result_names_every_failure():
    dbt_failed = ["marts/park_kpi:not_null_park_kpi_park_code"]
    not_conserved = ["bronze/tax/returns 2024-06: 3 in, 2 loaded + 0 quarantined"]
    result = gates.upstream_result(KEY, 40, dbt_failed, not_conserved)
    md = values(result.metadata)
    assert not result.passed and (md["dbt_tests_checked"], md["dbt_tests_failed"], md["deliveries_not_conserved"]) \
        == (40, 1, 1)
    assert md["failures"] == f"- {dbt_failed[0]}\n- {not_conserved[0]}"
    assert result.description == f"failed upstream: {dbt_failed[0]}; {not_conserved[0]}"
    many = gates.upstream_result(KEY, 400, [f"marts/x:test_{i}" for i in range(200)], [])
    assert len(many.description) == 1000
    passed = gates.upstream_result(KEY, 40, [], [])
    assert passed.passed and passed.description == "40 dbt tests and every landed delivery passed"


def test_complete_result_blocks_on_gaps_not_accepted(tmp_path):
    gap = {"dataset": "tax_returns", "partition": "2025-03", "delivery": "tax/税收_202503.csv",
           "problem": "never landed"}
    blocked = gates.complete_result(KEY, tmp_path, [gap], [])
    md = values(blocked.metadata)
    assert not blocked.passed and blocked.check_name == gates.COMPLETE_CHECK and md["gaps"] == 1
    assert blocked.description == "not landed: tax_returns:2025-03 (tax/税收_202503.csv): never landed"
    assert "| tax_returns | 2025-03 |" in md["missing"] and md["accepted_gaps"] == "none"
    accepted = gates.complete_result(KEY, tmp_path, [], [gap])
    assert accepted.passed and accepted.description == ("every delivery in the sources root has landed "
                                                        "(1 gap(s) accepted by the operator)")
    assert values(accepted.metadata)["sources_root"] == str(tmp_path)
