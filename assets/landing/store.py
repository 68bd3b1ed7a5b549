"""The lake's landing zone: raw archive (content-addressed), bronze and quarantine partitions, on the lake's storage
(resources/lake.py: a folder or an object store).

Every file appears whole or not at all (renamed or copied into place: resources/lake.py), so a reader sees the
previous partition or the new one, never half of one. Every reader of the lake ignores names starting with `_` or
`.`. Keys are '/'-separated paths under the lake's root.
"""
from __future__ import annotations

import hashlib

import duckdb
import pyarrow as pa

from resources.lake import Lake

RAW = "raw"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# formats that are compressed already: kept as delivered
COMPRESSED_FORMATS = {".parquet", ".xlsx", ".xls", ".zip", ".gz", ".zst"}
RAW_CODEC = "zstd"
RAW_LEVEL = 1  # a province's CSVs shrink about 5 times at zstd's fastest level, written faster than copied


def archive(lake: Lake, data: bytes, suffix: str) -> tuple[str, str]:
    """Keep the delivery's bytes under raw/<sha256[:2]>/<sha256><suffix>, never overwritten; the SHA-256 is the
    delivery's own. Text formats are kept zstd-compressed (`<suffix>.zst`, one standard zstd frame: `zstd -d` or
    `read_raw` gives the delivered bytes back): a province's deliveries are tens of gigabytes of CSV."""
    digest = sha256_bytes(data)
    compress = suffix.lower() not in COMPRESSED_FORMATS
    key = f"{RAW}/{digest[:2]}/{digest}{suffix}" + (".zst" if compress else "")
    if not lake.exists(key):
        lake.put_bytes(key, pa.Codec(RAW_CODEC, RAW_LEVEL).compress(data, asbytes=True) if compress else data)
    return digest, key


def read_raw(lake: Lake, key: str) -> bytes:
    """A delivery's bytes as delivered, from its key in the raw archive."""
    data = lake.read_bytes(key)
    if not key.endswith(".zst"):
        return data
    with pa.input_stream(pa.py_buffer(data), compression=RAW_CODEC) as stream:
        return stream.read()


def partition_file(folder: str, partition: str) -> str:
    return f"{folder}/{partition}.parquet"


# zstd at its fastest level: files about 5% larger than at its default (3), written in two thirds of the time
PARQUET_OPTIONS = "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"


def write_parquet_atomically(con: duckdb.DuckDBPyConnection, query: str, lake: Lake, key: str) -> None:
    scratch = lake.scratch(key)
    try:
        con.execute(f"COPY ({query}) TO $path {PARQUET_OPTIONS}", {"path": scratch.as_posix()})
        lake.commit(scratch, key)
    finally:
        lake.discard(scratch)
