"""The landing plan: which run lands which datasets over which partitions.

One function for every caller: the sensor of new deliveries (pipelines/sensors.py), `make run` (scripts/demo.py) and
the tests. A run holds the datasets of one partitioning (snapshots, months, years, as the landing jobs do) and covers
the range from the first to the last partition delivered, in one run (the assets' single-run backfill policy); a
dataset without a delivery for a partition of the range reports that it has none.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from contracts.sources import DATASETS, Dataset

from .assets import asset_key
from .deliveries import SNAPSHOT, discover

PARTITIONINGS = ("snapshot", "monthly", "yearly")
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


@dataclass(frozen=True)
class LandingRun:
    partitioning: str
    datasets: tuple[Dataset, ...]
    partitions: tuple[str, ...] = ()  # sorted; none for snapshots

    @property
    def asset_keys(self) -> list[dg.AssetKey]:
        return [asset_key(ds) for ds in self.datasets]

    @property
    def partition_key(self) -> str | None:
        """The partition of a run over exactly one."""
        return self.partitions[0] if len(self.partitions) == 1 else None

    @property
    def tags(self) -> dict[str, str]:
        """The range of a run over more than one partition."""
        if len(self.partitions) < 2:
            return {}
        return {RANGE_START: self.partitions[0], RANGE_END: self.partitions[-1]}

    @property
    def span(self) -> str:
        return f"{self.partitions[0]}..{self.partitions[-1]}" if self.partitions else ""


def deliveries(sources: Path, api_periods: Iterable[str] = ()) -> dict[str, set[str]]:
    """Every dataset of the contract (by asset name) -> the partitions it has delivered: files found in the sources
    root, the periods the API offers, the registry's snapshot (whether there is a registry is known when its run
    starts)."""
    found: dict[str, set[str]] = {}
    for ds in DATASETS:
        if ds.format == "api":
            found[ds.asset_name] = set(api_periods)
        elif ds.format == "sql":
            found[ds.asset_name] = {SNAPSHOT}
        else:
            found[ds.asset_name] = set(discover(sources, ds))
    return found


def landing_plan(delivered: Mapping[str, Iterable[str]]) -> list[LandingRun]:
    """The runs that land `delivered` (dataset asset name -> partitions): one per partitioning with a delivery,
    holding every dataset given of that partitioning, over the range of the partitions any of them delivered."""
    runs = []
    for partitioning in PARTITIONINGS:
        datasets = tuple(ds for ds in DATASETS if ds.partitioning == partitioning and ds.asset_name in delivered)
        partitions = sorted({p for ds in datasets for p in delivered[ds.asset_name]})
        if not partitions:
            continue
        runs.append(LandingRun(partitioning, datasets, () if partitioning == SNAPSHOT else tuple(partitions)))
    return runs
