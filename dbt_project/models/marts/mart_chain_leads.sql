{#- 产业链招商: for each chain node a park lacks or is weak in (fewer than var chain_lead_weak_below of its enterprises
    on it), the enterprises from outside the jurisdiction our sources already see that fit the node, ranked by that
    evidence: patents filed jointly with a local enterprise on the node (S9), tax they pay here while registered
    elsewhere (S2), land they hold in our parks and in the park itself (S10). A candidate is an enterprise registered elsewhere (an external
    企业码), or an organisation named on a patent that no registry entity fits (named only; when exactly one external
    企业码 bears that name, that enterprise). It fits a node by its joint patents with the node's enterprises, a node
    keyword in its name, or its industry code. Points per evidence: the seed chain_lead_evidence; the best
    var chain_leads_per_node candidates per park and node are kept. Grain: one row per park, chain node and candidate. -#}
with nodes as (
    select chain, segment, segment_order, node, industry_codes, keywords from {{ ref('ref_industrial_chains') }}
),

node_codes as (
    select chain, node, trim(code) as code_prefix
    from {{ reference_list_rows('nodes', 'industry_codes', 'code') }}
    where trim(code) <> ''
),

node_keywords as (
    select chain, node, trim(keyword) as keyword
    from {{ reference_list_rows('nodes', 'keywords', 'keyword') }}
    where trim(keyword) <> ''
),

members as (
    select chain, node, enterprise_code, enterprise_name, park_code
    from {{ ref('mart_industry_chain') }}
    where not is_gap
),

weights as (
    select
        coalesce(max(case when evidence = 'joint_patent' then points / per end), 0) as joint_patent_points,
        coalesce(max(case when evidence = 'joint_patent' then max_points end), 0) as joint_patent_max,
        coalesce(max(case when evidence = 'joint_invention_patent' then points / per end), 0) as invention_points,
        coalesce(max(case when evidence = 'joint_invention_patent' then max_points end), 0) as invention_max,
        coalesce(max(case when evidence = 'tax_paid_here' then points / per end), 0) as tax_points,
        coalesce(max(case when evidence = 'tax_paid_here' then max_points end), 0) as tax_max,
        coalesce(max(case when evidence = 'land_held_here' then points / per end), 0) as land_points,
        coalesce(max(case when evidence = 'land_held_here' then max_points end), 0) as land_max,
        coalesce(max(case when evidence = 'land_in_this_park' then points / per end), 0) as park_land_points,
        coalesce(max(case when evidence = 'land_in_this_park' then max_points end), 0) as park_land_max
    from {{ ref('chain_lead_evidence') }}
),

-- how many of each park's enterprises are on each node; weak below the threshold, lacking at none
park_nodes as (
    select
        p.park_code, p.park_name, n.chain, n.segment, n.segment_order, n.node,
        count(distinct m.enterprise_code) as park_node_enterprises
    from {{ ref('dim_park') }} p
    cross join nodes n
    left join members m on m.chain = n.chain and m.node = n.node and m.park_code = p.park_code
    group by p.park_code, p.park_name, n.chain, n.segment, n.segment_order, n.node
),

weak_nodes as (
    select * from park_nodes where park_node_enterprises < {{ var('chain_lead_weak_below') }}
),

enterprises as (
    select
        enterprise_code,
        enterprise_name,
        uscc,
        industry_code,
        is_external,
        {{ name_key('enterprise_name') }} as name_key
    from {{ ref('dim_enterprise') }}
),

-- an external 企业码 a name-only applicant may be: the only one with that name
externals_by_name as (
    select name_key, min(enterprise_code) as enterprise_code
    from enterprises
    where is_external
    group by name_key
    having count(*) = 1
),

applicants as (
    select
        a.application_number, a.patent_type, a.filed_on, a.applicant_name, a.name_key,
        x.enterprise_code, x.match_rule, r.owner_kind
    from {{ ref('stg_cnipa__patent_applicants') }} a
    join {{ ref('xref_source_record') }} x on x.source_system = 'cnipa' and x.source_record_key = a.source_record_key
    join {{ ref('int_source_records') }} r on r.source_system = 'cnipa' and r.source_record_key = a.source_record_key
),

