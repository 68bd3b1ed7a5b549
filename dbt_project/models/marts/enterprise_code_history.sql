{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
{#- Retired 企业码 and their survivors: when two codes turn out to be one enterprise, one survives and the other is
    retired with a pointer to it (codes are never deleted or reused). Today's cause: an enterprise first seen only
    outside S1 (an external code, by its USCC) appears in the registry. Append-only state, like the codes.
    Grain: one row per retired code. -#}
with codes as (
    select * from {{ ref('int_enterprise_codes') }}
),

merges as (
    select
        external.enterprise_code as retired_code,
        local.enterprise_code as survivor_code,
        'registered_locally' as reason,
        current_timestamp as retired_at
    from codes external
    join {{ ref('stg_samr__entities') }} r on r.uscc = external.uscc
    join codes local on local.anchor = 'samr:' || r.pripid
    where external.is_external
)

select * from merges
{% if is_incremental() %}
where retired_code not in (select retired_code from {{ this }})
{% endif %}
