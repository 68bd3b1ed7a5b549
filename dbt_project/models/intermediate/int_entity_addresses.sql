{#- Where each registry entity is registered: its 住所 now and before a change (T_BGXX), as address keys (province
    left out: S6 writes 东莞市寮步创新路91号 for the registry's 广东省东莞市寮步创新路91号). Read by the address rungs of
    int_links_exact and int_enterprise_links. Grain: one row per entity and address key. -#}
select pripid, {{ address_key('registered_address') }} as address_key
from {{ ref('stg_samr__entities') }}
where registered_address is not null
union
select pripid, {{ address_key('value_before') }}
from {{ ref('stg_samr__changes') }}
where changed_item = '住所' and value_before is not null
