"""Queries for tests, each on a connection of its own.

DuckDB's module-level `duckdb.sql`/`duckdb.execute` share one default connection per process: a
result one test leaves unfetched (a COPY's row count, a `fetchone`) fails the next test's query in
the same pytest worker. ruff bans them (ruff.toml, TID251).
"""
from __future__ import annotations

from typing import Any

import duckdb


def query(sql: str, parameters: dict[str, Any] | list[Any] | None = None) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(sql, parameters).fetchall()


def scalar(sql: str, parameters: dict[str, Any] | list[Any] | None = None) -> Any:
    rows = query(sql, parameters)
    assert len(rows) == 1 and len(rows[0]) == 1, f"expected one value from {sql!r}, got {rows!r}"
    return rows[0][0]


def records(sql: str, parameters: dict[str, Any] | list[Any] | None = None) -> list[dict]:
    with duckdb.connect() as con:
        return con.execute(sql, parameters).to_arrow_table().to_pylist()


def run(sql: str, parameters: dict[str, Any] | list[Any] | None = None) -> None:
    with duckdb.connect() as con:
        con.execute(sql, parameters).fetchall()
