"""What the pipeline's figures are divided by, measured in the same benchmark run on the same data.

bare_duckdb        the SQL dbt ran (each model's compiled code, from the build's manifest.json) executed as plain
                   CREATE TABLE / VIEW statements, in dbt's order, in one DuckDB process: no Dagster, no dbt, no
                   tests, no gate
pandas_landing     the common way to land a CSV: pandas read_csv (every column as text, the declared encoding:
                   GBK included) then to_parquet, on the same department files the pipeline landed
engine_landing     the engine's own floor for every file-based source: DuckDB's COPY (SELECT * FROM read_csv /
                   read_json / read_xlsx(...)) TO '...parquet', per delivery file, each source's method recorded
                   (a GBK file needs a decoder that DuckDB 2.0 does not ship: see `engine_read`)
naive_resolution   企业码 by the exact normalized USCC alone, on the same source records, measured against the
                   same ground truth as the ladder
s1_columnar        S1's three tables (the contract's "sql" datasets) read by ADBC into Arrow, every declared column
                   cast to text by SQLite, in the order of the first column (as the landing orders them), from the
                   root's SQLite registry opened read-only: nothing else (no archive, no typing, no Parquet)
hrss_api           the simulated HRSS API's own time to serve every page of every period, fetched as the landing
                   fetches them (resources/systems.py `HrssApi.fetch_period`, its configured page size and
                   concurrency), the API started as `make run` starts it (scripts/demo.py `hrss_api`): nothing else
                   (no archive, no parsing, no Parquet)
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import time
from pathlib import Path
from urllib.parse import quote

import adbc_driver_sqlite
import adbc_driver_sqlite.dbapi as adbc_sqlite  # S1's columnar reader (imported before any clock starts)
import duckdb
import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.parquet as pq
from python_calamine import CalamineWorkbook  # what the pipeline reads xlsx with (imported before any clock starts)

from assets.landing.deliveries import discover
from assets.landing.store import PARQUET_OPTIONS
from assets.transform.quality import measure_links
from contracts.sources import DATASETS, Dataset
from contracts.sql import quote_identifier
from resources.settings import LakehouseSettings
from resources.systems import HrssApi

REPO = Path(__file__).resolve().parent.parent


def bare_duckdb(warehouse: Path, dbt_artifacts: Path, work: Path) -> dict:
    """Seconds to run every model the build ran, as plain SQL in one DuckDB process (seeds copied untimed: they are
    no SQL). The models read the lake the build read: bronze, and the rule tables written before dbt ran."""
    manifest = json.loads((dbt_artifacts / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((dbt_artifacts / "run_results.json").read_text(encoding="utf-8"))["results"]
    # completion order is a valid dependency order: dbt starts a node only once its parents have finished
    order = [r["unique_id"] for r in results if r["unique_id"].startswith("model.") and r["status"] == "success"]
    seeds = [n for n in manifest["nodes"].values() if n["resource_type"] == "seed"]
    floor_dir = work / "floor"
    shutil.rmtree(floor_dir, ignore_errors=True)
    floor_dir.mkdir(parents=True)
    # the same file name, so the compiled three-part names ("warehouse"."schema"."table") resolve here
    con = duckdb.connect(str(floor_dir / warehouse.name))
    try:
        # the build's own limit: the floor runs the same SQL under the same memory
        con.execute(f"set memory_limit = '{LakehouseSettings().warehouse_memory}'; "
                    "set preserve_insertion_order = false")
        con.execute(f"attach '{warehouse}' as built (read_only)")
        for seed in seeds:
            schema, table = quote_identifier(seed["schema"]), quote_identifier(seed["alias"])
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {schema}.{table} as select * from built.{schema}.{table}")
        con.execute("detach built")
        per_model = {}
        started = time.perf_counter()
        for uid in order:
            node = manifest["nodes"][uid]
            schema, table = quote_identifier(node["schema"]), quote_identifier(node["alias"])
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            t0 = time.perf_counter()
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create or replace {kind} {schema}.{table} as {node['compiled_code']}")
            per_model[node["name"]] = round(time.perf_counter() - t0, 3)
        seconds = time.perf_counter() - started
    finally:
        con.close()
    shutil.rmtree(floor_dir, ignore_errors=True)
    return {"seconds": round(seconds, 2), "models": len(order), "slowest": dict(sorted(per_model.items(),
                                                                                        key=lambda kv: -kv[1])[:8])}


def csv_deliveries(sources: Path) -> list[tuple[str, Path, str]]:
    """(source, file, encoding) of every CSV delivery the contract declares and the sources root holds."""
    out = []
    for ds in DATASETS:
        if ds.format == "csv":
            out += [(ds.source, path, ds.encoding) for path in discover(sources, ds).values()]
    return out


def pandas_landing(sources: Path, work: Path) -> dict:
    """pandas read_csv -> to_parquet on every CSV delivery: rows, bytes and seconds per source."""
    import pandas as pd

    out_dir = work / "pandas"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    per_source: dict[str, dict] = {}
    try:
        for i, (source, path, encoding) in enumerate(csv_deliveries(sources)):
            t0 = time.perf_counter()
            frame = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
            frame.to_parquet(out_dir / f"{i}.parquet", index=False)
            s = per_source.setdefault(source, {"files": 0, "rows": 0, "bytes": 0, "seconds": 0.0})
            s["files"] += 1
            s["rows"] += len(frame)
            s["bytes"] += path.stat().st_size
            s["seconds"] += time.perf_counter() - t0
            del frame
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    for s in per_source.values():
        s["seconds"] = round(s["seconds"], 2)
    return per_source


ENGINE_FORMATS = ("csv", "jsonl", "xlsx")
# the Parquet the pipeline writes (store.write_parquet_atomically): the floor writes the same
PARQUET = PARQUET_OPTIONS  # written as the landing writes bronze


def file_deliveries(sources: Path) -> list[tuple[Dataset, Path]]:
    """(dataset, file) of every delivery of a file-based dataset that the sources root holds."""
    return [(ds, path) for ds in DATASETS if ds.format in ENGINE_FORMATS for path in discover(sources, ds).values()]


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """LOAD a DuckDB extension if this DuckDB has one, without the network: from its PyPI wheel
    (duckdb-extension-<name>, which DuckDB 1.x has and 2.0 has not) or from the local extension directory."""
    if con.execute("SELECT count(*) FROM duckdb_extensions() WHERE extension_name = $n AND loaded",
                   {"n": name}).fetchone()[0]:
        return True
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            for file in Path(folder).glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"):
                con.execute(f"LOAD '{file.as_posix()}'")
                return True
    try:
        con.execute(f"LOAD {name}")
        return True
    except duckdb.Error:
        return False


# how a GBK delivery reaches DuckDB, whose CSV reader decodes UTF-8 only unless the encodings extension is loaded
GBK_METHODS = {
    "encodings": "read_csv(encoding='gb18030'), encodings extension",
    "transcode": "CPython gb18030 decode to a UTF-8 file, then read_csv",
    "pyarrow": "pyarrow.csv read_csv(encoding='gb18030') to Arrow, then DuckDB",
}


def gbk_read(con: duckdb.DuckDBPyConnection, path: Path, work: Path, method: str) -> tuple[str, dict]:
    """(SELECT, parameters) reading a GBK file by `method` (GBK_METHODS); gb18030, a superset of GBK, as the
    pipeline decodes it (readers.decode)."""
    if method == "encodings":
        if not load_extension(con, "encodings"):
            raise RuntimeError(f"DuckDB {duckdb.__version__} has no encodings extension here")
        return "SELECT * FROM read_csv($path, encoding = 'gb18030')", {"path": str(path)}
    if method == "transcode":
        utf8 = work / f"{path.stem}.utf8.csv"
        utf8.write_bytes(path.read_bytes().decode("gb18030").encode("utf-8"))
        return "SELECT * FROM read_csv($path)", {"path": str(utf8)}
    con.register("gbk_rows", pv.read_csv(path, read_options=pv.ReadOptions(encoding="gb18030")))
    return "SELECT * FROM gbk_rows", {}


def engine_read(con: duckdb.DuckDBPyConnection, ds: Dataset, path: Path, work: Path,
                gbk: str | None = None) -> tuple[str, dict, str]:
    """(SELECT, parameters, method): the engine's plain read of one delivery, every column as the engine reads it
    by default (its own type detection), no typing rules, no quarantine, no archive. Whatever must happen
    before DuckDB can read the file (a GBK decode, an xlsx read outside DuckDB) happens here, inside the timing.
    A GBK file is read by `gbk` (GBK_METHODS), by default pyarrow's: the fastest at 1M, in DuckDB 2.0 and 1.5.5 alike;
    the encodings extension (1.5.5) fails on valid GBK at its 32 MB buffer's edge, and is 20 times slower
    (benchmarks/NOTES.md)."""
    if ds.format == "csv":
        if ds.encoding == "gbk":
            gbk = gbk or "pyarrow"
            select, params = gbk_read(con, path, work, gbk)
            return select, params, GBK_METHODS[gbk]
        return "SELECT * FROM read_csv($path)", {"path": str(path)}, "read_csv"
    if ds.format == "jsonl":
        return "SELECT * FROM read_json($path, format = 'newline_delimited')", {"path": str(path)}, "read_json"
    sheet, first = ds.extra["sheet"], ds.extra["first_data_row"]
    if load_extension(con, "excel"):
        return (f"SELECT * FROM read_xlsx($path, sheet = $sheet, range = 'A{first}:Z1048576', header = false, "
                "stop_at_empty = true, all_varchar = true)", {"path": str(path), "sheet": sheet},
                "read_xlsx, excel extension")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)[first - 1:]
    width = max((len(r) for r in rows), default=0)
    columns = {f"c{i}": pa.array([str(r[i]) if i < len(r) and r[i] != "" else None for r in rows], pa.string())
               for i in range(width)}
    con.register("xlsx_rows", pa.table(columns))
    return "SELECT * FROM xlsx_rows", {}, "python-calamine to Arrow (DuckDB has no xlsx reader here)"


def engine_landing(sources: Path, work: Path, only: set[str] | None = None, gbk: str | None = None) -> dict:
    """Per file-based source: every delivery copied to Parquet by the engine alone (`engine_read`, then COPY ... TO
    parquet with zstd, as the pipeline writes): files, rows, bytes, seconds and how it was read. One in-memory
    database per source, its start and any extension's LOAD timed with the source's first file (the encodings
    extension takes about 1.5 s to load, once per database)."""
    out_dir = work / "engine_landing"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    per_source: dict[str, dict] = {}
    cons: dict[str, duckdb.DuckDBPyConnection] = {}
    try:
        for i, (ds, path) in enumerate(file_deliveries(sources)):
            if only and ds.source not in only:
                continue
            target = out_dir / f"{i}.parquet"
            t0 = time.perf_counter()
            con = cons.get(ds.source) or cons.setdefault(ds.source, duckdb.connect())
            select, params, method = engine_read(con, ds, path, out_dir, gbk)
            con.execute(f"COPY ({select}) TO $target {PARQUET}", {**params, "target": str(target)})
            seconds = time.perf_counter() - t0
            s = per_source.setdefault(ds.source, {"files": 0, "rows": 0, "bytes": 0, "seconds": 0.0, "method": method})
            s["files"] += 1
            s["rows"] += pq.ParquetFile(target).metadata.num_rows
            s["bytes"] += path.stat().st_size
            s["seconds"] += seconds
            for f in out_dir.iterdir():
                f.unlink()
    finally:
        for con in cons.values():
            con.close()
        shutil.rmtree(out_dir, ignore_errors=True)
    for s in per_source.values():
        s["seconds"] = round(s["seconds"], 3)  # a small source's floor is a few milliseconds
    return per_source


NAIVE = """
create temp table naive_links as
with registry as (
    select uscc, min(pripid) as pripid from staging.stg_samr__entities
    where uscc is not null group by uscc having count(*) = 1
)
select 'samr' as source_system, pripid as source_record_key, pripid from staging.stg_samr__entities
union all
select r.source_system, r.source_record_key, g.pripid
from resolution.int_source_records r join registry g on r.code = g.uscc
where r.source_system <> 'samr'
"""

def naive_resolution(warehouse: Path, truth: Path, source_records_seconds: float) -> dict:
    """Exact normalized USCC only, over the same normalized source records (int_source_records, whose build time
    from the same run is counted in): seconds, and precision/recall per source against the ground truth."""
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("set enable_progress_bar = false")
    try:
        t0 = time.perf_counter()
        con.execute(NAIVE)
        seconds = time.perf_counter() - t0 + source_records_seconds
        quality = measure_links(con, truth, "select * from naive_links") if truth.exists() else []
    finally:
        con.close()
    return {"seconds": round(seconds, 2), "quality": quality}


AMBIGUITY = """
with shared_names as (
    select name_key from staging.stg_samr__entities where name_key is not null group by 1 having count(*) > 1
),
cores as (
    select e.pripid, c.core_key from staging.stg_samr__entities e join resolution.int_name_cores c using (name_key)
),
shared_cores as (select core_key from cores where core_key is not null group by 1 having count(*) > 1),
missed as (
    select s.source_system, s.name_key, c.core_key
    from read_parquet($truth) t
    join marts.xref_source_record x using (source_system, source_record_key)
    join resolution.int_source_records s using (source_system, source_record_key)
    left join resolution.int_name_cores c on c.name_key = s.name_key
    where t.pripid is not null and x.enterprise_code is null
)
select count(*) as missed,
    count(*) filter (where name_key in (select name_key from shared_names)
                        or core_key in (select core_key from shared_cores)
                        or name_key in (select core_key from shared_cores)) as name_shared_in_registry,
    (select count(*) from shared_names) as registry_names_shared,
    (select count(*) from shared_cores) as registry_cores_shared
