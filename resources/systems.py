"""The department systems reached at run time: S1's registry database and S5's HTTP API.

Secrets (the HRSS token, database URLs with passwords) are read through `dagster.EnvVar` when a run starts, so that
they never appear in the UI or logs.
"""
from __future__ import annotations

from pathlib import Path

import dagster as dg

from resources.settings import LakehouseSettings


class SourceUnavailable(Exception):
    """A source system that cannot be reached or answered wrongly as a whole."""


class SamrDatabase(dg.ConfigurableResource):
    """S1, the market-regulation registry: SQLite, PostgreSQL or MySQL/MariaDB through SQLAlchemy, read-only.

    The URL is read when a run starts, from SAMR_DB_URL (it may carry a password, so it never enters the run's config
    or the UI; messages show it redacted), else the SQLite file of the sources root (`LakehouseSettings.samr_url`).
    """

    settings: LakehouseSettings
    url: str | None = None  # set only in tests; a password in here would show in the UI
    batch_rows: int = 50_000

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
            url = url.set(database=f"file:{Path(url.database).resolve()}", query={**url.query, "mode": "ro",
                                                                                   "uri": "true"})
        return sa.create_engine(url)

    def read_table_as_text(self, table: str, columns: list[str], order_by: list[str] | None = None):
        """Yield Arrow record batches of the table, every column cast to text by the database.

        Text, not driver types: a department's SQLite may hold dates as free text, and typing is done
        once, by the landing declaration, whatever the backend.
        """
        import pyarrow as pa
        import sqlalchemy as sa

        try:
            engine = self.engine()
            with engine.connect() as con:
                inspector = sa.inspect(con)
                names = {t.upper(): t for t in inspector.get_table_names()}
                if table.upper() not in names:
                    raise SourceUnavailable(f"S1 database {self.redacted_url}: table {table} not found "
                                            f"(tables: {sorted(names.values())}); expected {table} per SOURCES.md")
                actual = names[table.upper()]
                present = {c["name"].upper(): c["name"] for c in inspector.get_columns(actual)}
                missing = [c for c in columns if c.upper() not in present]
                t = sa.table(actual, *(sa.column(present[c.upper()]) for c in columns if c.upper() in present))
                query = sa.select(*(sa.cast(t.c[present[c.upper()]], sa.String).label(c)
                                    for c in columns if c.upper() in present))
                # a stable order makes the extract, and so its hash in the raw archive, reproducible
                query = query.order_by(*(t.c[present[c.upper()]] for c in (order_by or []) if c.upper() in present))
                result = con.execution_options(stream_results=True, yield_per=self.batch_rows).execute(query)
                for rows in result.partitions(self.batch_rows):
                    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in columns]
                    arrays = {c: pa.array(v, pa.string())
                              for c, v in zip([c for c in columns if c not in missing], cols, strict=True)}
                    for c in missing:
                        arrays[c] = pa.nulls(len(rows), pa.string())
                    yield pa.record_batch([arrays[c] for c in columns], names=columns), missing
            engine.dispose()
        except SourceUnavailable:
            raise
        except sa.exc.SQLAlchemyError as e:
            raise SourceUnavailable(f"S1 database {self.redacted_url}: {type(e).__name__}: "
                                    f"{str(e.orig if getattr(e, 'orig', None) else e).splitlines()[0]}") from None


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
