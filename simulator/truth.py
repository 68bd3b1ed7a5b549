"""Ground truth of the simulation (`_truth/`): never read by the pipeline, used to measure it."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

RECORD_SCHEMA = pa.schema([
    ("source_system", pa.string()),
    ("source_record_key", pa.string()),
    ("pripid", pa.string()),  # the S1 entity the record truly belongs to, or null
    ("owner_kind", pa.string()),  # local_enterprise, external_enterprise, person, institution
    ("code_variant", pa.string()),  # how the record writes the owner's code (exact, lower, typo, legacy, ...)
    ("name_variant", pa.int8()),  # simulator.names.drift_name kind, -1 where the record has no name
])
OWNER_KINDS = ("local_enterprise", "external_enterprise", "person", "institution")


class Truth:
    """Collects one row per (source system, source record key); a key is recorded once."""

    def __init__(self, root: Path):
        self.dir = root / "_truth"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self.dir / "source_records.parquet", RECORD_SCHEMA, compression="zstd")
        self._seen: dict[str, set[str]] = {}
        self._buffer: dict[str, list] = {f.name: [] for f in RECORD_SCHEMA}

    def claim(self, source: str, key: str) -> bool:
        """False if the key is already taken in that source (so a writer must write it differently)."""
        seen = self._seen.setdefault(source, set())
        if key in seen:
            return False
        seen.add(key)
        return True

    def add(self, source: str, key: str, pripid: str | None, owner_kind: str,
            code_variant: str | None = None, name_variant: int = -1) -> None:
        b = self._buffer
        b["source_system"].append(source)
        b["source_record_key"].append(key)
        b["pripid"].append(pripid)
        b["owner_kind"].append(owner_kind)
        b["code_variant"].append(code_variant)
        b["name_variant"].append(name_variant)
        if len(b["source_system"]) >= 200_000:
            self.flush()

    def flush(self) -> None:
        if self._buffer["source_system"]:
            self._writer.write_table(pa.table(self._buffer, schema=RECORD_SCHEMA))
            self._buffer = {f.name: [] for f in RECORD_SCHEMA}

    def close(self) -> None:
        self.flush()
        self._writer.close()
