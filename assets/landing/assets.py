"""Landing assets (group `landing`): one per declared dataset, built from its declaration.

Each asset lands the deliveries of its partitions into `lake/bronze/<source>/<dataset>/` and
`lake/quarantine/<source>/<dataset>/`, and checks, from the files on disk, that every delivery's
rows in = rows loaded + rows quarantined.
"""
from __future__ import annotations

import io
import json
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from assets.metadata import markdown_table
from contracts.sources import DATASETS, Dataset
from resources.systems import SourceUnavailable

from . import readers, store
from .deliveries import SNAPSHOT, delivery_path, partitions_def, unrecognised_files
from .land import LandingResult, bronze_dir, delivery_record_path, ensure_schema_file, land, quarantine_dir

# single-run backfills (one run lands a range of months) are marked beta; their behaviour is what we want
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")

CONSERVATION_CHECK = "rows_conserved"
RECOGNISED_CHECK = "files_recognised"
OWNERS = ["team:data-engineering"]
READERS = {"csv": readers.read_csv, "xlsx": readers.read_xlsx, "jsonl": readers.read_jsonl}
FORMAT_KINDS = {"sql": "sql", "csv": "csv", "xlsx": "excel", "jsonl": "json", "api": "api"}


def asset_key(ds: Dataset) -> dg.AssetKey:
    return dg.AssetKey(["bronze", ds.source, ds.name])


def column_schema(ds: Dataset) -> dg.TableSchema:
    cols = [dg.TableColumn(f.name, f.duckdb_type, description=" ".join(filter(None, [
        f"source column {f.source}", f"unit {f.unit}" if f.unit else "", "required" if f.required else "",
        "personal data" if f.pii else "", f.doc]))) for f in ds.fields]
    cols += [dg.TableColumn("_source_file", "VARCHAR", description="delivery file (or table, or API URL)"),
             dg.TableColumn("_source_row", "BIGINT", description="line number in the file / record number"),
             dg.TableColumn("_delivery_sha256", "VARCHAR", description="SHA-256 of the delivery (lake/raw/)"),
             dg.TableColumn("_loaded_at", "TIMESTAMP", description="when the delivery was landed (UTC)"),
             dg.TableColumn("_delivery_partition", "VARCHAR", description="the delivery's partition (its month or "
                                                                           "year, or snapshot); a row's own period "
                                                                           "may be earlier (a late filing)")]
    return dg.TableSchema(columns=cols)


def _fail(message: str, ds: Dataset, partition: str) -> dg.Failure:
    return dg.Failure(description=message, metadata={"dataset": ds.asset_name, "partition": partition,
                                                     "problem": message})


def fetch_file(settings, ds: Dataset, partition: str) -> tuple[readers.RawDelivery, str, str] | None:
    path = delivery_path(settings.sources_path, ds, partition)
    if not path.is_file():
        return None
    stat = path.stat()
    data = path.read_bytes()
    digest, _ = store.archive(settings.lake_path / "raw", data, path.suffix)
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
    raw = pa.Table.from_batches(batches, schema=pa.schema([(c, pa.string()) for c in columns]))
    required_missing = [f.source for f in ds.required if f.source in missing]
    if required_missing:
        raise SourceUnavailable(f"S1 database {samr.redacted_url}: table {ds.table} lacks required column(s) "
                                f"{required_missing}; expected {columns}")
    buf = io.BytesIO()
    pq.write_table(raw, buf, compression="zstd")  # the extract as it came, kept in the raw archive
    digest, _ = store.archive(settings.lake_path / "raw", buf.getvalue(), ".parquet")
    table = pa.table({"_source_row": pa.array(range(1, raw.num_rows + 1), pa.int64()),
                      **{f.name: raw.column(f.source) for f in ds.fields}})
    delivery = readers.RawDelivery(table, missing_optional_columns=[c for c in missing if c not in required_missing])
    return delivery, f"{samr.redacted_url}#{ds.table}", digest


def fetch_api(hrss, settings, partition: str) -> tuple[readers.RawDelivery, str, str] | None:
    pages = hrss.fetch_period(partition)
    if pages is None:
        return None
    digest, _ = store.archive(settings.lake_path / "raw", b"\n".join(pages), ".jsonl")
    con = duckdb.connect()
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
    settings = context.resources.settings
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
            results.append(land(ds, partition, raw, source, digest, settings.lake_path, file_stat=raw.file_stat))
            del raw, fetched
    return results


def conservation(lake: Path, ds: Dataset, partitions: list[str]) -> tuple[bool, list[dict]]:
    """From the files on disk: rows in (recorded at landing) = bronze rows + quarantine rows, per delivery."""
    rows = []
    for p in partitions:
        record = delivery_record_path(lake, ds, p)
        if not record.exists():
            continue
        rows_in = json.loads(record.read_text(encoding="utf-8"))["rows_in"]
        loaded = store.parquet_rows(store.partition_file(bronze_dir(lake, ds), p))
        quarantined = store.parquet_rows(store.partition_file(quarantine_dir(lake, ds), p))
        rows.append({"partition": p, "rows_in": rows_in, "loaded": loaded, "quarantined": quarantined,
                     "conserved": rows_in == loaded + quarantined})
    return all(r["conserved"] for r in rows), rows


