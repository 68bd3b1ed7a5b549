"""A PostgreSQL database of its own for a test, on the server of this machine and CI (127.0.0.1:5432, trust)."""
from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import sqlalchemy as sa

SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy URL (as Dagster reads it), drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as con:
            con.execute(sa.text(f'create database "{name}"'))
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        with engine.connect() as con:
            con.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        engine.dispose()
