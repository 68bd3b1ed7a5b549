"""Finding deliveries in a sources root, and the partitions they belong to."""
from __future__ import annotations

import re
from pathlib import Path

import dagster as dg

from .contract import Dataset

MONTHLY = dg.MonthlyPartitionsDefinition(start_date="2015-01", fmt="%Y-%m", end_offset=1)
YEARLY = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 1 1 *", start="2010", fmt="%Y", end_offset=1)
SNAPSHOT = "snapshot"


def partitions_def(ds: Dataset):
    return {"monthly": MONTHLY, "yearly": YEARLY}.get(ds.partitioning)


def file_period(ds: Dataset, partition: str) -> str:
    """Partition key -> the {period} of the file name: 2025-03 -> 202503, 2025 -> 2025."""
    return partition.replace("-", "")


def partition_of(ds: Dataset, period: str) -> str:
    return f"{period[:4]}-{period[4:]}" if ds.partitioning == "monthly" else period


def delivery_path(sources: Path, ds: Dataset, partition: str) -> Path:
    name = ds.pattern.format(period=file_period(ds, partition)) if "{period}" in ds.pattern else ds.pattern
    return sources / ds.source / name


def discover(sources: Path, ds: Dataset) -> dict[str, Path]:
    """partition -> file, for every delivery of a file-based dataset present in the sources root.

    Names starting with `_` or `.` are not deliveries (SOURCES.md) and are ignored.
    """
    folder = sources / ds.source
    if ds.pattern is None or not folder.is_dir():
        return {}
    if "{period}" not in ds.pattern:
        path = folder / ds.pattern
        return {SNAPSHOT: path} if path.is_file() else {}
    prefix, suffix = ds.pattern.split("{period}")
    digits = 6 if ds.partitioning == "monthly" else 4
    rx = re.compile(re.escape(prefix) + rf"(\d{{{digits}}})" + re.escape(suffix) + "$")
    found = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(("_", ".")) or not path.is_file():
            continue
        m = rx.match(path.name)
        if m and (digits == 4 or 1 <= int(m.group(1)[4:]) <= 12):
            found[partition_of(ds, m.group(1))] = path
    return found
