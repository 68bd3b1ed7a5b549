with source as (
    select * from {{ source('samr', 'abnormal_operations') }}
)

select
    pripid,
    {{ normalize_code('uscc') }} as uscc,
    trim(enterprise_name) as enterprise_name,
    reason,
    listed_on,
    removed_on
from source
