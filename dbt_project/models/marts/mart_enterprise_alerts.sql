{#- 风险预警 / 企业诊断: the early warnings that only several departments together can give, for every enterprise
    registered here and every month the sources cover. Each rule of ref_alert_rules (the alert-rule files) names a
    signal and its thresholds; a row is one rule raised for one enterprise in one month, with the figures that raised
    it (the evidence columns its signal fills; the others are NULL) and a sentence a park's staff can read out.
    Year-on-year signals compare a month with the same month a year earlier and only where both months have a figure:
    a month whose return or meter reading is missing is not judged (a late delivery is not a fall).
    Grain: one row per rule, 企业码 and month. -#}
with rules as (
    select * from {{ ref('ref_alert_rules') }}
),

months as (
    select * from {{ ref('fct_enterprise_month') }}
),

enterprises as (
    select
        enterprise_code, pripid, enterprise_name, park_code, park_name, section_code, registration_status,
        deregistered_on
    from {{ ref('dim_enterprise') }}
    where not is_external
),

-- the months each department delivered at all: a month the grid has not delivered is not a month without power
grid_months as (
    select distinct period as month_start from {{ ref('stg_grid__consumption') }}
),

latest_month as (
    select max(month_start) as month_start from months
),

month_ends as (
    select distinct month_start, {{ dbt.last_day('month_start', 'month') }} as month_end from months
),

-- each enterprise-month beside the same month a year earlier
year_on_year as (
    select
        cur.enterprise_code,
        cur.month_start,
        cur.total_tax_yuan as tax_yuan,
        prev.total_tax_yuan as tax_prior_year_yuan,
        cur.electricity_kwh,
        prev.electricity_kwh as electricity_prior_year_kwh,
        cur.insured_headcount,
        prev.insured_headcount as insured_headcount_prior_year
    from months cur
    join months prev
        on prev.enterprise_code = cur.enterprise_code
            and prev.month_start = {{ dbt.dateadd('month', -12, 'cur.month_start') }}
    where cur.enterprise_code in (select e.enterprise_code from enterprises e)
),

-- tax_decline: the months tax fell at least drop_at_least on a year earlier
tax_falls as (
    select
        r.rule_id, y.enterprise_code, y.month_start, r.months_running as months_required,
        y.tax_yuan, y.tax_prior_year_yuan, y.tax_yuan / y.tax_prior_year_yuan - 1 as tax_change
    from year_on_year y
    join rules r on r.signal = 'tax_decline'
    where y.tax_prior_year_yuan > 0 and y.tax_prior_year_yuan > r.min_prior_year_tax_yuan
        and y.tax_yuan is not null
        and y.tax_yuan <= y.tax_prior_year_yuan * (1 - r.drop_at_least)
),

-- power_and_headcount_falling: the months both fell at least their thresholds on a year earlier
shrinking as (
    select
        r.rule_id, y.enterprise_code, y.month_start, r.months_running as months_required,
        y.electricity_kwh, y.electricity_prior_year_kwh,
        y.electricity_kwh / y.electricity_prior_year_kwh - 1 as electricity_change,
        y.insured_headcount, y.insured_headcount_prior_year,
        y.insured_headcount / y.insured_headcount_prior_year - 1 as headcount_change
    from year_on_year y
    join rules r on r.signal = 'power_and_headcount_falling'
    where y.electricity_prior_year_kwh > 0 and y.electricity_kwh is not null
        and y.electricity_kwh <= y.electricity_prior_year_kwh * (1 - r.electricity_drop_at_least)
        and y.insured_headcount_prior_year > 0 and y.insured_headcount is not null
        and y.insured_headcount <= y.insured_headcount_prior_year * (1 - r.headcount_drop_at_least)
),

rule_sections as (
    select rule_id, section_code
    from {{ split_to_rows('rules', 'sections', 'section_code') }}
),

-- sales_without_power: sales declared in a month the grid delivered, with at most max_electricity_kwh metered
unpowered as (
    select
        r.rule_id, m.enterprise_code, m.month_start, r.months_running as months_required,
        m.sales_revenue_yuan, coalesce(m.electricity_kwh, 0) as electricity_kwh
    from months m
    join enterprises e on e.enterprise_code = m.enterprise_code
    join rules r on r.signal = 'sales_without_power'
    where m.month_start in (select g.month_start from grid_months g)
        and m.sales_revenue_yuan >= r.min_sales_yuan
        and coalesce(m.electricity_kwh, 0) <= r.max_electricity_kwh
        and (r.sections is null or exists (
            select 1 from rule_sections s where s.rule_id = r.rule_id and s.section_code = e.section_code
        ))
),

-- months running: consecutive months of one rule and enterprise share an island (month number - row number)
runs as (
    select
        rule_id, enterprise_code, month_start, months_required,
        tax_yuan, tax_prior_year_yuan, tax_change,
        cast(null as double) as electricity_kwh, cast(null as double) as electricity_prior_year_kwh,
        cast(null as double) as electricity_change, cast(null as double) as insured_headcount,
        cast(null as double) as insured_headcount_prior_year, cast(null as double) as headcount_change,
        cast(null as double) as sales_revenue_yuan
    from tax_falls
    union all
    select
        rule_id, enterprise_code, month_start, months_required,
        null, null, null,
        electricity_kwh, electricity_prior_year_kwh, electricity_change,
        insured_headcount, insured_headcount_prior_year, headcount_change,
        null
    from shrinking
    union all
    select
        rule_id, enterprise_code, month_start, months_required,
        null, null, null,
        electricity_kwh, null, null,
        null, null, null,
        sales_revenue_yuan
    from unpowered
),

islands as (
    select
        *,
        extract(year from month_start) * 12 + extract(month from month_start)
        - row_number() over (partition by rule_id, enterprise_code order by month_start) as island
    from runs
),

running as (
    select
        *,
        row_number() over (partition by rule_id, enterprise_code, island order by month_start) as months_running
    from islands
),

rule_statuses as (
    select rule_id, registration_status
    from {{ split_to_rows('rules', 'statuses', 'registration_status') }}
),

status_changes as (
    select pripid, max(changed_on) as status_changed_on
    from {{ ref('stg_samr__changes') }}
    where changed_item = '登记状态'
    group by pripid
),

-- closed_but_active: closed on S1's deregistration date, else its last status change; with neither, only the
-- latest month is judged
closed as (
    select
        e.enterprise_code, e.registration_status,
        coalesce(e.deregistered_on, s.status_changed_on) as closed_on
    from enterprises e
    left join status_changes s on s.pripid = e.pripid
    where e.registration_status in ('2', '3', '5')
),

still_active as (
    select
        r.rule_id, m.enterprise_code, m.month_start, c.registration_status, c.closed_on,
        m.electricity_kwh, m.insured_headcount
    from closed c
    join months m on m.enterprise_code = c.enterprise_code
    join rule_statuses rs on rs.registration_status = c.registration_status
    join rules r on r.rule_id = rs.rule_id and r.signal = 'closed_but_active'
    where (m.electricity_kwh >= r.min_electricity_kwh or m.insured_headcount >= r.min_insured_headcount)
        and (
            (c.closed_on is null and m.month_start = (select l.month_start from latest_month l))
            or m.month_start >= {{ dbt.dateadd('month', 'r.grace_months + 1', "date_trunc('month', c.closed_on)") }}
        )
),

-- newly_abnormal: listed within the last within_months months (its own included), not removed by the month's end
newly_listed as (
    select r.rule_id, e.enterprise_code, me.month_start, a.listed_on, a.reason
    from {{ ref('stg_samr__abnormal_operations') }} a
    join enterprises e on e.pripid = a.pripid
    cross join month_ends me
    join rules r on r.signal = 'newly_abnormal'
    where a.listed_on <= me.month_end
        and a.listed_on >= {{ dbt.dateadd('month', '1 - r.within_months', 'me.month_start') }}
        and (a.removed_on is null or a.removed_on > me.month_end)
),

raised as (
    select
        rule_id, enterprise_code, month_start, months_running,
        tax_yuan, tax_prior_year_yuan, tax_change,
        electricity_kwh, electricity_prior_year_kwh, electricity_change,
        insured_headcount, insured_headcount_prior_year, headcount_change,
        sales_revenue_yuan,
        cast(null as string) as registration_status, cast(null as date) as closed_on,
        cast(null as date) as abnormal_listed_on, cast(null as string) as abnormal_reason
    from running
    where months_running >= months_required
    union all
    select
        rule_id, enterprise_code, month_start, null,
        null, null, null,
        electricity_kwh, null, null,
        insured_headcount, null, null,
        null,
        registration_status, closed_on, null, null
    from still_active
    union all
    select
        rule_id, enterprise_code, month_start, null,
        null, null, null,
        null, null, null,
        null, null, null,
        null,
        null, null, listed_on, reason
    from newly_listed
)

select
    -- ids
    a.rule_id,
    a.enterprise_code,
    cast(a.month_start as date) as month_start,
    -- the rule
    r.title as rule_title,
    r.signal,
    r.severity,
    r.follow_up,
    -- the enterprise
    e.enterprise_name,
    e.park_code,
    e.park_name,
    -- the evidence
    cast(a.months_running as integer) as months_running,
    cast(a.tax_yuan as double) as tax_yuan,
    cast(a.tax_prior_year_yuan as double) as tax_prior_year_yuan,
    cast(a.tax_change as double) as tax_change,
    cast(a.electricity_kwh as double) as electricity_kwh,
    cast(a.electricity_prior_year_kwh as double) as electricity_prior_year_kwh,
    cast(a.electricity_change as double) as electricity_change,
    cast(a.insured_headcount as double) as insured_headcount,
    cast(a.insured_headcount_prior_year as double) as insured_headcount_prior_year,
    cast(a.headcount_change as double) as headcount_change,
    cast(a.sales_revenue_yuan as double) as sales_revenue_yuan,
    cast(a.registration_status as string) as registration_status,
    cast(a.closed_on as date) as closed_on,
    cast(a.abnormal_listed_on as date) as abnormal_listed_on,
    cast(a.abnormal_reason as string) as abnormal_reason,
    case r.signal
        when 'tax_decline'
            then
                'tax ' || {{ display_number(round_half_up('a.tax_yuan')) }} || ' 元 against '
                || {{ display_number(round_half_up('a.tax_prior_year_yuan')) }} || ' 元 a year earlier ('
                || cast(cast({{ round_half_up('a.tax_change * 100') }} as integer) as string) || '%), '
                || cast(a.months_running as string) || ' months running'
        when 'power_and_headcount_falling'
            then
                'electricity ' || {{ display_number(round_half_up('a.electricity_kwh')) }} || ' kWh against '
                || {{ display_number(round_half_up('a.electricity_prior_year_kwh')) }} || ' ('
                || cast(cast({{ round_half_up('a.electricity_change * 100') }} as integer) as string) || '%), insured '
                || cast(cast(a.insured_headcount as bigint) as string) || ' against '
                || cast(cast(a.insured_headcount_prior_year as bigint) as string) || ' ('
                || cast(cast({{ round_half_up('a.headcount_change * 100') }} as integer) as string)
                || '%) a year earlier, '
                || cast(a.months_running as string) || ' months running'
        when 'closed_but_active'
            then
                case a.registration_status when '2' then 'revoked (吊销)' when '3' then 'deregistered (注销)'
                    else 'cancelled (撤销)'
                end
                || coalesce(' on ' || cast(cast(a.closed_on as date) as string), ' (closing date unknown)')
                || ', yet ' || concat_ws(
                    ' and ',
                    {{ display_number(round_half_up('a.electricity_kwh')) }} || ' kWh metered',
                    cast(cast(a.insured_headcount as bigint) as string) || ' insured'
                )
                || ' this month'
        when 'newly_abnormal'
            then
                'on the abnormal-operation list since ' || cast(cast(a.abnormal_listed_on as date) as string)
                || coalesce(': ' || a.abnormal_reason, '')
        when 'sales_without_power' then
            'sales ' || {{ display_number(round_half_up('a.sales_revenue_yuan')) }} || ' 元 declared with '
            || {{ display_number(round_half_up('a.electricity_kwh')) }} || ' kWh metered, '
            || cast(a.months_running as string) || ' months running'
    end as evidence
from raised a
join rules r on r.rule_id = a.rule_id
join enterprises e on e.enterprise_code = a.enterprise_code
