{#- 亩均效益评价 (the Zhejiang "亩均论英雄" method), for industrial enterprises holding industrial land.
    Above designated size (in S3 that year): 亩均税收, 亩均增加值, 单位能耗增加值, 单位排放增加值, 全员劳动生产率,
    R&D intensity; below: 亩均税收 and tax per kWh. Each indicator scores value / benchmark x weight, the benchmark
    being a multiple of the evaluated set's average, capped; a missing value (no emissions monitored, say) gets the
    set's average score for that item. Classes by rank within the year's evaluated set of the same scope; an
    enterprise founded less than two years before the year's end is class T (not evaluated). Weights, benchmarks,
    caps and class cut-offs come from the seeds mu_evaluation_method and mu_evaluation_classes.
    Grain: one row per 企业码 and year. -#}
with years as (
    select * from {{ ref('fct_enterprise_year') }}
),

enterprises as (
    select * from {{ ref('dim_enterprise') }}
),

-- a year is evaluated only when the tax returns cover all of it: 亩均税收 is the method's heaviest item
evaluable_years as (
    select extract(year from month_start) as fiscal_year
    from {{ ref('fct_enterprise_month') }}
    where total_tax_yuan is not null
    group by extract(year from month_start)
    having count(distinct month_start) = 12
),

evaluated as (
    select
        y.enterprise_code,
        y.fiscal_year,
        case when y.operating_revenue_yuan is not null then 'above_scale' else 'below_scale' end as scope,
        y.industrial_land_mu,
        e.founded_on,
        e.founded_on > {{ date_in_year('y.fiscal_year - 2', 12, 31) }} as is_new,
        y.total_tax_yuan,
        y.industrial_value_added_yuan,
        y.energy_consumption_tce,
        nullif(
            coalesce(y.cod_t, 0) + coalesce(y.ammonia_nitrogen_t, 0) + coalesce(y.sulfur_dioxide_t, 0)
            + coalesce(y.nitrogen_oxides_t, 0) + coalesce(y.vocs_t, 0), 0
        ) as emissions_t,
        y.employees_year_end,
        y.rd_expenditure_yuan,
        y.operating_revenue_yuan,
        y.electricity_kwh
    from years y
    join enterprises e using (enterprise_code)
    where e.is_industrial and y.industrial_land_mu > 0
        and y.fiscal_year in (select v.fiscal_year from evaluable_years v)
        and (e.deregistered_on is null or e.deregistered_on > {{ date_in_year('y.fiscal_year', 12, 31) }})
),

indicators as (
    -- one row per enterprise, year and indicator (the method seed says which indicators a scope uses); divided as
    -- doubles (Spark keeps 6 decimals of a quotient of decimals)
    select
        enterprise_code,
        fiscal_year,
        scope,
        'tax_per_mu' as indicator,
        cast(total_tax_yuan as double) / industrial_land_mu as value
    from evaluated where not is_new
    union all
    select
        enterprise_code,
        fiscal_year,
        scope,
        'value_added_per_mu' as indicator,
        cast(industrial_value_added_yuan as double) / industrial_land_mu as value
    from evaluated where not is_new
    union all
    select
        enterprise_code,
        fiscal_year,
        scope,
        'value_added_per_energy' as indicator,
        cast(industrial_value_added_yuan as double) / nullif(energy_consumption_tce, 0) as value
    from evaluated where not is_new
    union all
    select
        enterprise_code,
        fiscal_year,
        scope,
        'value_added_per_emission' as indicator,
        cast(industrial_value_added_yuan as double) / emissions_t as value
    from evaluated where not is_new
    union all
    select
        enterprise_code,
        fiscal_year,
        scope,
        'labour_productivity' as indicator,
        cast(industrial_value_added_yuan as double) / nullif(employees_year_end, 0) as value
    from evaluated where not is_new
    union all
    select
        enterprise_code,
        fiscal_year,
        scope,
        'rd_intensity' as indicator,
        cast(rd_expenditure_yuan as double) / nullif(operating_revenue_yuan, 0) as value
    from evaluated where not is_new
    union all
    select
        enterprise_code,
        fiscal_year,
        scope,
        'tax_per_kwh' as indicator,
        cast(total_tax_yuan as double) / nullif(electricity_kwh, 0) as value
    from evaluated where not is_new
),

method as (
    select * from {{ ref('mu_evaluation_method') }}
),

benchmarks as (
    select i.fiscal_year, i.scope, i.indicator, avg(i.value) * m.benchmark_multiple as benchmark
    from indicators i
    join method m using (scope, indicator)
    where i.value is not null
    group by i.fiscal_year, i.scope, i.indicator, m.benchmark_multiple
),

scored as (
    select
        i.*,
        b.benchmark,
        m.weight,
        -- greatest() and least() skip NULLs (DuckDB, PostgreSQL): a missing value must stay missing here
        case
            when i.value is not null and b.benchmark > 0
                then greatest(least(i.value / b.benchmark, m.score_cap), 0) * m.weight
        end as item_score
    from indicators i
    join method m using (scope, indicator)
    left join benchmarks b using (fiscal_year, scope, indicator)
),

filled as (
    -- no value for an item (emissions not monitored): the evaluated set's average score for that item
    select
        *, coalesce(item_score, avg(item_score) over (partition by fiscal_year, scope, indicator)) as final_item_score
    from scored
),

totals as (
    select
        enterprise_code, fiscal_year, scope,
        {{ round_half_up('sum(final_item_score)', 2) }} as total_score,
        max(value) filter (where indicator = 'tax_per_mu') as tax_per_mu_yuan,
        max(value) filter (where indicator = 'value_added_per_mu') as value_added_per_mu_yuan,
        max(value) filter (where indicator = 'value_added_per_energy') as value_added_per_tce_yuan,
        max(value) filter (where indicator = 'value_added_per_emission') as value_added_per_emission_t_yuan,
        max(value) filter (where indicator = 'labour_productivity') as labour_productivity_yuan,
        max(value) filter (where indicator = 'rd_intensity') as rd_intensity,
        max(value) filter (where indicator = 'tax_per_kwh') as tax_per_kwh_yuan
    from filled
    group by enterprise_code, fiscal_year, scope
),

ranked as (
    select
        *,
        (row_number() over (partition by fiscal_year, scope order by total_score desc, enterprise_code asc) - 1)
        / count(*) over (partition by fiscal_year, scope) as rank_share
    from totals
),

classes as (
    select * from {{ ref('mu_evaluation_classes') }}
)

select
    e.enterprise_code,
    e.fiscal_year,
    e.scope,
    e.industrial_land_mu,
    r.tax_per_mu_yuan,
    r.value_added_per_mu_yuan,
    r.value_added_per_tce_yuan,
    r.value_added_per_emission_t_yuan,
    r.labour_productivity_yuan,
    r.rd_intensity,
    r.tax_per_kwh_yuan,
    r.total_score,
    {{ round_half_up('r.rank_share', 4) }} as rank_share,
    case when e.is_new then 'T' else c.evaluation_class end as evaluation_class
from evaluated e
left join ranked r using (enterprise_code, fiscal_year, scope)
left join classes c on r.rank_share >= c.rank_share_from and r.rank_share < c.rank_share_to
