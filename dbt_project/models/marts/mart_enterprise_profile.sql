{#- 企业画像: one wide row per enterprise with every department's picture, for a one-stop lookup by 企业码.
    Public attributes only (no personal data). Grain: one row per 企业码. -#}
with enterprises as (
    select * from {{ ref('dim_enterprise') }}
),

latest_year as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by enterprise_code
                order by
                    case when operating_revenue_yuan is not null then 0 else 1 end,
                    fiscal_year desc
            ) as place
        from {{ ref('fct_enterprise_year') }}
    ) ranked_years
    where place = 1
),

last_12_months as (
    select
        f.enterprise_code,
        {{ sum_yuan('f.total_tax_yuan') }} as total_tax_12m_yuan,
        {{ sum_yuan('f.sales_revenue_yuan') }} as sales_revenue_12m_yuan,
        sum(f.electricity_kwh) as electricity_12m_kwh,
        {{ max_by_known('f.insured_headcount', 'f.month_start') }} as latest_insured_headcount
    from {{ ref('fct_enterprise_month') }} f
    join enterprises e using (enterprise_code)
    where f.month_start > {{ dbt.dateadd('month', -12, 'e.as_of_date') }}
    group by f.enterprise_code
),

mu as (
    select *
    from (
        select *, row_number() over (partition by enterprise_code order by fiscal_year desc) as place
        from {{ ref('mart_mu_efficiency') }}
    ) ranked_evaluations
    where place = 1
),

records as (
    select
        enterprise_code,
        count(*) filter (where source_system = 'tax') as tax_records,
        count(*) filter (where source_system = 'grid') as grid_accounts,
        count(*) filter (where source_system = 'hrss') as hrss_employer_numbers,
        count(*) filter (where source_system = 'land') as land_parcels,
        count(*) filter (where source_system = 'eco') as discharge_permits,
        count(*) filter (where source_system = 'most') as high_tech_certificates,
        count(*) filter (where source_system = 'miit') as recognitions,
        count(*) filter (where source_system = 'cnipa') as patent_applications,
        count(distinct source_system) as source_systems
    from {{ ref('xref_source_record') }}
    where enterprise_code is not null
    group by enterprise_code
)

select
    e.enterprise_code,
    e.uscc,
    e.enterprise_name,
    e.is_external,
    e.entity_type_code,
    e.registration_status,
    e.is_operating,
    e.founded_on,
    e.registered_capital_yuan,
    e.registered_address,
    e.division_code,
    e.division_name,
    e.park_code,
    e.park_name,
    e.industry_code,
    e.section_name,
    e.industry_division_name,
    e.is_above_designated_size,
    e.is_four_above,
    e.is_high_tech,
    e.srdi_tier,
    e.is_listed,
    e.is_pre_listed,
    e.is_on_abnormal_list,
    m.total_tax_12m_yuan,
    m.sales_revenue_12m_yuan,
    m.electricity_12m_kwh,
    m.latest_insured_headcount,
    y.fiscal_year as latest_fiscal_year,
    y.gross_industrial_output_yuan,
    y.operating_revenue_yuan,
    y.industrial_value_added_yuan,
    y.rd_expenditure_yuan,
    y.energy_consumption_tce,
    y.employees_year_end,
    y.land_mu,
    y.patents_filed,
    y.patents_granted,
    mu.evaluation_class as mu_evaluation_class,
    mu.total_score as mu_total_score,
    coalesce(r.source_systems, 0) + case when e.is_external then 0 else 1 end as source_systems,
    coalesce(r.tax_records, 0) as tax_records,
    coalesce(r.grid_accounts, 0) as grid_accounts,
    coalesce(r.hrss_employer_numbers, 0) as hrss_employer_numbers,
    coalesce(r.land_parcels, 0) as land_parcels,
    coalesce(r.discharge_permits, 0) as discharge_permits,
    coalesce(r.high_tech_certificates, 0) as high_tech_certificates,
    coalesce(r.recognitions, 0) as recognitions,
    coalesce(r.patent_applications, 0) as patent_applications,
    e.as_of_date
from enterprises e
left join last_12_months m using (enterprise_code)
left join latest_year y using (enterprise_code)
left join mu using (enterprise_code)
left join records r using (enterprise_code)