from missed
"""


def name_ambiguity(warehouse: Path, truth: Path) -> dict:
    """Why recall falls as N grows: of the truly local records left unlinked, how many carry a name (or name core)
    that several registry entities share, so that no name rule can tell which one is meant."""
    if not truth.exists():
        return {}
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("set enable_progress_bar = false")
    try:
        cursor = con.execute(AMBIGUITY, {"truth": str(truth)})
        return dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    finally:
        con.close()


SQL_DATASETS = [ds for ds in DATASETS if ds.format == "sql"]


def s1_text_query(ds: Dataset) -> str:
    """The dataset's declared columns cast to text by SQLite, in the order of its first column."""
    cols = ", ".join(f"CAST({quote_identifier(f.source)} AS TEXT) AS {quote_identifier(f.source)}" for f in ds.fields)
    return f"SELECT {cols} FROM {quote_identifier(ds.table)} ORDER BY {quote_identifier(ds.fields[0].source)}"


def s1_columnar(sources: Path) -> dict:
    """Seconds to read S1's tables (the root's SQLite registry, <root>/samr/samr.db, opened read-only: never
    written, never created) by ADBC into Arrow as text: per table rows and seconds, and the total. The connection is
    opened inside the timing (the landing opens one too); the driver reads the whole result as one batch, as the
    landing sets it (resources/systems.py), so that a column NULL in its first rows is read as text."""
    db = sources / "samr" / "samr.db"
    if not db.is_file():
        raise FileNotFoundError(f"no S1 registry at {db}")
    uri = f"file:{quote(db.resolve().as_posix())}?mode=ro"
    per_table: dict[str, dict] = {}
    started = time.perf_counter()
    with adbc_sqlite.connect(uri) as con:
        for ds in SQL_DATASETS:
            t0 = time.perf_counter()
            with con.cursor() as cur:
                cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(1 << 30)})
                cur.execute(s1_text_query(ds))
                table = cur.fetch_arrow_table()
            per_table[ds.table] = {"rows": table.num_rows, "columns": table.num_columns,
                                   "seconds": round(time.perf_counter() - t0, 3)}
            del table
    seconds = time.perf_counter() - started
    return {"method": f"adbc-driver-sqlite {adbc_driver_sqlite.__version__}: CAST(... AS TEXT), ORDER BY the first "
                      "column, fetch_arrow_table", "per_table": per_table,
            "rows": sum(t["rows"] for t in per_table.values()), "seconds": round(seconds, 3)}


