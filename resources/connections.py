"""Every DuckDB connection the pipeline opens (dbt's own aside): bounded memory and a named spill folder.

Unbounded, DuckDB takes 80% of the machine per connection, and an in-memory one spills into the working directory's
.tmp (a repository, a read-only image). At a province's size the landing, the gate, the PII scan and the change sets
each pass memory, beside the build: each must spill into the lakehouse's home, within a limit.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

NO_SPILL = ""  # temp_directory '': past its limit the connection fails instead of writing anywhere


def warehouse_memory() -> str:
    """LAKEHOUSE_WAREHOUSE_MEMORY, else 4GB, or a quarter of the machine's memory where that is more: the build spills
    past the limit, but its largest aggregations and joins at 3M need more (1M builds within 4GB)."""
    configured = os.environ.get("LAKEHOUSE_WAREHOUSE_MEMORY")
    if configured:
        return configured
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # no sysconf (not POSIX)
        physical = 0
    return f"{max(4, physical // 4 // 2**30)}GB"


def bounded(spill: Path | str | None, memory_limit: str | None = None, **options: object) -> dict[str, object]:
    """A connection's configuration: `memory_limit` (default warehouse_memory()) and the folder it spills into
    (created with its parents; None: it never spills, for connections that hold next to nothing)."""
    if spill is not None:
        Path(spill).mkdir(parents=True, exist_ok=True)
    return {"memory_limit": memory_limit or warehouse_memory(),
            "temp_directory": NO_SPILL if spill is None else str(spill), **options}


def connect(database: Path | str = ":memory:", *, config: dict[str, object],
            read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection configured by bounded(): one without a memory limit or a spill folder is refused."""
    missing = [name for name in ("memory_limit", "temp_directory") if name not in config]
    if missing:
        raise ValueError(f"a DuckDB connection needs {' and '.join(missing)} (resources.connections.bounded)")
    con = duckdb.connect(str(database), read_only=read_only, config=dict(config))
    con.execute("set enable_progress_bar = false")  # logs, not a terminal
    return con


def read_only(database: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a database file, spilling beside it (DuckDB's own `<file>.tmp`)."""
    return connect(database, config=bounded(f"{database}.tmp"), read_only=True)
