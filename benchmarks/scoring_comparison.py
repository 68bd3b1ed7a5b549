"""Is the scored rung of the 企业码 ladder right? Our Jaro-Winkler-with-margin scorer against Splink.

The ladder's last rung links what no code and no exact name rule linked, by name (and address where the source
has one). Splink (Fellegi-Sunter, DuckDB backend) is the well-kept library for that step; this measures both on the
same records of a built warehouse against the simulator's ground truth:

  residual   the organization records the ladder actually hands to the scored rung
  name_only  every organization record whose department wrote the name differently from the registry (or which
             belongs to no local enterprise), linked by name and address alone: the hard case, many times larger

  python -m benchmarks.scoring_comparison --home var [--out docs/resolution_scoring.md]

Splink is a benchmark dependency (`pip install -e .[bench]`), never the pipeline's.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import duckdb
import yaml

DBT_PROJECT = Path(__file__).resolve().parent.parent / "dbt_project" / "dbt_project.yml"


def configured() -> tuple[float, float, int]:
    """The threshold, margin and largest block the pipeline runs with (dbt_project.yml vars)."""
    tunables = yaml.safe_load(DBT_PROJECT.read_text(encoding="utf-8"))["vars"]
    return (float(tunables["similarity_threshold"]), float(tunables["similarity_margin"]),
            int(tunables["similarity_block_max"]))

# Mirrors the blocking, `candidates`, `ranked` and `scored` steps of
# dbt_project/models/intermediate/int_enterprise_links.sql: the shortest name-core prefix (3..6 characters) whose
# registry block holds at most $block_max entities; 0.85 name + 0.15 address; the best clearly ahead.
RECORD_BLOCKS = """
with registry_keyed as (
    select prefix_length, left(core_key, prefix_length) as block_key
    from registry, (select unnest([3, 4, 5, 6]) as prefix_length) where core_key is not null
),
block_sizes as (select prefix_length, block_key, count(*) as block_size from registry_keyed group by all),
record_prefixes as (
    select record_id, prefix_length, left(core_key, prefix_length) as block_key
    from records, (select unnest([3, 4, 5, 6]) as prefix_length) where core_key is not null
)
select record_id, min(prefix_length) as prefix_length
from record_prefixes join block_sizes using (prefix_length, block_key)
where block_size <= $block_max
group by record_id
"""

JARO_WINKLER = """
with registry_blocks as (
    select unnest([3, 4, 5, 6]) as prefix_length, pripid, core_key, address from registry where core_key is not null
),
registry_keyed as (select *, left(core_key, prefix_length) as block_key from registry_blocks),
block_sizes as (select prefix_length, block_key, count(*) as block_size from registry_keyed group by all),
record_prefixes as (
    select record_id, prefix_length, left(core_key, prefix_length) as block_key
    from (select record_id, core_key, unnest([3, 4, 5, 6]) as prefix_length from records where core_key is not null)
),
record_blocks as (
    select record_id, min(prefix_length) as prefix_length
    from record_prefixes join block_sizes using (prefix_length, block_key)
    where block_size <= $block_max
    group by record_id
),
candidates as (
    select u.record_id, r.pripid,
        case when u.address is not null and r.address is not null
             then 0.85 * jaro_winkler_similarity(u.core_key, r.core_key)
                  + 0.15 * jaro_winkler_similarity(u.address, r.address)
             else jaro_winkler_similarity(u.core_key, r.core_key) end as score
    from records u join record_blocks k using (record_id)
    join registry_keyed r on r.prefix_length = k.prefix_length and r.block_key = left(u.core_key, k.prefix_length)
),
ranked as (
    select *, row_number() over (partition by record_id order by score desc, pripid) as place,
        lead(score) over (partition by record_id order by score desc, pripid) as runner_up
    from candidates
)
select record_id, pripid, score from ranked
where place = 1 and score >= $threshold and score - coalesce(runner_up, 0) >= $margin
"""

EVALUATE = """
select count(*) as records,
    count(*) filter (where r.truth is not null) as truly_local,
    count(p.pripid) as linked,
    count(*) filter (where p.pripid = r.truth) as correct
