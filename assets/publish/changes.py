"""The change feed: for each switch of a dataset's `current` (a publication or a rollback), the keys added, removed
and changed, so a consuming system reads only the delta.

    published/<dataset>/changes/<from version>_to_<to version>/part-0.parquet + _manifest.json

One Parquet file per change set: the dataset's columns (the row as it is now; for `removed`, as it was) and
`_change` (added, removed or changed), by the dataset's key (contracts/published.py). The first version of a dataset
has the change set `none_to_<version>`: every row added. A change set is written under a hidden name and renamed
when complete; it is derived from the two version folders only, so writing it again gives the same rows.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from contracts.published import BY_NAME
from contracts.sql import path_literal, quote_identifier
from resources import connections

CHANGES = "changes"
CHANGE_COLUMN = "_change"
KINDS = ("added", "removed", "changed")
NONE = "none"
PART = "part-0.parquet"
MANIFEST = "_manifest.json"


def changes_dir(published: Path, name: str) -> Path:
    return published / name / CHANGES


def change_set_dir(published: Path, name: str, from_version: str | None, to_version: str) -> Path:
    return changes_dir(published, name) / f"{from_version or NONE}_to_{to_version}"


def _schema(folder: Path) -> list[tuple[str, str]]:
    return [(f.name, str(f.type)) for f in pq.read_schema(folder / PART)]


def change_set_sql(name: str, new: Path, old: Path | None, same_schema: bool) -> str:
    """The rows of the change set of `name` from the version folder `old` (None: nothing before) to `new`, unsorted
    (write_change_set sorts them by CHANGE_COLUMN and the key)."""
    key = BY_NAME[name].key
    # a key column may be NULL (industry_chain: a gap has no enterprise): keys match NULL to NULL
    on = " and ".join(f"n.{quote_identifier(k)} is not distinct from o.{quote_identifier(k)}" for k in key)
    new_rows = f"read_parquet({path_literal(new / '*.parquet')}, hive_partitioning = false)"
    if old is None:
        return f"select 'added' as {CHANGE_COLUMN}, * from {new_rows}"
    old_rows = f"read_parquet({path_literal(old / '*.parquet')}, hive_partitioning = false)"
    # with the same columns, a changed row is a key of both versions whose values differ (a join on the key spills
    # past the memory limit; EXCEPT over whole rows does not); with other columns (the dataset's contract changed)
    # every row kept is changed, and the consumer reloads it
    differs = " or ".join(f"n.{quote_identifier(c)} is distinct from o.{quote_identifier(c)}"
                          for c, _ in _schema(new) if c not in key)
    changed = (f"{new_rows} n join {old_rows} o on {on} where {differs or 'false'}"
               if same_schema else f"{new_rows} n semi join {old_rows} o on {on}")
    return f"""
        select 'added' as {CHANGE_COLUMN}, n.* from {new_rows} n anti join {old_rows} o on {on}
        union all by name
        select 'removed' as {CHANGE_COLUMN}, o.* from {old_rows} o anti join {new_rows} n on {on}
        union all by name
        select 'changed' as {CHANGE_COLUMN}, n.* from {changed}"""


def change_set_order(name: str) -> str:
    return ", ".join(quote_identifier(c) for c in (CHANGE_COLUMN, *BY_NAME[name].key))


def spill_dir(published: Path) -> Path:
    """Where the change sets' joins spill: inside the published folder they write to (the same volume), hidden."""
    return published / ".spill"


@contextlib.contextmanager
def connection(published: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """One bounded connection for the change sets of a release (a DuckDB instance per change set cost more than a
    small dataset's whole change set); its spill folder is removed with it."""
    spill = spill_dir(published)
    try:
        with connections.connect(config=connections.bounded(spill)) as con:
            yield con
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def write_change_set(published: Path, name: str, from_version: str | None, to_version: str, *,
                     reason: str, con: duckdb.DuckDBPyConnection | None = None) -> dict | None:
    """Write (or find, if already written) the change set of one switch of `name`'s `current`, on `con` (default: a
    connection of its own). Returns its manifest; None when either version is gone (pruned since): a consumer at the
    old version then reloads `current`, and no later publication is held up by a change set that can no longer be
    made."""
    target = change_set_dir(published, name, from_version, to_version)
    if (target / MANIFEST).exists():
        return json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    new = published / name / f"v={to_version}"
    old = published / name / f"v={from_version}" if from_version else None
    if not new.exists() or (old is not None and not old.exists()):
        return None
    if con is None:
        with connection(published) as own:
            return write_change_set(published, name, from_version, to_version, reason=reason, con=own)
    same_schema = old is None or _schema(old) == _schema(new)
    building = target.with_name(f".{target.name}.building")
    if building.exists():
        shutil.rmtree(building)
    building.mkdir(parents=True)
    part, unsorted = building / PART, building / ".unsorted.parquet"
    rows = change_set_sql(name, new, old, same_schema)
    if old is not None:  # sorted apart from the joins: a sort above them holds both and runs out of memory
        con.execute(f"copy ({rows}) to $unsorted (format parquet)", {"unsorted": str(unsorted)})
        rows = f"select * from read_parquet({path_literal(unsorted)})"
    con.execute(f"copy ({rows} order by {change_set_order(name)}) to $part (format parquet, compression zstd)",
                {"part": str(part)})
    counts = dict.fromkeys(KINDS, 0)
    counts.update(con.execute(f"select {CHANGE_COLUMN}, count(*) from read_parquet($part) group by all",
                              {"part": str(part)}).fetchall())
    unsorted.unlink(missing_ok=True)
    manifest = {
        "dataset": name, "from_version": from_version, "to_version": to_version, "reason": reason,
        "key": list(BY_NAME[name].key), "schema_changed": not same_schema, "counts": counts,
        "files": [{"path": PART, "rows": sum(counts.values()), "bytes": part.stat().st_size}],
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
    }
    (building / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(building, target)
    return manifest


def change_sets(published: Path, name: str) -> list[dict]:
    """Every change set of `name`, oldest first (by the version it leads to, then by when it was written)."""
    folder = changes_dir(published, name)
    if not folder.exists():
        return []
    found = [json.loads((p / MANIFEST).read_text(encoding="utf-8"))
             for p in folder.iterdir() if not p.name.startswith(".") and (p / MANIFEST).exists()]
    return sorted(found, key=lambda m: m["created_at"])


def prune(published: Path, name: str, kept_versions: set[str]) -> list[str]:
    """Drop the change sets that lead to a version no longer kept, and interrupted ones."""
    folder = changes_dir(published, name)
    if not folder.exists():
        return []
    removed = []
    for p in folder.iterdir():
        if p.name.startswith(".") and p.name.endswith(".building"):
            shutil.rmtree(p)
        elif not p.name.startswith(".") and p.name.rpartition("_to_")[2] not in kept_versions:
            shutil.rmtree(p)
            removed.append(p.name)
    return removed
