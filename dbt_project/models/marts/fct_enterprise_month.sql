{#- Monthly facts of every enterprise: tax by kind and sales revenue (S2), electricity (S6), social insurance (S5),
    summed over every source record linked to the enterprise. Amounts in 元, energy in kWh.
    Grain: one row per 企业码 and month (month_start). -#}
with xref as (
    select source_system, source_record_key, enterprise_code
    from {{ ref('xref_source_record') }}
    where enterprise_code is not null
),

tax as (
    select
        x.enterprise_code, t.tax_period as month_start,
        {{ sum_yuan('t.vat') }} as vat_yuan,
        {{ sum_yuan('t.corporate_income_tax') }} as corporate_income_tax_yuan,
        {{ sum_yuan('t.other_taxes') }} as other_taxes_yuan,
        {{ sum_yuan('t.total_tax') }} as total_tax_yuan,
        {{ sum_yuan('t.sales_revenue') }} as sales_revenue_yuan,
        count(*) filter (where t.total_mismatch) as tax_rows_with_total_mismatch
    from {{ ref('stg_tax__returns') }} t
    join xref x on x.source_system = 'tax' and x.source_record_key = t.source_record_key
    group by x.enterprise_code, t.tax_period
),

power as (
    select
        x.enterprise_code, g.period as month_start,
        sum(g.active_energy_kwh) as electricity_kwh,
        {{ sum_yuan('g.electricity_fee_yuan') }} as electricity_fee_yuan,
        count(distinct g.source_record_key) as metering_accounts
    from {{ ref('stg_grid__consumption') }} g
    join xref x on x.source_system = 'grid' and x.source_record_key = g.source_record_key
    group by x.enterprise_code, g.period
),

insurance as (
    select
        x.enterprise_code, h.period as month_start,
        sum(h.insured_headcount) as insured_headcount,
        {{ sum_yuan('h.contribution_base_yuan') }} as contribution_base_yuan
    from {{ ref('stg_hrss__employers') }} h
    join xref x on x.source_system = 'hrss' and x.source_record_key = h.source_record_key
    group by x.enterprise_code, h.period
),

keys as (
    select enterprise_code, month_start from tax
    union
    select enterprise_code, month_start from power
    union
    select enterprise_code, month_start from insurance
)

select
    k.enterprise_code,
    k.month_start,
    -- tax, 元
    t.vat_yuan,
    t.corporate_income_tax_yuan,
    t.other_taxes_yuan,
    t.total_tax_yuan,
    t.sales_revenue_yuan,
    coalesce(t.tax_rows_with_total_mismatch, 0) as tax_rows_with_total_mismatch,
    -- electricity
    p.electricity_kwh,
    p.electricity_fee_yuan,
    p.metering_accounts,
    -- social insurance
    i.insured_headcount,
    i.contribution_base_yuan
from keys k
left join tax t using (enterprise_code, month_start)
left join power p using (enterprise_code, month_start)
left join insurance i using (enterprise_code, month_start)
