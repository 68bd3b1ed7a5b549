{#- Annual facts of every enterprise: S3 output, revenue, value added, R&D, energy and employees (元, 吨标准煤);
    S7 emissions by pollutant (t); S10 land held in 亩 by use; S9 patents filed and granted by type; and the year's
    totals of the monthly facts. Grain: one row per 企业码 and year. -#}
with xref as (
    select source_system, source_record_key, enterprise_code
    from {{ ref('xref_source_record') }}
    where enterprise_code is not null
),

stats as (
    select
        x.enterprise_code, s.report_year as fiscal_year,
        {{ sum_yuan('s.gross_industrial_output_yuan') }} as gross_industrial_output_yuan,
        {{ sum_yuan('s.operating_revenue_yuan') }} as operating_revenue_yuan,
        {{ sum_yuan('s.industrial_value_added_yuan') }} as industrial_value_added_yuan,
        {{ sum_yuan('s.rd_expenditure_yuan') }} as rd_expenditure_yuan,
        sum(s.energy_consumption_tce) as energy_consumption_tce,
        sum(s.employees_year_end) as employees_year_end
    from {{ ref('stg_stats__indicators') }} s
    join xref x on x.source_system = 'stats' and x.source_record_key = s.source_record_key
    group by x.enterprise_code, s.report_year
),

emissions as (
    select
        x.enterprise_code, e.year as fiscal_year,
        sum(e.cod_t) as cod_t,
        sum(e.ammonia_nitrogen_t) as ammonia_nitrogen_t,
        sum(e.sulfur_dioxide_t) as sulfur_dioxide_t,
        sum(e.nitrogen_oxides_t) as nitrogen_oxides_t,
        sum(e.vocs_t) as vocs_t,
        count(*) filter (where e.cod_t is not null or e.sulfur_dioxide_t is not null or e.nitrogen_oxides_t is not null)
            as monitored_permits
    from {{ ref('stg_eco__permits') }} e
    join xref x on x.source_system = 'eco' and x.source_record_key = e.source_record_key
    group by x.enterprise_code, e.year
),

years as (
    select distinct extract(year from month_start) as fiscal_year from {{ ref('fct_enterprise_month') }}
    union
    select distinct report_year from {{ ref('stg_stats__indicators') }}
    union
    select distinct year from {{ ref('stg_eco__permits') }}
    union
    select distinct extract(year from filed_on) from {{ ref('stg_cnipa__patents') }} where filed_on is not null
),

land as (
    -- a parcel counts in every year its right covers
    select
        x.enterprise_code, y.fiscal_year,
        sum(p.area_mu) filter (where p.land_use = '工业用地') as industrial_land_mu,
        sum(p.area_mu) filter (where p.land_use = '仓储用地') as storage_land_mu,
        sum(p.area_mu) filter (where p.land_use = '商服用地') as commercial_land_mu,
        sum(p.area_mu) filter (where p.land_use = '科教用地') as science_education_land_mu,
        sum(p.area_mu) as land_mu
    from {{ ref('stg_land__parcels') }} p
    join xref x on x.source_system = 'land' and x.source_record_key = p.source_record_key
    join years y
        on (p.starts_on is null or extract(year from p.starts_on) <= y.fiscal_year)
            and (p.ends_on is null or extract(year from p.ends_on) >= y.fiscal_year)
    group by x.enterprise_code, y.fiscal_year
),

applicants as (
    -- an application counts once per enterprise, however many of its applicants resolve to it
    select distinct x.enterprise_code, a.application_number, a.patent_type, a.filed_on, a.granted_on
    from {{ ref('stg_cnipa__patent_applicants') }} a
    join xref x on x.source_system = 'cnipa' and x.source_record_key = a.source_record_key
),

patents_filed as (
    select
        enterprise_code, extract(year from filed_on) as fiscal_year,
        count(*) as patents_filed,
        count(*) filter (where patent_type = '发明') as invention_patents_filed,
        count(*) filter (where patent_type = '实用新型') as utility_patents_filed,
        count(*) filter (where patent_type = '外观设计') as design_patents_filed
    from applicants where filed_on is not null
    group by enterprise_code, extract(year from filed_on)
),

patents_granted as (
    select
        enterprise_code, extract(year from granted_on) as fiscal_year,
        count(*) as patents_granted,
        count(*) filter (where patent_type = '发明') as invention_patents_granted
    from applicants where granted_on is not null
    group by enterprise_code, extract(year from granted_on)
),

monthly as (
    select
        enterprise_code, extract(year from month_start) as fiscal_year,
        {{ sum_yuan('total_tax_yuan') }} as total_tax_yuan,
        {{ sum_yuan('sales_revenue_yuan') }} as sales_revenue_yuan,
        sum(electricity_kwh) as electricity_kwh, avg(insured_headcount) as average_insured_headcount,
        count(distinct month_start) filter (where total_tax_yuan is not null) as months_with_tax
    from {{ ref('fct_enterprise_month') }}
    group by enterprise_code, extract(year from month_start)
),

keys as (
    select enterprise_code, fiscal_year from stats
    union
    select enterprise_code, fiscal_year from emissions
    union
    select enterprise_code, fiscal_year from land
    union
    select enterprise_code, fiscal_year from patents_filed
    union
    select enterprise_code, fiscal_year from patents_granted
    union
    select enterprise_code, fiscal_year from monthly
)

select
    k.enterprise_code,
    cast(k.fiscal_year as integer) as fiscal_year,
    -- S3, 元 and 吨标准煤
    s.gross_industrial_output_yuan, s.operating_revenue_yuan, s.industrial_value_added_yuan, s.rd_expenditure_yuan,
    s.energy_consumption_tce, s.employees_year_end,
    -- S7, tonnes
    e.cod_t, e.ammonia_nitrogen_t, e.sulfur_dioxide_t, e.nitrogen_oxides_t, e.vocs_t,
    coalesce(e.monitored_permits, 0) as monitored_permits,
    -- S10, 亩
    l.industrial_land_mu, l.storage_land_mu, l.commercial_land_mu, l.science_education_land_mu, l.land_mu,
    -- S9
    coalesce(pf.patents_filed, 0) as patents_filed, coalesce(pf.invention_patents_filed, 0) as invention_patents_filed,
    coalesce(pf.utility_patents_filed, 0) as utility_patents_filed,
    coalesce(pf.design_patents_filed, 0) as design_patents_filed,
    coalesce(pg.patents_granted, 0) as patents_granted,
    coalesce(pg.invention_patents_granted, 0) as invention_patents_granted,
    -- the year's monthly facts
    m.total_tax_yuan, m.sales_revenue_yuan, m.electricity_kwh, m.average_insured_headcount, m.months_with_tax
from keys k
left join stats s using (enterprise_code, fiscal_year)
left join emissions e using (enterprise_code, fiscal_year)
left join land l using (enterprise_code, fiscal_year)
left join patents_filed pf using (enterprise_code, fiscal_year)
left join patents_granted pg using (enterprise_code, fiscal_year)
left join monthly m using (enterprise_code, fiscal_year)
