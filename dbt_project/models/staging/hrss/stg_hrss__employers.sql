with source as (
    select * from {{ source('hrss', 'employers') }}
)

select
    trim(employer_number) as source_record_key,
    trim(employer_name) as employer_name,
    {{ normalize_code('uscc') }} as uscc,
    {{ uscc_is_valid(normalize_code('uscc')) }} as uscc_is_valid,
    -- the API has no period field: the period is the one the extract was requested for
    cast({{ regex_extract('_source_file', 'period=([0-9]{4}-[0-9]{2})', 1) }} || '-01' as date) as period,
    insured_headcount,
    contribution_base as contribution_base_yuan,
    updated_at
from source
