"""What the staging step reports, built from what it found: the staged extract's metadata and the four gate results.

Pure functions (no run context, no instance): `staged_extracts` gathers the facts and yields what these return, and
tests/publish/test_builders.py tests them on real small files.
"""
from __future__ import annotations

from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq

from assets.metadata import markdown_table
from contracts.published import Published
from contracts.sql import path_literal, qualified_name, quote_identifier

from .pii import Finding, markdown

GX_CHECK = "great_expectations"
PII_CHECK = "no_personal_data"
UPSTREAM_CHECK = "upstream_checks_passed"
COMPLETE_CHECK = "deliveries_complete"
GATES = (GX_CHECK, PII_CHECK, UPSTREAM_CHECK, COMPLETE_CHECK)
WAREHOUSE = "warehouse"  # the build warehouse, attached read-only under this name


def attach_sql(warehouse: Path) -> str:
    """The build warehouse, read-only, as WAREHOUSE (ATTACH takes no bound path before DuckDB 2.0)."""
    return f"attach {path_literal(warehouse)} as {quote_identifier(WAREHOUSE)} (read_only)"


def select_sql(p: Published) -> str:
    """The extract of a published dataset: its declared columns (all when none are declared) of its mart."""
    columns = ", ".join(quote_identifier(c) for c in p.columns) if p.columns else "*"
    return f"select {columns} from {qualified_name(WAREHOUSE, *p.mart.split('.', 1))}"


def gap_name(gap: dict) -> str:
    return f"{gap['dataset']}:{gap['partition']}"


def split_gaps(gaps: list[dict], accept: list[str]) -> tuple[list[dict], list[dict]]:
    """(accepted, blocking): an operator accepts a gap by its name (`tax_returns:2025-03`) or by its delivery."""
    accepted = [g for g in gaps if gap_name(g) in accept or g["delivery"] in accept]
    return accepted, [g for g in gaps if g not in accepted]


def preview(path: Path, rows: int = 5) -> dg.MetadataValue:
    parquet = pq.ParquetFile(path)
    sample = parquet.read_row_group(0).slice(0, rows).to_pylist() if parquet.num_row_groups else []
    return dg.MetadataValue.md(markdown_table(sample, max_columns=12, max_width=40))


def table_schema(manifest: dict) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(c["name"], c["type"]) for c in manifest["schema"]])


def staged_metadata(version: str, folder: Path, manifest: dict) -> dict:
    return {"version": version, "dagster/row_count": manifest["row_count"],
            "path": dg.MetadataValue.path(str(folder)), "dagster/column_schema": table_schema(manifest),
            "preview": preview(folder / manifest["files"][0]["path"])}


def gx_result(key: dg.AssetKey, outcome, bounds: dict, previous: dict | None) -> dg.AssetCheckResult:
    """The dataset's GX suite (`outcome`: a data_quality.validate.Outcome), run against row-count `bounds` derived
    from the `previous` (current) version's manifest."""
    metadata = {"expectations": outcome.evaluated, "failed": len(outcome.failures),
                "row_count_bounds": dg.MetadataValue.json(bounds),
                "previous_version": previous["version"] if previous else "none"}
    if outcome.docs_url:
        metadata["data_docs"] = dg.MetadataValue.url(outcome.docs_url)
    if outcome.failures:
        metadata["failures"] = dg.MetadataValue.md(markdown_table(
            [{"expectation": f["expectation"], "column": f["column"], "observed": f["observed"],
              "sample": ", ".join(map(str, f["sample"]))} for f in outcome.failures], max_width=200))
    return dg.AssetCheckResult(asset_key=key, check_name=GX_CHECK, passed=outcome.success,
                               severity=dg.AssetCheckSeverity.ERROR, metadata=metadata,
                               description=outcome.summary()[:1000])


def pii_result(key: dg.AssetKey, findings: list[Finding], files_scanned: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=key, check_name=PII_CHECK, passed=not findings, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"files_scanned": files_scanned,
                  "findings": dg.MetadataValue.md(markdown(findings) if findings else "none")},
        description=(f"{len(findings)} finding(s): " + "; ".join(f.summary for f in findings))[:1000]
        if findings else "no personal data found")


def upstream_result(key: dg.AssetKey, dbt_checked: int, dbt_failed: list[str],
                    not_conserved: list[str]) -> dg.AssetCheckResult:
    """Every error-severity dbt test passed (`dbt_failed` names those that did not, of `dbt_checked`) and every landed
    delivery conserved its rows (`not_conserved` names those that did not)."""
    failed = dbt_failed + not_conserved
    return dg.AssetCheckResult(
        asset_key=key, check_name=UPSTREAM_CHECK, passed=not failed, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"dbt_tests_checked": dbt_checked, "dbt_tests_failed": len(dbt_failed),
                  "deliveries_not_conserved": len(not_conserved),
                  "failures": dg.MetadataValue.md("\n".join(f"- {f}" for f in failed) or "none")},
        description=("failed upstream: " + "; ".join(failed))[:1000] if failed
        else f"{dbt_checked} dbt tests and every landed delivery passed")


def complete_result(key: dg.AssetKey, sources_root: Path, blocking: list[dict],
                    accepted: list[dict]) -> dg.AssetCheckResult:
    """Every delivery in the sources root has landed, but for the gaps an operator `accepted`."""
    return dg.AssetCheckResult(
        asset_key=key, check_name=COMPLETE_CHECK, passed=not blocking, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"sources_root": str(sources_root), "gaps": len(blocking),
                  "accepted_gaps": dg.MetadataValue.md(markdown_table(accepted) if accepted else "none"),
                  "missing": dg.MetadataValue.md(markdown_table(blocking) if blocking else "none")},
        description=("not landed: " + "; ".join(f"{gap_name(g)} ({g['delivery']}): {g['problem']}"
                                                for g in blocking))[:1000] if blocking
        else "every delivery in the sources root has landed" + (
            f" ({len(accepted)} gap(s) accepted by the operator)" if accepted else ""))
