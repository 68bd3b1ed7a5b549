"""The second world through the pipeline as `make run` does it: land every delivery (S5 from this world's own
HTTP server, not the simulator's), then the `build_and_publish` assets (dbt build, gate, publication)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from assets.landing.contract import DATASETS
from assets.landing.deliveries import discover
from pipelines.resources import HrssApi
from tests.landing.helpers import land
from tests.pipeline import build_and_publish


def checksums(root: Path) -> dict[str, str]:
    """SHA-256 of every file under `root`, by relative path."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def land_all(root: Path, home: Path, hrss: HrssApi) -> list[dg.ExecuteInProcessResult]:
    """Snapshots in one run, then every month and every year present (files and API periods) as one range each."""
    months = sorted({p for ds in DATASETS if ds.partitioning == "monthly" and ds.format == "csv"
                     for p in discover(root, ds)} | set(hrss.periods()))
    years = sorted({p for ds in DATASETS if ds.partitioning == "yearly" for p in discover(root, ds)})
    runs = [land([d.asset_name for d in DATASETS if d.partitioning == "snapshot"], home, root)]
    for partitioning, keys in (("monthly", months), ("yearly", years)):
        if keys:
            runs.append(land([d.asset_name for d in DATASETS if d.partitioning == partitioning], home, root,
                             hrss=hrss, tags={"dagster/asset_partition_range_start": keys[0],
                                              "dagster/asset_partition_range_end": keys[-1]}))
    return runs


def run(root: Path, home: Path, hrss: HrssApi) -> tuple[list[dg.ExecuteInProcessResult], dg.ExecuteInProcessResult]:
    landed = land_all(root, home, hrss)
    published = build_and_publish(root, home)
    return landed, published
