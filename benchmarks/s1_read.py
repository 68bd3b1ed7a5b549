"""S1's tables read as the landing reads them (every column as text, in the order of the first column), by each way
this environment offers, to choose the registry's reader by measurement.

    python -m benchmarks.s1_read --url sqlite:////abs/samr.db [--url postgresql://root@127.0.0.1:5432/db]
                                 [--url mysql+pymysql://root@127.0.0.1:3306/db] [--method sqlalchemy duckdb ...]
                                 [--load-from /abs/samr.db] [--check] [--json out.json]

--load-from first copies a sources root's SQLite registry into every other --url (untimed; the simulator's own
table definitions, simulator/samr.py, then DuckDB's scanners: run it with a DuckDB that has them, 1.x).

Methods (each skipped, and said so, where its package or extension is missing):
sqlalchemy   the former path: resources/systems.py `SamrDatabase(reader="sqlalchemy")`, rows through the DB-API
             driver into Python tuples, then Arrow
project      today's path: `SamrDatabase.read_table_as_text` (ADBC on SQLite and PostgreSQL, connectorx on MySQL)
adbc         the ADBC driver's Arrow result (adbc-driver-sqlite, adbc-driver-postgresql; none for MySQL)
connectorx   connectorx's Arrow result (SQLite, PostgreSQL, MySQL/MariaDB), cast to text by the database
connectorx-native  the same, the columns in the driver's types, cast to text by Arrow
duckdb       DuckDB's scanner extension (sqlite_scanner, postgres_scanner, mysql_scanner: DuckDB 1.x wheels, see
             floors.load_extension), ATTACHed read-only, to Arrow
Every method returns the same Arrow tables (text columns); --check compares them with the first method's.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlalchemy as sa

from contracts.sources import DATASETS

from .floors import load_extension

SQL_DATASETS = [ds for ds in DATASETS if ds.format == "sql"]


def _backend(url: str) -> str:
    return sa.engine.make_url(url).get_backend_name()  # sqlite, postgresql, mysql


def text_query(url: str, ds) -> str:
    """The table's declared columns cast to text by the database, ordered as the landing orders them."""
    text = "CHAR" if _backend(url) == "mysql" else "TEXT"
    q = '`' if _backend(url) == "mysql" else '"'
    cols = ", ".join(f"CAST({q}{f.source}{q} AS {text}) AS {q}{f.source}{q}" for f in ds.fields)
    return f"SELECT {cols} FROM {q}{ds.table}{q} ORDER BY {q}{ds.fields[0].source}{q}"


def read_sqlalchemy(url: str, reader: str = "sqlalchemy") -> dict[str, pa.Table]:
    from resources.settings import LakehouseSettings
    from resources.systems import SamrDatabase

    db = SamrDatabase(settings=LakehouseSettings(), url=url, reader=reader)
    out = {}
    for ds in SQL_DATASETS:
        columns = [f.source for f in ds.fields]
        batches = [b for b, _ in db.read_table_as_text(ds.table, columns, order_by=[columns[0]])]
        out[ds.table] = pa.Table.from_batches(batches, schema=pa.schema([(c, pa.string()) for c in columns]))
    return out


def read_adbc(url: str) -> dict[str, pa.Table]:
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        from adbc_driver_sqlite import dbapi

        con = dbapi.connect(f"file:{u.database}?mode=ro")
    elif u.get_backend_name() == "postgresql":
        from adbc_driver_postgresql import dbapi

        con = dbapi.connect(u.set(drivername="postgresql").render_as_string(hide_password=False))
    else:
        raise NotImplementedError("no ADBC driver for this backend on PyPI")
    out = {}
    with con:
        for ds in SQL_DATASETS:
            with con.cursor() as cur:
                cur.execute(text_query(url, ds))
                out[ds.table] = cur.fetch_arrow_table()
    return out


def _connectorx_conn(url: str) -> str:
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        return f"sqlite://{u.database}"
    return u.set(drivername={"postgresql": "postgresql", "mysql": "mysql"}[u.get_backend_name()]).render_as_string(
        hide_password=False)


