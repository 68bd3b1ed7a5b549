"""The one way a name, a path or a text value enters SQL text (DuckDB's rules), for every layer above.

Values go as bound parameters wherever DuckDB takes one: `read_parquet($path)`, `COPY ... TO $path`, a value in a
WHERE. These helpers are for the places it does not: identifiers, `ATTACH` (no parameter before DuckDB 2.0), a
view's definition and a comment (stored as text, so nothing can be bound), a query handed to another library (GX)
as a string, and SQL generated once and run many times (the landing's typing).

    identifier    "name"   embedded " doubled; case-insensitive in DuckDB, quoted or not
    literal       'text'   embedded ' doubled; no backslash escapes (standard strings)
    JSON path key "key"    embedded " after a backslash (in a path, itself passed as a literal)

tests/test_sql.py round-trips awkward names through DuckDB and fails on SQL text that quotes by hand.
"""
from __future__ import annotations

import os


def quote_identifier(name: str) -> str:
    """A table, column, schema or database name, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def qualified_name(*parts: str) -> str:
    """schema.table (or database.schema.table), each part quoted."""
    return ".".join(quote_identifier(p) for p in parts)


def quote_literal(text: str) -> str:
    """A string constant."""
    return "'" + text.replace("'", "''") + "'"


def path_literal(path: str | os.PathLike[str]) -> str:
    """A file path (or a glob) as a string constant, exactly as given: DuckDB expands globs itself."""
    return quote_literal(os.fspath(path))


def json_path_key(key: str) -> str:
    """One key of a JSON path (`$.` + this): the path is then a literal of its own."""
    return '"' + key.replace('"', '\\"') + '"'