outside_applicants as (
    select
        ap.application_number, ap.patent_type, ap.filed_on,
        coalesce(ap.enterprise_code, b.enterprise_code, 'name:' || ap.name_key) as candidate_key,
        coalesce(ap.enterprise_code, b.enterprise_code) as candidate_code,
        ap.applicant_name
    from applicants ap
    left join externals_by_name b on b.name_key = ap.name_key and ap.enterprise_code is null
    where ap.enterprise_code in (select e.enterprise_code from enterprises e where e.is_external)
        or (ap.enterprise_code is null and ap.owner_kind = 'organization' and ap.match_rule = 'unlinked:no_match')
),

joint_patents as (
    select
        o.candidate_key, m.chain, m.node,
        count(distinct o.application_number) as joint_patents,
        count(distinct case when o.patent_type = '发明' then o.application_number end) as joint_invention_patents,
        max(o.filed_on) as latest_joint_filing_on,
        {{ ordered_string_agg('distinct m.enterprise_name', '; ', 'm.enterprise_name') }} as local_partners
    from outside_applicants o
    join applicants l on l.application_number = o.application_number
    join members m on m.enterprise_code = l.enterprise_code
    group by o.candidate_key, m.chain, m.node
),

candidates as (
    select
        enterprise_code as candidate_key, enterprise_code as candidate_code, enterprise_name as candidate_name,
        uscc, industry_code
    from enterprises
    where is_external
    union all
    select candidate_key, null, min(applicant_name), null, null
    from outside_applicants
    where candidate_code is null
    group by candidate_key
),

as_of as (
    select max(month_start) as month_start from {{ ref('fct_enterprise_month') }}
),

tax_here as (
    select f.enterprise_code, sum(f.total_tax_yuan) as tax_12m_yuan, sum(f.sales_revenue_yuan) as sales_12m_yuan
    from {{ ref('fct_enterprise_month') }} f
    cross join as_of
    where f.month_start > {{ dbt.dateadd('month', -12, 'as_of.month_start') }}
        and f.enterprise_code in (select c.candidate_code from candidates c)
    group by f.enterprise_code
),

land_here as (
    select
        x.enterprise_code, count(*) as parcels, sum(p.area_mu) as land_mu,
        {{ ordered_string_agg("distinct nullif(trim(p.park_name), '')", '; ', "nullif(trim(p.park_name), '')") }}
            as parcel_parks
    from {{ ref('stg_land__parcels') }} p
    join {{ ref('xref_source_record') }} x on x.source_system = 'land' and x.source_record_key = p.source_record_key
    where x.enterprise_code in (select c.candidate_code from candidates c)
    group by x.enterprise_code
),

-- the parcels of each candidate in each park, by the parks file's 园区 names (as park membership reads them)
land_in_parks as (
    select enterprise_code, park_code, count(*) as parcels
    from (
        select distinct x.enterprise_code, k.park_code, p.source_record_key
        from {{ ref('stg_land__parcels') }} p
        join {{ ref('xref_source_record') }} x on x.source_system = 'land' and x.source_record_key = p.source_record_key
        join {{ ref('ref_park_rules') }} k on k.rule = 'land_park_name' and k.match_key = {{ name_key('p.park_name') }}
        where p.park_name is not null and x.enterprise_code in (select c.candidate_code from candidates c)
    )
    group by enterprise_code, park_code
),

fits as (
    select candidate_key, chain, node, 'joint_patent' as fit from joint_patents
    union all
    select c.candidate_key, k.chain, k.node, 'keyword'
    from candidates c join node_keywords k on {{ dbt.position('k.keyword', 'c.candidate_name') }} > 0
    union all
    select c.candidate_key, n.chain, n.node, 'industry_code'
    from candidates c join node_codes n on {{ starts_with('c.industry_code', 'n.code_prefix') }}
),

candidate_fits as (
    select candidate_key, chain, node, {{ ordered_string_agg('distinct fit', ', ', 'fit') }} as fits_by
    from fits
    group by candidate_key, chain, node
),

