"""The published extracts on the lake's object store (LAKEHOUSE_LAKE_URL=s3://...), for systems that read object
storage: a replica of each published root (the whole extract, and each park's), made after its local switch.

    <lake>/published/<dataset>/v=<version>/part-N.parquet + _manifest.json    written once, the manifest last
    <lake>/published/<dataset>/changes/<from>_to_<to>/part-0.parquet + ...   the change feed, the same way
    <lake>/published/_current.json                                            the pointer: written last
    <lake>/published/parks/<park_code>/...                                    each park's, the same way

A consumer reads `_current.json`, then the manifest of each version it names, then the files that manifest lists
(`read_current`). Every version folder is complete before a pointer names it, and the pointer is one object,
replaced whole (resources/lake.py: uploaded aside, copied into place), so a reader sees the release before or the one
after, never half of one; a run killed while replicating leaves the old pointer, and the next replication (a
publication, a rollback or `replica sync`) finishes the job (every
step is idempotent: a version whose manifest is there is complete and is not written again). Local retention is
mirrored: a version or change set gone from the local root is deleted here, after the pointer has moved past it.

A lake belongs to one lakehouse home: each pointer records the published root it was replicated from, and a
replication from another root is refused (its retention would delete the other home's versions).

Command line:
    python -m assets.publish.replica show [--park CODE]   the pointer and its manifests' row counts
    python -m assets.publish.replica sync                 the store brought up to the local releases (after a
                                                          replication that failed, when no publication follows)
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from contracts.published import PUBLISHED
from resources.lake import Lake

from . import changes, parks, store

PUBLISHED_PREFIX = "published"
POINTER = "_current.json"


class ReplicaError(store.PublicationError):
    """The replica cannot be read as a whole version (a file missing or not as its manifest says)."""


def prefix_of(park: str | None = None) -> str:
    return f"{PUBLISHED_PREFIX}/{parks.PARKS}/{park}" if park else PUBLISHED_PREFIX


def _folders(root: Path) -> list[Path]:
    """The complete, immutable folders of a published root: every version and every change set."""
    out = []
    for p in PUBLISHED:
        out += [store.version_dir(root, p.name, v) for v in store.versions(root, p.name)]
        feed = changes.changes_dir(root, p.name)
        out += sorted(d for d in feed.iterdir() if d.is_dir() and not d.name.startswith(".")) if feed.is_dir() else []
    return out


def _upload_folder(lake: Lake, folder: Path, key: str) -> bool:
    """A folder's files, its manifest last; nothing when the manifest is already there (the folder is complete)."""
    if lake.exists(f"{key}/{store.MANIFEST}"):
        return False
    files = sorted(f for f in folder.iterdir()
                   if f.is_file() and not f.name.startswith(".") and f.name != store.MANIFEST)
    for f in files:
        lake.upload(f, f"{key}/{f.name}")
    lake.put_bytes(f"{key}/{store.MANIFEST}", (folder / store.MANIFEST).read_bytes())
    return True


def _remote_subfolders(lake: Lake, key: str) -> list[str]:
    import pyarrow.fs as pafs

    selector = pafs.FileSelector(lake.key(key), allow_not_found=True, recursive=False)
    return sorted(i.base_name for i in lake.fs.get_file_info(selector) if i.type == pafs.FileType.Directory)


