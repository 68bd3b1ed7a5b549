"""Versioned extracts on disk: stage, verify, switch every dataset's `current` in one atomic step, keep N versions,
roll back.

    published/<dataset>/v=<version>/part-0.parquet ... + _manifest.json
    published/.releases/<release>/<dataset> -> ../../<dataset>/v=<version>   (one link per dataset)
    published/.releases/<release>/analytics.duckdb                          (views over that release's versions)
    published/.release -> .releases/<release>       the one switch: replaced with one rename
    published/<dataset>/current -> ../.release/<dataset>                    (fixed links, made once)
    published/analytics.duckdb -> .release/analytics.duckdb                 (fixed link, made once)
    published/<dataset>/changes/<from>_to_<to>/           (the change feed, written after each switch: changes.py)

A version folder is written under a hidden name (.v=<version>.staging), and becomes v=<version> only when it
is complete. A release (which version of every dataset, and the analysts' database over them) is built aside, then
made current by renaming `.release`: the datasets and analytics.duckdb move together or not at all, so a run killed
at any instant leaves consumers on the release before it or the one after. Readers resolve `current` once and read
a complete, verified folder; a version that failed its gate never becomes one. Each release records the versions it
replaced (release.json); after the switch, every dataset whose version changed gets its change set, and a run that
died between the switch and the change sets has them written by the next release (or rollback) before its own.

Command line (for operators; the Dagster job `rollback_published` does the same):
    python -m assets.publish.store list [--home HOME]
    python -m assets.publish.store rollback VERSION [--dataset NAME ...] [--home HOME]
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from contracts.published import BY_NAME, PUBLISHED
from contracts.sql import path_literal, quote_identifier, quote_literal
from resources import connections

from . import changes

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


RELEASE = ".release"
RELEASES = ".releases"
RELEASE_RECORD = "release.json"


def release_dir(published: Path, release: str) -> Path:
    return published / RELEASES / release


def current_release(published: Path) -> str | None:
    link = published / RELEASE
    return Path(os.readlink(link)).name if link.is_symlink() else None


def current_version(published: Path, name: str) -> str | None:
    link = dataset_dir(published, name) / CURRENT
    if not link.exists():
        return None
    return Path(os.path.realpath(link)).name.removeprefix("v=")


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def current_manifest(published: Path, name: str) -> dict | None:
    version = current_version(published, name)
    return read_manifest(version_dir(published, name, version)) if version else None


def stage(con: duckdb.DuckDBPyConnection, published: Path, name: str, version: str, select_sql: str,
          provenance: dict) -> tuple[Path, dict]:
    """Write one dataset's extract (Parquet, zstd) and its manifest into a staging folder; nothing moves."""
    folder = _new_staging(published, name, version)
    con.execute(f"copy ({select_sql}) to $part (format parquet, compression zstd, row_group_size 122880)",
                {"part": str(folder / "part-0.parquet")})
    return folder, _seal(folder, name, version, provenance)


def stage_files(published: Path, name: str, version: str, files: list[Path], provenance: dict) -> tuple[Path, dict]:
    """Move already written Parquet files (one dataset's, one schema) into a staging folder as its parts, with
    their manifest; nothing visible moves."""
    folder = _new_staging(published, name, version)
    for i, f in enumerate(sorted(files)):
        os.replace(f, folder / f"part-{i}.parquet")
    return folder, _seal(folder, name, version, provenance)


