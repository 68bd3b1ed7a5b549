"""Write-audit-publish end to end on a generated sources root: publish, break a source, nothing moves, fix it while
the departments move on (a rename, a deregistration, a re-delivered month), publish again with the change feed,
roll back with its own. Real files, real DuckDB, real Great Expectations, a real Dagster instance."""
from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from assets.publish import changes, store
from assets.publish.assets import GATES, GX_CHECK, UPSTREAM_CHECK
from assets.publish.parks import parks_root
from contracts.published import BY_NAME, NO_PARK, PUBLISHED
from pipelines.jobs import rollback_published
from resources.settings import prepare_dagster_home
from tests import duck
from tests.crash.demo_run import env_for
from tests.pipeline import build_and_publish, land_everything


def current_versions(published: Path) -> dict[str, str | None]:
    return {p.name: store.current_version(published, p.name) for p in PUBLISHED}


def failed_gates(result) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()
            if not c.passed and c.asset_key.path[0] == "staged"}


@pytest.fixture(scope="module")
def published_home(tmp_path_factory, small_root):
    root = tmp_path_factory.mktemp("wap_root")
    shutil.copytree(small_root, root, dirs_exist_ok=True)
    home = tmp_path_factory.mktemp("wap_home")
    instance = dg.DagsterInstance.local_temp(str(tmp_path_factory.mktemp("wap_dagster")))
    land_everything(root, home)
    result = build_and_publish(root, home, instance)
    assert result.success, [e.event_specific_data for e in result.all_events if e.is_failure]
    return root, home, instance


def test_every_dataset_is_current_with_a_valid_manifest(published_home):
    root, home, _ = published_home
    published = home / "published"
    versions = current_versions(published)
    assert all(versions.values()) and len(set(versions.values())) == 1, versions
    for p in PUBLISHED:
        folder = published / p.name / "current"
        manifest = store.verify(folder.resolve())  # sizes, rows, SHA-256 of every file
        assert manifest["dataset"] == p.name and manifest["key"] == list(p.key)
        assert manifest["run_id"] and manifest["deliveries"], "provenance: run and source deliveries"
        assert {d["dataset"] for d in manifest["deliveries"]} >= {"samr_entities", "tax_returns"}
        assert sorted(c["check"] for c in manifest["checks"]) == sorted(GATES)
        assert all(c["passed"] for c in manifest["checks"])
        meta = pq.ParquetFile(next(folder.glob("*.parquet"))).metadata
        assert meta.num_row_groups == 0 or meta.row_group(0).column(0).compression == "ZSTD"
        assert [c["name"] for c in manifest["schema"]] == pq.read_schema(next(folder.glob("*.parquet"))).names
    # nothing personal left the warehouse, and dim_enterprise carries public attributes only
    names = pq.read_schema(next((published / "dim_enterprise" / "current").glob("*.parquet"))).names
    assert "pripid" not in names and "sales_revenue_12m" not in names
    assert names == list(BY_NAME["dim_enterprise"].columns)


def test_consumers_need_nothing_but_parquet(published_home):
    _, home, _ = published_home
    current = home / "published" / "enterprise_profile" / "current"
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        expected = con.execute("select count(*) from marts.mart_enterprise_profile").fetchone()[0]
    by_arrow = pq.read_table(current).num_rows
    by_duckdb = duck.scalar(f"select count(*) from read_parquet('{current}/*.parquet')")
    by_pandas = len(pd.read_parquet(current))
    assert by_arrow == by_duckdb == by_pandas == expected > 0


def test_analysts_database_reads_the_current_versions(published_home):
    _, home, _ = published_home
    path = home / "published" / "analytics.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    try:
        versions = dict(con.execute("select dataset, version from published_versions").fetchall())
        assert versions == current_versions(home / "published")
        for p in PUBLISHED:
            n = con.execute(f"select count(*) from {p.name}").fetchone()[0]
            assert n == pq.read_table(home / "published" / p.name / "current").num_rows
    finally:
        con.close()