def read_connectorx(url: str) -> dict[str, pa.Table]:
    """The database casts to text. On SQLite connectorx types a CAST expression by its first value and fails on a
    NULL ("Cannot infer type from null"): there it reads the declared columns, as connectorx-native does."""
    import connectorx as cx

    if _backend(url) == "sqlite":
        return read_connectorx_native(url)
    return {ds.table: cx.read_sql(_connectorx_conn(url), text_query(url, ds), return_type="arrow")
            for ds in SQL_DATASETS}


def read_connectorx_native(url: str) -> dict[str, pa.Table]:
    """The declared columns in the driver's types, cast to text by Arrow (MariaDB's CAST AS CHAR doubles its time)."""
    import connectorx as cx

    q = '`' if _backend(url) == "mysql" else '"'
    out = {}
    for ds in SQL_DATASETS:
        cols = ", ".join(f"{q}{f.source}{q}" for f in ds.fields)
        table = cx.read_sql(_connectorx_conn(url), f"SELECT {cols} FROM {q}{ds.table}{q} ORDER BY "
                                                   f"{q}{ds.fields[0].source}{q}", return_type="arrow")
        out[ds.table] = pa.table({n: table.column(n).cast(pa.string()) for n in table.column_names})
    return out


def read_duckdb(url: str) -> dict[str, pa.Table]:
    u = sa.engine.make_url(url)
    backend = u.get_backend_name()
    extension = {"sqlite": "sqlite_scanner", "postgresql": "postgres_scanner", "mysql": "mysql_scanner"}[backend]
    con = duckdb.connect()
    if not load_extension(con, extension):
        raise NotImplementedError(f"DuckDB {duckdb.__version__} has no {extension} extension here")
    if backend == "sqlite":
        con.execute("SET sqlite_all_varchar = true")  # a department's SQLite may hold anything in a DATE column
        con.execute(f"ATTACH '{u.database}' AS s1 (TYPE sqlite, READ_ONLY)")
    elif backend == "postgresql":
        dsn = f"host={u.host} port={u.port or 5432} dbname={u.database} user={u.username or ''}"
        con.execute(f"ATTACH '{dsn}' AS s1 (TYPE postgres, READ_ONLY)")
    else:
        dsn = f"host={u.host} port={u.port or 3306} database={u.database} user={u.username or 'root'}"
        con.execute(f"ATTACH '{dsn}' AS s1 (TYPE mysql, READ_ONLY)")
    out = {}
    try:
        for ds in SQL_DATASETS:
            cols = ", ".join(f'CAST("{f.source}" AS VARCHAR) AS "{f.source}"' for f in ds.fields)
            out[ds.table] = con.sql(f'SELECT {cols} FROM s1."{ds.table}" ORDER BY "{ds.fields[0].source}"'
                                    ).to_arrow_table()
    finally:
        con.close()
    return out


def read_project(url: str) -> dict[str, pa.Table]:
    return read_sqlalchemy(url, reader="auto")


METHODS = {"sqlalchemy": read_sqlalchemy, "project": read_project, "adbc": read_adbc, "connectorx": read_connectorx,
           "connectorx-native": read_connectorx_native, "duckdb": read_duckdb}
NEEDS = {"adbc": "adbc_driver_manager", "connectorx": "connectorx", "connectorx-native": "connectorx"}


def load_registry(sqlite_path: Path, url: str) -> None:
    """Copy the three S1 tables from a SQLite registry into the database at `url`, recreated with the simulator's
    DDL (the same types and indexes a generated PostgreSQL or MySQL registry has)."""
    from simulator.samr import metadata

    engine = sa.create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    engine.dispose()
    u = sa.engine.make_url(url)
    con = duckdb.connect()
    try:
        if not (load_extension(con, "sqlite_scanner") and load_extension(con, "postgres_scanner" if
                _backend(url) == "postgresql" else "mysql_scanner")):
            raise SystemExit(f"--load-from needs DuckDB's scanner extensions; DuckDB {duckdb.__version__} has none")
        con.execute(f"ATTACH '{sqlite_path}' AS src (TYPE sqlite, READ_ONLY)")
        if _backend(url) == "postgresql":
            con.execute(f"ATTACH 'host={u.host} port={u.port or 5432} dbname={u.database} user={u.username or ''}' "
                        "AS dst (TYPE postgres)")
        else:
            con.execute(f"ATTACH 'host={u.host} port={u.port or 3306} database={u.database} "
                        f"user={u.username or 'root'}' AS dst (TYPE mysql)")
        for ds in SQL_DATASETS:
            cols = ", ".join(f'"{f.source}"' for f in ds.fields)
            con.execute(f'INSERT INTO dst."{ds.table}" ({cols}) SELECT {cols} FROM src."{ds.table}"')
    finally:
        con.close()


