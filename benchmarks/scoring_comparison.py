"""Is the scored rung of the 企业码 ladder right? Our Jaro-Winkler-with-margin scorer against Splink.

The ladder's last rung links what no code and no exact name rule linked, by name (and address where the source
has one). Splink (Fellegi-Sunter, DuckDB backend) is the well-kept library for that step; this measures both on the
same records of a built warehouse against the simulator's ground truth:

  residual   the organization records the ladder actually hands to the scored rung (resolution.int_links_pending
             less what the site, address and abbreviation rungs linked); the configured scorer must make exactly
             the ladder's `similarity` links there
  name_only  every organization record whose department wrote the name differently from the registry (or which
             belongs to no local enterprise), linked by name and address alone: the hard case, many times larger.
             Only the ladder's exclusion holds: a valid USCC the registry does not hold is never linked by name

Both methods score the same candidate pairs, under the ladder's candidate rules: the same blocks, and no entity the
record's place contradicts (a division its name reads, or the one its legacy taxpayer code names).

  python -m benchmarks.scoring_comparison [--home HOME] [--out docs/resolution_scoring.md]

Splink is a benchmark dependency (`pip install -e .[bench]`), never the pipeline's.
"""
from __future__ import annotations

import argparse
import copy
import json
import logging
import time
from pathlib import Path

import duckdb
import yaml
from duckdb.sqltypes import BOOLEAN, VARCHAR

from resources.settings import LakehouseSettings
from simulator.codes import is_valid_org_code, is_valid_uscc

DBT_PROJECT = Path(__file__).resolve().parent.parent / "dbt_project" / "dbt_project.yml"


def configured() -> tuple[float, float, int]:
    """The threshold, margin and largest block the pipeline runs with (dbt_project.yml vars)."""
    tunables = yaml.safe_load(DBT_PROJECT.read_text(encoding="utf-8"))["vars"]
    return (float(tunables["similarity_threshold"]), float(tunables["similarity_margin"]),
            int(tunables["similarity_block_max"]))

# The candidates of the scored rung: mirrors dbt_project/models/intermediate/int_enterprise_links.sql, CTEs
# registry_blocks, block_sizes, record_prefixes, record_blocks (the shortest name-core prefix, 3..6 characters, whose
# registry block holds at most $block_max entities), scored_pairs (0.85 name + 0.15 address) and candidates (the pairs
# less place_conflicts: the model's place_conflicts_sql block with its macros code_division and division_agrees
# (dbt_project/macros/divisions.sql). A division the record's name reads that is none of the entity's and not written
# in the entity's name, or a legacy taxpayer code naming another prefecture, makes the pair no candidate. The
# divisions are the warehouse's own (resolution.int_name_divisions, resolution.int_entity_divisions). JARO_WINKLER
# below is the model's `ranked` and `scored`: the best candidate above the threshold, clearly ahead of the next.
CANDIDATES = """
create or replace table registry_blocks as
select prefix_length, left(core_key, prefix_length) as block_key, pripid, name_key, core_key, address
from registry, (select unnest([3, 4, 5, 6]) as prefix_length) where core_key is not null;

create or replace table blocks as
with block_sizes as (select prefix_length, block_key, count(*) as block_size from registry_blocks group by all),
record_prefixes as (
    select record_id, prefix_length, left(core_key, prefix_length) as block_key
    from records, (select unnest([3, 4, 5, 6]) as prefix_length) where core_key is not null
)
select record_id, prefix_length, block_key
from record_prefixes join block_sizes using (prefix_length, block_key)
where block_size <= $block_max
qualify row_number() over (partition by record_id order by prefix_length) = 1;

create or replace table pairs as
select u.record_id, r.pripid, r.name_key as registry_key,
    case when u.address is not null and r.address is not null
         then 0.85 * jaro_winkler_similarity(u.core_key, r.core_key)
              + 0.15 * jaro_winkler_similarity(u.address, r.address)
         else jaro_winkler_similarity(u.core_key, r.core_key) end as score
from records u join blocks k using (record_id)
join registry_blocks r using (prefix_length, block_key);

create or replace table candidates as
with record_places as (
    select u.record_id, d.position, d.name_form, d.division_code
    from records u join wh.resolution.int_name_divisions d on d.name_key = u.name_key
    where d.is_reading
),
place_conflicts as (
    select s.record_id, s.pripid
    from pairs s
    join record_places p using (record_id)
    left join wh.resolution.int_entity_divisions e on e.pripid = s.pripid and e.division_code = p.division_code
    group by s.record_id, s.pripid, s.registry_key, p.position, p.name_form
    having count(e.division_code) = 0 and not contains(s.registry_key, p.name_form)
    union
    select s.record_id, s.pripid
    from pairs s
    join records o using (record_id)
    where o.code_division is not null
        and not exists (
            select 1 from wh.resolution.int_entity_divisions e
            where e.pripid = s.pripid
                and (left(o.code_division, 4) = left(e.division_code, 4)
                     or (right(o.code_division, 4) = '0000' and left(o.code_division, 2) = left(e.division_code, 2))))
)
select record_id, pripid, score from pairs anti join place_conflicts using (record_id, pripid)
"""