def test_each_park_sees_only_its_own(published_home):
    """Every park's extracts and database hold that park's enterprises and their facts, and no other's; over all
    parks (no_park included: external enterprises, unlinked records, chain gaps) every row is there exactly once.
    A row's park is read here from the whole dim_enterprise, not from the split."""
    _, home, _ = published_home
    published = home / "published"
    whole_version = store.current_version(published, "dim_enterprise")
    park_of = {r["enterprise_code"]: r["park_code"] or NO_PARK
               for r in pq.read_table(published / "dim_enterprise" / "current").to_pylist()}
    parks = sorted(d.name for d in parks_root(published).iterdir() if not d.name.startswith("."))
    assert NO_PARK in parks and len(parks) >= 3, parks
    assert set(parks) - {NO_PARK} == {v for v in park_of.values() if v != NO_PARK} | set(
        pq.read_table(published / "park_kpi" / "current").column("park_code").to_pylist())
    totals = dict.fromkeys(BY_NAME, 0)
    for park in parks:
        root = parks_root(published) / park
        with duckdb.connect(str(root / store.ANALYTICS), read_only=True) as con:
            assert dict(con.execute("select dataset, version from published_versions").fetchall()) == {
                p.name: whole_version for p in PUBLISHED}
            for p in PUBLISHED:
                manifest = store.verify((root / p.name / store.CURRENT).resolve())
                assert manifest["version"] == whole_version and manifest["park_code"] == park
                rows = pq.read_table(root / p.name / store.CURRENT).to_pylist()
                where = {r["park_code"] or NO_PARK for r in rows} if p.park_by == "park_code" else {
                    park_of.get(r[p.park_by], NO_PARK) if r[p.park_by] else NO_PARK for r in rows}
                assert where <= {park}, f"{park}/{p.name} holds rows of {where - {park}}"
                assert con.execute(f"select count(*) from {p.name}").fetchone()[0] == len(rows)
                totals[p.name] += len(rows)
    whole = {p.name: pq.read_table(published / p.name / "current").num_rows for p in PUBLISHED}
    assert totals == whole
    # a park of this root holds its enterprises' facts: a month of tax for each of its enterprises, say
    some_park = next(p for p in parks if p != NO_PARK)
    months = pq.read_table(parks_root(published) / some_park / "fct_enterprise_month" / "current")
    assert months.num_rows > 0 and set(months.column("enterprise_code").to_pylist()) <= {
        code for code, park in park_of.items() if park == some_park}


def test_a_failing_dbt_test_blocks_publication(published_home, tmp_path):
    """Dagster issue 25112: a failed dbt test does not stop a downstream Python asset by itself. Record one
    failed error-severity dbt test in the instance (as dagster-dbt would) and publish: the gate must refuse."""
    from assets.publish.assets import PUBLISH_ASSETS
    from assets.transform.assets import warehouse_models

    root, home, instance = published_home
    before = current_versions(home / "published")
    check = sorted(k for k in warehouse_models.check_keys if k.name.startswith("not_null_"))[0]
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(
        asset_key=check.asset_key, check_name=check.name, passed=False, severity=dg.AssetCheckSeverity.ERROR))
    try:
        result = build_and_publish(root, home, instance, assets=list(PUBLISH_ASSETS))
        assert not result.success
        failed = failed_gates(result)
        assert {name for (_, name) in failed} == {UPSTREAM_CHECK}
        assert check.name in failed[("xref_source_record", UPSTREAM_CHECK)].description
        assert current_versions(home / "published") == before
    finally:
        instance.report_runless_asset_event(dg.AssetCheckEvaluation(
            asset_key=check.asset_key, check_name=check.name, passed=True, severity=dg.AssetCheckSeverity.ERROR))


