"""S1 loads into the real PostgreSQL and MariaDB of this machine and reads back identical to SQLite."""
from __future__ import annotations

import datetime as dt
import decimal
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from simulator.generate import generate

PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
MYSQL_ADMIN = os.environ.get("TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")
TABLES = {"T_SCZTDJ": ("PRIPID",), "T_BGXX": ("PRIPID", "ALTITEM", "ALTDATE"), "T_JYYC": ("PRIPID", "ABNTIME")}
PARAMS = dict(enterprises=400, seed=11, year=2025, months=1)


def read_all(url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url)
    out = {}
    with engine.connect() as con:
        for name, order in TABLES.items():
            table = sa.Table(name, sa.MetaData(), autoload_with=con)  # reflected: quoting is the dialect's job
            rows = con.execute(sa.select(table).order_by(*(table.c[c] for c in order))).fetchall()
            out[name] = [tuple(normalize(v) for v in r) for r in rows]
    engine.dispose()
    return out


def normalize(v):
    """SQLite hands back strings and floats where servers hand back typed values: compare values, not drivers."""
    if isinstance(v, decimal.Decimal):
        return round(float(v), 4)
    if isinstance(v, float):
        return round(v, 4)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
    if isinstance(v, str) and len(v) >= 19 and v[4] == "-" and v[10] == " ":
        return v[:19]  # SQLite's DATETIME text carries microseconds
    return v


@pytest.fixture(scope="module")
def sqlite_reference(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("samr_sqlite")
    generate(root, progress=False, **PARAMS)
    return read_all(f"sqlite:///{root / 'samr' / 'samr.db'}")


@pytest.mark.databases
@pytest.mark.parametrize("admin_url", [PG_ADMIN, MYSQL_ADMIN], ids=["postgresql", "mariadb"])
def test_registry_round_trips(admin_url: str, tmp_path: Path, sqlite_reference: dict):
    name = f"samr_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f"CREATE DATABASE {name}" + (" CHARACTER SET utf8mb4" if "mysql" in admin_url else "")))
    url = (admin_url.rsplit("/", 1)[0] + f"/{name}") + ("?charset=utf8mb4" if "mysql" in admin_url else "")
    try:
        generate(tmp_path, progress=False, samr_url=url, **PARAMS)
        assert not (tmp_path / "samr" / "samr.db").exists()
        got = read_all(url)
        for table in TABLES:
            assert len(got[table]) == len(sqlite_reference[table]) > 0
            assert got[table] == sqlite_reference[table], table
    finally:
        sa.create_engine(url).dispose()
        with admin.connect() as con:
            force = " WITH (FORCE)" if "postgres" in admin_url else ""
            con.execute(sa.text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()
