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
    ("name_variant", pa.int8()),  # kept for earlier readers: the number of name variations, as `variations`
    # how many ways the record's name differs from the registry's at once (0 = as registered)
    ("variations", pa.int8()),
    ("variation_kinds", pa.string()),  # which, ';'-separated in the order applied (simulator.names.VARIATION_KINDS)
])
# sub_organisation: a trade union, party branch or canteen of an enterprise, holding an account or an application
# in its own name; it is not the enterprise and not in the market-entity registry
OWNER_KINDS = ("local_enterprise", "external_enterprise", "person", "institution", "sub_organisation")


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
            code_variant: str | None = None, kinds: tuple[str, ...] = ()) -> None:
        """`kinds`: the name variations the record's name carries (none: written as registered)."""
        if owner_kind not in OWNER_KINDS:
            raise ValueError(f"truth for {source} {key}: unknown owner kind {owner_kind!r}")
        b = self._buffer
        b["source_system"].append(source)
        b["source_record_key"].append(key)
        b["pripid"].append(pripid)
        b["owner_kind"].append(owner_kind)
        b["code_variant"].append(code_variant)
        b["name_variant"].append(len(kinds))
        b["variations"].append(len(kinds))
        b["variation_kinds"].append(";".join(kinds))
        if len(b["source_system"]) >= 200_000:
            self.flush()

    def flush(self) -> None:
        if self._buffer["source_system"]:
            self._writer.write_table(pa.table(self._buffer, schema=RECORD_SCHEMA))
            self._buffer = {f.name: [] for f in RECORD_SCHEMA}

    def close(self) -> None:
        self.flush()
        self._writer.close()
