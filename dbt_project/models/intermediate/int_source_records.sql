{#- One row per (source system, source record key) of every source: what matching can use.
    Grain: source_system x source_record_key. Monthly sources write the same key many times: the code and name
    are the ones written most recently. Normalizing (name key, owner kind, code) happens once per record, after
    aggregation: the monthly rows repeat the same few names millions of times.
    is_dated_act: the record's date is the day its owner acted (filed a patent application, was issued a
    certificate), so its owner existed that day; other dates (a billing month, a report year, a parcel's start) say
    less: an account or a parcel may outlive its holder's registration. -#}
with unioned as (
    select
        'samr' as source_system, pripid as source_record_key, uscc as code, enterprise_name as name,
        registered_address as address, updated_at as seen_at, false as is_dated_act
    from {{ ref('stg_samr__entities') }}
    union all
    select 'tax', source_record_key, source_record_key as code, taxpayer_name, null, tax_period, false
    from {{ ref('stg_tax__returns') }}
    union all
    select
        'stats', source_record_key, source_record_key as code, unit_name, null,
        {{ date_in_year('report_year', 12, 31) }}, false
    from {{ ref('stg_stats__indicators') }}
    union all
    select
        'miit', source_record_key, uscc, enterprise_name, null, {{ date_in_year('recognition_year', 12, 31) }},
        false
    from {{ ref('stg_miit__recognitions') }}
    union all
    select 'hrss', source_record_key, uscc, employer_name, null, period, false
    from {{ ref('stg_hrss__employers') }}
    union all
    select 'grid', source_record_key, null, account_holder, supply_address, period, false
    from {{ ref('stg_grid__consumption') }}
    union all
    select 'eco', source_record_key, holder_uscc, holder_name, null, {{ date_in_year('year', 12, 31) }}, false
    from {{ ref('stg_eco__permits') }}
    union all
    select 'most', source_record_key, uscc, enterprise_name, null, issued_on, true
    from {{ ref('stg_most__certificates') }}
    union all
    select 'cnipa', source_record_key, null, applicant_name, null, filed_on, true
    from {{ ref('stg_cnipa__patent_applicants') }}
    union all
    select 'land', source_record_key, holder_code, holder_name, location, starts_on, false
    from {{ ref('stg_land__parcels') }}
),

records as (
    select
        source_system,
        source_record_key,
        max_by(code, seen_at) as written_code,
        max_by(name, seen_at) as name,
        max_by(address, seen_at) as address,
        max(seen_at) as last_seen_at,
        count(*) as source_rows,
        bool_and(is_dated_act) as is_dated_act
    from unioned
    group by source_system, source_record_key
)

select
    source_system,
    source_record_key,
    {{ normalize_code('written_code') }} as code,
    name,
    {{ name_key('name') }} as name_key,
    address,
    case
        when source_system = 'samr' then 'organization'
        else {{ owner_kind('name', normalize_code('written_code')) }}
    end as owner_kind,
    cast(last_seen_at as date) as last_seen_on,
    source_rows,
    is_dated_act
from records
