"""The lake on an S3-compatible object store (LAKEHOUSE_LAKE_URL=s3://...), against a real S3 API on 127.0.0.1
(moto's server): the same landing, conservation and publication guarantees as on a local disk."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from assets.landing.land import bronze_dir, deliveries_dir, quarantine_dir
from assets.landing.store import read_raw
from assets.publish import replica, store
from assets.publish.assets import PUBLISH_ASSETS, landing_conservation
from contracts.published import PUBLISHED
from contracts.sources import DATASETS, TAX_RETURNS
from resources.lake import Lake, LakeError
from resources.settings import LakehouseSettings
from tests.conftest import SMALL
from tests.landing.helpers import failure, land
from tests.pipeline import build_and_publish, build_warehouse, land_everything
from tests.s3 import BUCKET, s3_server

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def s3_world(tmp_path_factory):
    """A small root landed into a lake on the S3 server, built and published: (root, home, lake, landing runs, build
    run), the environment pointing at the server for the whole module."""
    from simulator.generate import generate

    base = tmp_path_factory.mktemp("s3_lake")
    root = base / "root"
    generate(root, progress=False, chunk_size=600, **SMALL)
    home = base / "home"
    with s3_server(base / "moto.log"):
        runs = land_everything(root, home)
        built = build_warehouse(root, home)
        published = build_and_publish(root, home, assets=list(PUBLISH_ASSETS))
        assert published.success
        yield root, home, LakehouseSettings(home=str(home)).lake, runs, built


def test_the_lake_is_on_the_object_store_not_on_local_disk(s3_world):
    root, home, lake, runs, _ = s3_world
    assert lake.remote and lake.uri() == f"s3://{BUCKET}/lake"
    assert all(r.success for r in runs)
    assert not (home / "lake").exists()  # only the warehouse, the local published root and run state are local
    for ds in DATASETS:
        assert lake.exists(f"{bronze_dir(ds)}/empty.parquet"), ds.asset_name
        assert lake.files(deliveries_dir(ds), ".json"), f"{ds.asset_name}: no delivery recorded on the store"
    raw = [i for i in lake.fs.get_file_info(pafs.FileSelector(lake.key("raw"), recursive=True))
           if i.type == pafs.FileType.File]
    assert len(raw) >= len(DATASETS)  # every delivery's bytes, content-addressed
    # text deliveries kept compressed; read back, each is the delivery its name hashes
    texts = [i.path for i in raw if i.path.endswith(".csv.zst")]
    assert texts
    for path in texts[:3]:
        rel = path.removeprefix(f"{lake.root}/")
        data = read_raw(lake, rel)
        assert hashlib.sha256(data).hexdigest() == path.rsplit("/", 1)[1].removesuffix(".csv.zst")


def test_every_delivery_is_conserved_in_the_object_store(s3_world):
    root, home, lake, runs, _ = s3_world
    for result in runs:
        failed = [(e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations()
                  if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
        assert not failed, failed
    assert landing_conservation(lake) == []
    # counted again here, through DuckDB reading s3:// (as dbt does): rows in = bronze rows + quarantine rows
    con = duckdb.connect()
    lake.register_with(con)
    for ds in DATASETS:
        for name in lake.files(deliveries_dir(ds), ".json"):
            record = lake.read_json(f"{deliveries_dir(ds)}/{name}")
            partition = name.removesuffix(".json")
            counted = 0
            for folder in (bronze_dir(ds), quarantine_dir(ds)):
                key = f"{folder}/{partition}.parquet"
                if lake.exists(key):
                    counted += con.execute(f"select count(*) from read_parquet('{lake.uri(key)}')").fetchone()[0]
            assert counted == record["rows_in"], (ds.asset_name, partition, record["rows_in"], counted)
    entities = con.execute(f"select count(*) from read_parquet('{lake.uri('bronze/samr/entities')}/[!._]*.parquet')"
                           ).fetchone()[0]
    assert entities == SMALL["enterprises"]


def test_the_warehouse_is_built_from_the_object_store(s3_world):
    root, home, lake, _, built = s3_world
    assert built.success
    truth = [e for e in built.get_asset_check_evaluations() if e.check_name == "links_match_ground_truth"]
    assert truth and all(e.passed for e in truth)  # precision and recall as on a local lake
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)  # tables: no S3 client needed to read them
    try:
        rows = con.execute("select count(*) from staging.stg_samr__entities").fetchone()[0]
    finally:
        con.close()
    assert rows == SMALL["enterprises"]


def test_the_published_replica_is_the_local_release(s3_world):
    root, home, lake, _, _ = s3_world
    published = home / "published"
    pointer = replica.pointer(lake)
    assert pointer["release"] == store.current_release(published)
    for p in PUBLISHED:
        local = store.current_manifest(published, p.name)
        remote = replica.current_manifest(lake, p.name)
        assert remote["version"] == local["version"] == pointer["versions"][p.name]
        assert [f["sha256"] for f in remote["files"]] == [f["sha256"] for f in local["files"]]
        table = replica.read_current(lake, p.name)
        assert table.num_rows == local["row_count"]
        assert table.equals(pq.read_table(store.dataset_dir(published, p.name) / store.CURRENT))
    # each park's share too, under its own pointer
    parks = [d.name for d in (published / "parks").iterdir() if not d.name.startswith(".")]
    assert parks
    for park in parks:
        assert replica.read_current(lake, "dim_enterprise", park).num_rows == \
            store.current_manifest(published / "parks" / park, "dim_enterprise")["row_count"]


def test_a_failed_delivery_leaves_the_earlier_load_intact_on_the_store(s3_world, tmp_path):
    root, home, lake, _, _ = s3_world
    month = sorted((root / "tax").glob("税收_*.csv"))[0]
    partition = f"{month.stem[-6:-2]}-{month.stem[-2:]}"
    key = f"{bronze_dir(TAX_RETURNS)}/{partition}.parquet"
    before = lake.read_bytes(key)
    bad_root = tmp_path / "root"
    (bad_root / "tax").mkdir(parents=True)
    (bad_root / "tax" / month.name).write_bytes(month.read_bytes().decode("gbk").encode("utf-8"))
    assert "expected GBK" in failure(land(["tax_returns"], home, bad_root, partition=partition))
    assert lake.read_bytes(key) == before


def test_readers_see_the_old_release_or_the_new_one_never_half(s3_world, monkeypatch):
    root, home, lake, _, _ = s3_world
    published = home / "published"
    old = replica.pointer(lake)
    old_rows = {p.name: replica.read_current(lake, p.name).num_rows for p in PUBLISHED}

    # a publication whose replication dies half way: the local switch happened, the store's pointer did not move
    uploads = []
    real_upload = replica._upload_folder

    def dying_upload(lake_, folder, key):
        if not lake_.exists(f"{key}/{store.MANIFEST}"):  # a folder not yet on the store
            if len(uploads) == 3:
                raise OSError("connection reset by the object store (injected)")
            uploads.append(key)
        return real_upload(lake_, folder, key)

    monkeypatch.setattr(replica, "_upload_folder", dying_upload)
    result = build_and_publish(root, home, assets=list(PUBLISH_ASSETS))
    assert not result.success
    [error] = [e.step_failure_data.error for e in result.get_step_failure_events()]
    assert "injected" in error.cause.message
    new_release = store.current_release(published)
    assert new_release != old["release"]
    assert len(uploads) == 3 and all(lake.exists(f"{key}/{store.MANIFEST}") for key in uploads)  # some are there
    assert replica.pointer(lake) == old
    assert {p.name: replica.read_current(lake, p.name).num_rows for p in PUBLISHED} == old_rows

    # the operator's `replica sync` (no publication follows) finishes the job
    monkeypatch.setattr(replica, "_upload_folder", real_upload)
    synced = subprocess.run([sys.executable, "-m", "assets.publish.replica", "sync"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, env={**os.environ, "LAKEHOUSE_HOME": str(home)})
    assert synced.returncode == 0, synced.stderr
    assert f"s3://{BUCKET}/lake/published: release {new_release}" in synced.stdout
    assert replica.pointer(lake)["release"] == new_release
    for p in PUBLISHED:
        assert replica.read_current(lake, p.name).num_rows == store.current_manifest(published, p.name)["row_count"]


def test_rollback_from_the_command_line_moves_the_stores_pointer(s3_world):
    root, home, lake, _, _ = s3_world
    published = home / "published"
    versions = store.versions(published, "dim_enterprise")
    assert len(versions) >= 2  # the module published twice
    target = versions[0]
    out = subprocess.run([sys.executable, "-m", "assets.publish.store", "rollback", target, "--home", str(home)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert replica.pointer(lake)["versions"]["dim_enterprise"] == target
    assert replica.current_manifest(lake, "dim_enterprise")["version"] == target
    shown = subprocess.run([sys.executable, "-m", "assets.publish.replica", "show"], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert f"s3://{BUCKET}/lake/published: release " in shown.stdout and f"v={target}" in shown.stdout
    assert "test-secret" not in shown.stdout + out.stdout + out.stderr


def test_local_retention_is_mirrored_on_the_store_never_past_the_pointer(s3_world):
    root, home, lake, _, _ = s3_world
    published = home / "published"
    store.retain(published, 1)  # the newest version and the current one (rolled back to the oldest above) stay
    replica.replicate_all(published, lake)
    pointer = replica.pointer(lake)
    for p in PUBLISHED:
        local = set(store.versions(published, p.name))
        remote = {d.base_name.removeprefix("v=") for d in lake.fs.get_file_info(
            pafs.FileSelector(lake.key(f"published/{p.name}"), recursive=False))
            if d.type == pafs.FileType.Directory and d.base_name.startswith("v=")}
        assert remote == local and pointer["versions"][p.name] in remote, p.name
        assert replica.read_current(lake, p.name).num_rows == store.current_manifest(published, p.name)["row_count"]


def test_an_interrupted_write_leaves_what_was_there(s3_world):
    root, home, lake, _, _ = s3_world
    key = f"{bronze_dir(TAX_RETURNS)}/_interrupted_probe.json"
    lake.put_json(key, {"version": 1})

    def half_then_interrupted(stream):
        stream.write(b'{"vers')
        raise KeyboardInterrupt  # Dagster's terminate, a lost connection

    with pytest.raises(KeyboardInterrupt):
        lake._put_aside(key, half_then_interrupted)
    assert lake.read_json(key) == {"version": 1}
    hidden = [i.base_name for i in lake.fs.get_file_info(pafs.FileSelector(lake.key(bronze_dir(TAX_RETURNS))))
              if i.base_name.startswith(".")]
    assert hidden == []  # the upload set aside was removed
    lake.fs.delete_file(lake.key(key))


def test_a_lake_holds_one_homes_releases(s3_world, tmp_path):
    root, home, lake, _, _ = s3_world
    other = tmp_path / "published"
    shutil.copytree(home / "published", other, symlinks=True)
    with pytest.raises(replica.ReplicaError, match="a lake belongs to one lakehouse home"):
        replica.replicate(other, lake, replica.prefix_of())


def test_a_lake_url_that_cannot_be_used_says_what_was_expected():
    with pytest.raises(LakeError, match=r"LAKEHOUSE_LAKE_URL: a ftp URL; expected s3://bucket\[/prefix\]"):
        Lake.at("ftp://host/x")
    with pytest.raises(LakeError, match="expected s3://bucket"):
        Lake.at("s3:///prefix")
    with pytest.raises(LakeError, match="credentials in the URL are refused") as refused:
        Lake.at("s3://AKIAEXAMPLE:topsecret@bucket/x")
    assert "topsecret" not in str(refused.value)
    lake = Lake.at("s3://bucket/some/prefix/")
    assert (lake.root, lake.uri("bronze/x"), lake.remote) == ("bucket/some/prefix", "s3://bucket/some/prefix/bronze/x",
                                                               True)


def test_the_settings_export_the_lake_to_dbt(tmp_path, monkeypatch):
    monkeypatch.delenv("LAKEHOUSE_LAKE_URL", raising=False)
    local = LakehouseSettings(home=str(tmp_path))
    assert local.dbt_environment()["LAKEHOUSE_LAKE"] == (tmp_path / "lake").as_posix() and not local.lake.remote
    monkeypatch.setenv("LAKEHOUSE_LAKE_URL", "s3://bucket/prefix")
    assert LakehouseSettings(home=str(tmp_path)).dbt_environment()["LAKEHOUSE_LAKE"] == "s3://bucket/prefix"
    assert json.dumps(LakehouseSettings(home=str(tmp_path)).dbt_environment()).count("secret") == 0
