with source as (
    select * from {{ source('eco', 'permits') }}
)

select
    trim(permit_number) as source_record_key,
    -- a permit number is the holder's USCC + 3-digit sequence + P/U
    left({{ normalize_code('permit_number') }}, 18) as holder_uscc,
    {{ uscc_is_valid('left(' ~ normalize_code('permit_number') ~ ', 18)') }} as holder_uscc_is_valid,
    trim(holder_name) as holder_name,
    {{ name_key('holder_name') }} as name_key,
    industry_text,
    year,
    -- emissions in tonnes (null where not monitored)
    cod as cod_t,
    ammonia_nitrogen as ammonia_nitrogen_t,
    sulfur_dioxide as sulfur_dioxide_t,
    nitrogen_oxides as nitrogen_oxides_t,
    vocs as vocs_t
from source
