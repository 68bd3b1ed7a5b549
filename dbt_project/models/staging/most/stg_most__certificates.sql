with source as (
    select * from {{ source('most', 'certificates') }}
)

select
    trim(certificate_number) as source_record_key,
    trim(enterprise_name) as enterprise_name,
    {{ name_key('enterprise_name') }} as name_key,
    {{ normalize_code('uscc') }} as uscc,
    {{ uscc_is_valid(normalize_code('uscc')) }} as uscc_is_valid,
    issued_on,
    validity_years,
    cast({{ dbt.dateadd('year', 'cast(coalesce(validity_years, 3) as integer)', 'issued_on') }} as date) as valid_until,
    technology_field
from source
