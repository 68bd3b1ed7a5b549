"""Resolution quality measured against ground truth, where a sources root carries one.

The simulator writes `_truth/source_records.parquet` (the S1 entity each source record truly belongs to). The
pipeline never uses it to link anything; this check only measures the links, as precision and recall per source,
overall with and without the registry's own records (which link to themselves), and by the number of name
variations a record carries, where the truth says. A sources root without ground truth (a real department's)
passes with a note.
"""
from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from resources import connections

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
t as (select source_system, source_record_key, pripid, {variations} as variations from read_parquet($truth)),
j as (
    select t.source_system, t.pripid as truth, x.pripid as got,
        -- the registry's own records link to themselves: they count in the overall figure and in one without them,
        -- never in the breakdown by name variations (which is about how departments write names)
        t.source_system <> 'samr' as departmental,
        case when t.source_system = 'samr' or t.variations is null then null
             when t.variations >= 3 then '3+' else cast(t.variations as varchar) end as variations
    from t left join x using (source_system, source_record_key)
)
select grouping(source_system) as by_all_sources, grouping(departmental) as by_all_departments,
    grouping(variations) as by_all_variations, source_system, departmental, variations,
    count(*) as records,
    count(*) filter (where truth is not null) as truly_local,
    count(*) filter (where got is not null) as linked,
    count(*) filter (where got = truth) as correct,
    coalesce(count(*) filter (where got = truth) / nullif(count(*) filter (where got is not null), 0), 1.0)
        as precision,
    coalesce(count(*) filter (where got = truth) / nullif(count(*) filter (where truth is not null), 0), 1.0)
        as recall
from j
group by grouping sets ((source_system), (), (departmental), (variations))
"""
ALL, ALL_EXCEPT_REGISTRY = "all", "all except samr"
VARIATION_BUCKETS = ("0", "1", "2", "3+")


def _variations_column(con: duckdb.DuckDBPyConnection, truth: Path) -> str:
    """Roots from other generators may write no `variations` column: then there is no breakdown by it."""
    names = [d[0] for d in con.execute("select * from read_parquet($truth) limit 0", {"truth": str(truth)}).description]
    return "variations" if "variations" in names else "cast(null as integer)"


def measure_links(con: duckdb.DuckDBPyConnection, truth: Path, links: str = XREF_LINKS) -> list[dict]:
    """Precision and recall of any set of links, given as a query on `con`, in one pass over the truth: per source
    (`breakdown` 'source'), overall ('overall': source_system 'all', and 'all except samr' without the registry's
    own records) and by the number of name variations a departmental record carries ('variations': source_system
    'variations 0', 'variations 1', 'variations 2', 'variations 3+', where the truth records it)."""
    query = MEASURE.format(links=links, variations=_variations_column(con, truth))
    cursor = con.execute(query, {"truth": str(truth)})
    names = [d[0] for d in cursor.description]
    sources, overall, by_variations = [], [], {}
    for row in cursor.fetchall():
        r = dict(zip(names, row, strict=True))
        counts = {k: (float(r[k]) if k in ("precision", "recall") else r[k])
                  for k in ("records", "truly_local", "linked", "correct", "precision", "recall")}
        if not r["by_all_sources"]:
            sources.append({"breakdown": "source", "source_system": r["source_system"], **counts})
        elif not r["by_all_departments"]:
            if r["departmental"]:
                overall.append({"breakdown": "overall", "source_system": ALL_EXCEPT_REGISTRY, **counts})
        elif not r["by_all_variations"]:
            if r["variations"] is not None:
                by_variations[r["variations"]] = {"breakdown": "variations",
                                                  "source_system": f"variations {r['variations']}",
                                                  "variations": r["variations"], **counts}
        else:
            overall.insert(0, {"breakdown": "overall", "source_system": ALL, **counts})
    return (sorted(sources, key=lambda r: r["source_system"]) + overall
            + [by_variations[b] for b in VARIATION_BUCKETS if b in by_variations])


def measure(warehouse: Path, truth: Path) -> list[dict]:
    con = connections.read_only(warehouse)
    try:
        return measure_links(con, truth)
    finally:
        con.close()


def markdown_table(rows: list[dict]) -> str:
    return "\n".join(["| records of | records | truly local | linked | correct | precision | recall |",
                      "|---|---|---|---|---|---|---|"] + [
        f"| {r['source_system']} | {r['records']} | {r['truly_local']} | {r['linked']} | {r['correct']} "
        f"| {r['precision']:.4f} | {r['recall']:.4f} |" for r in rows])


@dg.asset_check(asset=XREF, name=QUALITY_CHECK, blocking=False, required_resource_keys={"settings"},
                description=f"precision >= {PRECISION_FLOOR:.1%} and recall >= {RECALL_FLOOR:.0%} "
                            f"(with and without the registry's own records) of the links against the sources root's "
                            f"ground truth (_truth/), where it has one")
def links_match_ground_truth(context) -> dg.AssetCheckResult:
    settings = context.resources.settings
    truth = settings.sources_path / "_truth" / "source_records.parquet"
    if not truth.exists():
        return dg.AssetCheckResult(passed=True, metadata={"note": "no ground truth in this sources root"})
    rows = measure(settings.warehouse_path, truth)
    overall = next(r for r in rows if r["source_system"] == ALL)
    departmental = next((r for r in rows if r["source_system"] == ALL_EXCEPT_REGISTRY), overall)
    by_variations = [r for r in rows if r["breakdown"] == "variations"]
    metadata = {"precision": float(overall["precision"]), "recall": float(overall["recall"]),
                "recall_without_registry": float(departmental["recall"]),
                "per_source": dg.MetadataValue.md(markdown_table([r for r in rows if r["breakdown"] != "variations"]))}
    if by_variations:
        metadata["by_name_variations"] = dg.MetadataValue.md(markdown_table(by_variations))
    return dg.AssetCheckResult(
        passed=(overall["precision"] >= PRECISION_FLOOR
                and min(overall["recall"], departmental["recall"]) >= RECALL_FLOOR),
        severity=dg.AssetCheckSeverity.WARN, metadata=metadata)
