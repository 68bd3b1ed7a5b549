{#- The golden record of every enterprise. Grain: one row per 企业码.
    Each attribute comes from its most authoritative source, kept beside it: S1 for name, status, address, type,
    industry, founding date and capital; S3 completes an industry S1 wrote only as a division; enterprises
    registered elsewhere take their name from the records that named them. The park is decided by the parks file's
    rules (enterprise_park_membership, park_rule says which). Flags hold as of the last month the
    sources cover (as_of_date). -#}
with codes as (
    -- codes merged by today's evidence point to their survivor: only live codes are enterprises (a code whose merge
    -- evidence is gone is live again, though enterprise_code_history keeps that it was once retired)
    select * from {{ ref('int_enterprise_codes') }}
    where enterprise_code not in (select m.retired_code from {{ ref('int_enterprise_code_merges') }} m)
),

registry as (
    select * from {{ ref('stg_samr__entities') }}
),

xref as (
    select * from {{ ref('xref_source_record') }}
),

as_of as (
    select coalesce({{ dbt.last_day('max(period)', 'month') }}, current_date) as as_of_date
    from (
        select tax_period as period from {{ ref('stg_tax__returns') }}
        union all
        select period from {{ ref('stg_grid__consumption') }}
        union all
        select period from {{ ref('stg_hrss__employers') }}
    )
),

-- S3: the most recent year's record of each enterprise
stats_latest as (
    select
        x.enterprise_code,
        {{ max_by_known('s.industry_code', 's.report_year') }} as stats_industry_code,
        max(s.report_year) as latest_stats_year
    from {{ ref('stg_stats__indicators') }} s
    join xref x on x.source_system = 'stats' and x.source_record_key = s.source_record_key
    where x.enterprise_code is not null
    group by x.enterprise_code
),

-- revenue over the last 12 months the tax returns cover
tax_revenue as (
    select x.enterprise_code, {{ sum_yuan('t.sales_revenue') }} as sales_revenue_12m
    from {{ ref('stg_tax__returns') }} t
    join xref x on x.source_system = 'tax' and x.source_record_key = t.source_record_key
    cross join as_of
    where x.enterprise_code is not null and t.tax_period > {{ dbt.dateadd('month', -12, 'as_of.as_of_date') }}
    group by x.enterprise_code
),

recognitions as (
    select
        x.enterprise_code,
        bool_or(r.recognition_type = '专精特新"小巨人"企业') as is_little_giant,
        bool_or(r.recognition_type = '专精特新中小企业') as is_srdi_sme,
        bool_or(r.recognition_type = '上市企业') as is_listed,
        bool_or(r.recognition_type = '上市后备企业') as is_pre_listed
    from {{ ref('stg_miit__recognitions') }} r
    join xref x on x.source_system = 'miit' and x.source_record_key = r.source_record_key
    cross join as_of
    where x.enterprise_code is not null and (r.valid_until is null or r.valid_until >= as_of.as_of_date)
    group by x.enterprise_code
),

high_tech as (
    select distinct x.enterprise_code
    from {{ ref('stg_most__certificates') }} m
    join xref x on x.source_system = 'most' and x.source_record_key = m.source_record_key
    cross join as_of
    where x.enterprise_code is not null and m.issued_on <= as_of.as_of_date and m.valid_until > as_of.as_of_date
),

abnormal as (
    select distinct a.pripid
    from {{ ref('stg_samr__abnormal_operations') }} a
    cross join as_of
    where a.listed_on <= as_of.as_of_date and (a.removed_on is null or a.removed_on > as_of.as_of_date)
),

external_names as (
    select x.enterprise_code, {{ max_by_known('r.name', 'r.source_rows', tie='r.name') }} as enterprise_name
    from xref x
    join {{ ref('int_source_records') }} r using (source_system, source_record_key)
    where x.match_rule = 'external_uscc'
    group by x.enterprise_code
),

