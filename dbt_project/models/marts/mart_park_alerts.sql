{#- The early warnings of each park, month by month: how many of its enterprises each signal raised, how many any
    rule raised, and at high severity, beside the enterprises registered in the park. Every park and every month the
    sources cover has a row, quiet months included. year_on_year_judged says whether the month's year-earlier month
    was delivered: without it the year-on-year signals (tax_decline, power_and_headcount_falling) were not judged and
    their zero means nothing. Grain: one row per park and month. -#}
with alerts as (
    select * from {{ ref('mart_enterprise_alerts') }}
    where park_code is not null
),

parks as (
    select park_code, park_name from {{ ref('dim_park') }}
),

covered as (
    select distinct month_start from {{ ref('fct_enterprise_month') }}
),

judged as (
    select cur.month_start
    from covered cur
    join covered prev on prev.month_start = {{ dbt.dateadd('month', -12, 'cur.month_start') }}
),

registered as (
    select park_code, count(*) as enterprises, count(*) filter (where is_operating) as operating_enterprises
    from {{ ref('dim_enterprise') }}
    where park_code is not null and not is_external
    group by park_code
),

tallies as (
    select
        park_code,
        month_start,
        count(*) as alerts,
        count(distinct enterprise_code) as enterprises_alerted,
        count(distinct case when severity = 'high' then enterprise_code end) as enterprises_alerted_high,
    {%- for signal in alert_signals() %}
        count(distinct case when signal = '{{ signal.name }}' then enterprise_code end) as {{ signal.name }}_enterprises
        {{- "," if not loop.last }}
    {%- endfor %}
    from alerts
    group by park_code, month_start
)

select
    p.park_code,
    p.park_name,
    cast(c.month_start as date) as month_start,
    j.month_start is not null as year_on_year_judged,
    coalesce(g.enterprises, 0) as enterprises,
    coalesce(g.operating_enterprises, 0) as operating_enterprises,
    coalesce(t.alerts, 0) as alerts,
    coalesce(t.enterprises_alerted, 0) as enterprises_alerted,
    coalesce(t.enterprises_alerted_high, 0) as enterprises_alerted_high,
{%- for signal in alert_signals() %}
    coalesce(t.{{ signal.name }}_enterprises, 0) as {{ signal.name }}_enterprises
    {{- "," if not loop.last }}
{%- endfor %}
from parks p
cross join covered c
left join judged j on j.month_start = c.month_start
left join registered g on g.park_code = p.park_code
left join tallies t on t.park_code = p.park_code and t.month_start = c.month_start
