"""Versioned extracts on disk: stage, verify, move `current` atomically, keep N versions, roll back.

    published/<dataset>/v=<version>/part-0.parquet ... + _manifest.json
    published/<dataset>/current -> v=<version>          (a relative symlink, replaced with one rename)
    published/analytics.duckdb                           (views over every dataset's current version)

A version folder is written under a hidden name (.v=<version>.staging), and becomes v=<version> only when it
is complete. `current` moves only by `promote`, which first re-verifies every file against the manifest. Readers
resolve `current` once and read a complete, verified folder; a version that failed its gate never becomes one.

Command line (for operators; the Dagster job `rollback_published` does the same):
    python -m assets.publish.store list [--home HOME]
    python -m assets.publish.store rollback VERSION [--dataset NAME ...] [--home HOME]
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from .datasets import BY_NAME, PUBLISHED

MANIFEST = "_manifest.json"
CURRENT = "current"
ANALYTICS = "analytics.duckdb"


class PublicationError(Exception):
    """A version that cannot be published or rolled back to, with the reason."""


def version_id(started: dt.datetime, run_id: str) -> str:
    """Sortable by time; unique per run."""
    return f"{started.astimezone(dt.timezone.utc):%Y%m%dT%H%M%SZ}-{run_id[:8]}"


def dataset_dir(published: Path, name: str) -> Path:
    return published / name


def version_dir(published: Path, name: str, version: str) -> Path:
    return dataset_dir(published, name) / f"v={version}"


def staging_dir(published: Path, name: str, version: str) -> Path:
    return dataset_dir(published, name) / f".v={version}.staging"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def current_version(published: Path, name: str) -> str | None:
    link = dataset_dir(published, name) / CURRENT
    if not link.is_symlink():
        return None
    return os.readlink(link).removeprefix("v=")


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def current_manifest(published: Path, name: str) -> dict | None:
    version = current_version(published, name)
    return read_manifest(version_dir(published, name, version)) if version else None


def stage(con: duckdb.DuckDBPyConnection, published: Path, name: str, version: str, select_sql: str,
          provenance: dict) -> tuple[Path, dict]:
    """Write one dataset's extract (Parquet, zstd) and its manifest into a staging folder; nothing moves."""
    folder = staging_dir(published, name, version)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    part = folder / "part-0.parquet"
    con.execute(f"copy ({select_sql}) to '{part}' (format parquet, compression zstd, row_group_size 122880)")
    schema = pq.read_schema(part)
    rows = pq.ParquetFile(part).metadata.num_rows
    manifest = {
        "dataset": name,
        "version": version,
        "grain": BY_NAME[name].grain,
        "key": list(BY_NAME[name].key),
        "row_count": rows,
        "schema": [{"name": f.name, "type": str(f.type)} for f in schema],
        "files": [{"path": part.name, "rows": rows, "bytes": part.stat().st_size, "sha256": sha256_file(part)}],
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        **provenance,
        "checks": [],
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder, manifest


def verify(folder: Path) -> dict:
    """Every file of the manifest is there, with its size, rows and SHA-256; nothing else is."""
    manifest = read_manifest(folder)
    listed = {f["path"] for f in manifest["files"]}
    present = {p.name for p in folder.iterdir() if p.name != MANIFEST}
    if listed != present:
        raise PublicationError(f"{folder}: files {sorted(present)} do not match the manifest's {sorted(listed)}")
    for f in manifest["files"]:
        path = folder / f["path"]
        if path.stat().st_size != f["bytes"] or sha256_file(path) != f["sha256"]:
            raise PublicationError(f"{path}: size or SHA-256 differs from the manifest")
        if pq.ParquetFile(path).metadata.num_rows != f["rows"]:
            raise PublicationError(f"{path}: row count differs from the manifest")
    return manifest


def _point_current(published: Path, name: str, version: str) -> None:
    link = dataset_dir(published, name) / CURRENT
    tmp = link.with_name(f".{CURRENT}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(f"v={version}", tmp)
    os.replace(tmp, link)  # atomic: a reader sees the old target or the new one


def promote(published: Path, name: str, version: str, checks: list[dict]) -> dict:
    """The staged version, verified, becomes v=<version> and current. Returns its manifest."""
    staged = staging_dir(published, name, version)
    final = version_dir(published, name, version)
    if not staged.exists():
        raise PublicationError(f"{name}: no staged version {version} at {staged}")
    manifest = verify(staged)
    manifest["checks"] = checks
    manifest["published_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    tmp = staged / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, staged / MANIFEST)
    os.replace(staged, final)
    _point_current(published, name, version)
    return manifest


def versions(published: Path, name: str) -> list[str]:
    folder = dataset_dir(published, name)
    if not folder.exists():
        return []
    return sorted(p.name.removeprefix("v=") for p in folder.iterdir() if p.is_dir() and p.name.startswith("v="))


def prune(published: Path, name: str, keep: int) -> list[str]:
    """Keep the newest `keep` published versions (and always the current one); drop stale staging folders."""
    current = current_version(published, name)
    removed = []
    for v in versions(published, name)[:-keep] if keep > 0 else []:
        if v != current:
            shutil.rmtree(version_dir(published, name, v))
            removed.append(v)
    folder = dataset_dir(published, name)
    staged = sorted(p for p in folder.iterdir() if p.name.startswith(".v=") and p.name.endswith(".staging"))
    for p in staged[:-keep] if keep > 0 else staged:
        shutil.rmtree(p)
    return removed


def rollback(published: Path, version: str, names: list[str] | None = None) -> list[str]:
    """Point `current` of each dataset (all by default) back at `version`, then rebuild analytics.duckdb."""
    names = names or [p.name for p in PUBLISHED]
    for name in names:
        folder = version_dir(published, name, version)
        if not folder.exists():
            raise PublicationError(f"{name}: no published version {version} (have: {', '.join(versions(published, name)) or 'none'})")
        verify(folder)
    for name in names:
        _point_current(published, name, version)
    build_analytics(published)
    return names


def build_analytics(published: Path) -> Path:
    """analytics.duckdb: one view per dataset over its current version, built aside and renamed into place.

    Views name the version folder itself, not `current`: an analyst's session keeps reading the version it
    opened with, even if `current` moves meanwhile (the old file stays readable until closed)."""
    target = published / ANALYTICS
    tmp = published / f".{ANALYTICS}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for p in PUBLISHED:
            version = current_version(published, p.name)
            if version is None:
                continue
            files = version_dir(published, p.name, version).resolve() / "*.parquet"
            con.execute(f"create view {p.name} as select * from read_parquet('{files}', hive_partitioning = false)")
            con.execute(f"comment on view {p.name} is '{p.grain.replace(chr(39), chr(39) * 2)} (version {version})'")
        rows = [(p.name, v) for p in PUBLISHED if (v := current_version(published, p.name))]
        con.execute("create table published_versions (dataset varchar, version varchar)")
        if rows:
            con.executemany("insert into published_versions values (?, ?)", rows)
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description="Published extracts: list versions, roll back.")
    parser.add_argument("command", choices=["list", "rollback"])
    parser.add_argument("version", nargs="?")
    parser.add_argument("--dataset", action="append", help="default: every published dataset")
    parser.add_argument("--home", default=os.environ.get("LAKEHOUSE_HOME", "var"))
    args = parser.parse_args()
    published = Path(args.home).resolve() / "published"
    if args.command == "list":
        for p in PUBLISHED:
            current = current_version(published, p.name)
            print(f"{p.name:22s} " + " ".join(f"[{v}]" if v == current else v for v in versions(published, p.name)))
        return
    if not args.version:
        parser.error("rollback needs a VERSION")
    done = rollback(published, args.version, args.dataset)
    print(f"current -> {args.version} for {', '.join(done)}; analytics.duckdb rebuilt")


if __name__ == "__main__":
    main()
