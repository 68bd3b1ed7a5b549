"""Landing one delivery: archive its bytes, type its records, write bronze and quarantine, record it.

Rows in = rows loaded + rows quarantined for every delivery, and the figure is recorded beside the
partition (`_deliveries/<partition>.json`), where the conservation check finds it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from contracts.sources import Dataset
from contracts.sql import quote_identifier, quote_literal
from resources import connections
from resources.lake import Lake

from . import readers, store
from .typing import raw_values_of, typing_statements

QUARANTINE_SCHEMA = pa.schema([
    ("source_system", pa.string()), ("dataset", pa.string()), ("partition", pa.string()),
    ("source_file", pa.string()), ("source_row", pa.int64()), ("source_record_key", pa.string()),
    ("reason", pa.string()), ("raw_values", pa.string()), ("delivery_sha256", pa.string()),
    ("loaded_at", pa.timestamp("us")),
])
# landing runs beside other work on a 2-core, shared machine: DuckDB spills rather than grows past this
DUCKDB_MEMORY_LIMIT = "1GB"


@dataclass
class LandingResult:
    dataset: str
    partition: str
    source: str
    sha256: str | None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    missing_optional_columns: list[str] = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    quarantine_reasons: dict = field(default_factory=dict)
    preview: list[dict] = field(default_factory=list)
    delivered: bool = True

    @property
    def conserved(self) -> bool:
        return self.rows_in == self.rows_loaded + self.rows_quarantined


def bronze_dir(ds: Dataset) -> str:
    return f"bronze/{ds.source}/{ds.name}"


def quarantine_dir(ds: Dataset) -> str:
    return f"quarantine/{ds.source}/{ds.name}"


def deliveries_dir(ds: Dataset) -> str:
    return f"{bronze_dir(ds)}/_deliveries"


def delivery_record_path(ds: Dataset, partition: str) -> str:
    return f"{deliveries_dir(ds)}/{partition}.json"


EMPTY_FILE = "empty.parquet"


def ensure_schema_file(lake: Lake, ds: Dataset) -> None:
    """A zero-row file with the declared columns: a dataset with no delivery yet still reads as a table."""
    target = f"{bronze_dir(ds)}/{EMPTY_FILE}"
    if lake.exists(target):
        return
    con = connections.connect(config=connections.bounded(None))  # zero rows
    cols = ", ".join(f"CAST(NULL AS {f.duckdb_type}) AS {quote_identifier(f.name)}" for f in ds.fields)
    store.write_parquet_atomically(con, f"SELECT {cols}, CAST(NULL AS VARCHAR) AS _source_file, CAST(NULL AS BIGINT) "
                                        f"AS _source_row, CAST(NULL AS VARCHAR) AS _delivery_sha256, "
                                        f"CAST(NULL AS TIMESTAMP) AS _loaded_at, "
                                        f"CAST(NULL AS VARCHAR) AS _delivery_partition LIMIT 0",
                                    lake, target)
    con.close()


def _lineage(partition: str, source: str, sha256: str, loaded_at: dt.datetime) -> dict[str, str]:
    """The delivery's lineage as SQL constants."""
    return {"source": quote_literal(source), "sha256": quote_literal(sha256), "partition": quote_literal(partition),
            "loaded_at": f"TIMESTAMP {quote_literal(loaded_at.isoformat(sep=' '))}"}


def bronze_query(ds: Dataset, partition: str, source: str, sha256: str, loaded_at: dt.datetime) -> str:
    """Over `typed`: the rows that load, in the declared columns and the delivery's lineage, in delivery order (the
    order `typed` was built in: the connection preserves insertion order, so no sort is needed)."""
    c = _lineage(partition, source, sha256, loaded_at)
    names = ", ".join(quote_identifier(f.name) for f in ds.fields)
    return (f"SELECT {names}, {c['source']} AS _source_file, _source_row, {c['sha256']} AS _delivery_sha256, "
            f"{c['loaded_at']} AS _loaded_at, {c['partition']} AS _delivery_partition "
            f"FROM typed WHERE _reason = ''")


