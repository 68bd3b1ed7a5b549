{#- What a policy condition may read: one column per field of the vocabulary (contracts/policies.py, FIELDS; the
    table in policies/README.md), under the field's name, for every enterprise registered here (not external).
    Flags and 12-month figures hold as of as_of_date; S3's figures are those of its latest year (stats_year); the
    亩均 class is that of the latest year evaluated (mu_evaluation_year). A NULL is a figure nobody reported (outside every park
    is park_code 'none', no 专精特新 recognition srdi_tier 'none': facts, not missing figures).
    Grain: one row per 企业码 registered here. -#}
with enterprises as (
    select * from {{ ref('dim_enterprise') }}
    where not is_external
),

profile as (
    select * from {{ ref('mart_enterprise_profile') }}
),

-- S3's latest year, and whether its list of the year before has landed
stats_years as (
    select distinct report_year from {{ ref('stg_stats__indicators') }}
),

stats_year as (
    select
        max(report_year) as latest_year,
        max(report_year) - 1 in (select y.report_year from stats_years y) as has_previous_year
    from stats_years
),

-- the enterprises of each S3 list
stats_members as (
    select distinct x.enterprise_code, s.report_year
    from {{ ref('stg_stats__indicators') }} s
    join {{ ref('xref_source_record') }} x on x.source_system = 'stats' and x.source_record_key = s.source_record_key
    where x.enterprise_code is not null
),

stats_figures as (
    select y.*
    from {{ ref('fct_enterprise_year') }} y
    join stats_year s on y.fiscal_year = s.latest_year
),

mu_year as (
    select max(fiscal_year) as fiscal_year from {{ ref('mart_mu_efficiency') }}
),

mu as (
    select m.enterprise_code, m.evaluation_class
    from {{ ref('mart_mu_efficiency') }} m
    join mu_year using (fiscal_year)
)

select
    -- ids and when
    e.enterprise_code,
    cast(extract(year from e.as_of_date) as integer) as evaluation_year,
    e.as_of_date,
    cast(sy.latest_year as integer) as stats_year,
    cast(my.fiscal_year as integer) as mu_evaluation_year,
    -- where the enterprise is and what it does
    e.industry_code,
    e.section_code,
    coalesce(e.park_code, 'none') as park_code,
    e.division_code,
    e.founded_on,
    -- flags
    e.is_operating,
    e.is_above_designated_size,
    case
        when sy.has_previous_year then previous.enterprise_code is not null
    end as was_above_designated_size_previous_year,
    e.is_high_tech,
    coalesce(e.srdi_tier, 'none') as srdi_tier,
    e.is_on_abnormal_list,
    -- figures, 元 and persons
    cast(f.operating_revenue_yuan as double) as operating_revenue_yuan,
    cast(f.rd_expenditure_yuan as double) as rd_expenditure_yuan,
    cast(f.rd_expenditure_yuan as double) / nullif(cast(f.operating_revenue_yuan as double), 0) as rd_intensity,
    cast(f.employees_year_end as double) as employees_year_end,
    cast(p.sales_revenue_12m_yuan as double) as sales_revenue_12m_yuan,
    cast(p.total_tax_12m_yuan as double) as total_tax_12m_yuan,
    cast(p.latest_insured_headcount as double) as insured_headcount,
    -- 亩均效益: not_evaluated outside the latest evaluated set, NULL when no year has been evaluated
    case when my.fiscal_year is not null then coalesce(mu.evaluation_class, 'not_evaluated') end as mu_evaluation_class
from enterprises e
cross join stats_year sy
cross join mu_year my
left join profile p on p.enterprise_code = e.enterprise_code
left join stats_figures f on f.enterprise_code = e.enterprise_code
left join stats_members previous
    on previous.enterprise_code = e.enterprise_code and previous.report_year = sy.latest_year - 1
left join mu on mu.enterprise_code = e.enterprise_code