def test_break_a_source_nothing_moves_fix_publish_roll_back(published_home):
    root, home, instance = published_home
    published = home / "published"
    first = current_versions(published)
    db_path = root / "samr" / "samr.db"
    backup = db_path.with_suffix(".bak")
    shutil.copy(db_path, backup)

    # the registry delivers half its enterprises (an export cut short)
    db = sqlite3.connect(db_path)
    db.execute("delete from T_SCZTDJ where rowid % 2 = 0")
    for table in ("T_BGXX", "T_JYYC"):
        db.execute(f"delete from {table} where PRIPID not in (select PRIPID from T_SCZTDJ)")
    db.commit()
    db.close()
    land_everything(root, home)
    result = build_and_publish(root, home, instance)
    assert not result.success
    failed = failed_gates(result)
    assert ("dim_enterprise", GX_CHECK) in failed
    gx_failure = failed[("dim_enterprise", GX_CHECK)]
    assert "expect_table_row_count_to_be_between" in gx_failure.description
    assert "expect_table_row_count_to_be_between" in gx_failure.metadata["failures"].value
    assert gx_failure.metadata["data_docs"].value.startswith("file://")
    assert Path(gx_failure.metadata["data_docs"].value.removeprefix("file://")).exists()
    assert current_versions(published) == first  # nothing moved
    for p in PUBLISHED:
        store.verify((published / p.name / "current").resolve())

    # fixed at the source, and the departments move on: the registry renames one enterprise and deregisters
    # another, tax re-delivers its last month corrected. The next run publishes a new version, with its change feed
    shutil.copy(backup, db_path)
    codes = dict(duck.query(f"select uscc, enterprise_code from read_parquet("
                            f"'{published}/dim_enterprise/current/*.parquet') where uscc is not null"))
    renamed, deregistered = ((codes[uscc],) for uscc in change_the_registry(db_path))
    month = redeliver_last_tax_month(root)
    land_everything(root, home)
    result = build_and_publish(root, home, instance)
    assert result.success
    second = current_versions(published)
    assert len(set(second.values())) == 1 and set(second.values()) != set(first.values())
    assert sorted(store.versions(published, "dim_enterprise")) == sorted({*first.values(), *second.values()} - {None})
    old, new = next(iter(first.values())), next(iter(second.values()))
    for p in PUBLISHED:  # every change set is the difference of the two versions, computed here row by row
        assert change_set(published, p.name, old, new) == difference(published, p.name, old, new), p.name
    dim = change_set(published, "dim_enterprise", old, new)
    assert dim["changed"][renamed]["enterprise_name"] == "张家港市焕新更名科技有限公司"
    assert dim["changed"][deregistered]["registration_status"] == "3"
    assert not dim["added"] and not dim["removed"]
    months = change_set(published, "fct_enterprise_month", old, new)
    assert months["changed"] and {key[1] for key in months["changed"]} == {month}
    published_events = {e.asset_key.path[-1]: e.materialization.metadata for e in
                        result.get_asset_materialization_events() if e.asset_key.path[0] == "published"}
    assert published_events["dim_enterprise"]["rows_changed"].value == len(dim["changed"])

    # roll back with the Dagster job: the first version is current again, analysts see it too
    version = next(iter(first.values()))
    run = rollback_published.execute_in_process(
        run_config={"ops": {"rollback_op": {"config": {"version": version}}}},
        resources={"settings": _settings(root, home)}, instance=instance)
    assert run.success
    assert current_versions(published) == first
    # the rollback's own change set takes the consumer back: the rename and the deregistration undone
    back = change_set(published, "dim_enterprise", new, old)
    assert back == difference(published, "dim_enterprise", new, old)
    assert back["changed"][renamed]["enterprise_name"] != "张家港市焕新更名科技有限公司"
    assert changes.change_sets(published, "dim_enterprise")[-1]["reason"] == "rollback"
    # every park rolled back with the whole, each with its own change set
    for park in (d for d in parks_root(published).iterdir() if not d.name.startswith(".")):
        assert {store.current_version(park, p.name) for p in PUBLISHED} == {version}, park.name
        assert changes.change_sets(park, "dim_enterprise")[-1]["reason"] == "rollback", park.name
    with duckdb.connect(str(published / "analytics.duckdb"), read_only=True) as con:
        assert set(r[0] for r in con.execute("select version from published_versions").fetchall()) == {version}
    with pytest.raises(store.PublicationError, match="no published version"):
        store.rollback(published, "20000101T000000Z-nothere0")


def change_the_registry(db_path: Path) -> tuple[str, str]:
    """Rename one operating enterprise (with its T_BGXX change) and deregister another: their USCCs."""
    db = sqlite3.connect(db_path)
    (first, first_uscc, old_name), (second, second_uscc, _) = db.execute(
        "select PRIPID, UNISCID, ENTNAME from T_SCZTDJ where REGSTATE = '1' and length(UNISCID) = 18 "
        "order by PRIPID limit 2").fetchall()
    db.execute("update T_SCZTDJ set ENTNAME = '张家港市焕新更名科技有限公司' where PRIPID = ?", (first,))
    db.execute("insert into T_BGXX values (?, '名称', ?, '张家港市焕新更名科技有限公司', '2025-03-20')",
               (first, old_name))
    db.execute("update T_SCZTDJ set REGSTATE = '3', CANDATE = '2025-03-25' where PRIPID = ?", (second,))
    db.commit()
    db.close()
    return first_uscc, second_uscc


def redeliver_last_tax_month(root: Path) -> dt.date:
    """Tax re-delivers its last month, a few amounts corrected: that month's first day."""
    from simulator.redeliver import redeliver

    period = max(p.stem.rpartition("_")[2] for p in (root / "tax").glob("税收_*.csv"))
    assert redeliver(root, "tax", period, seed=5)
    return dt.date(int(period[:4]), int(period[4:]), 1)


