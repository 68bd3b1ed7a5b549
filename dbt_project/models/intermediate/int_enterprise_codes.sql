{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
{#- The 企业码 assignment: state, not a derivation. One row per enterprise anchor (an S1 entity, or the USCC of an
    enterprise registered elsewhere), assigned once and kept across runs; new anchors get the next numbers, so a
    code is never reused. `full_refresh=false`: a `dbt build --full-refresh` does not renumber enterprises
    (rebuilding it is a deliberate act: drop the table). Grain: one row per anchor. -#}
with local_anchors as (
    select 'samr:' || pripid as anchor, pripid, cast(null as string) as uscc, false as is_external
    from {{ ref('stg_samr__entities') }}
),

external_anchors as (
    -- a valid enterprise USCC (authority 9) that the registry does not hold, on a record the ladder could not tie
    -- to a registry entity by any other rule: an enterprise registered elsewhere
    select distinct 'uscc:' || r.code as anchor, cast(null as string) as pripid, r.code as uscc, true as is_external
    from {{ ref('int_source_records') }} r
    left join {{ ref('int_enterprise_links') }} l using (source_system, source_record_key)
    where r.source_system <> 'samr' and r.owner_kind = 'organization' and left(r.code, 1) = '9'
        and {{ uscc_is_valid('r.code') }}
        and r.code not in (select e.uscc from {{ ref('stg_samr__entities') }} e where e.uscc is not null)
        and l.pripid is null
),

anchors as (
    select * from local_anchors
    union all
    select * from external_anchors
),

new_anchors as (
    select a.*
    from anchors a
    {% if is_incremental() %}
        where a.anchor not in (select t.anchor from {{ this }} t)
    {% endif %}
),

numbered as (
    select
        *,
        {% if is_incremental() %}(select coalesce(max(t.sequence_number), 0) from {{ this }} t){% else %}0{% endif %}
        + row_number() over (order by anchor) as sequence_number
    from new_anchors
)

select
    anchor,
    pripid,
    uscc,
    is_external,
    sequence_number,
    {{ enterprise_code('sequence_number') }} as enterprise_code,
    current_timestamp as assigned_at
from numbered
