"""Each park sees only its own: every published dataset once more per park, split from the staged (whole) extracts.

    published/parks/<park_code>/<dataset>/current/*.parquet   that park's enterprises and their facts only
    published/parks/<park_code>/analytics.duckdb              the same as views, for the park's analysts
    published/parks/no_park/...                               rows of no park: external enterprises, unlinked
                                                              records, chain gaps

Each park folder is a published root of its own (assets/publish/store.py): versions, manifests, the one atomic
switch, retention, rollback and the change feed work there as for the whole extract, with the same version ids.
A row's park is declared per dataset (contracts/published.py, `park_by`). The split is made from the staged
extracts, before the gate reads them, in one partitioned write per dataset; it is checked to conserve every row
(the parks' counts add up to the whole), and only a version whose whole extract passed the gate is published per
park.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from contracts.published import NO_PARK, PARK_OF_ENTERPRISE, PUBLISHED, Published
from contracts.sql import path_literal, quote_identifier, quote_literal

from . import store

PARKS = "parks"
PARK_COLUMN = "_park"


class ParkSplitError(store.PublicationError):
    """The per-park extracts do not add up to the whole."""


def parks_root(published: Path) -> Path:
    return published / PARKS


def park_root(published: Path, park: str) -> Path:
    return parks_root(published) / park


def _files(folder: Path) -> str:
    return f"read_parquet({path_literal(folder / '*.parquet')}, hive_partitioning = false)"


def split_sql(p: Published, whole: Path, park_map: Path) -> str:
    """The rows of `p`'s staged extract (folder `whole`), each with its park (`_park`)."""
    if p.park_by == "park_code":
        return (f"select *, coalesce(park_code, {quote_literal(NO_PARK)}) as {PARK_COLUMN} from {_files(whole)}")
    code = quote_identifier(p.park_by)
    return (f"select t.*, coalesce(m.park_code, {quote_literal(NO_PARK)}) as {PARK_COLUMN} from {_files(whole)} t "
            f"left join (select enterprise_code, park_code from {_files(park_map)}) m on m.enterprise_code = t.{code}")


def parks_of(con: duckdb.DuckDBPyConnection, staged: dict[str, Path]) -> list[str]:
    """Every park a staged extract names (a park with no enterprise still has KPIs), and no_park."""
    named = set()
    for p in PUBLISHED:
        if p.park_by == "park_code" or p.name == PARK_OF_ENTERPRISE:
            named |= {r[0] for r in con.execute(f"select distinct park_code from {_files(staged[p.name])} "
                                                "where park_code is not null").fetchall()}
    return sorted(named) + [NO_PARK]


def stage(con: duckdb.DuckDBPyConnection, published: Path, version: str, staged: dict[str, tuple[Path, dict]],
          provenance: dict) -> dict[str, dict[str, dict]]:
    """Stage every dataset of every park from the staged whole extracts: park -> dataset -> manifest. Raises
    ParkSplitError if a dataset's rows over all parks are not exactly its whole extract's."""
    con.execute("set enable_progress_bar = false")  # the run's log, not a terminal
    folders = {name: folder for name, (folder, _) in staged.items()}
    parks = parks_of(con, folders)
    scratch = parks_root(published) / f".split-{version}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    out: dict[str, dict[str, dict]] = {park: {} for park in parks}
    try:
        for p in PUBLISHED:
            target = scratch / p.name
            con.execute(f"copy ({split_sql(p, folders[p.name], folders[PARK_OF_ENTERPRISE])}) to "
                        f"{path_literal(target)} (format parquet, compression zstd, partition_by ({PARK_COLUMN}))")
            extra = sorted(d.name.removeprefix(f"{PARK_COLUMN}=") for d in target.glob(f"{PARK_COLUMN}=*")
                           if d.name.removeprefix(f"{PARK_COLUMN}=") not in out)
            if extra:  # a row whose 企业码 names a park no staged extract names: it would be published nowhere
                raise ParkSplitError(f"{p.name}: rows of parks {extra} that dim_enterprise and park_kpi do not name")
            for park in parks:
                files = sorted((target / f"{PARK_COLUMN}={park}").glob("*.parquet"))
                if not files:  # this park has no row of the dataset: an empty extract with the dataset's columns
                    empty = target / f".{park}-empty.parquet"
                    con.execute(f"copy (select * from {_files(folders[p.name])} limit 0) to {path_literal(empty)} "
                                "(format parquet)")
                    files = [empty]
                _, manifest = store.stage_files(park_root(published, park), p.name, version, files,
                                                {**provenance, "park_code": park})
                out[park][p.name] = manifest
            whole = staged[p.name][1]["row_count"]
            split = sum(out[park][p.name]["row_count"] for park in parks)
            if split != whole:
                raise ParkSplitError(f"{p.name}: {split:,} rows over {len(parks)} parks, {whole:,} in the whole "
                                     "extract")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def staged_parks(published: Path, version: str) -> list[str]:
    """The parks that have every dataset staged at `version`."""
    root = parks_root(published)
    if not root.exists():
        return []
    return sorted(d.name for d in root.iterdir() if not d.name.startswith(".")
                  and all(store.staging_dir(d, p.name, version).exists() for p in PUBLISHED))


def publish(published: Path, version: str, checks: dict[str, list[dict]], keep: int) -> dict[str, dict[str, dict]]:
    """Publish `version` in every park staged with it, as store.publish does for the whole (each park switches
    atomically), and keep `keep` versions there: park -> dataset -> manifest."""
    out = {}
    for park in staged_parks(published, version):
        root = park_root(published, park)
        out[park] = store.publish(root, version, checks)
        store.retain(root, keep)
    return out


def rollback(published: Path, version: str, names: list[str] | None = None) -> list[str]:
    """Roll every park that has `version` back to it, as the whole extract is: the parks rolled back."""
    root = parks_root(published)
    done = []
    for park in sorted(d.name for d in root.iterdir() if not d.name.startswith(".")) if root.exists() else []:
        wanted = names or [p.name for p in PUBLISHED]
        if all(store.version_dir(park_root(published, park), n, version).exists() for n in wanted):
            store.rollback(park_root(published, park), version, names)
            done.append(park)
    return done
