"""The version store on real files: promotion only of verified versions, retention, rollback from the command line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from assets.publish import store
from contracts.published import BY_NAME, PUBLISHED

REPO = Path(__file__).resolve().parents[2]


def rows_sql(name: str, rows: int) -> str:
    """`rows` rows with the dataset's key columns (the change feed compares versions by them)."""
    keys = "".join(f", 'k' || range as {k}" for k in BY_NAME[name].key)
    return f"select range as id{keys} from range({rows})"


def publish_version(published: Path, version: str, rows: int) -> None:
    con = duckdb.connect()
    for p in PUBLISHED:
        store.stage(con, published, p.name, version, rows_sql(p.name, rows), {"run_id": version})
        store.promote(published, p.name, version, [{"check": "test", "passed": True}])
    con.close()


def test_only_verified_versions_are_promoted(tmp_path):
    published = tmp_path / "published"
    publish_version(published, "20250101T000000Z-aaaaaaaa", 3)
    con = duckdb.connect()
    folder, _ = store.stage(con, published, "park_kpi", "20250102T000000Z-bbbbbbbb", rows_sql("park_kpi", 1), {})
    (folder / "part-0.parquet").write_bytes(b"tampered")
    with pytest.raises(store.PublicationError, match="SHA-256"):
        store.promote(published, "park_kpi", "20250102T000000Z-bbbbbbbb", [])
    assert store.current_version(published, "park_kpi") == "20250101T000000Z-aaaaaaaa"
    folder, _ = store.stage(con, published, "park_kpi", "20250103T000000Z-cccccccc", rows_sql("park_kpi", 1), {})
    (folder / "stray.parquet").write_bytes(b"")
    with pytest.raises(store.PublicationError, match="do not match the manifest"):
        store.promote(published, "park_kpi", "20250103T000000Z-cccccccc", [])


def test_the_last_n_versions_are_kept_and_current_never_pruned(tmp_path):
    published = tmp_path / "published"
    versions = [f"2025010{i}T000000Z-{i}aaaaaaa" for i in range(1, 6)]
    for i, v in enumerate(versions):
        publish_version(published, v, i + 1)
    store.rollback(published, versions[0], ["park_kpi"])
    removed = store.prune(published, "park_kpi", keep=2)
    assert store.versions(published, "park_kpi") == [versions[0], *versions[-2:]]
    assert set(removed) == set(versions[1:3])
    assert store.current_version(published, "park_kpi") == versions[0]


def test_rollback_from_the_command_line(tmp_path):
    home = tmp_path
    published = home / "published"
    publish_version(published, "20250101T000000Z-11111111", 1)
    publish_version(published, "20250201T000000Z-22222222", 2)
    env = {**os.environ, "LAKEHOUSE_HOME": str(home)}
    out = subprocess.run([sys.executable, "-m", "assets.publish.store", "rollback", "20250101T000000Z-11111111"],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True).stdout
    assert "current -> 20250101T000000Z-11111111" in out
    assert all(store.current_version(published, p.name) == "20250101T000000Z-11111111" for p in PUBLISHED)
    listing = subprocess.run([sys.executable, "-m", "assets.publish.store", "list"], cwd=REPO, env=env,
                             capture_output=True, text=True, check=True).stdout
    assert "[20250101T000000Z-11111111] 20250201T000000Z-22222222" in listing
    manifest = json.loads((published / "park_kpi" / "current" / "_manifest.json").read_text())
    assert manifest["row_count"] == 1 and manifest["checks"] == [{"check": "test", "passed": True}]
    with duckdb.connect(str(published / "analytics.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from park_kpi").fetchone()[0] == 1


def test_every_dataset_and_the_analysts_database_switch_together_or_not_at_all(tmp_path, monkeypatch):
    published = tmp_path / "published"
    publish_version(published, "20250101T000000Z-aaaaaaaa", 1)
    before = {p.name: os.path.realpath(published / p.name / "current") for p in PUBLISHED}
    analytics = os.path.realpath(published / "analytics.duckdb")
    con = duckdb.connect()
    version = "20250102T000000Z-bbbbbbbb"
    for p in PUBLISHED:
        store.stage(con, published, p.name, version, rows_sql(p.name, 2), {})
    real = store._replace_link

    def crash_at_the_switch(link, target):
        if link.name == store.RELEASE:
            raise KeyboardInterrupt("killed")  # as a SIGKILL would leave it: everything built, nothing switched
        real(link, target)

    monkeypatch.setattr(store, "_replace_link", crash_at_the_switch)
    with pytest.raises(KeyboardInterrupt):
        store.publish(published, version, {p.name: [] for p in PUBLISHED})
    assert {p.name: os.path.realpath(published / p.name / "current") for p in PUBLISHED} == before
    assert os.path.realpath(published / "analytics.duckdb") == analytics
    monkeypatch.setattr(store, "_replace_link", real)
    # the consumers' paths are fixed links through the one switch
    assert os.readlink(published / "park_kpi" / "current") == "../.release/park_kpi"
    assert os.readlink(published / "analytics.duckdb") == ".release/analytics.duckdb"
    assert all(os.readlink(published / p.name / "current") == f"../.release/{p.name}" for p in PUBLISHED)
