"""Finding deliveries in a sources root, and the partitions they belong to."""
from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import dagster as dg

from contracts.sources import DATASETS, SAMR_SQLITE, Dataset

from .typing import EARLIEST_PERIOD

# any period a department may deliver, from the earliest possible one to the current month or year
MONTHLY = dg.MonthlyPartitionsDefinition(start_date=EARLIEST_PERIOD, fmt="%Y-%m", end_offset=1)
YEARLY = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", start=EARLIEST_PERIOD[:4], fmt="%Y",
                                           end_offset=1)
SNAPSHOT = "snapshot"


def partitions_def(ds: Dataset):
    return partitions_def_of(ds.partitioning)


def partitions_def_of(partitioning: str):
    return {"monthly": MONTHLY, "yearly": YEARLY}.get(partitioning)


def file_period(ds: Dataset, partition: str) -> str:
    """Partition key -> the {period} of the file name: 2025-03 -> 202503, 2025 -> 2025."""
    return partition.replace("-", "")


def partition_of(ds: Dataset, period: str) -> str:
    return f"{period[:4]}-{period[4:]}" if ds.partitioning == "monthly" else period


def delivery_path(sources: Path, ds: Dataset, partition: str) -> Path:
    name = ds.pattern.format(period=file_period(ds, partition)) if "{period}" in ds.pattern else ds.pattern
    return sources / ds.source / name


def _pattern(ds: Dataset) -> re.Pattern:
    prefix, suffix = ds.pattern.split("{period}")
    digits = 6 if ds.partitioning == "monthly" else 4
    return re.compile(re.escape(prefix) + rf"(\d{{{digits}}})" + re.escape(suffix) + "$")


def possible_partitions(ds: Dataset) -> set[str] | None:
    """Every period a delivery of the dataset may name today (None: it has no periods)."""
    return _possible(ds.partitioning, dt.datetime.now(dt.timezone.utc).date()) if partitions_def(ds) else None


@functools.lru_cache(maxsize=8)
def _possible(partitioning: str, day: dt.date) -> frozenset[str]:
    # Dagster lists a monthly definition's keys by walking its cron schedule from 1949 (about 60 ms): once a day per
    # process, not once per file of the root
    return frozenset(partitions_def_of(partitioning).get_partition_keys())


def discover(sources: Path, ds: Dataset) -> dict[str, Path]:
    """partition -> file, for every delivery of a file-based dataset present in the sources root.

    Names starting with `_` or `.` are not deliveries (SOURCES.md) and are ignored; a name with an impossible period
    is no delivery either (`unrecognised_files` reports it).
    """
    folder = sources / ds.source
    if ds.pattern is None or not folder.is_dir():
        return {}
    if "{period}" not in ds.pattern:
        path = folder / ds.pattern
        return {SNAPSHOT: path} if path.is_file() else {}
    rx = _pattern(ds)
    possible = possible_partitions(ds)
    found = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(("_", ".")) or not path.is_file():
            continue
        m = rx.match(path.name)
        if m and partition_of(ds, m.group(1)) in possible:
            found[partition_of(ds, m.group(1))] = path
    return found


def unrecognised_files(sources: Path) -> list[tuple[str, str]]:
    """(path relative to the root, why) for every entry of a sources root that is no delivery of the contract: a
    file in a source folder matching no delivery pattern or naming an impossible period, an unknown folder. Names
    starting with `_` or `.` are not deliveries (SOURCES.md) and are not reported."""
    if not sources.is_dir():
        return []
    folders: dict[str, list[Dataset]] = {}
    for ds in DATASETS:
        folders.setdefault(ds.source, []).append(ds)
    out = []
    for entry in sorted(sources.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.name not in folders or not entry.is_dir():
            out.append((entry.name, f"not a source folder of the contract (expected one of {', '.join(folders)})"))
            continue
        datasets = folders[entry.name]
        expected = [ds.pattern for ds in datasets if ds.pattern] + (
            [SAMR_SQLITE.name] if entry.name == SAMR_SQLITE.parent.name else [])
        for path in sorted(entry.rglob("*")):
            rel = path.relative_to(sources)
            if any(part.startswith(("_", ".")) for part in rel.parts[1:]) or path.is_dir():
                continue
            if path.parent != entry:
                out.append((str(rel), "in a subfolder: deliveries lie directly in the source folder"))
            elif entry.name == SAMR_SQLITE.parent.name and path.name == SAMR_SQLITE.name:
                continue
            elif any(path.name == ds.pattern for ds in datasets if ds.pattern and "{period}" not in ds.pattern):
                continue
            else:
                periodic = [ds for ds in datasets if ds.pattern and "{period}" in ds.pattern]
                match = next(((ds, m) for ds in periodic if (m := _pattern(ds).match(path.name))), None)
                if match is None:
                    wanted = " or ".join(expected) or "nothing: this source has no files"
                    out.append((str(rel), f"matches no delivery name (expected {wanted})"))
                elif partition_of(match[0], match[1].group(1)) not in possible_partitions(match[0]):
                    out.append((str(rel), f"names an impossible period {match[1].group(1)} (expected "
                                          f"{EARLIEST_PERIOD[:4]} or later, and not after the current period)"))
    return out
