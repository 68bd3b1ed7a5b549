{#- 产业链图谱: chains -> upstream/midstream/downstream nodes -> the enterprises on each node (by GB/T 4754 code
    prefix or a keyword in the name), the chain-leading enterprise (链主: the largest revenue on the chain) and
    the nodes no local enterprise covers (补链 gaps, one row with no enterprise). Method in the chains file
    (ref_industrial_chains: LAKEHOUSE_CHAINS_FILE, or the seed industrial_chains); the park is the enterprise's as
    the parks file decides it (dim_enterprise). Grain: one row per chain, node and enterprise (or per uncovered node). -#}
with nodes as (
    select chain, segment, segment_order, node, industry_codes, keywords from {{ ref('ref_industrial_chains') }}
),

node_codes as (
    select chain, node, trim(code) as code_prefix
    from {{ reference_list_rows('nodes', 'industry_codes', 'code') }}
    where trim(code) <> ''  -- a trailing ';' is no prefix of everything
),

node_keywords as (
    select chain, node, trim(keyword) as keyword
    from {{ reference_list_rows('nodes', 'keywords', 'keyword') }}
    where trim(keyword) <> ''
),

enterprises as (
    select
        enterprise_code, enterprise_name, industry_code, park_code,
        coalesce(sales_revenue_12m, 0) as revenue_12m_yuan
    from {{ ref('dim_enterprise') }}
    where not is_external and is_operating and entity_type_code <> '9500'
),

members as (
    select n.chain, n.node, e.enterprise_code, 'industry_code' as matched_by
    from node_codes n join enterprises e on {{ starts_with('e.industry_code', 'n.code_prefix') }}
    union
    select k.chain, k.node, e.enterprise_code, 'keyword'
    from node_keywords k join enterprises e on {{ dbt.position('k.keyword', 'e.enterprise_name') }} > 0
),

distinct_members as (
    select chain, node, enterprise_code, min(matched_by) as matched_by
    from members group by chain, node, enterprise_code
),

leaders as (
    select
        m.chain,
        {{ max_by_known('m.enterprise_code', 'e.revenue_12m_yuan', tie='m.enterprise_code') }} as leader_code
    from distinct_members m join enterprises e using (enterprise_code)
    group by m.chain
),

coverage as (
    select chain, node, count(*) as node_enterprises from distinct_members group by chain, node
)

select
    n.chain,
    n.segment,
    n.segment_order,
    n.node,
    m.enterprise_code,
    e.enterprise_name,
    e.park_code,
    e.revenue_12m_yuan,
    m.matched_by,
    coalesce(m.enterprise_code = l.leader_code, false) as is_chain_leader,
    coalesce(c.node_enterprises, 0) as node_enterprises,
    m.enterprise_code is null as is_gap
from nodes n
left join distinct_members m using (chain, node)
left join enterprises e using (enterprise_code)
left join leaders l on l.chain = n.chain
left join coverage c on c.chain = n.chain and c.node = n.node
