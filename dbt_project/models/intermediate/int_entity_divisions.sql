{#- The divisions a registry entity's name may carry, written or dropped: the division of its registering
    authority (REGORG) and of its USCC (characters 3-8), their province, and the divisions under or above them that
    its own names (current and former) write: 东莞市 and 广东 for 441900; 南山区 for a 深圳市南山... registered by
    440300, but not 福田区. The prefecture above a home counts without being written only for a district (GB/T 2260
    codes xxxx01-xxxx20, 市辖区: 绍兴 for 绍兴市越城区); a county or county-level city (21-99: 张家港市, 义乌市) is
    named by itself, and a name reading its prefecture (苏州..., 金华...) is another enterprise's. A name that writes
    any other division (成都市, a trade name 长安 outside 长安区) keeps it.
    Grain: one row per entity and division. -#}
with registry as (
    select
        pripid, name_key, division_code,
        case when uscc_is_valid then substr(uscc, 3, 6) end as uscc_division_code
    from {{ ref('stg_samr__entities') }}
),

registry_names as (
    select pripid, name_key from registry where name_key is not null
    union
    select pripid, former_name_key from {{ ref('stg_samr__changes') }}
    where former_name_key is not null and pripid in (select r.pripid from registry r)
),

homes as (
    select pripid, division_code as home from registry where {{ regex_full_match('division_code', '[0-9]{6}') }}
    union
    select pripid, uscc_division_code from registry where {{ regex_full_match('uscc_division_code', '[0-9]{6}') }}
)

select pripid, home as division_code from homes
union
select pripid, left(home, 4) || '00' from homes where cast(right(home, 2) as integer) <= 20
union
select pripid, left(home, 2) || '0000' from homes
union
select n.pripid, d.division_code
from registry_names n
join {{ ref('int_name_divisions') }} d on d.name_key = n.name_key
join homes h on h.pripid = n.pripid
where (right(h.home, 4) = '0000' and left(d.division_code, 2) = left(h.home, 2))
    or (right(h.home, 2) = '00' and left(d.division_code, 4) = left(h.home, 4))
    or d.division_code = left(h.home, 4) || '00'
