"""Landing assets (group `landing`): one per declared dataset, built from its declaration.

Each asset lands the deliveries of its partitions into `bronze/<source>/<dataset>/` and
`quarantine/<source>/<dataset>/` of the lake (a folder or an object store: resources/lake.py), and checks, from the
files in the lake, that every delivery's rows in = rows loaded + rows quarantined.
"""
from __future__ import annotations

import io
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq

from contracts.sources import DATASETS, Dataset
from resources.lake import Lake
from resources.systems import SourceUnavailable

from . import readers, report, store
from .deliveries import SNAPSHOT, delivery_path, partitions_def, unrecognised_files
from .land import LandingResult, bronze_dir, delivery_record_path, ensure_schema_file, land, quarantine_dir
from .report import CONSERVATION_CHECK, RECOGNISED_CHECK, column_schema

# single-run backfills (one run lands a range of months) are marked beta; their behaviour is what we want
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")

OWNERS = ["team:data-engineering"]
READERS = {"csv": readers.read_csv, "xlsx": readers.read_xlsx, "jsonl": readers.read_jsonl}
FORMAT_KINDS = {"sql": "sql", "csv": "csv", "xlsx": "excel", "jsonl": "json", "api": "api"}


def asset_key(ds: Dataset) -> dg.AssetKey:
    return dg.AssetKey(["bronze", ds.source, ds.name])


def _fail(message: str, ds: Dataset, partition: str) -> dg.Failure:
    return dg.Failure(description=message, metadata={"dataset": ds.asset_name, "partition": partition,
                                                     "problem": message})


def fetch_file(settings, ds: Dataset, partition: str) -> tuple[readers.RawDelivery, str, str] | None:
    path = delivery_path(settings.sources_path, ds, partition)
    if not path.is_file():
        return None
    stat = path.stat()
    data = path.read_bytes()
    digest, _ = store.archive(settings.lake, data, path.suffix)
    raw = READERS[ds.format](path, ds, data)
    # the completeness gate compares these with the file still in the root: a changed file has not landed
    raw.file_stat = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    return raw, str(path.relative_to(settings.sources_path)), digest


def fetch_sql(samr, settings, ds: Dataset) -> tuple[readers.RawDelivery, str, str] | None:
    if samr.resolved_url is None:
        return None  # no registry in this root: the asset says so, the rest of the sources land
    columns = [f.source for f in ds.fields]
    batches, missing = [], []
    for batch, batch_missing in samr.read_table_as_text(ds.table, columns, order_by=[ds.fields[0].source]):
        batches.append(batch)
        missing = batch_missing
    # one chunk per column: the Parquet bytes, and so the hash, depend on the rows alone, not on the reader's batches
    raw = pa.Table.from_batches(batches, schema=pa.schema([(c, pa.string()) for c in columns])).combine_chunks()
    del batches
    required_missing = [f.source for f in ds.required if f.source in missing]
    if required_missing:
        raise SourceUnavailable(f"S1 database {samr.redacted_url}: table {ds.table} lacks required column(s) "
                                f"{required_missing}; expected {columns}")
    buf = io.BytesIO()
    pq.write_table(raw, buf, compression="zstd")  # the extract as it came, kept in the raw archive
    digest, _ = store.archive(settings.lake, buf.getvalue(), ".parquet")
    table = pa.table({"_source_row": pa.array(range(1, raw.num_rows + 1), pa.int64()),
                      **{f.name: raw.column(f.source) for f in ds.fields}})
    delivery = readers.RawDelivery(table, missing_optional_columns=[c for c in missing if c not in required_missing])
    return delivery, f"{samr.redacted_url}#{ds.table}", digest


def fetch_api(hrss, settings, partition: str) -> tuple[readers.RawDelivery, str, str] | None:
    pages = hrss.fetch_period(partition)
    if pages is None:
        return None
    digest, _ = store.archive(settings.lake, b"\n".join(pages), ".jsonl")
    con = settings.connect()  # a province's period is gigabytes of JSON
    con.register("pages", pa.table({"page": pa.array(range(len(pages)), pa.int64()),
                                    "body": pa.array([p.decode("utf-8") for p in pages], pa.string())}))
    lines = con.sql("SELECT CAST(row_number() OVER (ORDER BY page, i) AS BIGINT) AS _source_row, "
                    "CAST(rec AS VARCHAR) AS _line FROM (SELECT page, unnest(json_extract(body, '$.data[*]')) AS rec, "
                    "unnest(generate_series(1, CAST(json_array_length(body, '$.data') AS BIGINT))) AS i "
                    "FROM pages) ORDER BY page, i").to_arrow_table()
    con.close()
    return readers.RawDelivery(lines), f"{hrss.base_url.rstrip('/')}/api/v1/employers?period={partition}", digest


def fetch_partition(context, ds: Dataset, partition: str):
    """Read one delivery (file, table or API period) into raw text columns, archiving its bytes."""
    settings = context.resources.settings
    try:
        if ds.format == "sql":
            return fetch_sql(context.resources.samr, settings, ds)
        if ds.format == "api":
            return fetch_api(context.resources.hrss, settings, partition)
        return fetch_file(settings, ds, partition)
    except (readers.LandingError, SourceUnavailable) as e:
        raise _fail(str(e), ds, partition) from None