def differences(a: dict[str, pa.Table], b: dict[str, pa.Table]) -> list[str]:
    """Tables and columns whose text differs (types and nullability aside)."""
    out = []
    for table, x in a.items():
        y = b[table]
        if x.num_rows != y.num_rows:
            out.append(f"{table}: {x.num_rows} rows against {y.num_rows}")
            continue
        # rows that tie on the first column (a registry entity's changes) may come in either order
        x, y = (pa.table({n: t.column(n).cast(pa.string()) for n in x.column_names}) for t in (x, y))
        keys = [(n, "ascending") for n in x.column_names]
        x, y = x.sort_by(keys), y.sort_by(keys)
        for name in x.column_names:
            if not x.column(name).equals(y.column(name)):
                out.append(f"{table}.{name}")
    return out


def measure(urls: list[str], methods: list[str], check: bool) -> list[dict]:
    rows = []
    for url in urls:
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        first = None
        for method in methods:
            if method in NEEDS and importlib.util.find_spec(NEEDS[method]) is None:
                rows.append({"url": shown, "method": method, "skipped": f"{NEEDS[method]} is not installed"})
                print(f"{shown:60} {method:11} skipped: not installed", flush=True)
                continue
            t0 = time.perf_counter()
            try:
                tables = METHODS[method](url)
            except (NotImplementedError, ImportError) as e:
                rows.append({"url": shown, "method": method, "skipped": str(e)})
                print(f"{shown:60} {method:11} skipped: {e}", flush=True)
                continue
            except Exception as e:  # noqa: BLE001 - a reader that fails on this database is a finding, not a crash
                rows.append({"url": shown, "method": method, "failed": f"{type(e).__name__}: {e}"[:300]})
                print(f"{shown:60} {method:11} failed: {type(e).__name__}: {str(e)[:200]}", flush=True)
                continue
            seconds = time.perf_counter() - t0
            row = {"url": shown, "method": method, "seconds": round(seconds, 2),
                   "rows": {t: x.num_rows for t, x in tables.items()}}
            if check:
                if first is None:
                    first = (method, tables)
                else:
                    row["differs_from_" + first[0]] = differences(first[1], tables)
            rows.append(row)
            print(f"{shown:60} {method:11} {seconds:7.2f} s  {sum(row['rows'].values()):,} rows"
                  + (f"  differs from {first[0]}: {row['differs_from_' + first[0]]}"
                     if check and first[0] != method else ""), flush=True)
            del tables
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.s1_read", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", action="append", required=True, help="an S1 database (SQLAlchemy URL)")
    parser.add_argument("--method", nargs="*", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--load-from", type=Path, help="copy this SQLite registry into the other URLs first")
    parser.add_argument("--check", action="store_true", help="compare every method's tables with the first's")
    parser.add_argument("--json", type=Path, help="write the measurements here")
    args = parser.parse_args(argv)
    print(f"DuckDB {duckdb.__version__}")
    if args.load_from:
        for url in args.url:
            if _backend(url) != "sqlite":
                t0 = time.perf_counter()
                load_registry(args.load_from.resolve(), url)
                print(f"loaded {args.load_from} into {sa.engine.make_url(url).render_as_string(hide_password=True)} "
                      f"in {time.perf_counter() - t0:.0f} s", flush=True)
    rows = measure(args.url, args.method, args.check)
    if args.json:
        args.json.write_text(json.dumps({"duckdb": duckdb.__version__, "reads": rows}, ensure_ascii=False, indent=1)
                             + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
