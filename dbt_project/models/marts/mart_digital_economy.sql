{#- 数字经济核心产业 per park and year: the enterprises registered in each park whose GB/T 4754-2017 class belongs to a
    core category (01-04) of 数字经济及其核心产业统计分类(2021) (ref_digital_economy_classes), with their revenue and
    output (S3, the statistics bureau's annual figures: above-scale enterprises only), the sales they declared and the
    tax they paid (S2, every taxpayer). A class the table stars counts only in part: those enterprises and their
    figures are also given apart (*_in_part), so that a park can report the core without them, or with them flagged.
    An enterprise counts in a year it was operating in: founded by the year's end, not deregistered before it
    began. Grain: one row per park and year. -#}
with classes as (
    select
        industry_code,
        -- a class counts in part only when every mapping of it is starred
        bool_and(is_partial) as is_partial,
        min(category_code) as category_code
    from {{ ref('ref_digital_economy_classes') }}
    where category_code in ('01', '02', '03', '04')
    group by industry_code
),

years as (
    select distinct fiscal_year from {{ ref('fct_enterprise_year') }}
    union
    select distinct cast(extract(year from month_start) as integer) from {{ ref('fct_enterprise_month') }}
),

enterprises as (
    select e.enterprise_code, e.park_code, e.founded_on, e.deregistered_on, c.is_partial, c.category_code
    from {{ ref('dim_enterprise') }} e
    join classes c on c.industry_code = e.industry_code
    where not e.is_external and e.park_code is not null
),

monthly as (
    select
        enterprise_code,
        cast(extract(year from month_start) as integer) as fiscal_year,
        sum(sales_revenue_yuan) as sales_revenue_yuan,
        sum(total_tax_yuan) as tax_yuan
    from {{ ref('fct_enterprise_month') }}
    group by enterprise_code, cast(extract(year from month_start) as integer)
),

core_years as (
    select
        e.park_code, y.fiscal_year, e.enterprise_code, e.is_partial, e.category_code,
        f.operating_revenue_yuan, f.gross_industrial_output_yuan, m.sales_revenue_yuan, m.tax_yuan
    from enterprises e
    cross join years y
    left join {{ ref('fct_enterprise_year') }} f
        on f.enterprise_code = e.enterprise_code and f.fiscal_year = y.fiscal_year
    left join monthly m on m.enterprise_code = e.enterprise_code and m.fiscal_year = y.fiscal_year
    where (e.founded_on is null or extract(year from e.founded_on) <= y.fiscal_year)
        and (e.deregistered_on is null or extract(year from e.deregistered_on) >= y.fiscal_year)
),

tallies as (
    select
        park_code,
        fiscal_year,
        count(*) as core_enterprises,
        count(*) filter (where category_code = '01') as product_manufacturing_enterprises,
        count(*) filter (where category_code = '02') as product_services_enterprises,
        count(*) filter (where category_code = '03') as technology_application_enterprises,
        count(*) filter (where category_code = '04') as factor_driven_enterprises,
        sum(operating_revenue_yuan) as operating_revenue_yuan,
        sum(gross_industrial_output_yuan) as gross_output_yuan,
        sum(sales_revenue_yuan) as declared_sales_yuan,
        sum(tax_yuan) as tax_yuan,
        count(*) filter (where is_partial) as core_enterprises_in_part,
        sum(case when is_partial then operating_revenue_yuan end) as operating_revenue_yuan_in_part,
        sum(case when is_partial then gross_industrial_output_yuan end) as gross_output_yuan_in_part,
        sum(case when is_partial then sales_revenue_yuan end) as declared_sales_yuan_in_part,
        sum(case when is_partial then tax_yuan end) as tax_yuan_in_part
    from core_years
    group by park_code, fiscal_year
)

select
    p.park_code,
    p.park_name,
    cast(y.fiscal_year as integer) as fiscal_year,
    cast(coalesce(t.core_enterprises, 0) as bigint) as core_enterprises,
    cast(coalesce(t.product_manufacturing_enterprises, 0) as bigint) as product_manufacturing_enterprises,
    cast(coalesce(t.product_services_enterprises, 0) as bigint) as product_services_enterprises,
    cast(coalesce(t.technology_application_enterprises, 0) as bigint) as technology_application_enterprises,
    cast(coalesce(t.factor_driven_enterprises, 0) as bigint) as factor_driven_enterprises,
    cast(t.operating_revenue_yuan as double) as operating_revenue_yuan,
    cast(t.gross_output_yuan as double) as gross_output_yuan,
    cast(t.declared_sales_yuan as double) as declared_sales_yuan,
    cast(t.tax_yuan as double) as tax_yuan,
    cast(coalesce(t.core_enterprises_in_part, 0) as bigint) as core_enterprises_in_part,
    cast(t.operating_revenue_yuan_in_part as double) as operating_revenue_yuan_in_part,
    cast(t.gross_output_yuan_in_part as double) as gross_output_yuan_in_part,
    cast(t.declared_sales_yuan_in_part as double) as declared_sales_yuan_in_part,
    cast(t.tax_yuan_in_part as double) as tax_yuan_in_part,
    (select count(*) from {{ ref('ref_digital_economy_classes') }}) > 0 as classification_loaded
from {{ ref('dim_park') }} p
cross join years y
left join tallies t on t.park_code = p.park_code and t.fiscal_year = y.fiscal_year
