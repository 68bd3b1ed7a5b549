{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
{#- Retired 企业码 and their survivors: when two codes turn out to be one enterprise, one survives and the other is
    retired with a pointer to it (codes are never deleted or reused). Today's cause: an enterprise first seen only
    outside S1 (an external code, by its USCC) appears in the registry. Append-only state, like the codes.
    Grain: one row per retired code. -#}
with codes as (
    select * from {{ ref('int_enterprise_codes') }}
),

registered as (
    select
        external_code.enterprise_code as retired_code,
        local_code.enterprise_code as survivor_code,
        'registered_locally' as reason,
        current_timestamp as retired_at
    from codes external_code
    join {{ ref('stg_samr__entities') }} r on r.uscc = external_code.uscc
    join codes local_code on local_code.anchor = 'samr:' || r.pripid
    where external_code.is_external
),

-- an external code (from an earlier run) whose records the ladder now ties to one registry entity, with no record
-- of that USCC left unlinked: the same enterprise, so the external code retires into the local one
records_by_code as (
    select
        r.code,
        min(l.pripid) as pripid,
        count(distinct l.pripid) as entities,
        sum(case when l.pripid is null then 1 else 0 end) as unlinked_records
    from {{ ref('int_source_records') }} r
    left join {{ ref('int_enterprise_links') }} l using (source_system, source_record_key)
    where r.code is not null and r.source_system <> 'samr'
    group by r.code
),

resolved as (
    select
        external_code.enterprise_code as retired_code,
        local_code.enterprise_code as survivor_code,
        'resolved_locally' as reason,
        current_timestamp as retired_at
    from codes external_code
    join records_by_code k on k.code = external_code.uscc and k.entities = 1 and k.unlinked_records = 0
    join codes local_code on local_code.anchor = 'samr:' || k.pripid
    where external_code.is_external
        and external_code.enterprise_code not in (select g.retired_code from registered g)
),

all_merges as (
    select * from registered
    union all
    select * from resolved
)

select * from all_merges
{% if is_incremental() %}
    where retired_code not in (select t.retired_code from {{ this }} t)
{% endif %}
