"""The change feed on real files: what a consumer reads to follow `current` without reloading it, for publications
and rollbacks, with NULL keys, a changed contract, a run killed between the switch and its change sets, and
retention. The feed over real pipeline runs is tested in test_publication.py."""
from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from assets.publish import changes, store
from contracts.published import PUBLISHED
from resources import connections

V1, V2, V3 = "20250101T000000Z-11111111", "20250201T000000Z-22222222", "20250301T000000Z-33333333"
CHAIN = "industry_chain"  # key (chain, node, enterprise_code): a node without enterprises has a NULL in its key


def publish(published, version: str, chain_rows: str, others: str = "select 'x' as enterprise_code") -> dict:
    """Publish every dataset at `version`: industry_chain from `chain_rows`, the rest from `others` (which must hold
    their key columns: here, only what industry_chain needs matters)."""
    with duckdb.connect() as con:
        for p in PUBLISHED:
            sql = chain_rows if p.name == CHAIN else _with_keys(p, others)
            store.stage(con, published, p.name, version, sql, {"run_id": version})
    return store.publish(published, version, {p.name: [] for p in PUBLISHED})


def _with_keys(p, sql: str) -> str:
    keys = ", ".join(f"'k' as {k}" for k in p.key if k != "enterprise_code")
    return f"select *{', ' + keys if keys else ''} from ({sql})"


def chain(*rows: tuple) -> str:
    values = ", ".join("(" + ", ".join("null" if v is None else repr(v) for v in r) + ")" for r in rows)
    return f"select * from (values {values}) t(chain, node, enterprise_code, revenue)"


def read(published, name: str, from_version, to_version) -> list[tuple]:
    folder = changes.change_set_dir(published, name, from_version, to_version)
    table = pq.read_table(folder / changes.PART).to_pylist()
    return sorted((r["_change"], r["node"], r["enterprise_code"], r["revenue"]) for r in table)


def test_a_change_set_holds_the_keys_added_removed_and_changed_and_nothing_else(tmp_path):
    published = tmp_path / "published"
    first = publish(published, V1, chain(("ev", "battery", "QY1", 10), ("ev", "motor", None, None),
                                          ("ev", "chip", "QY2", 5), ("ev", "body", "QY3", 7)))
    # the first version: every row added, as a consumer starting from nothing needs them
    assert first[CHAIN]["changes"] == {"added": 4, "removed": 0, "changed": 0}
    assert [c for c, *_ in read(published, CHAIN, None, V1)] == ["added"] * 4

    second = publish(published, V2, chain(("ev", "battery", "QY1", 10), ("ev", "motor", None, None),
                                           ("ev", "chip", "QY2", 6), ("ev", "seat", "QY4", 1)))
    assert second[CHAIN]["changes"] == {"added": 1, "removed": 1, "changed": 1}
    # unchanged rows (the NULL-keyed gap included) are not in it; a removed row carries its values as they were
    assert read(published, CHAIN, V1, V2) == [("added", "seat", "QY4", 1), ("changed", "chip", "QY2", 6),
                                             ("removed", "body", "QY3", 7)]
    manifest = changes.change_sets(published, CHAIN)[-1]
    assert (manifest["from_version"], manifest["to_version"], manifest["reason"]) == (V1, V2, "publication")
    assert manifest["key"] == ["chain", "node", "enterprise_code"] and not manifest["schema_changed"]
    # datasets whose rows did not move get an empty change set, not none: the consumer sees the version moved
    assert second["park_kpi"]["changes"] == {"added": 0, "removed": 0, "changed": 0}


def test_a_rollback_writes_its_own_change_set(tmp_path):
    published = tmp_path / "published"
    publish(published, V1, chain(("ev", "battery", "QY1", 10), ("ev", "body", "QY3", 7)))
    publish(published, V2, chain(("ev", "battery", "QY1", 11), ("ev", "seat", "QY4", 1)))
    store.rollback(published, V1)
    assert read(published, CHAIN, V2, V1) == [("added", "body", "QY3", 7), ("changed", "battery", "QY1", 10),
                                             ("removed", "seat", "QY4", 1)]
    assert changes.change_sets(published, CHAIN)[-1]["reason"] == "rollback"
    # the feed chains: none -> V1 -> V2 -> V1
    assert [(m["from_version"], m["to_version"]) for m in changes.change_sets(published, CHAIN)] == [
        (None, V1), (V1, V2), (V2, V1)]


