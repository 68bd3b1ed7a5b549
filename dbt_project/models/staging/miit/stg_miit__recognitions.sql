with source as (
    select * from {{ source('miit', 'recognitions') }}
)

select
    recognition_type || '|' || trim(enterprise_name) as source_record_key,
    trim(enterprise_name) as enterprise_name,
    {{ name_key('enterprise_name') }} as name_key,
    {{ normalize_code('uscc') }} as uscc,
    {{ uscc_is_valid(normalize_code('uscc')) }} as uscc_is_valid,
    recognition_type,
    level,
    recognition_year,
    valid_until
from source
