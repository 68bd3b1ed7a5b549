"""Why this module exists: Great Expectations' SQL datasource returns no rows from DuckDB.

GX (1.x, seen with 1.24) runs each metric query as
    with self.get_connection() as connection:
        result = connection.execute(query)
    return result                      # ... and the caller then calls result.fetchall()
i.e. it fetches the rows only after the connection has gone back to the pool. Most DBAPI drivers keep a
cursor's rows after that; duckdb-engine's does not, so every metric fails with
`IndexError: list index out of range` (GX issues 10738 and 11579).

The fix is to fetch inside the connection: `Result.freeze()` buffers the rows, and calling the frozen result
gives a Result that GX can read as before. It is applied only to DuckDB engines and only while
`buffered_duckdb_results()` is active (our validations), so every other GX use is untouched.

When to delete it: once a GX release fetches inside the connection (or duckdb-engine keeps results after the
connection is returned), `test_gx_on_duckdb_needs_the_workaround` in tests/quality fails on its first
assertion: remove this module and its one caller in data_quality/validate.py.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine

_lock = threading.Lock()


def _execute_query_buffered(original):
    def execute_query(self, query):
        if self.engine.dialect.name != "duckdb":
            return original(self, query)
        with self.get_connection() as connection:
            return self._execute_query_with_recovery(connection, query).freeze()()

    execute_query.__wrapped__ = original
    return execute_query


@contextlib.contextmanager
def buffered_duckdb_results() -> Iterator[None]:
    """While active, GX reads DuckDB query results inside the connection (see the module's docstring)."""
    with _lock:
        original = SqlAlchemyExecutionEngine.execute_query
        SqlAlchemyExecutionEngine.execute_query = _execute_query_buffered(original)
        try:
            yield
        finally:
            SqlAlchemyExecutionEngine.execute_query = original
