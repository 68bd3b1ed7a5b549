"""产业链招商 leads on the default root's warehouse, against leads this test finds and ranks itself.

The park's weak chain nodes are counted here from mart_industry_chain; the candidates from outside are gathered here
from the sources' staging tables and the links (patent applicants, tax months, land parcels), fitted to nodes and
scored with the seed's points: every lead of mart_chain_leads, its rank, score and evidence figures must agree.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from tests.pipeline import warehouse_frame

WEAK_BELOW, PER_NODE = 3, 20  # dbt_project.yml vars chain_lead_weak_below, chain_leads_per_node


def query(home: Path, sql: str) -> pd.DataFrame:
    return warehouse_frame(home, sql)


def split(text) -> list[str]:
    return [v.strip() for v in str(text or "").replace("；", ";").split(";") if v.strip()]


def expected_leads(home: Path) -> dict:
    """{(park, chain, node, candidate_key): lead} found and ranked here."""
    nodes = query(home, "select chain, node, industry_codes, keywords from reference.ref_industrial_chains")
    members = query(home, "select chain, node, enterprise_code, enterprise_name, park_code "
                          "from marts.mart_industry_chain where not is_gap")
    parks = query(home, "select park_code from marts.dim_park")["park_code"].tolist()
    on_node = defaultdict(set)
    for m in members.itertuples():
        on_node[(m.park_code, m.chain, m.node)].add(m.enterprise_code)
    weak = {(p, n.chain, n.node): len(on_node[(p, n.chain, n.node)]) for p in parks for n in nodes.itertuples()
            if len(on_node[(p, n.chain, n.node)]) < WEAK_BELOW}

    enterprises = query(home, "select enterprise_code, enterprise_name, uscc, industry_code, is_external "
                              "from marts.dim_enterprise")
    external = enterprises[enterprises["is_external"]].set_index("enterprise_code")
    # an external enterprise's name key: that of its own records written with its name
    keyed = query(home, """
        select distinct e.enterprise_code, r.name_key
        from marts.dim_enterprise e
        join marts.xref_source_record x using (enterprise_code)
        join resolution.int_source_records r using (source_system, source_record_key)
        where e.is_external and r.name = e.enterprise_name""")
    by_key = keyed.groupby("name_key")["enterprise_code"].agg(set)
    by_name_key = {k: next(iter(v)) for k, v in by_key.items() if len(v) == 1}

    applicants = query(home, """
        select a.application_number, a.patent_type, a.applicant_name, a.name_key, a.filed_on, x.enterprise_code,
            x.match_rule, r.owner_kind
        from staging.stg_cnipa__patent_applicants a
        join marts.xref_source_record x on x.source_system = 'cnipa' and x.source_record_key = a.source_record_key
        join resolution.int_source_records r on r.source_system = 'cnipa' and r.source_record_key = a.source_record_key
    """)
    node_of = defaultdict(set)
    for m in members.itertuples():
        node_of[m.enterprise_code].add((m.chain, m.node, m.enterprise_name))
    outside, names = [], {}
    for a in applicants.itertuples():
        code = a.enterprise_code if isinstance(a.enterprise_code, str) else None
        if code is not None and code in external.index:
            key = code
        elif code is None and a.owner_kind == "organization" and a.match_rule == "unlinked:no_match":
            key = by_name_key.get(a.name_key, f"name:{a.name_key}")
            if not key.startswith("QY"):
                names[key] = min(names.get(key, a.applicant_name), a.applicant_name)
        else:
            continue
        outside.append((key, a.application_number, a.patent_type, a.filed_on))
    partners = defaultdict(set)
    for a in applicants.itertuples():
        if isinstance(a.enterprise_code, str):
            partners[a.application_number] |= node_of.get(a.enterprise_code, set())
    joint = defaultdict(lambda: {"patents": set(), "inventions": set(), "partners": set(), "latest": None})
    for key, number, kind, filed in outside:
        for chain, node, partner in partners[number]:
            j = joint[(key, chain, node)]
            j["patents"].add(number)
            if kind == "发明":
                j["inventions"].add(number)
            j["partners"].add(partner)
            j["latest"] = max(filter(None, [j["latest"], pd.Timestamp(filed).date()]))

    candidates = {code: (row.enterprise_name, row.industry_code) for code, row in external.iterrows()}
    candidates |= {key: (name, None) for key, name in names.items()}
    fits = defaultdict(set)
    for key, chain, node in joint:
        fits[(key, chain, node)].add("joint_patent")
    for n in nodes.itertuples():
        for key, (name, industry) in candidates.items():
            if any(k in name for k in split(n.keywords)):
                fits[(key, n.chain, n.node)].add("keyword")
            if isinstance(industry, str) and any(industry.startswith(c) for c in split(n.industry_codes)):
                fits[(key, n.chain, n.node)].add("industry_code")

    months = query(home, "select enterprise_code, month_start, total_tax_yuan from marts.fct_enterprise_month")
    latest = pd.Timestamp(months["month_start"].max())
    recent = months[pd.to_datetime(months["month_start"]) > latest - pd.DateOffset(months=12)]
    tax = recent.groupby("enterprise_code")["total_tax_yuan"].sum(min_count=1).to_dict()
    land = query(home, """
        select x.enterprise_code, count(*) as parcels, sum(p.area_mu) as mu
        from staging.stg_land__parcels p
        join marts.xref_source_record x on x.source_system = 'land' and x.source_record_key = p.source_record_key
        group by x.enterprise_code""").set_index("enterprise_code").to_dict("index")
    # a parcel's park: the parks file's name or one of its 园区 names, as the land register writes it
    park_of_name = {}
    for park in query(home, "select park_code, park_name, land_park_names from reference.ref_parks").itertuples():
        for name in [park.park_name, *split(park.land_park_names)]:
            park_of_name[name] = park.park_code
    parcels = query(home, """
        select x.enterprise_code, trim(p.park_name) as park_name
        from staging.stg_land__parcels p
        join marts.xref_source_record x on x.source_system = 'land' and x.source_record_key = p.source_record_key
        where x.enterprise_code is not null""")
    in_park = defaultdict(int)
    for r in parcels.itertuples():
        if r.park_name in park_of_name:
            in_park[(r.enterprise_code, park_of_name[r.park_name])] += 1
    points = query(home, "select * from reference.chain_lead_evidence").set_index("evidence").to_dict("index")

    def score(name: str, amount: float) -> float:
        p = points[name]
        return min(p["max_points"], p["points"] * amount / p["per"])

    scored = defaultdict(list)
    for (key, chain, node), how in fits.items():
        j = joint.get((key, chain, node))
        patents, inventions = (len(j["patents"]), len(j["inventions"])) if j else (0, 0)
        paid = tax.get(key) if key.startswith("QY") else None
        paid = None if paid is None or pd.isna(paid) else float(paid)
        held = land.get(key, {"parcels": 0, "mu": None})
        if not (patents > 0 or (paid or 0) > 0 or held["parcels"] > 0):
            continue
        total = (score("joint_patent", patents) + score("joint_invention_patent", inventions)
                 + score("tax_paid_here", max(paid or 0, 0)) + score("land_held_here", held["mu"] or 0))
        for (park, c, n), count in weak.items():
            if (c, n) == (chain, node):
                here = in_park[(key, park)]
                scored[(park, chain, node)].append((key, {
                    "score": total + score("land_in_this_park", here), "parcels_in_this_park": here,
                    "fits_by": ", ".join(sorted(how)), "joint_patents": patents,
                    "joint_invention_patents": inventions, "tax_12m_yuan_here": paid,
                    "parcels_held_here": held["parcels"], "park_node_enterprises": count,
                    "local_partners": "; ".join(sorted(j["partners"])) if j else None}))
    leads = {}
    for (park, chain, node), found in scored.items():
        found.sort(key=lambda kv: (-kv[1]["score"], kv[0]))
        for rank, (key, lead) in enumerate(found[:PER_NODE], 1):
            leads[(park, chain, node, key)] = {**lead, "rank": rank}
    return leads


def test_every_lead_is_the_one_found_and_ranked_from_the_sources(default_warehouse):
    _, home, _ = default_warehouse
    want = expected_leads(home)
    rows = query(home, "select * from marts.mart_chain_leads").to_dict("records")
    got = {(r["park_code"], r["chain"], r["node"], r["candidate_key"]): r for r in rows}
    missing, extra = sorted(set(want) - set(got))[:10], sorted(set(got) - set(want))[:10]
    assert (missing, extra) == ([], []), f"found here only: {missing}; in the mart only: {extra}"
    for key, lead in want.items():
        row = got[key]
        assert row["lead_rank"] == lead["rank"] and row["evidence_score"] == pytest.approx(lead["score"]), key
        assert row["fits_by"] == lead["fits_by"] and row["park_node_enterprises"] == lead["park_node_enterprises"]
        assert row["joint_patents"] == lead["joint_patents"], key
        assert row["joint_invention_patents"] == lead["joint_invention_patents"], key
        assert row["parcels_held_here"] == lead["parcels_held_here"], key
        assert row["parcels_in_this_park"] == lead["parcels_in_this_park"], key
        assert (None if pd.isna(row["local_partners"]) else row["local_partners"]) == lead["local_partners"], key
        paid = row["tax_12m_yuan_here"]
        assert (None if pd.isna(paid) else paid) == (None if lead["tax_12m_yuan_here"] is None
                                                     else pytest.approx(lead["tax_12m_yuan_here"])), key
        assert row["gap_kind"] == ("lacks" if lead["park_node_enterprises"] == 0 else "weak")
    # the default data holds every kind of evidence, and candidates named only on patents
    leads = pd.DataFrame(rows)
    assert (leads["joint_patents"] > 0).any() and (leads["tax_12m_yuan_here"] > 0).any()
    assert (leads["parcels_held_here"] > 0).any() and (leads["parcels_in_this_park"] > 0).any()
    assert leads["candidate_code"].isna().any() and leads["candidate_code"].notna().any()
    assert leads["candidate_key"].str.startswith("name:").sum() == leads["candidate_code"].isna().sum()
    assert (leads["latest_joint_filing_on"].notna() == (leads["joint_patents"] > 0)).all()