from records r left join predictions p using (record_id)
"""


def load(con: duckdb.DuckDBPyConnection, warehouse: Path, truth: Path, record_set: str) -> None:
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    con.execute("""
        create or replace table registry as
        select e.pripid, c.core_key, e.registered_address as address
        from wh.staging.stg_samr__entities e join wh.resolution.int_name_cores c using (name_key)""")
    if record_set == "residual":
        chosen = """select source_system, source_record_key from wh.marts.xref_source_record
                    where match_rule in ('similarity', 'unlinked:no_match')"""
    else:
        chosen = f"""select source_system, source_record_key from read_parquet('{truth}')
                     where source_system <> 'samr' and (name_variant > 0 or owner_kind = 'external_enterprise')"""
    con.execute(f"""
        create or replace table records as
        select row_number() over (order by s.source_system, s.source_record_key) as record_id,
            s.source_system, s.source_record_key, c.core_key, s.address, t.pripid as truth
        from wh.resolution.int_source_records s
        join ({chosen}) using (source_system, source_record_key)
        join wh.resolution.int_name_cores c using (name_key)
        join read_parquet('{truth}') t using (source_system, source_record_key)
        where s.owner_kind = 'organization'""")


def score(con, method: str, seconds: float, **params) -> dict:
    records, truly_local, linked, correct = con.execute(EVALUATE).fetchall()[0]
    return {"method": method, **params, "records": records, "truly_local": truly_local, "linked": linked,
            "correct": correct, "precision": correct / linked if linked else 1.0,
            "recall": correct / truly_local if truly_local else 1.0, "seconds": round(seconds, 2)}


def jaro_winkler(con, threshold: float, margin: float, block_max: int) -> dict:
    started = time.perf_counter()
    con.execute(f"create or replace table predictions as {JARO_WINKLER}",
                {"threshold": threshold, "margin": margin, "block_max": block_max})
    return score(con, "jaro_winkler_margin", time.perf_counter() - started, threshold=threshold, margin=margin)


def splink(con, probabilities: list[float]) -> list[dict]:
    """Splink trained two ways: unsupervised (as production would have to), and with m from the true labels (an
    upper bound no department's data offers). Each read two ways: the best pair above a match probability, and the
    top-ranked pair when it is clearly ahead of the runner-up (what our scorer does with its margin)."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    logging.getLogger("splink").setLevel(logging.ERROR)
    # the same blocks as our scorer (the shortest name-core prefix whose registry block is small enough), as one
    # key column: registry entities appear once per prefix length, records once, with the length they block on
    block_max = configured()[2]
    con.execute(f"create or replace table splink_blocks as {RECORD_BLOCKS.replace('$block_max', str(block_max))}")
    records = con.sql("""select r.record_id::varchar as unique_id, r.core_key, r.address,
                                b.prefix_length || ':' || left(r.core_key, b.prefix_length) as block_key,
                                coalesce(r.truth, 'none-' || r.record_id) as label
                         from records r join splink_blocks b using (record_id)""").to_arrow_table()
    registry = con.sql("""select pripid || '#' || prefix_length as unique_id, core_key, address,
                                 prefix_length || ':' || left(core_key, prefix_length) as block_key, pripid as label
                          from registry, (select unnest([3, 4, 5, 6]) as prefix_length)
                          where core_key is not null""").to_arrow_table()
    con.register("splink_registry", registry)
    out = []
    for training in ("unsupervised", "m_from_truth"):
        started = time.perf_counter()
        # Splink gets its own connection: it keeps results open across queries, which one DuckDB 2 connection refuses
        db = DuckDBAPI(duckdb.connect())
        left = db.register(records, table_name="splink_records")
        right = db.register(registry, table_name="splink_registry")
        settings = SettingsCreator(
            link_type="link_only",
            comparisons=[
                cl.JaroWinklerAtThresholds("core_key", [0.97, 0.93, 0.88, 0.8]).configure(term_frequency_adjustments=True),
                cl.JaroWinklerAtThresholds("address", [0.95, 0.85]),
            ],
            blocking_rules_to_generate_predictions=[block_on("block_key")],
            retain_intermediate_calculation_columns=False,
        )
        linker = Linker([left, right], settings)
        linker.training.estimate_probability_two_random_records_match([block_on("core_key")], recall=0.8)
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
        if training == "unsupervised":
            linker.training.estimate_parameters_using_expectation_maximisation(block_on("block_key"))
        else:
            linker.training.estimate_m_from_label_column("label")
        pairs = linker.inference.predict().as_duckdbpyrelation()
        con.register("pairs_arrow", pairs.select("unique_id_l, unique_id_r, match_weight, match_probability")
                     .to_arrow_table())
        con.execute("""
            create or replace table splink_ranked as
            with pairs as (
                select case when contains(unique_id_l, '#') then unique_id_r else unique_id_l end::bigint as record_id,
                       split_part(case when contains(unique_id_l, '#') then unique_id_l else unique_id_r end, '#', 1)
                           as pripid,
                       match_weight, match_probability
                from pairs_arrow
            )
            select *, row_number() over w as place, lead(match_weight) over w as runner_up
            from pairs window w as (partition by record_id order by match_weight desc, pripid)""")
        trained = time.perf_counter() - started
        for rule, threshold, where in (
                [("probability", p, f"match_probability >= {p}") for p in probabilities]
                + [("top_ranked", "weight margin 1", "match_weight - coalesce(runner_up, -99) >= 1")]):
            started = time.perf_counter()
            con.execute(f"create or replace table predictions as "
                        f"select record_id, pripid from splink_ranked where place = 1 and {where}")
            out.append(score(con, f"splink_{training}_{rule}", trained + time.perf_counter() - started,
                             threshold=threshold, margin=None))
    return out


def compare(home: Path, truth: Path, with_splink: bool = True) -> dict:
    results = {}
    for record_set in ("residual", "name_only"):
        con = duckdb.connect()
        load(con, home / "warehouse.duckdb", truth, record_set)
        threshold, margin, block_max = configured()
        sweep = [(threshold, margin)] + [(t, m) for t, m in ((0.97, 0.02), (0.95, 0.02), (0.93, 0.02), (0.9, 0.02),
                                                             (0.85, 0.02), (0.9, 0.0)) if (t, m) != (threshold, margin)]
        rows = [jaro_winkler(con, t, m, block_max) for t, m in sweep]
        rows[0]["method"] += " (configured)"
        if with_splink:
            rows += splink(con, [0.5, 0.9])
        results[record_set] = rows
        con.close()
    return results


def markdown(results: dict, label: str) -> str:
    lines = [f"# The scored rung: Jaro-Winkler with a margin vs Splink ({label})", "",
             "Generated by `python -m benchmarks.scoring_comparison`. Precision and recall against the simulator's",
             "ground truth; seconds on this machine (2 cores), Splink's including its unsupervised training.", ""]
    for record_set, rows in results.items():
        lines += [f"## {record_set} ({rows[0]['records']:,} records, {rows[0]['truly_local']:,} truly local)", "",
                  "| method | threshold | margin | linked | precision | recall | seconds |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['method']} | {r['threshold']} | {'' if r['margin'] is None else r['margin']} | {r['linked']:,} "
                  f"| {r['precision']:.4f} | {r['recall']:.4f} | {r['seconds']} |" for r in rows]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="a LAKEHOUSE_HOME with a built warehouse")
    parser.add_argument("--truth", type=Path, help="default: HOME/sources/_truth/source_records.parquet")
    parser.add_argument("--label", default="default sources root")
    parser.add_argument("--no-splink", action="store_true",
                        help="the Jaro-Winkler sweep only (Splink's fixed 3-character blocks do not scale to 1M)")
    parser.add_argument("--out", type=Path, help="write the table here (markdown) and the figures beside it (json)")
    args = parser.parse_args()
    truth = args.truth or args.home / "sources" / "_truth" / "source_records.parquet"
    results = compare(args.home, truth, with_splink=not args.no_splink)
    text = markdown(results, args.label)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
