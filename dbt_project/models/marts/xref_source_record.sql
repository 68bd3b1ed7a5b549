{#- The audit trail of resolution: exactly one row per source record of every source, linked or not (NULL code,
    with the reason in match_rule). Grain: source_system x source_record_key. -#}
with records as (
    select * from {{ ref('int_source_records') }}
),

links as (
    select * from {{ ref('int_enterprise_links') }}
),

-- records that two or more entities fit by the same rule: left unlinked on purpose
ambiguous as (
    select source_system, source_record_key from {{ ref('int_links_exact') }} where pripid is null
),

codes as (
    select * from {{ ref('int_enterprise_codes') }}
)

select
    r.source_system,
    r.source_record_key,
    coalesce(local_code.enterprise_code, external_code.enterprise_code) as enterprise_code,
    case
        when r.source_system = 'samr' then 'registry'
        when l.pripid is not null then l.match_rule
        when external_code.enterprise_code is not null then 'external_uscc'
        when r.owner_kind = 'person' then 'unlinked:person'
        when r.owner_kind = 'institution' then 'unlinked:institution'
        when a.source_record_key is not null then 'unlinked:ambiguous'
        when r.code is not null and not {{ uscc_is_valid('r.code') }} then 'unlinked:invalid_code_no_name_match'
        else 'unlinked:no_match'
    end as match_rule,
    cast(case
        when r.source_system = 'samr' then 1.0
        when l.pripid is not null then l.match_score
        when external_code.enterprise_code is not null then 1.0
    end as decimal(5, 4)) as match_score
from records r
left join links l using (source_system, source_record_key)
left join ambiguous a using (source_system, source_record_key)
left join codes local_code
    on local_code.anchor
        = 'samr:' || coalesce(l.pripid, case when r.source_system = 'samr' then r.source_record_key end)
left join codes external_code
    on l.pripid is null and r.source_system <> 'samr' and r.owner_kind = 'organization'
        and external_code.anchor = 'uscc:' || r.code
