{#- Which 企业码 are merged into another today, from today's evidence only: a table rebuilt every run, never
    appended to. When the evidence changes (the registry drops the USCC, the ladder no longer ties the records to
    one entity), the merge is simply absent on the next run and the retired code is active again: no decision is
    irreversible. The codes themselves stay in int_enterprise_codes (state, never renumbered); the history of
    merges and restorations is kept downstream (enterprise_code_history) by comparing runs.
    Causes today: an enterprise first seen only outside S1 (an external code, by its USCC)
      registered_locally   ... appears in the registry with that USCC;
      resolved_locally     ... has every record of that USCC tied by the ladder to one registry entity.
    Grain: one row per code retired today. -#}
with codes as (
    select * from {{ ref('int_enterprise_codes') }}
),

registered as (
    select
        external_code.enterprise_code as retired_code, local_code.enterprise_code as survivor_code,
        'registered_locally' as reason
    from codes external_code
    join {{ ref('stg_samr__entities') }} r on r.uscc = external_code.uscc
    join codes local_code on local_code.anchor = 'samr:' || r.pripid
    where external_code.is_external
),

-- an external code whose records the ladder now ties to one registry entity, with no record of that USCC left
-- unlinked: the same enterprise
records_by_code as (
    select
        r.code,
        min(l.pripid) as pripid,
        count(distinct l.pripid) as entities,
        count(*) filter (where l.pripid is null) as unlinked_records
    from {{ ref('int_source_records') }} r
    left join {{ ref('int_enterprise_links') }} l using (source_system, source_record_key)
    where r.code is not null and r.source_system <> 'samr'
    group by r.code
),

resolved as (
    select
        external_code.enterprise_code as retired_code, local_code.enterprise_code as survivor_code,
        'resolved_locally' as reason
    from codes external_code
    join records_by_code k on k.code = external_code.uscc and k.entities = 1 and k.unlinked_records = 0
    join codes local_code on local_code.anchor = 'samr:' || k.pripid
    where external_code.is_external
        and external_code.enterprise_code not in (select g.retired_code from registered g)
)

select retired_code, survivor_code, reason from registered
union all
select * from resolved