def test_a_changed_contract_marks_every_kept_row_changed(tmp_path):
    published = tmp_path / "published"
    publish(published, V1, chain(("ev", "battery", "QY1", 10), ("ev", "body", "QY3", 7)))
    publish(published, V2, "select *, 'new' as note from (" + chain(("ev", "battery", "QY1", 10)) + ")")
    manifest = changes.change_sets(published, CHAIN)[-1]
    assert manifest["schema_changed"] and manifest["counts"] == {"added": 0, "removed": 1, "changed": 1}


def test_a_run_killed_after_the_switch_gets_its_change_sets_from_the_next_release(tmp_path, monkeypatch):
    published = tmp_path / "published"
    publish(published, V1, chain(("ev", "battery", "QY1", 10)))
    real = changes.write_change_set

    def killed(published, name, from_version, to_version, **kwargs):
        if to_version == V2:
            raise KeyboardInterrupt("killed")  # the switch happened, its change sets were never written
        return real(published, name, from_version, to_version, **kwargs)

    monkeypatch.setattr(changes, "write_change_set", killed)
    with pytest.raises(KeyboardInterrupt):
        publish(published, V2, chain(("ev", "battery", "QY1", 12)))
    assert store.current_version(published, CHAIN) == V2
    assert not changes.change_set_dir(published, CHAIN, V1, V2).exists()
    monkeypatch.setattr(changes, "write_change_set", real)
    publish(published, V3, chain(("ev", "battery", "QY1", 12), ("ev", "seat", "QY4", 1)))
    assert read(published, CHAIN, V1, V2) == [("changed", "battery", "QY1", 12)]
    assert read(published, CHAIN, V2, V3) == [("added", "seat", "QY4", 1)]


def test_change_sets_go_with_the_versions_they_lead_to(tmp_path):
    published = tmp_path / "published"
    for i, v in enumerate((V1, V2, V3)):
        publish(published, v, chain(("ev", "battery", "QY1", i)))
    (changes.changes_dir(published, CHAIN) / ".x_to_y.building").mkdir()  # an interrupted one
    store.prune(published, CHAIN, keep=2)
    assert sorted(p.name for p in changes.changes_dir(published, CHAIN).iterdir()) == [
        f"{V1}_to_{V2}", f"{V2}_to_{V3}"]


def test_a_change_set_larger_than_memory_spills_within_its_limit(tmp_path, monkeypatch):
    """Two versions of 2M rows joined under a 64 MB limit: the change set spills inside the published folder (not
    the working directory's .tmp), comes out exact, and leaves no spill behind."""
    monkeypatch.setenv("LAKEHOUSE_WAREHOUSE_MEMORY", "64MB")
    monkeypatch.chdir(tmp_path)
    published = tmp_path / "published"

    def rows(start: int, shift_even: int) -> str:
        return (f"select 'ev' as chain, 'n' || i as node, 'QY' || i as enterprise_code, "
                f"(i + case when i % 2 = 0 then {shift_even} else 0 end) % 7 as revenue "
                f"from range({start}, {start} + 2000000) t(i)")

    publish(published, V1, rows(0, 0))
    second = publish(published, V2, rows(100, 1))
    # keys 0..99 removed, 2000000..2000099 added, the even ones of 100..1999999 changed
    assert second[CHAIN]["changes"] == {"added": 100, "removed": 100, "changed": 999_950}
    assert not (tmp_path / ".tmp").exists()
    assert not changes.spill_dir(published).exists() and not list(published.rglob(".unsorted.parquet"))
    assert [r["_change"] for r in pq.read_table(changes.change_set_dir(published, CHAIN, V1, V2) / changes.PART,
                                                 columns=["_change"]).slice(99, 2).to_pylist()] == ["added", "changed"]
    # it had to spill: the same joins within the same limit but with nowhere to spill run out of memory
    new, old = published / CHAIN / f"v={V2}", published / CHAIN / f"v={V1}"
    with connections.connect(config=connections.bounded(None)) as con, pytest.raises(duckdb.OutOfMemoryException):
        con.execute(f"select count(*) from ({changes.change_set_sql(CHAIN, new, old, True)})").fetchall()