def _new_staging(published: Path, name: str, version: str) -> Path:
    folder = staging_dir(published, name, version)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def _seal(folder: Path, name: str, version: str, provenance: dict) -> dict:
    """The manifest of a staging folder's parts: schema, rows, size and SHA-256 of each."""
    parts = sorted(folder.glob("part-*.parquet"), key=lambda p: int(p.stem.removeprefix("part-")))
    files = [{"path": p.name, "rows": pq.ParquetFile(p).metadata.num_rows, "bytes": p.stat().st_size,
              "sha256": sha256_file(p)} for p in parts]
    manifest = {
        "dataset": name,
        "version": version,
        "grain": BY_NAME[name].grain,
        "key": list(BY_NAME[name].key),
        "row_count": sum(f["rows"] for f in files),
        "schema": [{"name": f.name, "type": str(f.type)} for f in pq.read_schema(parts[0])],
        "files": files,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        **provenance,
        "checks": [],
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


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


def _replace_link(link: Path, target: str) -> None:
    """Point `link` at `target` with one rename: a reader sees the old target or the new one."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def write_change_sets(published: Path) -> dict[str, dict]:
    """The change sets of the current release's switch (what it replaced -> what it holds), those not yet written.
    Returns their manifests by dataset."""
    release = current_release(published)
    record = release_dir(published, release) / RELEASE_RECORD if release else None
    if record is None or not record.exists():  # no release yet, or one made before releases were recorded
        return {}
    made = json.loads(record.read_text(encoding="utf-8"))
    moved = {name: version for name, version in made["versions"].items() if made["previous"].get(name) != version}
    with changes.connection(published) if moved else contextlib.nullcontext() as con:
        written = {name: changes.write_change_set(published, name, made["previous"].get(name), version,
                                                  reason=made["reason"], con=con)
                   for name, version in moved.items()}
    return {name: manifest for name, manifest in written.items() if manifest is not None}


def _release(published: Path, versions_by_name: dict[str, str], release: str, reason: str) -> dict[str, dict]:
    """Build a release aside (links to each dataset's version, analytics.duckdb over them), switch to it, then write
    the change sets of the switch. Returns those change sets' manifests by dataset."""
    write_change_sets(published)  # those of the release before, had its run died after its switch
    current = {p.name: v for p in PUBLISHED if (v := current_version(published, p.name))}
    chosen = {**current, **versions_by_name}
    final = release_dir(published, release)
    if final.exists():  # a retried publication of the same version: never rebuild a release in place
        final = final.with_name(f"{release}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%f}")
    building = final.with_name(f".{final.name}.building")
    if building.exists():
        shutil.rmtree(building)
    building.mkdir(parents=True)
    for name, version in chosen.items():
        os.symlink(f"../../{name}/v={version}", building / name)
    _build_analytics(building / ANALYTICS, {n: version_dir(published, n, v) for n, v in chosen.items()})
    (building / RELEASE_RECORD).write_text(json.dumps(
        {"release": final.name, "reason": reason, "previous": current, "versions": chosen}, indent=2), encoding="utf-8")
    os.replace(building, final)
    _replace_link(published / RELEASE, f"{RELEASES}/{final.name}")  # the commit point
    # the fixed links consumers open; made once (or converted from the older per-dataset layout)
    for name in chosen:
        link = dataset_dir(published, name) / CURRENT
        if not (link.is_symlink() and os.readlink(link) == f"../{RELEASE}/{name}"):
            _replace_link(link, f"../{RELEASE}/{name}")
    analytics = published / ANALYTICS
    if not (analytics.is_symlink() and os.readlink(analytics) == f"{RELEASE}/{ANALYTICS}"):
        _replace_link(analytics, f"{RELEASE}/{ANALYTICS}")
    return write_change_sets(published)


def publish(published: Path, version: str, checks_by_name: dict[str, list[dict]]) -> dict[str, dict]:
    """The staged versions of these datasets, verified, become v=<version> and current together. Returns their
    manifests, each with the counts of its change set (`changes`)."""
    manifests = {}
    for name in checks_by_name:  # verify every one before anything moves
        staged = staging_dir(published, name, version)
        if not staged.exists():
            raise PublicationError(f"{name}: no staged version {version} at {staged}")
        manifests[name] = verify(staged)
    for name, checks in checks_by_name.items():
        staged = staging_dir(published, name, version)
        manifest = {**manifests[name], "checks": checks,
                    "published_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        tmp = staged / f".{MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, staged / MANIFEST)
        os.replace(staged, version_dir(published, name, version))  # not visible yet: no release points at it
        manifests[name] = manifest
    made = _release(published, {name: version for name in checks_by_name}, version, "publication")
    return {name: {**m, "changes": made[name]["counts"] if name in made else dict.fromkeys(changes.KINDS, 0)}
            for name, m in manifests.items()}


def promote(published: Path, name: str, version: str, checks: list[dict]) -> dict:
    """One dataset's staged version becomes current (the others stay where they are)."""
    return publish(published, version, {name: checks})[name]


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
    changes.prune(published, name, set(versions(published, name)))  # a change set goes with the version it leads to
    return removed


def retain(published: Path, keep: int) -> tuple[dict[str, list[str]], list[str]]:
    """Keep `keep` versions of every dataset and the releases that read them, for the whole extract or one park's:
    (versions removed per dataset, releases removed)."""
    removed = {p.name: prune(published, p.name, keep) for p in PUBLISHED}
    return removed, prune_releases(published, keep)


def prune_releases(published: Path, keep: int) -> list[str]:
    """Keep the newest `keep` releases whose versions all still exist (and always the current one): an analyst's
    open session may still read an older release's analytics.duckdb. Run after `prune`."""
    folder = published / RELEASES
    if not folder.exists():
        return []
    for p in folder.glob(".*.building"):  # a release whose build was interrupted
        shutil.rmtree(p)
    current = current_release(published)
    releases = sorted((p for p in folder.iterdir() if not p.name.startswith(".")), key=lambda p: p.stat().st_mtime)
    complete = [p for p in releases if all(link.exists() for link in p.iterdir() if link.is_symlink())]
    kept = set(complete[-keep:] if keep > 0 else [])
    removed = []
    for p in releases:
        if p not in kept and p.name != current:
            shutil.rmtree(p)
            removed.append(p.name)
    return removed


def rollback(published: Path, version: str, names: list[str] | None = None) -> list[str]:
    """Point `current` of each dataset (all by default) back at `version`, then rebuild analytics.duckdb; each
    dataset that moved gets its change set (current -> `version`)."""
    names = names or [p.name for p in PUBLISHED]
    for name in names:
        folder = version_dir(published, name, version)
        if not folder.exists():
            raise PublicationError(f"{name}: no published version {version} "
                                   f"(have: {', '.join(versions(published, name)) or 'none'})")
        verify(folder)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    _release(published, {name: version for name in names}, f"rollback-{stamp}-to-{version}", "rollback")
    return names


def _build_analytics(target: Path, folders: dict[str, Path]) -> None:
    """The analysts' database: one view per dataset over its version folder (named itself, not `current`, so an
    open session keeps reading the release it opened with), written aside and renamed into place."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = connections.connect(tmp, config=connections.bounded(None))  # views: it holds no data
    try:
        rows = []
        for p in PUBLISHED:
            if p.name not in folders:
                continue
            version = folders[p.name].name.removeprefix("v=")
            files = folders[p.name].resolve() / "*.parquet"
            # a view keeps its definition as text: the path is in it, not bound
            view = quote_identifier(p.name)
            con.execute(f"create view {view} as select * from read_parquet({path_literal(files)}, "
                        f"hive_partitioning = false)")
            con.execute(f"comment on view {view} is {quote_literal(f'{p.grain} (version {version})')}")
            rows.append((p.name, version))
        con.execute("create table published_versions (dataset varchar, version varchar)")
        if rows:
            con.executemany("insert into published_versions values (?, ?)", rows)
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, target)


def build_analytics(published: Path) -> Path:
    """Rebuild the analysts' database of the current versions, as a new release (a session open on the old file
    keeps reading it)."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    _release(published, {}, f"refresh-{stamp}", "refresh")
    return published / ANALYTICS


def main() -> None:
    from resources.settings import LakehouseSettings

    parser = argparse.ArgumentParser(description="Published extracts: list versions, roll back.")
    parser.add_argument("command", choices=["list", "rollback"])
    parser.add_argument("version", nargs="?")
    parser.add_argument("--dataset", action="append", help="default: every published dataset")
    parser.add_argument("--home", help="a lakehouse home (default: LAKEHOUSE_HOME, else the repository's var/)")
    args = parser.parse_args()
    settings = LakehouseSettings(home=args.home)
    published = settings.published_path
    if args.command == "list":
        for p in PUBLISHED:
            current = current_version(published, p.name)
            print(f"{p.name:22s} " + " ".join(f"[{v}]" if v == current else v for v in versions(published, p.name)))
        return
    if not args.version:
        parser.error("rollback needs a VERSION")
    from . import parks

    done = rollback(published, args.version, args.dataset)
    rolled_parks = parks.rollback(published, args.version, args.dataset)
    if settings.lake.remote:
        from . import replica

        replica.replicate_all(published, settings.lake)
    print(f"current -> {args.version} for {', '.join(done)}; analytics.duckdb rebuilt; {len(rolled_parks)} parks "
          "rolled back too")


if __name__ == "__main__":
    main()
