{#- The figures park administrations quote, per park and month: market entities and operating enterprises at
    month end, 四上, revenue >= 1亿元, high-tech, 专精特新 by tier, listed and pre-listed enterprises (flags as of
    dim_enterprise.as_of_date), and the month's tax, electricity and insured headcount of the park's enterprises.
    An enterprise's park is the one the parks file's rules give it (enterprise_park_membership: S1 PARKCODE, then
    S10 园区, then address keywords). Grain: one row per park and month. -#}
with enterprises as (
    select * from {{ ref('dim_enterprise') }} where park_code is not null
),

months as (
    select distinct month_start from {{ ref('fct_enterprise_month') }}
),

parks as (
    select * from {{ ref('dim_park') }}
),

counts as (
    select
        e.park_code,
        m.month_start,
        count(*) filter (
            where e.founded_on <= {{ dbt.last_day('m.month_start', 'month') }}
            and (e.deregistered_on is null or e.deregistered_on > {{ dbt.last_day('m.month_start', 'month') }})
        ) as market_entities,
        count(*) filter (
            where e.is_operating and e.entity_type_code <> '9500'
            and e.founded_on <= {{ dbt.last_day('m.month_start', 'month') }}
        ) as operating_enterprises,
        count(*) filter (where e.is_four_above) as four_above_enterprises,
        count(*) filter (where e.is_above_designated_size) as above_designated_size_enterprises,
        count(*) filter (where coalesce(e.sales_revenue_12m, 0) >= 100000000) as enterprises_revenue_over_100m,
        count(*) filter (where e.is_high_tech) as high_tech_enterprises,
        count(*) filter (where e.srdi_tier = 'little_giant') as little_giant_enterprises,
        count(*) filter (where e.srdi_tier = 'srdi_sme') as srdi_sme_enterprises,
        count(*) filter (where e.is_listed) as listed_enterprises,
        count(*) filter (where e.is_pre_listed) as pre_listed_enterprises
    from enterprises e
    cross join months m
    group by e.park_code, m.month_start
),

activity as (
    select
        e.park_code, f.month_start,
        {{ sum_yuan('f.total_tax_yuan') }} as total_tax_yuan,
        sum(f.electricity_kwh) as electricity_kwh,
        sum(f.insured_headcount) as insured_headcount
    from {{ ref('fct_enterprise_month') }} f
    join enterprises e using (enterprise_code)
    group by e.park_code, f.month_start
)

select
    c.park_code,
    p.park_name,
    c.month_start,
    c.market_entities,
    c.operating_enterprises,
    c.four_above_enterprises,
    c.above_designated_size_enterprises,
    c.enterprises_revenue_over_100m,
    c.high_tech_enterprises,
    c.little_giant_enterprises,
    c.srdi_sme_enterprises,
    c.listed_enterprises,
    c.pre_listed_enterprises,
    coalesce(a.total_tax_yuan, 0) as total_tax_yuan,
    coalesce(a.electricity_kwh, 0) as electricity_kwh,
    coalesce(a.insured_headcount, 0) as insured_headcount
from counts c
left join activity a using (park_code, month_start)
left join parks p using (park_code)