def land_partitions(context, ds: Dataset, partitions: list[str]) -> list[LandingResult]:
    """Land the partitions in order. The next delivery is read while the current one is typed and written, so
    the parsing (or the API's latency) overlaps DuckDB's work; a failure stops at its own partition."""
    lake = context.resources.settings.lake
    spill = context.resources.settings.spill_path  # a province's deliveries spill into the home, not the cwd
    results = []
    with ThreadPoolExecutor(max_workers=1) as reader:
        upcoming = reader.submit(fetch_partition, context, ds, partitions[0]) if partitions else None
        for i, partition in enumerate(partitions):
            fetched = upcoming.result()
            upcoming = (reader.submit(fetch_partition, context, ds, partitions[i + 1])
                        if i + 1 < len(partitions) else None)
            if fetched is None:
                results.append(LandingResult(ds.asset_name, partition, "", None, delivered=False))
                continue
            raw, source, digest = fetched
            results.append(land(ds, partition, raw, source, digest, lake, spill=spill, file_stat=raw.file_stat))
            del raw, fetched
    return results


def conservation(lake: Lake, ds: Dataset, partitions: list[str]) -> tuple[bool, list[dict]]:
    """From the files in the lake: rows in (recorded at landing) = bronze rows + quarantine rows, per delivery."""
    rows = []
    for p in partitions:
        record = delivery_record_path(ds, p)
        if not lake.exists(record):
            continue
        rows_in = lake.read_json(record)["rows_in"]
        loaded = lake.parquet_rows(store.partition_file(bronze_dir(ds), p))
        quarantined = lake.parquet_rows(store.partition_file(quarantine_dir(ds), p))
        rows.append({"partition": p, "rows_in": rows_in, "loaded": loaded, "quarantined": quarantined,
                     "conserved": rows_in == loaded + quarantined})
    return all(r["conserved"] for r in rows), rows


def recognised_check(sources: Path, ds: Dataset, log) -> dg.AssetCheckResult:
    """A warning naming every file of the dataset's source folder that no delivery pattern takes (and, on the
    first dataset, every unknown entry of the root): never silently ignored."""
    own = report.own_unrecognised(unrecognised_files(sources), ds)
    for path, why in own:
        log.warning(f"{sources / path}: {why}")
    return report.recognised_result(own, sources)


def build_landing_asset(ds: Dataset) -> dg.AssetsDefinition:
    key = asset_key(ds)
    resources = {"settings"} | ({"samr"} if ds.format == "sql" else set()) | ({"hrss"} if ds.format == "api" else set())
    pdef = partitions_def(ds)

    @dg.asset(
        key=key,
        group_name="landing",
        description=f"{ds.title}. Landed as delivered (units of the source), typed per the declaration in "
                    f"contracts/sources.py; rows that cannot be typed go to the lake's quarantine/{ds.source}/"
                    f"{ds.name}/. Grain: one row per source record of each {ds.partitioning} delivery; "
                    f"source record key: {' + '.join(ds.key)}.",
        kinds={"parquet", FORMAT_KINDS[ds.format]},
        owners=OWNERS,
        tags={"layer": "landing", "source_system": ds.source},
        partitions_def=pdef,
        backfill_policy=dg.BackfillPolicy.single_run() if pdef else None,
        required_resource_keys=resources,
        metadata={"dagster/column_schema": column_schema(ds), "source_system": ds.source,
                  "partitioning": ds.partitioning},
        check_specs=[dg.AssetCheckSpec(CONSERVATION_CHECK, asset=key, blocking=True,
                                       description="every delivery: rows in = rows loaded + rows quarantined, "
                                                   "counted in the Parquet files in the lake"),
                     dg.AssetCheckSpec(RECOGNISED_CHECK, asset=key,
                                       description=f"warns of every file in {ds.source}/ that is no delivery of the "
                                                   f"contract (an unknown name, an impossible period)" + (
                                                       " and of unknown entries at the root" if ds is DATASETS[0]
                                                       else ""))],
    )
    def _landing(context):  # (no annotation: a nested function under postponed annotations)
        lake = context.resources.settings.lake
        ensure_schema_file(lake, ds)
        results = land_partitions(context, ds, list(context.partition_keys) if pdef else [SNAPSHOT])
        for r in results:
            context.log.info(report.delivery_line(ds, r))
        if absent := report.registry_absent(ds, results):
            context.log.warning(f"{ds.asset_name}: {absent}")
        if unknown := report.unknown_columns(results):
            context.log.warning(f"{ds.asset_name}: unknown column(s) {unknown} loaded around, not into, bronze")
        yield dg.MaterializeResult(metadata=report.landing_metadata(ds, results, lake))
        yield report.conservation_result(*conservation(lake, ds, [r.partition for r in results if r.delivered]))
        yield recognised_check(context.resources.settings.sources_path, ds, context.log)

    return _landing


LANDING_ASSETS = [build_landing_asset(ds) for ds in DATASETS]
FILE_DATASETS = [ds for ds in DATASETS if ds.format in READERS]  # those delivered as files in the sources root
