{#- GB/T 4754-2017 国民经济行业分类, every level, with its section and division.
    Grain: one row per industry code (section letter, 2-digit division, 3-digit group, 4-digit class). -#}
with codes as (
    select * from {{ ref('gbt4754_2017') }}
)

select
    c.code as industry_code,
    c.level as industry_level,
    c.name as industry_name,
    c.section as section_code,
    s.name as section_name,
    case when c.level >= 2 then left(c.code, 2) end as division_code,
    d.name as division_name,
    c.section in ('B', 'C', 'D') as is_industrial
from codes c
left join codes s on s.level = 1 and s.code = c.section
left join codes d on d.level = 2 and d.code = left(c.code, 2) and c.level >= 2
