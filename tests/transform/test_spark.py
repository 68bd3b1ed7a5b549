"""The same dbt models on Spark: the `spark` target (dbt-spark, a local PySpark session) builds the whole project,
staging to marts, from the bronze Parquet of the small `make run`, and every table holds the rows DuckDB's build
holds, so every published dataset would be the same (read side by side by DuckDB: Spark's tables are Parquet
folders). The one difference is explained and asserted: when a 企业码 was assigned (the build's clock)."""
from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from assets.publish.gates import WAREHOUSE, attach_sql, select_sql
from contracts.published import PUBLISHED, Published
from resources import spark_build
from resources.settings import LakehouseSettings

NUMERIC = ("DECIMAL", "DOUBLE", "FLOAT", "REAL")
# columns that differ between the engines by design, with why
EXPECTED_DIFFERENCES = {
    ("resolution", "int_enterprise_codes", "assigned_at"): "the clock of the build that assigned the code",
}


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
    code = spark_build.build(settings, log=log, tests=False)
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


def test_the_spark_build_builds_every_model_and_seed(spark_built):
    _, results = spark_built
    assert [(r["unique_id"], r["message"]) for r in results["results"] if r["status"] != "success"] == []
    tables = {table for _, table in built_tables(results)}
    assert {"stg_samr__entities", "int_links_exact", "int_enterprise_links", "int_enterprise_codes", "dim_enterprise",
            "mart_enterprise_profile", "mart_chain_leads"} <= tables
    assert {p.model for p in PUBLISHED} <= tables


def test_every_table_spark_builds_equals_duckdbs(spark_built):
    settings, results = spark_built
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    differences, expected = {}, set()
    for schema, table in built_tables(results):
        folder = spark_build.table_path(settings, schema, table)
        columns = con.execute(f"select column_name, data_type from information_schema.columns "
                              f"where table_schema = '{schema}' and table_name = '{table}' "
                              f"order by ordinal_position").fetchall()
        assert columns, f"{schema}.{table}: not in DuckDB's warehouse"
        duck_rows = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
        if not any(folder.glob("*.parquet")):  # Spark writes no file for a table without rows
            assert folder.is_dir() and duck_rows == 0, f"{schema}.{table}: no rows on Spark, {duck_rows} in DuckDB"
            continue
        for name, only_duck in only_in_duckdb(con, schema, table, folder).items():
            if (schema, table, name) in EXPECTED_DIFFERENCES:
                expected.add((schema, table, name))
            elif only_duck:
                differences[f"{schema}.{table}.{name}"] = only_duck
    assert differences == {}
    assert expected == set(EXPECTED_DIFFERENCES)


def only_in_duckdb(con: duckdb.DuckDBPyConnection, schema: str, table: str, folder) -> dict[str, int]:
    """Per column of DuckDB's `schema.table`: how many of its values the Spark table's Parquet folder lacks (the same
    columns and row count asserted first)."""
    columns = con.execute(f"select column_name, data_type from information_schema.columns "
                          f"where table_schema = '{schema}' and table_name = '{table}' "
                          "order by ordinal_position").fetchall()
    spark = f"read_parquet('{folder}/*.parquet')"
    spark_columns = {name.lower() for name, *_ in con.execute(f"describe select * from {spark}").fetchall()}
    assert spark_columns == {name.lower() for name, _ in columns}, f"{schema}.{table}: other columns on Spark"
    assert con.execute(f"select count(*) from {spark}").fetchone() == con.execute(
        f"select count(*) from {schema}.{table}").fetchone(), f"{schema}.{table}"
    return {name: con.execute(f"select count(*) from (select {comparable(name, kind)} from {schema}.{table} "
                              f"except all select {comparable(name, kind)} from {spark})").fetchone()[0]
            for name, kind in columns}


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