scored as (
    select
        w.park_code, w.park_name, w.chain, w.segment, w.segment_order, w.node, w.park_node_enterprises,
        c.candidate_key, c.candidate_code, c.candidate_name, c.uscc as candidate_uscc,
        f.fits_by,
        coalesce(j.joint_patents, 0) as joint_patents,
        coalesce(j.joint_invention_patents, 0) as joint_invention_patents,
        j.local_partners,
        j.latest_joint_filing_on,
        t.tax_12m_yuan as tax_12m_yuan_here,
        t.sales_12m_yuan as sales_12m_yuan_here,
        coalesce(l.parcels, 0) as parcels_held_here,
        l.land_mu as land_mu_held_here,
        l.parcel_parks,
        coalesce(lp.parcels, 0) as parcels_in_this_park,
        least(wt.joint_patent_max, wt.joint_patent_points * coalesce(j.joint_patents, 0))
        + least(wt.invention_max, wt.invention_points * coalesce(j.joint_invention_patents, 0))
        + least(wt.tax_max, wt.tax_points * greatest(coalesce(t.tax_12m_yuan, 0), 0))
        + least(wt.land_max, wt.land_points * coalesce(l.land_mu, 0))
        + least(wt.park_land_max, wt.park_land_points * coalesce(lp.parcels, 0)) as evidence_score
    from weak_nodes w
    join candidate_fits f on f.chain = w.chain and f.node = w.node
    join candidates c on c.candidate_key = f.candidate_key
    left join joint_patents j on j.candidate_key = f.candidate_key and j.chain = f.chain and j.node = f.node
    left join tax_here t on t.enterprise_code = c.candidate_code
    left join land_here l on l.enterprise_code = c.candidate_code
    left join land_in_parks lp on lp.enterprise_code = c.candidate_code and lp.park_code = w.park_code
    cross join weights wt
    where coalesce(j.joint_patents, 0) > 0 or coalesce(t.tax_12m_yuan, 0) > 0 or coalesce(l.parcels, 0) > 0
),

ranked as (
    select
        *,
        row_number() over (
            partition by park_code, chain, node order by evidence_score desc, candidate_key asc
        ) as lead_rank
    from scored
)

select
    park_code,
    park_name,
    chain,
    segment,
    cast(segment_order as integer) as segment_order,
    node,
    cast(park_node_enterprises as bigint) as park_node_enterprises,
    case when park_node_enterprises = 0 then 'lacks' else 'weak' end as gap_kind,
    cast(lead_rank as bigint) as lead_rank,
    candidate_key,
    candidate_code,
    candidate_name,
    candidate_uscc,
    fits_by,
    cast(evidence_score as double) as evidence_score,
    cast(joint_patents as bigint) as joint_patents,
    cast(joint_invention_patents as bigint) as joint_invention_patents,
    local_partners,
    cast(latest_joint_filing_on as date) as latest_joint_filing_on,
    cast(tax_12m_yuan_here as double) as tax_12m_yuan_here,
    cast(sales_12m_yuan_here as double) as sales_12m_yuan_here,
    cast(parcels_held_here as bigint) as parcels_held_here,
    cast(land_mu_held_here as double) as land_mu_held_here,
    parcel_parks,
    cast(parcels_in_this_park as bigint) as parcels_in_this_park,
    concat_ws(
        '; ',
        case when joint_patents > 0 then cast(joint_patents as string) || ' patent(s) with ' || local_partners
                || ' (' || cast(joint_invention_patents as string) || ' invention)'
        end,
        case
            when coalesce(tax_12m_yuan_here, 0) > 0
                then 'tax ' || {{ display_number(round_half_up('tax_12m_yuan_here')) }} || ' 元 paid here in 12 months'
        end,
        case when parcels_held_here > 0 then cast(parcels_held_here as string) || ' parcel(s), '
                || {{ display_number(round_half_up('land_mu_held_here', 1)) }} || ' 亩 held in ' || parcel_parks
                || case when parcels_in_this_park > 0
                        then ' (' || cast(parcels_in_this_park as string)
                            || ' in this park)'
                    else ''
                end
        end
    ) as evidence
from ranked
where lead_rank <= {{ var('chain_leads_per_node') }}