HRSS_ENV = ("HRSS_API_BASE_URL", "HRSS_API_TOKEN")


def _demo():
    """scripts/demo.py as a module (it is a script, not a package member): its `hrss_api` starts the simulated API
    as `make run` does."""
    spec = importlib.util.spec_from_file_location("lakehouse_demo_script", REPO / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hrss_api(sources: Path) -> dict:
    """Seconds the simulated HRSS API takes to serve every page of every period it lists, fetched by
    `HrssApi.fetch_period` with the configuration the pipeline gives it (pipelines/definitions.py sets only the URL
    and token: page size and concurrency are the resource's defaults). The API is started as `make run` starts it,
    its start-up and the list of periods untimed (the landing step does neither); each period's pages are counted
    after its clock stops, then dropped. The benchmark's own HRSS settings are set aside meanwhile: a configured API
    is not the simulated one."""
    saved = {k: os.environ.pop(k) for k in HRSS_ENV if k in os.environ}
    per_period: dict[str, dict] = {}
    try:
        with _demo().hrss_api(sources) as (base, _kind):
            api = HrssApi(base_url=base, token=os.environ["HRSS_API_TOKEN"])
            for period in api.periods():
                t0 = time.perf_counter()
                pages = api.fetch_period(period)
                seconds = time.perf_counter() - t0
                if pages is None:
                    continue
                per_period[period] = {"pages": len(pages), "bytes": sum(map(len, pages)),
                                      "records": int(json.loads(pages[0])["total"]), "seconds": round(seconds, 3)}
                del pages
    finally:
        for k in HRSS_ENV:
            os.environ.pop(k, None)
        os.environ.update(saved)
    seconds = sum(p["seconds"] for p in per_period.values())
    return {"page_size": api.page_size, "concurrency": api.concurrency, "periods": len(per_period),
            "pages": sum(p["pages"] for p in per_period.values()),
            "records": sum(p["records"] for p in per_period.values()),
            "bytes": sum(p["bytes"] for p in per_period.values()), "seconds": round(seconds, 3),
            "per_period": per_period}
