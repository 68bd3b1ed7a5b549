{#- One row per (source system, source record key) of every source: what matching can use.
    Grain: source_system x source_record_key. Monthly sources write the same key many times: the code, name and
    address are those of the row written most recently (ties: the larger hash of the values, so every run picks the
    same row). The latest row is found by a fixed-size key (`latest_row_key`) and joined back, not by `max_by` over
    text: its states do not spill, and at 3M enterprises (72 M rows, 13 M records) it ran DuckDB out of memory. Normalizing (name key, owner kind, code) happens once per record, after
    aggregation: the monthly rows repeat the same few names millions of times.
    is_dated_act: the record's date is the day its owner acted (filed a patent application, was issued a
    certificate), so its owner existed that day; other dates (a billing month, a report year, a parcel's start) say
    less: an account or a parcel may outlive its holder's registration. -#}
{%- set sources = [
    {'system': 'samr', 'model': 'stg_samr__entities', 'key': 'pripid', 'code': 'uscc', 'name': 'enterprise_name',
     'address': 'registered_address', 'seen_at': 'updated_at'},
    {'system': 'tax', 'model': 'stg_tax__returns', 'code': 'source_record_key', 'name': 'taxpayer_name',
     'seen_at': 'tax_period'},
    {'system': 'stats', 'model': 'stg_stats__indicators', 'code': 'source_record_key', 'name': 'unit_name',
     'seen_at': date_in_year('report_year', 12, 31)},
    {'system': 'miit', 'model': 'stg_miit__recognitions', 'code': 'uscc', 'name': 'enterprise_name',
     'seen_at': date_in_year('recognition_year', 12, 31)},
    {'system': 'hrss', 'model': 'stg_hrss__employers', 'code': 'uscc', 'name': 'employer_name', 'seen_at': 'period'},
    {'system': 'grid', 'model': 'stg_grid__consumption', 'name': 'account_holder', 'address': 'supply_address',
     'seen_at': 'period'},
    {'system': 'eco', 'model': 'stg_eco__permits', 'code': 'holder_uscc', 'name': 'holder_name',
     'seen_at': date_in_year('year', 12, 31)},
    {'system': 'most', 'model': 'stg_most__certificates', 'code': 'uscc', 'name': 'enterprise_name',
     'seen_at': 'issued_on', 'dated_act': true},
    {'system': 'cnipa', 'model': 'stg_cnipa__patent_applicants', 'name': 'applicant_name', 'seen_at': 'filed_on',
     'dated_act': true},
    {'system': 'land', 'model': 'stg_land__parcels', 'code': 'holder_code', 'name': 'holder_name',
     'address': 'location', 'seen_at': 'starts_on'},
] -%}

with unioned as (
    {%- for s in sources %}
        select
            '{{ s.system }}' as source_system,
            {{ s.key or 'source_record_key' }} as source_record_key,  -- noqa: AL09 (pripid for the registry)
            cast({{ s.code or 'null' }} as string) as code,
            {{ s.name }} as name,
            cast({{ s.address or 'null' }} as string) as address,
            cast({{ s.seen_at }} as timestamp) as seen_at,
            {{ 'true' if s.dated_act else 'false' }} as is_dated_act
        from {{ ref(s.model) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

keyed as (
    select
        source_system,
        source_record_key,
        code,
        name,
        address,
        seen_at,
        is_dated_act,
        {{ latest_row_key('seen_at', ['code', 'name', 'address']) }} as row_key
    from unioned
),

records as (
    select
        source_system,
        source_record_key,
        max(row_key) as latest_row_key,
        max(seen_at) as last_seen_at,
        count(*) as source_rows,
        bool_and(is_dated_act) as is_dated_act
    from keyed
    group by source_system, source_record_key
),

-- the latest row of each record; rows with the same key are the same values (the same row delivered twice)
latest as (
    select distinct
        records.source_system,
        records.source_record_key,
        keyed.code as written_code,
        keyed.name,
        keyed.address,
        records.last_seen_at,
        records.source_rows,
        records.is_dated_act
    from records
    inner join keyed
        on
            keyed.source_system = records.source_system
            and keyed.source_record_key = records.source_record_key
            and keyed.row_key = records.latest_row_key
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
from latest