def extract(settings: LakehouseSettings, p: Published, engine: str) -> duckdb.DuckDBPyConnection:
    """A connection holding `extract`: what publication would extract of `p` (assets/publish/gates.select_sql) from
    DuckDB's warehouse, or from Spark's tables under the same names."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    if engine == "duckdb":
        con.execute(attach_sql(settings.warehouse_path))
    else:
        con.execute(f"attach ':memory:' as {WAREHOUSE}")
        con.execute(f"create schema {WAREHOUSE}.marts")
        folder = spark_build.table_path(settings, "marts", p.model)
        con.execute(f"create view {WAREHOUSE}.marts.{p.model} as select * from read_parquet('{folder}/*.parquet')")
    con.execute(f"create table extract as {select_sql(p)}")
    return con


def test_every_published_dataset_is_the_same_on_both_engines(spark_built):
    """Rows, keys and every column equal, dataset by dataset: what Spark builds would publish what DuckDB's does.
    (Ties are broken alike: every max_by/min_by and ordered list names its order; every rounding is half up on the
    decimal figure, round_half_up.)"""
    settings, _ = spark_built
    for p in PUBLISHED:
        duck, spark = extract(settings, p, "duckdb"), extract(settings, p, "spark")
        columns = duck.execute("select column_name, data_type from information_schema.columns "
                               "where table_name = 'extract' order by ordinal_position").fetchall()
        assert [name for name, _ in columns] == [name for name, *_ in spark.execute("describe extract").fetchall()]
        keys = ", ".join(f'"{k}"' for k in p.key)
        assert duck.execute("select count(*) from extract").fetchone() == spark.execute(
            "select count(*) from extract").fetchone(), p.name
        duck_keys = set(duck.execute(f"select {keys} from extract").fetchall())
        assert duck_keys == set(spark.execute(f"select {keys} from extract").fetchall()), p.name
        select = ", ".join(comparable(name, kind) for name, kind in columns)
        rows = {tuple(r) for r in duck.execute(f"select {select} from extract").fetchall()}
        spark_rows = {tuple(r) for r in spark.execute(f"select {select} from extract").fetchall()}
        assert rows == spark_rows, (p.name, sorted(rows - spark_rows)[:3], sorted(spark_rows - rows)[:3])


def test_enterprise_codes_survive_a_full_refresh_on_spark(spark_built):
    """The 企业码 state on Spark (an append-only Parquet table): `--full-refresh` neither renumbers nor re-stamps a
    code, and a run with nothing new assigns nothing."""
    settings, _ = spark_built
    folder = spark_build.table_path(settings, "resolution", "int_enterprise_codes")

    def codes() -> set[tuple]:
        return set(duckdb.connect().execute(f"select anchor, enterprise_code, sequence_number, assigned_at "
                                            f"from read_parquet('{folder}/*.parquet')").fetchall())

    before = codes()
    assert len(before) > 1000 and len({code for _, code, _, _ in before}) == len(before)
    log = settings.home_path / "spark_refresh.log"
    assert spark_build.build(settings, extra=["--full-refresh"], log=log, select="int_enterprise_codes",
                             tests=False) == 0, (
        log.read_text(encoding="utf-8")[-3000:])
    assert codes() == before


# the models the thrift target builds in the test: a source's staging, read by path from the lake like every source
THRIFT_MODELS = ("stg_samr__entities", "stg_tax__returns")


@pytest.fixture
def thrift_server(tmp_path):
    """A Spark Thrift server (HiveThriftServer2, PySpark's own jars) on 127.0.0.1, as a cluster's would be: its
    tables and metastore under tmp_path, its SQL settings those the session target sets (profiles.yml)."""
    import socket
    import subprocess
    import time

    import yaml

    spark_home = next((spark_build.spark_venv() / "lib").glob("python3*/site-packages/pyspark"))
    profile = yaml.safe_load((spark_build.PROJECT / "profiles.yml").read_text(encoding="utf-8"))
    settings = {k: str(v) for k, v in
                profile["enterprise_lakehouse"]["outputs"]["spark"]["server_side_parameters"].items()
                if k.startswith("spark.sql.") and "{{" not in str(v)}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    warehouse = tmp_path / "warehouse"
    log = (tmp_path / "thrift.log").open("w")
    proc = subprocess.Popen(
        [str(spark_home / "bin" / "spark-submit"),
         "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
         "--master", "local[2]", "--driver-memory", "2g", "--conf", f"spark.sql.warehouse.dir={warehouse}",
         "--conf", f"spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName={tmp_path}/metastore;"
                   "create=true",
         "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={tmp_path}", "--conf", "spark.ui.enabled=false",
         *[a for k, v in settings.items() for a in ("--conf", f"{k}={v}")],
         "--hiveconf", f"hive.server2.thrift.port={port}", "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
         "spark-internal"],
        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
        env={**spark_build.environment(LakehouseSettings(home=str(tmp_path))), "SPARK_HOME": str(spark_home)})
    try:
        deadline = time.monotonic() + 240
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "thrift.log").read_text()[-3000:]
            time.sleep(1)
        yield port, warehouse
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def test_the_thrift_target_builds_on_a_spark_thrift_server(spark_built, thrift_server, monkeypatch, tmp_path):
    """`--target spark_thrift` (a cluster's Thrift server, LAKEHOUSE_SPARK_HOST/PORT) builds from the same bronze
    Parquet, read by path, the rows DuckDB builds. (Last in this module: it writes the Spark build's target.)"""
    settings, _ = spark_built
    port, warehouse = thrift_server
    monkeypatch.setenv("LAKEHOUSE_SPARK_HOST", "127.0.0.1")
    monkeypatch.setenv("LAKEHOUSE_SPARK_PORT", str(port))
    log = tmp_path / "thrift_build.log"
    code = spark_build.build(settings, target="spark_thrift", select=" ".join(THRIFT_MODELS), tests=False, log=log)
    assert code == 0, log.read_text(encoding="utf-8")[-5000:]
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    for model in THRIFT_MODELS:
        folder = warehouse / "staging.db" / model
        assert any(folder.glob("*.parquet")), f"{model}: no table on the Thrift server"
        differences = only_in_duckdb(con, "staging", model, folder)
        assert differences and not any(differences.values()), (model, differences)
