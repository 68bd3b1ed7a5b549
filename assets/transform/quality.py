"""Resolution quality measured against ground truth, where a sources root carries one.

The simulator writes `_truth/source_records.parquet` (the S1 entity each source record truly belongs to). The
pipeline never uses it to link anything; this check only measures the links, as precision and recall per source.
A sources root without ground truth (a real department's) passes with a note.
"""
from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

XREF = dg.AssetKey(["marts", "xref_source_record"])
QUALITY_CHECK = "links_match_ground_truth"
PRECISION_FLOOR = 0.995
RECALL_FLOOR = 0.97

# the links of the ladder, as (source_system, source_record_key, pripid)
XREF_LINKS = """
select x.source_system, x.source_record_key, c.pripid
from marts.xref_source_record x
left join resolution.int_enterprise_codes c using (enterprise_code)
"""

MEASURE = """
with x as ({links}),
t as (select * from read_parquet($truth)),
j as (
    select t.source_system, t.pripid as truth, x.pripid as got
    from t left join x using (source_system, source_record_key)
)
select coalesce(source_system, 'all') as source_system,
    count(*) as records,
    count(*) filter (where truth is not null) as truly_local,
    count(*) filter (where got is not null) as linked,
    count(*) filter (where got = truth) as correct,
    coalesce(count(*) filter (where got = truth) / nullif(count(*) filter (where got is not null), 0), 1.0) as precision,
    coalesce(count(*) filter (where got = truth) / nullif(count(*) filter (where truth is not null), 0), 1.0) as recall
from j
group by rollup (source_system)
order by grouping(source_system), source_system
"""


def measure_links(con: duckdb.DuckDBPyConnection, truth: Path, links: str = XREF_LINKS) -> list[dict]:
    """Precision and recall per source (and 'all') of any set of links, given as a query on `con`."""
    cursor = con.execute(MEASURE.format(links=links), {"truth": str(truth)})
    names = [d[0] for d in cursor.description]
    return [{k: (float(v) if k in ("precision", "recall") else v) for k, v in zip(names, row)}
            for row in cursor.fetchall()]


def measure(warehouse: Path, truth: Path) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return measure_links(con, truth)
    finally:
        con.close()


@dg.asset_check(asset=XREF, name=QUALITY_CHECK, blocking=False, required_resource_keys={"settings"},
                description=f"precision >= {PRECISION_FLOOR:.1%} and recall >= {RECALL_FLOOR:.0%} of the links "
                            f"against the sources root's ground truth (_truth/), where it has one")
def links_match_ground_truth(context) -> dg.AssetCheckResult:
    settings = context.resources.settings
    truth = settings.sources_path / "_truth" / "source_records.parquet"
    if not truth.exists():
        return dg.AssetCheckResult(passed=True, metadata={"note": "no ground truth in this sources root"})
    rows = measure(settings.warehouse_path, truth)
    overall = next(r for r in rows if r["source_system"] == "all")
    table = "\n".join(["| source | records | linked | precision | recall |", "|---|---|---|---|---|"] + [
        f"| {r['source_system']} | {r['records']} | {r['linked']} | {r['precision']:.4f} | {r['recall']:.4f} |"
        for r in rows])
    return dg.AssetCheckResult(
        passed=overall["precision"] >= PRECISION_FLOOR and overall["recall"] >= RECALL_FLOOR,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"precision": float(overall["precision"]), "recall": float(overall["recall"]),
                  "per_source": dg.MetadataValue.md(table)})
