{#- SCD type 2 over name, address, status, industry and registered capital, from the registry's change history
    (T_BGXX): each version holds every tracked attribute as it was from valid_from until valid_to (exclusive; NULL
    for the current version). Before its first recorded change an attribute had that change's value_before.
    Grain: one row per 企业码 and version. -#}
with entities as (
    select * from {{ ref('stg_samr__entities') }}
),

codes as (
    select pripid, enterprise_code from {{ ref('int_enterprise_codes') }} where pripid is not null
),

changes as (
    select
        pripid,
        case changed_item
            when '名称' then 'name' when '住所' then 'address' when '登记状态' then 'status'
            when '行业' then 'industry' when '注册资本' then 'capital'
        end as attribute,
        value_before,
        value_after,
        changed_on
    from {{ ref('stg_samr__changes') }}
    where changed_item in ('名称', '住所', '登记状态', '行业', '注册资本') and changed_on is not null
),

version_starts as (
    select pripid, founded_on as valid_from from entities where founded_on is not null
    union
    select pripid, changed_on from changes
),

versions as (
    select pripid, valid_from, lead(valid_from) over (partition by pripid order by valid_from) as valid_to
    from version_starts
),

-- the value of an attribute at a version: the latest change on or before it, else the first change's 'before'
as_of_version as (
    select
        v.pripid,
        v.valid_from,
        c.attribute,
        coalesce(
            {{ max_by_known('c.value_after', 'c.changed_on') }} filter (where c.changed_on <= v.valid_from),
            {{ min_by_known('c.value_before', 'c.changed_on') }}
        ) as value
    from versions v
    join changes c on c.pripid = v.pripid
    group by v.pripid, v.valid_from, c.attribute
)

select
    k.enterprise_code,
    v.valid_from,
    v.valid_to,
    v.valid_to is null as is_current,
    coalesce(max(a.value) filter (where a.attribute = 'name'), e.enterprise_name) as enterprise_name,
    coalesce(max(a.value) filter (where a.attribute = 'address'), e.registered_address) as registered_address,
    coalesce(
        max(a.value) filter (where a.attribute = 'status'),
        case e.registration_status
            when '1' then '存续(在营)' when '2' then '吊销' when '3' then '注销' when '4' then '迁出' when '5' then '撤销'
        end
    ) as registration_status,
    coalesce(max(a.value) filter (where a.attribute = 'industry'), e.industry_code) as industry_code,
    coalesce(
        max(a.value) filter (where a.attribute = 'capital'),
        {{ display_number('e.registered_capital_yuan / 10000') }} || '万元'
    ) as registered_capital
from versions v
join entities e on e.pripid = v.pripid
join codes k on k.pripid = v.pripid
left join as_of_version a on a.pripid = v.pripid and a.valid_from = v.valid_from
group by
    k.enterprise_code, v.valid_from, v.valid_to, e.enterprise_name, e.registered_address, e.registration_status,
    e.industry_code, e.registered_capital_yuan
