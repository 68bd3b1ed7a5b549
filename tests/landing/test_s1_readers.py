"""S1's columnar readers (ADBC on SQLite and PostgreSQL, connectorx on MariaDB) against SQLAlchemy's own rows, on
real databases: the same text, NULLs, order and errors."""
from __future__ import annotations

import datetime as dt
import decimal
import uuid
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from resources.settings import LakehouseSettings
from resources.systems import SamrDatabase, SourceUnavailable

from .helpers import failure, land

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
MYSQL_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
SERVERS = {"postgresql": PG_ADMIN, "mariadb": MYSQL_ADMIN}
PASSWORD = "p@ss:w/rd%?#&"  # every character a URL must escape
LEADING_NULLS = 1500  # more than the first batch the ADBC SQLite driver types its columns by (1024 rows)
COLUMNS = ["K", "D", "N", "TS", "ZH", "I", "WIDE", "ABSENT"]


@contextmanager
def database(backend: str, tmp_path: Path):
    """A throwaway database on `backend` ("sqlite": a file), as a SQLAlchemy URL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'a folder #中' / 'registry.db'}"
        return
    admin_url = SERVERS[backend]
    name = f"s1_readers_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f"CREATE DATABASE {name}" + (" CHARACTER SET utf8mb4" if backend == "mariadb" else "")))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}" + ("?charset=utf8mb4" if backend == "mariadb" else "")
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if backend != "mariadb" else "")))
        admin.dispose()


def fill(url: str) -> None:
    """T_MIXED: NULLs in every column but the key for the first rows, then dates, decimals, timestamps, Chinese text,
    an empty string, integers; on MariaDB also a zero date and a DECIMAL with more than 10 decimals."""
    if url.startswith("sqlite"):
        Path(sa.engine.make_url(url).database).parent.mkdir(parents=True)
    engine = sa.create_engine(url)
    table = sa.Table("T_MIXED", sa.MetaData(), sa.Column("K", sa.String(10), primary_key=True),
                     sa.Column("D", sa.Date), sa.Column("N", sa.Numeric(18, 4)), sa.Column("TS", sa.DateTime),
                     sa.Column("ZH", sa.Text), sa.Column("I", sa.Integer), sa.Column("WIDE", sa.Numeric(30, 15)))
    rows = [{"K": f"a{i:05d}"} for i in range(LEADING_NULLS)] + [
        {"K": "b1", "D": dt.date(2024, 1, 2), "N": decimal.Decimal("13.1"), "TS": dt.datetime(2024, 1, 2, 10, 0),
         "ZH": "义乌市\"新星\"饰品有限公司", "I": -5, "WIDE": decimal.Decimal("1.123456789012345")},
        {"K": "b2", "D": dt.date(1998, 12, 31), "N": decimal.Decimal("0"), "TS": dt.datetime(2025, 6, 30, 23, 59, 59),
         "ZH": "", "I": 2_000_000_000, "WIDE": decimal.Decimal("-0.000000000000001")},
    ]
    with engine.begin() as con:
        table.create(con)
        con.execute(table.insert(), [{c.name: r.get(c.name) for c in table.columns} for r in rows])
        if engine.dialect.name == "mysql":
            con.execute(sa.text("SET SESSION sql_mode = ''"))  # a legacy registry's "no date"
            con.execute(sa.text("INSERT INTO T_MIXED (K, D, TS) VALUES ('b3', '0000-00-00', '0000-00-00 00:00:00')"))
    engine.dispose()


def read(url: str, reader: str, table: str = "t_mixed", columns: list[str] = COLUMNS) -> tuple[pa.Table, list]:
    db = SamrDatabase(settings=LakehouseSettings(), url=url, reader=reader)
    batches = list(db.read_table_as_text(table, columns, order_by=[columns[0]]))
    assert batches and all(missing == batches[0][1] for _, missing in batches)
    return pa.Table.from_batches([b for b, _ in batches]), batches[0][1]


@pytest.mark.databases
@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_columnar_reader_gives_sqlalchemys_text(backend: str, tmp_path: Path):
    with database(backend, tmp_path) as url:
        fill(url)
        expected = {"sqlite": "adbc", "postgresql": "adbc", "mariadb": "connectorx"}[backend]
        assert SamrDatabase(settings=LakehouseSettings(), url=url).columnar_reader() == expected
        columnar, missing = read(url, "auto")
        rows, rows_missing = read(url, "sqlalchemy")
    assert missing == rows_missing == ["ABSENT"]
    assert columnar.schema == pa.schema([(c, pa.string()) for c in COLUMNS])
    assert columnar.num_rows == LEADING_NULLS + (3 if backend == "mariadb" else 2)
    if backend == "sqlite":
        # a REAL's text: the ADBC driver's SQLite (3.53) writes the digits that read back as the same number, the
        # SQLite of Python's sqlite3 here (3.40) 15 significant digits
        assert columnar.column("WIDE")[LEADING_NULLS].as_py() == "1.123456789012345"
        assert rows.column("WIDE")[LEADING_NULLS].as_py() in ("1.123456789012345", "1.12345678901235")
        columnar, rows = columnar.drop_columns(["WIDE"]), rows.drop_columns(["WIDE"])
    assert columnar.equals(rows)  # the same text, NULLs and order
    first = columnar.slice(0, LEADING_NULLS).to_pylist()
    assert [r["K"] for r in first] == [f"a{i:05d}" for i in range(LEADING_NULLS)]
    assert all(v is None for r in first for k, v in r.items() if k != "K")
    b1, b2 = columnar.slice(LEADING_NULLS, 2).to_pylist()
    assert (b1["D"], b1["ZH"], b1["I"]) == ("2024-01-02", "义乌市\"新星\"饰品有限公司", "-5")
    assert (b2["ZH"], b2["I"]) == ("", "2000000000")
    if backend != "sqlite":  # SQLite keeps a Numeric as a REAL and a DateTime as its own text
        # MariaDB writes a DATETIME with or without `.000000` (seen in full `make test` runs only); both readers
        # write what the database writes (asserted above), and it is the same instant
        assert (b1["N"], b1["WIDE"]) == ("13.1000", "1.123456789012345"), f"b1 read as {b1!r}"
        assert dt.datetime.fromisoformat(b1["TS"]) == dt.datetime(2024, 1, 2, 10, 0), f"b1 read as {b1!r}"
    if backend == "mariadb":
        b3 = columnar.slice(LEADING_NULLS + 2).to_pylist()[0]
        assert b3["D"] == "0000-00-00", f"b3 read as {b3!r}"
        assert b3["TS"] in ("0000-00-00 00:00:00", "0000-00-00 00:00:00.000000"), f"b3 read as {b3!r}"


@pytest.mark.databases
@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_rows_tying_on_the_first_column_come_in_one_order(backend: str, tmp_path: Path):
    """Ties on the first column (a registry entity's changes) are ordered by the other columns, NULLs first, on
    every backend, whatever the plan: inserted shuffled, read in the same order by both readers."""
    rows = [("E1", "住所", "2024-03-01"), ("E1", None, "2024-01-01"), ("E0", "名称", None), ("E1", "住所", None),
            ("E1", "名称", "2023-12-31"), ("E1", "住所", "2024-02-01"), ("E0", None, None)]
    with database(backend, tmp_path) as url:
        fill(url)
        engine = sa.create_engine(url)
        with engine.begin() as con:
            con.execute(sa.text("CREATE TABLE T_TIES (K VARCHAR(10) NOT NULL, ITEM VARCHAR(20), ON_DATE DATE)"))
            con.execute(sa.text("CREATE INDEX T_TIES_K ON T_TIES (K)"))
            for i in (3, 0, 6, 1, 5, 2, 4):
                con.execute(sa.text("INSERT INTO T_TIES VALUES (:k, :i, :d)"),
                            dict(zip("kid", rows[i], strict=True)))
        engine.dispose()
        got = {reader: read(url, reader, "T_TIES", ["K", "ITEM", "ON_DATE"])[0] for reader in ("auto", "sqlalchemy")}
    expected = [("E0", None, None), ("E0", "名称", None), ("E1", None, "2024-01-01"), ("E1", "住所", None),
                ("E1", "住所", "2024-02-01"), ("E1", "住所", "2024-03-01"), ("E1", "名称", "2023-12-31")]
    for table in got.values():
        assert [tuple(r.values()) for r in table.to_pylist()] == expected


@pytest.mark.databases
@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_missing_table_and_empty_table(backend: str, tmp_path: Path):
    with database(backend, tmp_path) as url:
        fill(url)
        engine = sa.create_engine(url)
        with engine.begin() as con:
            con.execute(sa.text("CREATE TABLE T_EMPTY (K VARCHAR(10))"))
        engine.dispose()
        with pytest.raises(SourceUnavailable) as e:
            read(url, "auto", table="T_SCZTDJ")
        assert "table T_SCZTDJ not found" in str(e.value) and "T_MIXED" in str(e.value)
        empty, missing = read(url, "auto", table="T_EMPTY", columns=["K", "GONE"])
    assert missing == ["GONE"] and empty.num_rows == 0 and empty.column_names == ["K", "GONE"]


def as_owner(url: str, statement: str) -> None:
    """One statement as the database's owner (PostgreSQL grants and drops on the throwaway database)."""
    owner = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with owner.connect() as con:
        con.execute(sa.text(statement))
    owner.dispose()


@pytest.mark.databases
@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_password_reaches_the_driver_and_never_a_message(backend: str, tmp_path: Path):
    """A password with every character a URL escapes: the columnar reader connects with it; a wrong one (MariaDB
    only: the PostgreSQL here trusts 127.0.0.1) is a SourceUnavailable that names the URL without it."""
    with database(backend, tmp_path) as url:
        fill(url)
        user = f"s1_reader_{uuid.uuid4().hex[:8]}"
        u = sa.engine.make_url(url)
        admin = sa.create_engine(SERVERS[backend], isolation_level="AUTOCOMMIT")
        with admin.connect() as con:
            if backend == "postgresql":
                con.execute(sa.text(f"CREATE ROLE {user} LOGIN PASSWORD :pw"), {"pw": PASSWORD})
            else:
                con.execute(sa.text(f"CREATE USER '{user}'@'%' IDENTIFIED BY :pw"), {"pw": PASSWORD})
                con.execute(sa.text(f"GRANT SELECT ON {u.database}.* TO '{user}'@'%'"))
        try:
            if backend == "postgresql":
                as_owner(url, f'GRANT SELECT ON "T_MIXED" TO {user}')
            with_password = u.set(username=user, password=PASSWORD).render_as_string(hide_password=False)
            assert PASSWORD not in with_password  # escaped in the URL
            assert read(with_password, "auto")[0].equals(read(url, "auto")[0])
            if backend == "mariadb":
                wrong = u.set(username=user, password=PASSWORD + "x").render_as_string(hide_password=False)
                with pytest.raises(SourceUnavailable) as e:
                    read(wrong, "auto")
                message = str(e.value)
                assert "S1 database" in message and "Access denied" in message and user in message
                assert PASSWORD not in message and PASSWORD + "x" not in message
                assert sa.engine.make_url(wrong).password not in message
        finally:
            if backend == "postgresql":
                as_owner(url, f"DROP OWNED BY {user}")
            with admin.connect() as con:
                con.execute(sa.text(f"DROP ROLE {user}" if backend == "postgresql" else f"DROP USER '{user}'@'%'"))
            admin.dispose()


@pytest.mark.parametrize("reader", ["auto", "sqlalchemy"])
def test_sqlite_registry_is_read_without_a_byte_changed(reader: str, tmp_path: Path):
    """Its folder's name has a `#` (a URI's fragment: unescaped, SQLite would open, and create, `a folder `)."""
    with database("sqlite", tmp_path) as url:
        fill(url)
        path = Path(sa.engine.make_url(url).database)
        before = (sorted(tmp_path.rglob("*")), path.read_bytes(), path.stat().st_mtime_ns)
        assert read(url, reader)[0].num_rows == LEADING_NULLS + 2
        assert (sorted(tmp_path.rglob("*")), path.read_bytes(), path.stat().st_mtime_ns) == before
        with pytest.raises(SourceUnavailable, match="no such SQLite file"):
            read(url.replace("registry.db", "none.db"), "auto")
        assert not (path.parent / "none.db").exists()


def test_missing_required_column_fails_the_landing_clearly(tmp_path: Path):
    import sqlite3

    (tmp_path / "root" / "samr").mkdir(parents=True)
    con = sqlite3.connect(tmp_path / "root" / "samr" / "samr.db")
    con.execute("CREATE TABLE t_scztdj (pripid, uniscid)")  # no ENTNAME, the other required column
    con.execute("INSERT INTO t_scztdj VALUES ('X1', NULL)")
    con.commit()
    con.close()
    message = failure(land(["samr_entities"], tmp_path / "home", tmp_path / "root"))
    assert "table T_SCZTDJ lacks required column(s) ['ENTNAME']" in message and "expected ['PRIPID'" in message
