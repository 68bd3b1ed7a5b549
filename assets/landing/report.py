"""What a landing asset reports, built from its landing results: log lines, the materialization's metadata and the
check results.

Pure functions (no run context): the asset lands, then yields what these return; tests/landing/test_builders.py
tests them on real landings of small files.
"""
from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.metadata import markdown_table
from contracts.sources import DATASETS, Dataset
from resources.lake import Lake

from .land import LandingResult, bronze_dir

CONSERVATION_CHECK = "rows_conserved"
RECOGNISED_CHECK = "files_recognised"
NO_REGISTRY = ("no S1 registry (SAMR_DB_URL is not set and the sources root has no samr/samr.db): the 企业码 "
               "resolution needs the registry; the other sources land")


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


def delivery_line(ds: Dataset, r: LandingResult) -> str:
    return f"{ds.asset_name} {r.partition}: " + (
        f"{r.rows_in} in, {r.rows_loaded} loaded, {r.rows_quarantined} quarantined from {r.source}"
        if r.delivered else "no delivery")


def registry_absent(ds: Dataset, results: list[LandingResult]) -> str | None:
    """Why an S1 table landed nothing: no registry in this root (the asset says so; it does not fail)."""
    return NO_REGISTRY if ds.format == "sql" and not any(r.delivered for r in results) else None


def unknown_columns(results: list[LandingResult]) -> list[str]:
    return sorted({c for r in results if r.delivered for c in r.unknown_columns})


def quarantine_reasons(results: list[LandingResult]) -> dict[str, int]:
    """The top reasons of every delivery, summed (each delivery records its ten most frequent)."""
    reasons: dict[str, int] = {}
    for r in results:
        if r.delivered:
            for k, v in r.quarantine_reasons.items():
                reasons[k] = reasons.get(k, 0) + v
    return reasons


def landing_metadata(ds: Dataset, results: list[LandingResult], lake: Lake) -> dict:
    """Totals over the delivered partitions, one line per partition, and, for a single delivery, its source and a
    preview."""
    delivered = [r for r in results if r.delivered]
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
        "bronze_path": dg.MetadataValue.path(lake.uri(bronze_dir(ds))),
    }
    if absent := registry_absent(ds, results):
        metadata["registry"] = absent
    if single:
        metadata["source"] = (dg.MetadataValue.url(single.source) if single.source.startswith("http")
                              else dg.MetadataValue.text(single.source))
        metadata["delivery_sha256"] = single.sha256
        metadata["preview"] = dg.MetadataValue.md(markdown_table(single.preview))
    if unknown := unknown_columns(results):
        metadata["unknown_columns"] = ", ".join(unknown)
    if reasons := quarantine_reasons(results):
        metadata["quarantine_reasons"] = dg.MetadataValue.json(reasons)
    return metadata


def conservation_result(ok: bool, rows: list[dict]) -> dg.AssetCheckResult:
    """`rows`: one per delivery, as `assets.landing.assets.conservation` counts them on disk."""
    return dg.AssetCheckResult(check_name=CONSERVATION_CHECK, passed=ok, severity=dg.AssetCheckSeverity.ERROR,
                               metadata={"deliveries": dg.MetadataValue.md(markdown_table(rows)),
                                         "deliveries_checked": len(rows)})


def own_unrecognised(unrecognised: list[tuple[str, str]], ds: Dataset) -> list[tuple[str, str]]:
    """The unrecognised entries of the sources root (path, why) that this dataset's check names: those of its source
    folder (on the source's first dataset), and the root's own (on the first dataset of all)."""
    return [(path, why) for path, why in unrecognised
            if path.split("/")[0] == ds.source and ds is next(d for d in DATASETS if d.source == ds.source)
            or "/" not in path and ds is DATASETS[0]]


def recognised_result(own: list[tuple[str, str]], sources: Path) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=RECOGNISED_CHECK, passed=not own, severity=dg.AssetCheckSeverity.WARN,
        metadata={"unrecognised": dg.MetadataValue.md(markdown_table([{"path": p, "why": w} for p, w in own])
                                                      if own else "none"), "sources_root": str(sources)},
        description="; ".join(f"{p}: {w}" for p, w in own)[:1000] if own else "every file is a delivery")
