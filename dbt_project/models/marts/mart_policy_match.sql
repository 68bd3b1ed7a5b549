{#- 政策直达 / 免申即享: the verdict of every policy valid in the evaluation year for every enterprise registered here.
    not_eligible when a condition fails; else cannot_tell when a figure a condition needs is missing; else eligible.
    reasons says why in the policy's own words (the labels of the failing conditions, or of the missing figures); the
    value behind each condition is in mart_policy_match_conditions. Grain: one row per 企业码 and policy. -#}
with conditions as (
    select * from {{ ref('mart_policy_match_conditions') }}
),

tallies as (
    select
        evaluation_year,
        policy_id,
        enterprise_code,
        count(*) as conditions,
        count(*) filter (where verdict = 'pass') as conditions_passed,
        count(*) filter (where verdict = 'fail') as conditions_failed,
        count(*) filter (where verdict = 'missing') as conditions_missing,
        {{ ordered_string_agg("case when verdict = 'fail' then label || ' (' || value_used || ')' end", '; ',
                              'condition_no') }} as failed_conditions,
        {{ ordered_string_agg("case when verdict = 'missing' then label || ' (no figure)' end", '; ',
                              'condition_no') }} as missing_conditions
    from conditions
    group by evaluation_year, policy_id, enterprise_code
)

select
    -- ids
    t.evaluation_year,
    t.policy_id,
    t.enterprise_code,
    -- the policy
    p.title as policy_title,
    p.department,
    p.valid_from,
    p.valid_to,
    p.benefit,
    -- the enterprise
    e.enterprise_name,
    e.park_code,
    -- the verdict and why
    case
        when t.conditions_failed > 0 then 'not_eligible'
        when t.conditions_missing > 0 then 'cannot_tell'
        else 'eligible'
    end as verdict,
    t.conditions,
    t.conditions_passed,
    t.conditions_failed,
    t.conditions_missing,
    case when t.conditions_failed > 0 then t.failed_conditions else t.missing_conditions end as reasons,
    e.as_of_date
from tallies t
join {{ ref('ref_policies') }} p on p.policy_id = t.policy_id
join {{ ref('dim_enterprise') }} e on e.enterprise_code = t.enterprise_code
