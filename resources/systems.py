"""The department systems reached at run time: S1's registry database and S5's HTTP API.

Secrets (the HRSS token, database URLs with passwords) are read through `dagster.EnvVar` when a run starts, so that
they never appear in the UI or logs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import dagster as dg

from resources.settings import LakehouseSettings


class SourceUnavailable(Exception):
    """A source system that cannot be reached or answered wrongly as a whole."""


class SamrDatabase(dg.ConfigurableResource):
    """S1, the market-regulation registry: SQLite, PostgreSQL or MySQL/MariaDB, read-only.

    The URL is read when a run starts, from SAMR_DB_URL (it may carry a password, so it never enters the run's config
    or the UI; messages show it redacted), else the SQLite file of the sources root (`LakehouseSettings.samr_url`).
    It is a SQLAlchemy URL: SQLAlchemy finds the table and its columns, and a columnar reader reads the rows
    (`read_table_as_text`).
    """

    settings: LakehouseSettings
    url: str | None = None  # set only in tests; a password in here would show in the UI
    # "auto": the columnar reader where there is one (`columnar_reader`); "sqlalchemy": SQLAlchemy's DB-API rows
    # everywhere, several times slower (kept to compare with)
    reader: Literal["auto", "sqlalchemy"] = "auto"
    batch_rows: int = 50_000  # rows per batch of the SQLAlchemy path

    @property
    def resolved_url(self) -> str | None:
        return self.url or self.settings.samr_url()

    @property
    def redacted_url(self) -> str:
        import sqlalchemy as sa

        return sa.engine.make_url(self.resolved_url).render_as_string(hide_password=True)

    def engine(self):
        """A SQLite registry is opened read-only: the file belongs to the department (no journal, no empty file
        created where none was)."""
        import sqlalchemy as sa

        url = sa.engine.make_url(self.resolved_url)
        if url.get_backend_name() == "sqlite" and url.database and not url.database.startswith("file:"):
            if not Path(url.database).is_file():
                raise SourceUnavailable(f"S1 database {self.redacted_url}: no such SQLite file; expected the "
                                        f"registry database per SOURCES.md (samr/samr.db or SAMR_DB_URL)")
            # a URI, percent-encoded: a `#` or `?` in the path would otherwise end it, and the rest (mode=ro with
            # it) be ignored
            url = url.set(database=_sqlite_uri_path(url.database), query={**url.query, "mode": "ro", "uri": "true"})
        return sa.create_engine(url)

    def columnar_reader(self) -> str | None:
        """The reader of the rows for this URL: "adbc" (SQLite, PostgreSQL), "connectorx" (MySQL/MariaDB), or None
        for SQLAlchemy's own rows (another dialect, an in-memory SQLite, a MySQL URL with driver options other than
        `charset` or without a host). benchmarks/NOTES.md, "S1 (the registry over SQL) at 1M", measured them."""
        import sqlalchemy as sa

        url = sa.engine.make_url(self.resolved_url)
        backend = url.get_backend_name()
        if self.reader == "sqlalchemy":
            return None
        if backend == "sqlite":
            return "adbc" if url.database and url.database != ":memory:" else None
        if backend == "postgresql":
            return "adbc"
        if backend in ("mysql", "mariadb"):
            return "connectorx" if url.host and set(url.query) <= {"charset"} else None
        return None

    def read_table_as_text(self, table: str, columns: list[str], order_by: list[str] | None = None):
        """Yield (Arrow record batch, missing columns): the table's `columns`, each as text (`pa.string()`, NULL
        stays NULL), named as asked (the table's and columns' names match whatever their case). A column the table
        lacks is all NULL and listed as missing; at least one batch is yielded.

        Ordered by the `order_by` columns as the database orders them, and, unless those are a primary or unique
        key of NOT NULL columns, then by every other column (NULLs first on every backend): the same rows come in
        the same order whatever the plan or the reader, so the extract's hash in the raw archive is reproducible
        (up to values a case-insensitive collation holds equal).

        Text, not driver types: a department's SQLite may hold dates as free text, and typing is done once, by the
        landing declaration, whatever the backend. The database writes the text (`CAST(... AS VARCHAR/CHAR)`), so
        that it is the same whichever reader reads it; only MySQL/MariaDB's character and integer columns are read
        uncast by connectorx (their text is the same; casting every column doubles MariaDB's read), its dates and
        decimals are cast (connectorx would read a zero date `0000-00-00` as an error, a DECIMAL as 10 decimals).
        One difference: ADBC's own SQLite (3.53) writes a REAL with the digits that read back as the same number
        (1.123456789012345), the SQLite of Python's sqlite3 here (3.40) with 15 (1.12345678901235).

        SQLAlchemy inspects (tables, columns, their types); the rows come columnar (`columnar_reader`): ADBC on SQLite
        (read-only, `mode=ro`) and PostgreSQL, connectorx on MySQL/MariaDB; any other URL through SQLAlchemy's
        DB-API rows, several times slower. Errors are `SourceUnavailable`, with the URL redacted.
        """
        import sqlalchemy as sa

        try:
            engine = self.engine()
            try:
                with engine.connect() as con:
                    inspector = sa.inspect(con)
                    names = {t.upper(): t for t in inspector.get_table_names()}
                    if table.upper() not in names:
                        raise SourceUnavailable(f"S1 database {self.redacted_url}: table {table} not found "
                                                f"(tables: {sorted(names.values())}); expected {table} per SOURCES.md")
                    actual = names[table.upper()]
                    present = {c["name"].upper(): c for c in inspector.get_columns(actual)}
                    missing = [c for c in columns if c.upper() not in present]
                    read = [c for c in columns if c.upper() in present]
                    keys = [present[c.upper()] for c in order_by or [] if c.upper() in present]
                    if keys and not _unique_key(inspector, actual, {k["name"] for k in keys}, present):
                        # ties broken by the other columns: the order, and so the hash, does not depend on the plan
                        keys += [present[c.upper()] for c in read
                                 if present[c.upper()]["name"] not in {k["name"] for k in keys}]
                    reader = self.columnar_reader()
                    query = self._select(actual, [present[c.upper()] for c in read], keys,
                                         native=reader == "connectorx",
                                         nulls_first=engine.dialect.name == "postgresql")
                    if reader is None:
                        yield from self._completed(self._read_sqlalchemy(con, query, read), columns, missing)
                        return
            finally:
                engine.dispose()
        except SourceUnavailable:
            raise
        except sa.exc.SQLAlchemyError as e:
            raise SourceUnavailable(f"S1 database {self.redacted_url}: {type(e).__name__}: "
                                    f"{str(e.orig if getattr(e, 'orig', None) else e).splitlines()[0]}") from None
        sql = str(query.compile(dialect=engine.dialect))
        yield from self._completed(self._read_columnar(reader, table, sql), columns, missing)

    def _completed(self, batches, columns: list[str], missing: list[str]):
        """Each batch in the requested columns (the missing ones as NULLs), with `missing`; at least one batch, so that
        an empty table still says which columns it lacks."""
        yielded = False
        for batch in batches:
            yielded = True
            yield self._complete(batch, columns, missing), missing
        if not yielded:
            yield self._complete(None, columns, missing), missing

    @staticmethod
    def _select(table: str, read: list[dict], keys: list[dict], native: bool, nulls_first: bool):
        """SELECT the columns `read` (as the inspector gives them) cast to text, labelled by position (c0, c1, ...:
        the readers rename them), ordered by the columns `keys`; `native`: MySQL's character and integer columns
        uncast; `nulls_first`: NULLs of a nullable key first, where SQLite and MySQL put them (PostgreSQL)."""
        import sqlalchemy as sa

        t = sa.table(table, *{c["name"]: sa.column(c["name"]) for c in [*read, *keys]}.values())

        def as_text(c):
            column = t.c[c["name"]]
            uncast = native and isinstance(c["type"], sa.String | sa.Integer) and not isinstance(
                c["type"], sa.Enum) and type(c["type"]).__name__ != "SET"
            return column if uncast else sa.cast(column, sa.String)

        def key(c):
            return t.c[c["name"]].asc().nulls_first() if nulls_first and c.get("nullable", True) else t.c[c["name"]]

        return sa.select(*(as_text(c).label(f"c{i}") for i, c in enumerate(read))).order_by(*map(key, keys))

    def _read_sqlalchemy(self, con, query, names: list[str]):
        import pyarrow as pa

        result = con.execution_options(stream_results=True, yield_per=self.batch_rows).execute(query)
        for rows in result.partitions(self.batch_rows):
            cols = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
            yield pa.record_batch([pa.array(v, pa.string()) for v in cols], names=names)

    def _read_columnar(self, reader: str, table: str, sql: str):
        """The query's record batches from ADBC or connectorx. The URL, with its password, goes to the driver only;
        a failure is a SourceUnavailable with the URL redacted (and the password scrubbed from the driver's
        message)."""
        import sqlalchemy as sa

        url = sa.engine.make_url(self.resolved_url)
        try:
            if reader == "connectorx":
                import connectorx as cx

                # connectorx's mysql:// URL knows no `charset` (it speaks utf8mb4)
                conn = url.set(drivername="mysql", query={}).render_as_string(hide_password=False)
                yield from cx.read_sql(conn, sql, return_type="arrow").to_batches()
                return
            if url.get_backend_name() == "sqlite":
                import adbc_driver_sqlite.dbapi as adbc

                con = adbc.connect(_sqlite_read_only_uri(url.database))
            else:
                import adbc_driver_postgresql.dbapi as adbc

                # a libpq URI: postgresql://user:password@host:port/db?libpq-options
                con = adbc.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
            with con, con.cursor() as cur:
                if url.get_backend_name() == "sqlite":
                    # the driver types a column by its first batch: one batch, so that a column NULL in its first
                    # rows is not typed as an integer and then fail on its first text (the whole result is read
                    # into memory at once either way)
                    cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(1 << 30)})
                cur.execute(sql)
                yield from cur.fetch_record_batch()
        except Exception as e:  # noqa: BLE001 - every driver's own exceptions, and connectorx's panics below
            raise self._unavailable(reader, table, e) from None
        except BaseException as e:  # connectorx's Rust panics (pyo3 PanicException derives from BaseException)
            if type(e).__name__ != "PanicException":
                raise
            raise self._unavailable(reader, table, e) from None

    def _unavailable(self, reader: str, table: str, e: BaseException) -> SourceUnavailable:
        import sqlalchemy as sa

        message = (str(e).strip().splitlines() or [""])[0]
        password = sa.engine.make_url(self.resolved_url).password
        if password:
            message = message.replace(str(password), "***")
        return SourceUnavailable(f"S1 database {self.redacted_url}: reading table {table} ({reader}): "
                                 f"{type(e).__name__}: {message}")

    @staticmethod
    def _complete(batch, columns: list[str], missing: list[str]):
        """The batch's columns as text, named as asked, with the missing ones all NULL, in the asked order."""
        import pyarrow as pa

        if batch is None:
            return pa.record_batch([pa.array([], pa.string()) for _ in columns], names=columns)
        read = iter(batch.columns)
        arrays = [pa.nulls(batch.num_rows, pa.string()) if c in missing else next(read).cast(pa.string())
                  for c in columns]
        return pa.record_batch(arrays, names=columns)


def _unique_key(inspector, table: str, names: set[str], columns: dict) -> bool:
    """Whether the columns `names` of `table` hold a primary or unique key of NOT NULL columns (`columns`: the
    inspector's columns by upper-case name): ordered by them, no two rows tie."""
    nullable = {c["name"]: c.get("nullable", True) for c in columns.values()}
    keys = [inspector.get_pk_constraint(table).get("constrained_columns") or []]
    keys += [i["column_names"] for i in inspector.get_indexes(table) if i.get("unique")]
    try:
        keys += [u["column_names"] for u in inspector.get_unique_constraints(table)]
    except NotImplementedError:
        pass
    return any(k and set(k) <= names and not any(nullable.get(c, True) for c in k) for k in keys)


def _sqlite_uri_path(database: str) -> str:
    """A SQLite file as a URI without its query (`file:` and the absolute path, percent-encoded)."""
    from urllib.parse import quote

    return f"file:{quote(Path(database).resolve().as_posix())}"


def _sqlite_read_only_uri(database: str) -> str:
    """A SQLite URI opening the file read-only (mode=ro: never created, never written)."""
    if database.startswith("file:"):
        return database if "mode=" in database else database + ("&" if "?" in database else "?") + "mode=ro"
    return f"{_sqlite_uri_path(database)}?mode=ro"


class HrssApi(dg.ConfigurableResource):
    """S5, the social-insurance API: pages through a period, honours Retry-After, retries 5xx with backoff."""

    base_url: str
    token: str
    page_size: int = 1000
    concurrency: int = 4  # requests in flight: the API's own latency overlaps (it rate-limits with 429 + Retry-After)
    max_retries: int = 6
    backoff_seconds: float = 0.5
    max_wait_seconds: float = 60.0
    timeout_seconds: float = 30.0

    def _get(self, client, path: str, params: dict | None = None):
        import time

        import httpx

        last = None
        for attempt in range(self.max_retries + 1):
            try:
                resp = client.get(path, params=params)
            except httpx.TransportError as e:  # timeouts, refused connections
                last = f"{type(e).__name__}: {e}"
            else:
                if resp.status_code == 200:
                    return resp
                if resp.status_code == 401:
                    raise SourceUnavailable(f"HRSS API {self.base_url}{path}: 401 Unauthorized: the token was "
                                            f"rejected; expected a valid bearer token in HRSS_API_TOKEN")
                if resp.status_code == 429:
                    wait = min(float(resp.headers.get("Retry-After", "1") or 1), self.max_wait_seconds)
                    last = f"429 Too Many Requests (Retry-After {wait:g} s)"
                    time.sleep(wait)
                    continue
                if resp.status_code < 500:
                    return resp  # 400/404 are answers the caller interprets
                last = f"{resp.status_code} {resp.reason_phrase}"
            if attempt < self.max_retries:
                time.sleep(min(self.backoff_seconds * 2 ** attempt, self.max_wait_seconds))
        raise SourceUnavailable(f"HRSS API {self.base_url}{path} {params or ''}: still failing after "
                                f"{self.max_retries} retries; last answer: {last}")

    def _client(self):
        import httpx

        return httpx.Client(base_url=self.base_url.rstrip("/"), timeout=self.timeout_seconds,
                            headers={"Authorization": f"Bearer {self.token}"})

    def periods(self) -> list[str]:
        with self._client() as client:
            return list(self._get(client, "/api/v1/periods").json()["periods"])

    def fetch_period(self, period: str) -> list[bytes] | None:
        """The raw JSON bodies of every page of a period, or None if the API does not know the period. The first
        page tells how many there are; the rest are fetched `concurrency` at a time, in order, and left unparsed
        (DuckDB reads them all at once)."""
        import json
        from concurrent.futures import ThreadPoolExecutor

        path = "/api/v1/employers"

        def fetch(client, page: int) -> bytes | None:
            resp = self._get(client, path, {"period": period, "page": page, "page_size": self.page_size})
            if resp.status_code == 404 and page == 1:
                return None  # an unknown period
            if resp.status_code != 200:
                raise SourceUnavailable(f"HRSS API {self.base_url}{path} period {period} page {page}: "
                                        f"{resp.status_code} {resp.text[:200]}")
            return resp.content

        with self._client() as client:
            first = fetch(client, 1)
            if first is None:
                return None
            total_pages = int(json.loads(first)["total_pages"])
            with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                return [first, *pool.map(lambda page: fetch(client, page), range(2, total_pages + 1))]
