"""Landing through the real connectors: S1 on PostgreSQL and MariaDB (its columnar readers, and SQLAlchemy's rows to
compare), S5 over HTTP with injected failures."""
from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from assets.landing.assets import asset_key
from resources.settings import LakehouseSettings
from resources.systems import HrssApi, SamrDatabase
from simulator.generate import generate
from simulator.hrss_server import make_server
from tests import duck

from .helpers import ASSETS, BY_NAME, bronze, check_passed, failure, land, metadata

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
MYSQL_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
S1 = ["samr_entities", "samr_changes", "samr_abnormal_operations"]
LINEAGE = ("_source_file", "_loaded_at")  # where the rows came from differs by backend; the rows must not


def land_rows(names: list[str], home: Path, sources: Path, samr_url: str) -> dg.ExecuteInProcessResult:
    """helpers.land, S1 read through SQLAlchemy's DB-API rows rather than the columnar reader."""
    settings = LakehouseSettings(home=str(home), sources_root=str(sources))
    resources = {"settings": settings, "samr": SamrDatabase(settings=settings, url=samr_url, reader="sqlalchemy"),
                 "hrss": HrssApi(base_url="http://127.0.0.1:9", token="unused", max_retries=0)}
    return dg.materialize([ASSETS[asset_key(BY_NAME[n])] for n in names], resources=resources, raise_on_error=False)


@pytest.mark.databases
@pytest.mark.parametrize("admin_url", [PG_ADMIN, MYSQL_ADMIN], ids=["postgresql", "mariadb"])
def test_registry_lands_identically_from_every_backend(admin_url: str, tmp_path: Path):
    params = dict(enterprises=600, seed=21, year=2025, months=1, progress=False)
    sqlite_root = tmp_path / "sqlite"
    generate(sqlite_root, **params)
    assert land(S1, tmp_path / "home_sqlite", sqlite_root).success

    name = f"samr_land_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f"CREATE DATABASE {name}" + (" CHARACTER SET utf8mb4" if "mysql" in admin_url else "")))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}" + ("?charset=utf8mb4" if "mysql" in admin_url else "")
    try:
        server_root = tmp_path / "server"
        generate(server_root, samr_url=url, **params)
        result = land(S1, tmp_path / "home_server", server_root, samr_url=url)
        assert result.success and check_passed(result)
        assert metadata(result, "samr_entities")["source"].startswith(url.split("://")[0])
        rows = land_rows(S1, tmp_path / "home_rows", server_root, samr_url=url)
        assert rows.success and check_passed(rows)
        for ds in S1:
            a = [{k: v for k, v in r.items() if k not in LINEAGE} for r in bronze(tmp_path / "home_sqlite", ds)]
            b = [{k: v for k, v in r.items() if k not in LINEAGE} for r in bronze(tmp_path / "home_server", ds)]
            assert len(a) == len(b) > 0
            # the extract's hash differs by backend only if the values do: text forms are normalized by typing
            assert [{k: v for k, v in r.items() if k != "_delivery_sha256"} for r in a] == \
                   [{k: v for k, v in r.items() if k != "_delivery_sha256"} for r in b], ds
            # the columnar reader and SQLAlchemy's rows: the same extract (its hash too), the same typed rows
            assert [{k: v for k, v in r.items() if k not in LINEAGE} for r in bronze(tmp_path / "home_rows", ds)] == b
    finally:
        with admin.connect() as con:
            force = " WITH (FORCE)" if "postgres" in admin_url else ""
            con.execute(sa.text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()


@pytest.fixture()
def hrss_server(small_root):
    servers = []

    def start(**kw):
        server, api = make_server(small_root, "tok", **kw)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", api

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def test_every_record_arrives_exactly_once_through_429_and_5xx(tmp_path, small_root, hrss_server):
    base, api = hrss_server(fail_rate=0.3, rate_limit=8, seed=5)
    client = HrssApi(base_url=base, token="tok", page_size=50, backoff_seconds=0.01, max_retries=12)
    result = land(["hrss_employers"], tmp_path, small_root, partition="2025-11", hrss=client)
    assert result.success and check_passed(result)
    expected = pq.read_table(small_root / "_hrss_api" / "employers_2025-11.parquet")
    got = duck.query(f"select employer_number, cast(contribution_base as varchar) b from read_parquet("
                     f"'{tmp_path}/lake/bronze/hrss/employers/2025-11.parquet')")
    assert sorted(r[0] for r in got) == sorted(expected.column("dwbh").to_pylist())  # once each, none missing
    assert api.requests > api.served_records / 50  # retries happened
    md = metadata(result, "hrss_employers")
    assert md["rows_in"] == md["rows_loaded"] == expected.num_rows and md["source"].endswith("period=2025-11")


def test_wrong_token_fails_at_once(tmp_path, small_root, hrss_server):
    base, api = hrss_server()
    started = time.monotonic()
    message = failure(land(["hrss_employers"], tmp_path, small_root, partition="2025-11",
                           hrss=HrssApi(base_url=base, token="wrong", backoff_seconds=1, max_retries=5)))
    assert "401" in message and "HRSS_API_TOKEN" in message and "wrong" not in message.split("HRSS")[0]
    assert time.monotonic() - started < 5


def test_server_that_keeps_failing_fails_after_the_retry_budget(tmp_path, small_root, hrss_server):
    base, api = hrss_server(fail_rate=1.0, seed=1)
    message = failure(land(["hrss_employers"], tmp_path, small_root, partition="2025-11",
                           hrss=HrssApi(base_url=base, token="tok", backoff_seconds=0.01, max_retries=3)))
    assert "after 3 retries" in message and ("503" in message or "500" in message)
    assert api.requests == 4


def test_period_the_api_does_not_know_is_no_delivery(tmp_path, small_root, hrss_server):
    base, _ = hrss_server()
    result = land(["hrss_employers"], tmp_path, small_root, partition="2024-01",
                  hrss=HrssApi(base_url=base, token="tok"))
    assert result.success and metadata(result, "hrss_employers")["rows_in"] == 0