def quarantine_query(ds: Dataset, partition: str, source: str, sha256: str, loaded_at: dt.datetime) -> str:
    """Over `typed`, `raw` and `malformed`: every row that does not load, with its reasons and its raw values, in
    QUARANTINE_SCHEMA."""
    c = _lineage(partition, source, sha256, loaded_at)
    common = (f"{quote_literal(ds.source)} AS source_system, {quote_literal(ds.name)} AS dataset, "
              f"{c['partition']} AS partition, {c['source']} AS source_file")
    tail = f"{c['sha256']} AS delivery_sha256, {c['loaded_at']} AS loaded_at"
    rejected = "SELECT _source_row FROM typed WHERE _reason <> ''"
    return (f"SELECT {common}, t._source_row AS source_row, t._key AS source_record_key, t._reason AS reason, "
            f"v._raw_values AS raw_values, {tail} FROM typed t JOIN ({raw_values_of(ds, rejected)}) v "
            f"USING (_source_row) WHERE t._reason <> '' "
            f"UNION ALL SELECT {common}, _source_row, NULL, _reason, _raw_values, {tail} FROM malformed "
            f"ORDER BY source_row")


def malformed_table(malformed: list[tuple[int | None, str, str]]) -> pa.Table:
    """The records the reader could not split, as the relation `malformed` the quarantine query reads."""
    return pa.table({
        "_source_row": pa.array([m[0] for m in malformed], pa.int64()),
        "_raw_values": pa.array([m[1] for m in malformed], pa.string()),
        "_reason": pa.array([m[2] for m in malformed], pa.string()),
    })


def land(ds: Dataset, partition: str, raw: readers.RawDelivery, source: str, sha256: str, lake: Lake, *,
         spill: Path | str, loaded_at: dt.datetime | None = None, file_stat: dict | None = None) -> LandingResult:
    """`spill`: the folder DuckDB spills into past the landing's memory limit (a province's monthly file does)."""
    loaded_at = (loaded_at or dt.datetime.now(dt.timezone.utc)).replace(tzinfo=None, microsecond=0)
    json_source = ds.format in ("jsonl", "api")
    con = connections.connect(config=connections.bounded(spill, DUCKDB_MEMORY_LIMIT, preserve_insertion_order=True))
    con.register("lines" if json_source else "raw", raw.table)
    for statement in typing_statements(ds, partition, loaded_at.date().isoformat(), json_source):
        con.execute(statement)
    con.register("malformed", malformed_table(raw.malformed))
    bronze_sql = bronze_query(ds, partition, source, sha256, loaded_at)
    quarantine_sql = quarantine_query(ds, partition, source, sha256, loaded_at)

    bronze_path = store.partition_file(bronze_dir(ds), partition)
    quarantine_path = store.partition_file(quarantine_dir(ds), partition)
    rows_in = raw.table.num_rows + len(raw.malformed)
    # write both beside their targets, then move them in: earlier loads stay intact if anything fails
    store.write_parquet_atomically(con, bronze_sql, lake, bronze_path)
    store.write_parquet_atomically(con, quarantine_sql, lake, quarantine_path)
    result = LandingResult(
        ds.asset_name, partition, source, sha256, rows_in, lake.parquet_rows(bronze_path),
        lake.parquet_rows(quarantine_path), raw.unknown_columns, raw.missing_optional_columns, raw.notes)
    result.quarantine_reasons = dict(con.execute(
        f"SELECT reason, count(*) FROM ({quarantine_sql}) GROUP BY 1 ORDER BY 2 DESC LIMIT 10").fetchall())
    public = [f.name for f in ds.fields if not f.pii][:8]
    result.preview = con.sql(f"SELECT {', '.join(quote_identifier(c) for c in public)} FROM ({bronze_sql}) LIMIT 5"
                             ).to_arrow_table().to_pylist()
    lake.put_json(delivery_record_path(ds, partition), {
        "dataset": ds.asset_name, "partition": partition, "source": source, "sha256": sha256,
        "rows_in": result.rows_in, "rows_loaded": result.rows_loaded, "rows_quarantined": result.rows_quarantined,
        "unknown_columns": result.unknown_columns, "missing_optional_columns": result.missing_optional_columns,
        "notes": result.notes, "loaded_at": loaded_at.isoformat(), "file": file_stat,
    })
    con.close()
    return result
