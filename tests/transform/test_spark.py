"""The same dbt models on Spark: the `spark` target (dbt-spark, a local PySpark session) builds what the `spark`
selector names from the bronze Parquet of the small `make run`, and every table it builds holds exactly the rows
DuckDB's build holds (read side by side by DuckDB: Spark's tables are Parquet folders)."""
from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from resources import spark_build
from resources.settings import LakehouseSettings

NUMERIC = ("DECIMAL", "DOUBLE", "FLOAT", "REAL")


@pytest.fixture(scope="module")
def spark_built(small_run, tmp_path_factory):
    """The small `make run`'s lake and DuckDB warehouse copied into a home of its own, then built there on Spark."""
    _, run_home, _, code, _ = small_run
    assert code == 0
    home = tmp_path_factory.mktemp("spark_home")
    shutil.copytree(LakehouseSettings(home=str(run_home)).lake.local_path(""), home / "lake")
    shutil.copy2(run_home / "warehouse.duckdb", home / "warehouse.duckdb")
    settings = LakehouseSettings(home=str(home))
    log = home / "spark_build.log"
    code = spark_build.build(settings, log=log)
    assert code == 0, log.read_text(encoding="utf-8")[-5000:]
    target = spark_build.spark_home(settings) / "target"
    results = json.loads((target / "run_results.json").read_text())
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    for result in results["results"]:
        result["table"] = (nodes[result["unique_id"]]["schema"], nodes[result["unique_id"]]["alias"])
    return settings, results


def built_tables(results: dict) -> list[tuple[str, str]]:
    """(schema, table) of every model and seed the Spark build created, from its run_results.json."""
    return sorted(r["table"] for r in results["results"] if r["status"] == "success")


def comparable(name: str, kind: str) -> str:
    """A column as text: numbers rounded to 6 decimals first (the engines' decimal scales differ); an instant as UTC
    wall time (Spark's TIMESTAMP holds no zone: it is written in the session's zone, UTC, and read back so)."""
    if kind.startswith(NUMERIC):
        return f'round(cast("{name}" as double), 6)::varchar as "{name}"'
    if kind.startswith("TIMESTAMP"):
        return f'cast(cast("{name}" as timestamp) as varchar) as "{name}"'
    return f'cast("{name}" as varchar) as "{name}"'


def test_the_spark_build_covers_staging_reference_and_the_exact_rungs(spark_built):
    _, results = spark_built
    tables = {table for _, table in built_tables(results)}
    assert {"stg_samr__entities", "stg_tax__returns", "stg_cnipa__patents", "gbt2260_divisions", "ref_policies",
            "int_source_records", "int_name_cores", "int_links_core", "int_links_exact", "int_links_pending"} <= tables
    assert all(r["status"] == "success" for r in results["results"]), [
        (r["unique_id"], r["status"], r["message"]) for r in results["results"] if r["status"] != "success"]


def test_every_table_spark_builds_equals_duckdbs(spark_built):
    settings, results = spark_built
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    differences = {}
    for schema, table in built_tables(results):
        folder = spark_build.table_path(settings, schema, table)
        spark = f"read_parquet('{folder}/*.parquet')"
        columns = con.execute(f"select column_name, data_type from information_schema.columns "
                              f"where table_schema = '{schema}' and table_name = '{table}' "
                              f"order by ordinal_position").fetchall()
        assert columns, f"{schema}.{table}: not in DuckDB's warehouse"
        duck_rows = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
        if not any(folder.glob("*.parquet")):  # Spark writes no file for a table without rows
            assert folder.is_dir() and duck_rows == 0, f"{schema}.{table}: no rows on Spark, {duck_rows} in DuckDB"
            continue
        spark_columns = {name.lower() for name, *_ in con.execute(f"describe select * from {spark}").fetchall()}
        assert spark_columns == {name.lower() for name, _ in columns}, f"{schema}.{table}: other columns on Spark"
        select = ", ".join(comparable(name, kind) for name, kind in columns)
        only_duck = con.execute(f"select count(*) from (select {select} from {schema}.{table} "
                                f"except all select {select} from {spark})").fetchone()[0]
        only_spark = con.execute(f"select count(*) from (select {select} from {spark} "
                                 f"except all select {select} from {schema}.{table})").fetchone()[0]
        if only_duck or only_spark:
            differences[f"{schema}.{table}"] = dict(rows=duck_rows, only_duckdb=only_duck, only_spark=only_spark)
    assert differences == {}


def test_a_missing_spark_environment_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEHOUSE_SPARK_VENV", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="dbt-spark is not installed"):
        spark_build.command(LakehouseSettings(home=str(tmp_path)))


def test_the_build_reads_bronze_from_the_lake_by_path(spark_built):
    """Spark reads each source's folder, as the source's external_location names it (macros/portable.sql)."""
    settings, _ = spark_built
    compiled = (spark_build.spark_home(settings) / "target" / "compiled" / "enterprise_lakehouse" / "models"
                / "staging" / "samr" / "stg_samr__entities.sql").read_text(encoding="utf-8")
    assert f"parquet.`{settings.lake.local_path('bronze/samr')}/" in compiled
