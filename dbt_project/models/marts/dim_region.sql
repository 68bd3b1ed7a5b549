{#- GB/T 2260 divisions, the whole country (seed gbt2260_divisions), with each division's prefecture-level city and
    province; and any other 6-digit code a registry or a USCC uses (a retired or mistyped code: in_gbt2260 false, its
    city and province from its code's prefix where those exist; a warning test names it).
    City: the division itself at level 2; its parent for a county under a prefecture; the municipality for a district
    of 北京/天津/上海/重庆; none for a county-level division directly under a province (仙桃市). Grain: one row per
    6-digit division code. -#}
with divisions as (
    select division_code, division_name, level, parent_code from {{ ref('gbt2260_divisions') }}
),

seen as (
    select division_code from {{ ref('stg_samr__entities') }}
    union
    -- positions 3-8 of a USCC: where an enterprise registered elsewhere is registered
    select substr(uscc, 3, 6) from {{ ref('int_enterprise_codes') }} where uscc is not null
),

unlisted as (
    select distinct division_code
    from seen
    where {{ regex_full_match('division_code', '[0-9]{6}') }}
        and division_code not in (select d.division_code from divisions d)
),

all_codes as (
    select division_code, division_name, level, parent_code, true as in_gbt2260 from divisions
    union all
    -- the level its zeros say: 2 digits + 0000 a province, 4 digits + 00 a prefecture
    select
        division_code,
        cast(null as {{ dbt.type_string() }}),
        case
            when {{ dbt.right('division_code', 4) }} = '0000' then 1
            when {{ dbt.right('division_code', 2) }} = '00' then 2
            else 3
        end,
        cast(null as {{ dbt.type_string() }}),
        false
    from unlisted
),

with_ancestors as (
    select
        c.*,
        -- the prefecture: the parent when it is one, else (an unlisted code) the prefix's prefecture if it exists
        case
            when c.level = 2 then c.division_code
            when c.level = 3 and parent.level = 2 then parent.division_code
            when c.level = 3 and c.parent_code is null then prefix_city.division_code
        end as prefecture_code,
        left(c.division_code, 2) || '0000' as province_code
    from all_codes c
    left join divisions parent on parent.division_code = c.parent_code
    left join divisions prefix_city
        on prefix_city.division_code = left(c.division_code, 4) || '00' and prefix_city.level = 2
)

select
    a.division_code,
    a.division_name,
    a.level,
    a.in_gbt2260,
    coalesce(
        a.prefecture_code,
        case when a.level = 3 and province.division_name like '%市' then province.division_code end
    ) as city_code,
    coalesce(
        prefecture.division_name,
        case when a.level = 3 and province.division_name like '%市' then province.division_name end
    ) as city_name,
    left(a.division_code, 2) as province_code,
    province.division_name as province_name
from with_ancestors a
left join divisions prefecture on prefecture.division_code = a.prefecture_code
left join divisions province on province.division_code = a.province_code and province.level = 1