def replicate(root: Path, lake: Lake, prefix: str) -> dict:
    """Bring the object store's copy of one published root (`prefix`) to the root's current release; returns what
    was done."""
    release = store.current_release(root)
    if release is None:
        return {"release": None, "uploaded": 0, "deleted": 0}
    named = pointer_at(lake, prefix)
    if named and named.get("published_root") not in (None, str(root)):
        raise ReplicaError(f"{lake.uri(f'{prefix}/{POINTER}')} was replicated from {named['published_root']}, not "
                           f"{root}: a lake belongs to one lakehouse home (set LAKEHOUSE_LAKE_URL per home; if this "
                           f"home only moved, delete that pointer object and run `python -m assets.publish.replica "
                           f"sync`)")
    record = json.loads((store.release_dir(root, release) / store.RELEASE_RECORD).read_text(encoding="utf-8"))
    local = _folders(root)
    uploaded = sum(_upload_folder(lake, f, f"{prefix}/{f.relative_to(root).as_posix()}") for f in local)
    versions = record["versions"]
    lake.put_json(f"{prefix}/{POINTER}", {  # the commit point
        "release": record["release"], "reason": record.get("reason"), "versions": versions,
        "manifests": {n: f"{n}/v={v}/{store.MANIFEST}" for n, v in versions.items()}, "published_root": str(root),
        "replicated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    kept = {f.relative_to(root).as_posix() for f in local} | {f"{n}/v={v}" for n, v in versions.items()}
    deleted = 0
    for p in PUBLISHED:
        for sub in (p.name, f"{p.name}/{changes.CHANGES}"):
            for name in _remote_subfolders(lake, f"{prefix}/{sub}"):
                if (name.startswith("v=") or sub.endswith(changes.CHANGES)) and f"{sub}/{name}" not in kept:
                    lake.delete_folder(f"{prefix}/{sub}/{name}")
                    deleted += 1
    return {"release": record["release"], "uploaded": uploaded, "deleted": deleted}


def replicate_all(published: Path, lake: Lake) -> dict[str, dict]:
    """The whole extract's root, then each park's: prefix -> what was done."""
    out = {prefix_of(): replicate(published, lake, prefix_of())}
    root = parks.parks_root(published)
    for park in sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")) \
            if root.is_dir() else []:
        out[prefix_of(park)] = replicate(parks.park_root(published, park), lake, prefix_of(park))
    return out


def pointer_at(lake: Lake, prefix: str) -> dict | None:
    key = f"{prefix}/{POINTER}"
    return lake.read_json(key) if lake.exists(key) else None


def pointer(lake: Lake, park: str | None = None) -> dict | None:
    return pointer_at(lake, prefix_of(park))


def current_manifest(lake: Lake, name: str, park: str | None = None) -> dict | None:
    """The manifest of `name`'s current version on the object store, as the pointer names it."""
    named = pointer(lake, park)
    if not named or name not in named["manifests"]:
        return None
    return lake.read_json(f"{prefix_of(park)}/{named['manifests'][name]}")


def read_current(lake: Lake, name: str, park: str | None = None) -> pa.Table:
    """`name`'s current version from the object store, every file checked against its manifest (size, rows)."""
    manifest = current_manifest(lake, name, park)
    if manifest is None:
        raise ReplicaError(f"{lake.uri(prefix_of(park))}: no published version of {name}")
    folder = f"{prefix_of(park)}/{name}/v={manifest['version']}"
    tables = []
    for f in manifest["files"]:
        rel = f"{folder}/{f['path']}"
        info = lake.fs.get_file_info(lake.key(rel))
        if info.size != f["bytes"]:
            raise ReplicaError(f"{lake.uri(rel)}: {info.size} bytes, the manifest says {f['bytes']}")
        with lake.fs.open_input_file(lake.key(rel)) as src:
            table = pq.read_table(src)
        if table.num_rows != f["rows"]:
            raise ReplicaError(f"{lake.uri(rel)}: {table.num_rows} rows, the manifest says {f['rows']}")
        tables.append(table)
    return pa.concat_tables(tables)


def main() -> None:
    from resources.settings import LakehouseSettings

    parser = argparse.ArgumentParser(description="The published extracts' replica on the lake's object store.")
    parser.add_argument("command", choices=["show", "sync"])
    parser.add_argument("--park", help="show: a park's replica (default: the whole extract)")
    args = parser.parse_args()
    settings = LakehouseSettings()
    lake = settings.lake
    if args.command == "sync":
        if not lake.remote:
            raise SystemExit(f"the lake is the folder {lake.uri()}: nothing to replicate (set LAKEHOUSE_LAKE_URL)")
        for prefix, done in replicate_all(settings.published_path, lake).items():
            print(f"{lake.uri(prefix)}: release {done['release']}, {done['uploaded']} folder(s) uploaded, "
                  f"{done['deleted']} removed")
        return
    named = pointer(lake, args.park)
    if named is None:
        raise SystemExit(f"{lake.uri(prefix_of(args.park))}: nothing published there")
    print(f"{lake.uri(prefix_of(args.park))}: release {named['release']} ({named['replicated_at']})")
    for name in named["versions"]:
        manifest = current_manifest(lake, name, args.park)
        print(f"  {name:24s} v={manifest['version']}  {manifest['row_count']:>12,} rows")


if __name__ == "__main__":
    main()