def recognised_check(sources: Path, ds: Dataset, log) -> dg.AssetCheckResult:
    """A warning naming every file of the dataset's source folder that no delivery pattern takes (and, on the
    first dataset, every unknown entry of the root): never silently ignored."""
    own = [(path, why) for path, why in unrecognised_files(sources)
           if path.split("/")[0] == ds.source and ds is next(d for d in DATASETS if d.source == ds.source)
           or "/" not in path and ds is DATASETS[0]]
    for path, why in own:
        log.warning(f"{sources / path}: {why}")
    return dg.AssetCheckResult(
        check_name=RECOGNISED_CHECK, passed=not own, severity=dg.AssetCheckSeverity.WARN,
        metadata={"unrecognised": dg.MetadataValue.md(markdown_table([{"path": p, "why": w} for p, w in own])
                                                      if own else "none"), "sources_root": str(sources)},
        description="; ".join(f"{p}: {w}" for p, w in own)[:1000] if own else "every file is a delivery")


def build_landing_asset(ds: Dataset) -> dg.AssetsDefinition:
    key = asset_key(ds)
    resources = {"settings"} | ({"samr"} if ds.format == "sql" else set()) | ({"hrss"} if ds.format == "api" else set())
    pdef = partitions_def(ds)

    @dg.asset(
        key=key,
        group_name="landing",
        description=f"{ds.title}. Landed as delivered (units of the source), typed per the declaration in "
                    f"contracts/sources.py; rows that cannot be typed go to lake/quarantine/{ds.source}/"
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
                                                   "counted in the Parquet files on disk"),
                     dg.AssetCheckSpec(RECOGNISED_CHECK, asset=key,
                                       description=f"warns of every file in {ds.source}/ that is no delivery of the "
                                                   f"contract (an unknown name, an impossible period)" + (
                                                       " and of unknown entries at the root" if ds is DATASETS[0]
                                                       else ""))],
    )
    def _landing(context):  # (no annotation: a nested function under postponed annotations)
        partitions = list(context.partition_keys) if pdef else [SNAPSHOT]
        ensure_schema_file(context.resources.settings.lake_path, ds)
        results = land_partitions(context, ds, partitions)
        delivered = [r for r in results if r.delivered]
        for r in results:
            context.log.info(f"{ds.asset_name} {r.partition}: " + (
                f"{r.rows_in} in, {r.rows_loaded} loaded, {r.rows_quarantined} quarantined from {r.source}"
                if r.delivered else "no delivery"))
        absent = None
        if ds.format == "sql" and not delivered:
            absent = ("no S1 registry (SAMR_DB_URL is not set and the sources root has no samr/samr.db): the 企业码 "
                      "resolution needs the registry; the other sources land")
            context.log.warning(f"{ds.asset_name}: {absent}")
        single = delivered[0] if len(delivered) == 1 else None
        metadata = {
            "rows_in": sum(r.rows_in for r in delivered),
            "rows_loaded": sum(r.rows_loaded for r in delivered),
            "rows_quarantined": sum(r.rows_quarantined for r in delivered),
            "dagster/row_count": sum(r.rows_loaded for r in delivered),
            "deliveries": dg.MetadataValue.md(markdown_table([
                {"partition": r.partition, "source": r.source or "no delivery", "sha256": (r.sha256 or "")[:16],
                 "in": r.rows_in, "loaded": r.rows_loaded, "quarantined": r.rows_quarantined,
                 "unknown columns": ", ".join(r.unknown_columns)} for r in results])),
            "dagster/column_schema": column_schema(ds),
            "bronze_path": dg.MetadataValue.path(str(bronze_dir(context.resources.settings.lake_path, ds))),
        }
        if absent:
            metadata["registry"] = absent
        if single:
            metadata["source"] = (dg.MetadataValue.url(single.source) if single.source.startswith("http")
                                  else dg.MetadataValue.text(single.source))
            metadata["delivery_sha256"] = single.sha256
            metadata["preview"] = dg.MetadataValue.md(markdown_table(single.preview))
        unknown = sorted({c for r in delivered for c in r.unknown_columns})
        if unknown:
            metadata["unknown_columns"] = ", ".join(unknown)
            context.log.warning(f"{ds.asset_name}: unknown column(s) {unknown} loaded around, not into, bronze")
        reasons: dict[str, int] = {}
        for r in delivered:
            for k, v in r.quarantine_reasons.items():
                reasons[k] = reasons.get(k, 0) + v
        if reasons:
            metadata["quarantine_reasons"] = dg.MetadataValue.json(reasons)
        yield dg.MaterializeResult(metadata=metadata)
        ok, rows = conservation(context.resources.settings.lake_path, ds, [r.partition for r in delivered])
        yield dg.AssetCheckResult(check_name=CONSERVATION_CHECK, passed=ok, severity=dg.AssetCheckSeverity.ERROR,
                                  metadata={"deliveries": dg.MetadataValue.md(markdown_table(rows)),
                                            "deliveries_checked": len(rows)})
        yield recognised_check(context.resources.settings.sources_path, ds, context.log)

    return _landing


LANDING_ASSETS = [build_landing_asset(ds) for ds in DATASETS]
FILE_DATASETS = [ds for ds in DATASETS if ds.format in READERS]  # those delivered as files in the sources root