def _rows(folder: Path, key: tuple[str, ...]) -> dict[tuple, dict]:
    return {tuple(r[k] for k in key): r for r in pq.read_table(folder).to_pylist()}


def change_set(published: Path, name: str, old: str, new: str) -> dict[str, dict[tuple, dict]]:
    """A change set as the consumer reads it: kind -> key -> row."""
    folder = changes.change_set_dir(published, name, old, new)
    out = {kind: {} for kind in changes.KINDS}
    for key, row in _rows(folder / changes.PART, ("_change", *BY_NAME[name].key)).items():
        out[key[0]][key[1:]] = {k: v for k, v in row.items() if k != changes.CHANGE_COLUMN}
    return out


def difference(published: Path, name: str, old: str, new: str) -> dict[str, dict[tuple, dict]]:
    """The same, computed in Python from the two published versions."""
    key = BY_NAME[name].key
    before = _rows(store.version_dir(published, name, old) / "part-0.parquet", key)
    after = _rows(store.version_dir(published, name, new) / "part-0.parquet", key)
    return {"added": {k: r for k, r in after.items() if k not in before},
            "removed": {k: r for k, r in before.items() if k not in after},
            "changed": {k: r for k, r in after.items() if k in before and before[k] != r}}


def _settings(root: Path, home: Path):
    from resources.settings import LakehouseSettings

    return LakehouseSettings(home=str(home), sources_root=str(root))


@pytest.fixture
def postgres_instance(monkeypatch):
    """The Dagster instance's storage in a PostgreSQL database of its own (LAKEHOUSE_DAGSTER_PG_URL), as deployed."""
    from tests.pg import fresh_database

    with fresh_database("lakehouse_dagster") as url:
        monkeypatch.setenv("LAKEHOUSE_DAGSTER_PG_URL", url)
        yield url


def test_two_runs_started_together_both_succeed_one_after_the_other(published_home, tmp_path, postgres_instance):
    """The `warehouse` pool (size 1, dagster.yaml) serializes every step that writes or reads the build warehouse:
    two build_and_publish runs started at the same moment, on an instance whose runs, events and pool slots are in
    PostgreSQL (as in production: docs/deployment.md), both succeed, and their pool steps never overlap. (The SQLite
    instance of `make run` runs one run at a time in every other pipeline test.)"""
    import subprocess
    import sys

    root, home, _ = published_home
    # the instance's storage exists before the runs start, as on any deployed instance (two processes reaching an
    # empty instance at once race on creating its schema)
    dagster_home = prepare_dagster_home(tmp_path / "dagster")
    assert "postgres_url" in (dagster_home / "dagster.yaml").read_text(encoding="utf-8")
    env = env_for(home, root, DAGSTER_HOME=str(dagster_home), HRSS_API_BASE_URL="http://127.0.0.1:9",
                  HRSS_API_TOKEN="unused", LAKEHOUSE_DAGSTER_PG_URL=postgres_instance)
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "job", "execute", "-m", "pipelines.definitions", "-j", "build_and_publish"]
    procs = [subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    def trouble(out: str) -> str:  # the lines that explain a failed run, not its last log lines
        lines = out.splitlines()
        marks = [i for i, line in enumerate(lines) if "Error" in line or "Traceback" in line or "FAILURE" in line]
        return "\n".join(lines[max(0, marks[0] - 5):marks[0] + 40]) if marks else out[-2000:]

    codes = [p.returncode for p in procs]
    assert codes == [0, 0], f"exit codes {codes}\n" + "\n----\n".join(trouble(o) for o in outputs)

    instance = dg.DagsterInstance.from_config(str(dagster_home))
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    runs = instance.get_runs()
    assert len(runs) == 2 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    spans = []
    for run in runs:
        starts, ends = {}, {}
        for record in instance.all_logs(run.run_id):
            event = record.dagster_event
            if event and event.step_key in ("warehouse_models", "staged_extracts"):
                if event.event_type == dg.DagsterEventType.STEP_START:
                    starts[event.step_key] = record.timestamp
                elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
                    ends[event.step_key] = record.timestamp
        spans += [(starts[k], ends[k], run.run_id) for k in starts]
    spans.sort()
    assert len(spans) == 4
    for (_, e1, _), (s2, _, _) in zip(spans, spans[1:], strict=False):
        assert e1 <= s2, f"two pool steps overlapped: {spans}"
    assert len({current for current in current_versions(home / "published").values()}) == 1
