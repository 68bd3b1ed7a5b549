with source as (
    select * from {{ source('samr', 'changes') }}
)

select
    pripid,
    changed_item,
    trim(value_before) as value_before,
    trim(value_after) as value_after,
    changed_on,
    case when changed_item = '名称' then {{ name_key('value_before') }} end as former_name_key
from source