JARO_WINKLER = """
with ranked as (
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


def legacy_code_division(code: str | None) -> str | None:
    """The division a legacy taxpayer code names (6-digit division + GB 11714 organization code), as the ladder's
    code_division reads it for the records it scores (none of which holds a valid USCC)."""
    if code and len(code) == 15 and code[0] in "12345678" and code[:6].isdigit() and is_valid_org_code(code[6:]):
        return code[:6]
    return None


def load(con: duckdb.DuckDBPyConnection, warehouse: Path, truth: Path, record_set: str) -> None:
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    con.execute("""
        create or replace table registry as
        select e.pripid, e.uscc, e.name_key, c.core_key, e.registered_address as address
        from wh.staging.stg_samr__entities e left join wh.resolution.int_name_cores c using (name_key)""")
    con.create_function("legacy_code_division", legacy_code_division, [VARCHAR], VARCHAR, null_handling="special")
    con.create_function("is_valid_uscc", lambda code: code is not None and is_valid_uscc(code), [VARCHAR], BOOLEAN,
                        null_handling="special")
    if record_set == "residual":
        # what the ladder hands its scored rung: int_links_pending (no code link, no exact name, no valid USCC of
        # their own, not ambiguous) less persons, institutions and what the site, address and abbreviation rungs took
        chosen = """
            select source_system, source_record_key, code, name_key, core_key, address
            from wh.resolution.int_links_pending
            anti join (select source_system, source_record_key from wh.resolution.int_enterprise_links
                       where match_rule <> 'similarity') taken using (source_system, source_record_key)
            where owner_kind = 'organization'"""
    else:
        # every organization record written otherwise than the registry (or of no local enterprise), whatever its
        # code, but the ladder's exclusion: a valid USCC the registry does not hold is never linked by name
        chosen = f"""
            select s.source_system, s.source_record_key, s.code, s.name_key, c.core_key, s.address
            from wh.resolution.int_source_records s
            left join wh.resolution.int_name_cores c using (name_key)
            semi join (select source_system, source_record_key from read_parquet('{truth}')
                       where name_variant > 0 or owner_kind = 'external_enterprise') v
                using (source_system, source_record_key)
            where s.source_system <> 'samr' and s.owner_kind = 'organization' and s.name_key is not null
                and not (is_valid_uscc(s.code) and s.code not in (select uscc from registry where uscc is not null))"""
    con.execute(f"""
        create or replace table records as
        select row_number() over (order by s.source_system, s.source_record_key) as record_id,
            s.source_system, s.source_record_key, s.name_key, s.core_key, s.address,
            legacy_code_division(s.code) as code_division, t.pripid as truth
        from ({chosen}) s
        join read_parquet('{truth}') t using (source_system, source_record_key)""")


def candidates(con, block_max: int) -> float:
    """Builds `blocks`, `pairs` and `candidates`; returns the seconds it took."""
    started = time.perf_counter()
    con.execute(CANDIDATES.replace("$block_max", str(int(block_max))))
    return time.perf_counter() - started


def score(con, method: str, seconds: float, **params) -> dict:
    records, truly_local, linked, correct = con.execute(EVALUATE).fetchall()[0]
    return {"method": method, **params, "records": records, "truly_local": truly_local, "linked": linked,
            "correct": correct, "precision": correct / linked if linked else 1.0,
            "recall": correct / truly_local if truly_local else 1.0, "seconds": round(seconds, 2)}


def jaro_winkler(con, threshold: float, margin: float, candidate_seconds: float) -> dict:
    started = time.perf_counter()
    con.execute(f"create or replace table predictions as {JARO_WINKLER}", {"threshold": threshold, "margin": margin})
    return score(con, "jaro_winkler_margin", candidate_seconds + time.perf_counter() - started,
                 threshold=threshold, margin=margin)


def ladder_agreement(con) -> dict:
    """On the residual, the configured scorer's links against the ladder's own `similarity` links: the replica is
    the rung only if the two are the same links."""
    ladder, same = con.execute("""
        select count(*), count(*) filter (where p.pripid = l.pripid)
        from wh.resolution.int_enterprise_links l
        join records r using (source_system, source_record_key)
        left join predictions p using (record_id)
        where l.match_rule = 'similarity'""").fetchall()[0]
    return {"ladder_linked": ladder, "same_as_ladder": same}


def splink(con, probabilities: list[float]) -> list[dict]:
    """Splink trained two ways: unsupervised (as production would have to), and with m from the true labels (an
    upper bound no department's data offers). Each read two ways: the best pair above a match probability, and the
    top-ranked pair when it is clearly ahead of the runner-up (what our scorer does with its margin)."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    logging.getLogger("splink").setLevel(logging.ERROR)
    # the same blocks as our scorer (`blocks`: the shortest name-core prefix whose registry block is small enough), as
    # one key column: registry entities appear once per prefix length, records once, with the length they block on
    records = con.sql("""select r.record_id::varchar as unique_id, r.core_key, r.address,
                                b.prefix_length || ':' || b.block_key as block_key,
                                coalesce(r.truth, 'none-' || r.record_id) as label
                         from records r join blocks b using (record_id)""").to_arrow_table()
    registry = con.sql("""select pripid || '#' || prefix_length as unique_id, core_key, address,
                                 prefix_length || ':' || block_key as block_key, pripid as label
                          from registry_blocks""").to_arrow_table()
    # the prior and u (random pairs) once; m two ways from there. Splink gets its own connection: it keeps results
    # open across queries, which one DuckDB 2 connection refuses
    started = time.perf_counter()
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
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    with_u = linker.misc.save_model_to_json()
    u_seconds = time.perf_counter() - started
    out = []
    for training in ("unsupervised", "m_from_truth"):
        started = time.perf_counter()
        linker = Linker([left, right], copy.deepcopy(with_u))
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
            -- the ladder's candidate rules hold for Splink too: a pair they refuse is never a link (semi join)
            select *, row_number() over w as place, lead(match_weight) over w as runner_up
            from pairs semi join candidates using (record_id, pripid)
            window w as (partition by record_id order by match_weight desc, pripid)""")
        trained = u_seconds + time.perf_counter() - started
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
    threshold, margin, block_max = configured()
    sweep = [(threshold, margin)] + [(t, m) for t, m in ((0.97, 0.02), (0.95, 0.02), (0.93, 0.02), (0.9, 0.02),
                                                         (0.85, 0.02), (0.9, 0.0)) if (t, m) != (threshold, margin)]
    for record_set in ("residual", "name_only"):
        con = duckdb.connect()
        load(con, LakehouseSettings(home=str(home)).warehouse_path, truth, record_set)
        candidate_seconds = candidates(con, block_max)
        rows = []
        for t, m in sweep:
            rows.append(jaro_winkler(con, t, m, candidate_seconds))
            if not rows[1:]:
                rows[0]["method"] += " (configured)"
                if record_set == "residual":
                    rows[0].update(ladder_agreement(con))
        if with_splink:
            rows += splink(con, [0.5, 0.9])
        results[record_set] = rows
        con.close()
    return results


def markdown(results: dict, label: str) -> str:
    lines = [f"# The scored rung: Jaro-Winkler with a margin vs Splink ({label})", "",
             "Generated by `python -m benchmarks.scoring_comparison`. Precision and recall against the simulator's",
             "ground truth; seconds on this machine (2 cores): ours including the candidate pairs, Splink's including",
             "its training. Both methods decide among the same candidates, under the ladder's candidate rules",
             "(dbt_project/models/intermediate/int_enterprise_links.sql): the same blocks, and no entity the record's",
             "place contradicts (a division its name reads, the division its legacy taxpayer code names).", ""]
    for record_set, rows in results.items():
        ours = rows[0]
        lines += [f"## {record_set} ({ours['records']:,} records, {ours['truly_local']:,} truly local)", ""]
        if "ladder_linked" in ours:
            lines += [f"The ladder linked {ours['ladder_linked']:,} of these records by `similarity`; the configured "
                      f"scorer below links {ours['linked']:,}, {ours['same_as_ladder']:,} of them to the same entity.",
                      ""]
        lines += ["| method | threshold | margin | linked | precision | recall | seconds |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['method']} | {r['threshold']} | {'' if r['margin'] is None else r['margin']} "
                  f"| {r['linked']:,} | {r['precision']:.4f} | {r['recall']:.4f} | {r['seconds']} |" for r in rows]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="a lakehouse home with a built warehouse (default: LAKEHOUSE_HOME, "
                                                  "else the repository's var/)")
    parser.add_argument("--truth", type=Path, help="default: _truth/source_records.parquet of the sources root")
    parser.add_argument("--label", default="default sources root")
    parser.add_argument("--no-splink", action="store_true",
                        help="the Jaro-Winkler sweep only, without Splink's training (for large roots)")
    parser.add_argument("--out", type=Path, help="write the table here (markdown) and the figures beside it (json)")
    args = parser.parse_args()
    settings = LakehouseSettings(home=str(args.home) if args.home else None)
    truth = args.truth or settings.sources_path / "_truth" / "source_records.parquet"
    results = compare(settings.home_path, truth, with_splink=not args.no_splink)
    text = markdown(results, args.label)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
