"""Has every delivery in the sources root landed, as it is now? The publication gate asks this before anything is
published: a delivery that failed to land (or changed since it landed) must stop publication, not be published
around."""
from __future__ import annotations

import hashlib
from pathlib import Path

from contracts.sources import DATASETS, Dataset
from resources.lake import Lake

from .deliveries import SNAPSHOT, discover
from .land import delivery_record_path


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_gap(sources: Path, lake: Lake, ds: Dataset, partition: str, path: Path) -> str | None:
    """Why the file at `path` is not landed as it is now, or None when it is."""
    record_path = delivery_record_path(ds, partition)
    if not lake.exists(record_path):
        return "present in the sources root but never landed"
    record = lake.read_json(record_path)
    stat = path.stat()
    if record.get("file") == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}:
        return None
    # a copied root has new times: the content decides
    if _sha256_file(path) == record.get("sha256"):
        return None
    return f"changed since it landed on {record.get('loaded_at')} (a re-delivery that has not landed)"


def missing_deliveries(sources: Path, lake: Lake, registry_configured: bool) -> list[dict]:
    """Every delivery of the root (and the S1 registry, when there is one) that has not landed as it is now."""
    gaps = []
    for ds in DATASETS:
        if ds.format == "sql":
            if registry_configured and not lake.exists(delivery_record_path(ds, SNAPSHOT)):
                gaps.append({"dataset": ds.asset_name, "partition": SNAPSHOT, "delivery": f"S1 table {ds.table}",
                             "problem": "the registry is configured but this table never landed"})
            continue
        for partition, path in discover(sources, ds).items():
            problem = file_gap(sources, lake, ds, partition, path)
            if problem:
                gaps.append({"dataset": ds.asset_name, "partition": partition,
                             "delivery": str(path.relative_to(sources)), "problem": problem})
    return gaps
