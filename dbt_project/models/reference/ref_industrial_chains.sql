{#- The industrial chains: the file LAKEHOUSE_CHAINS_FILE names (absolute path, UTF-8 CSV), or the seed
    `industrial_chains` when it is unset. A chain is rows of nodes: adding a chain is adding rows
    (docs/reference_data.md). Grain: one row per chain and node. -#}
{{ config(materialized='table', schema='reference') }}

with chains_file as (
    select * from {{ reference_file('LAKEHOUSE_CHAINS_FILE', 'industrial_chains',
        ['chain', 'segment', 'segment_order', 'node', 'industry_codes', 'keywords']) }}
)

select
    chain,
    lower(segment) as segment,
    -- a non-integer order is NULL here and fails the not_null test, which names the column
    {{ dbt.safe_cast('segment_order', api.Column.translate_type('integer')) }} as segment_order,
    node,
    industry_codes,
    keywords,
    reference_file
from chains_file