golden as (
    select
        c.enterprise_code,
        c.is_external,
        c.pripid,
        coalesce(r.uscc, c.uscc) as uscc,
        coalesce(r.enterprise_name, e.enterprise_name) as enterprise_name,
        case when c.is_external then 'external' else 'samr' end as name_source,
        r.entity_type_code,
        r.registration_status,
        r.registration_status = '1' as is_operating,
        r.founded_on,
        r.deregistered_on,
        r.registered_capital_yuan,
        r.registered_capital_currency,
        r.registered_address,
        coalesce(r.division_code, substr(c.uscc, 3, 6)) as division_code,
        -- the park by the parks file's rules (S1 PARKCODE, then S10 园区, then address keywords)
        pm.park_code,
        pm.membership_rule as park_rule,
        -- S1 is authoritative; where it wrote only the division, S3's class in that division completes it
        case
            when length(r.industry_code) = 2 and {{ starts_with('s.stats_industry_code', 'r.industry_code') }}
                then s.stats_industry_code
            else r.industry_code
        end as industry_code,
        case
            when length(r.industry_code) = 2 and {{ starts_with('s.stats_industry_code', 'r.industry_code') }}
                then 'stats'
            when r.industry_code is not null then 'samr'
        end as industry_source,
        s.latest_stats_year,
        t.sales_revenue_12m,
        coalesce(rec.is_little_giant, false) as is_little_giant,
        coalesce(rec.is_srdi_sme, false) as is_srdi_sme,
        coalesce(rec.is_listed, false) as is_listed,
        coalesce(rec.is_pre_listed, false) as is_pre_listed,
        h.enterprise_code is not null as is_high_tech,
        ab.pripid is not null as is_on_abnormal_list,
        as_of.as_of_date
    from codes c
    cross join as_of
    left join registry r on r.pripid = c.pripid
    left join external_names e on e.enterprise_code = c.enterprise_code
    left join stats_latest s on s.enterprise_code = c.enterprise_code
    left join tax_revenue t on t.enterprise_code = c.enterprise_code
    left join recognitions rec on rec.enterprise_code = c.enterprise_code
    left join high_tech h on h.enterprise_code = c.enterprise_code
    left join abnormal ab on ab.pripid = c.pripid
    left join {{ ref('enterprise_park_membership') }} pm on pm.enterprise_code = c.enterprise_code
),

thresholds as (
    select * from {{ ref('above_designated_size_thresholds') }}
),

with_industry as (
    select
        g.*,
        i.section_code,
        i.section_name,
        i.division_code as industry_division_code,
        i.division_name as industry_division_name,
        coalesce(i.is_industrial, false) as is_industrial
    from golden g
    left join {{ ref('dim_industry') }} i on i.industry_code = g.industry_code
),

four_above as (
    -- the most specific threshold (division before section) of the enterprise's industry
    select w.enterprise_code, {{ max_by_known('t.annual_revenue_yuan', 'length(t.industry_prefix)') }} as threshold_yuan
    from with_industry w
    join thresholds t on t.industry_prefix = w.section_code or t.industry_prefix = w.industry_division_code
    group by w.enterprise_code
)

select
    w.enterprise_code,
    w.is_external,
    w.pripid,
    w.uscc,
    w.enterprise_name,
    w.name_source,
    w.entity_type_code,
    w.registration_status,
    w.is_operating,
    w.founded_on,
    w.deregistered_on,
    w.registered_capital_yuan,
    w.registered_capital_currency,
    w.registered_address,
    w.division_code,
    reg.division_name,
    reg.city_name,
    reg.province_name,
    w.park_code,
    p.park_name,
    w.park_rule,
    w.industry_code,
    w.industry_source,
    w.section_code,
    w.section_name,
    w.industry_division_code,
    w.industry_division_name,
    w.is_industrial,
    -- 规上: in the statistics bureau's above-scale list of the latest year it published
    coalesce(w.latest_stats_year = (select max(s.report_year) from {{ ref('stg_stats__indicators') }} s), false)
        as is_above_designated_size,
    (
        coalesce(w.latest_stats_year = (select max(s.report_year) from {{ ref('stg_stats__indicators') }} s), false)
        or coalesce(w.sales_revenue_12m >= f.threshold_yuan and not w.is_industrial, false)
    ) as is_four_above,
    w.sales_revenue_12m,
    w.is_high_tech,
    case when w.is_little_giant then 'little_giant' when w.is_srdi_sme then 'srdi_sme' end as srdi_tier,
    w.is_listed,
    w.is_pre_listed,
    w.is_on_abnormal_list,
    w.as_of_date
from with_industry w
left join four_above f on f.enterprise_code = w.enterprise_code
left join {{ ref('dim_region') }} reg on reg.division_code = w.division_code
left join {{ ref('dim_park') }} p on p.park_code = w.park_code
