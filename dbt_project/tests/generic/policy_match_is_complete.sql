{#- Every enterprise of `profile` has exactly one row for every policy of `policies` valid in its evaluation year,
    and no other row: a policy is never half-evaluated. Failing rows name the pair and which side lacks it. -#}
{% test policy_match_is_complete(model, profile, policies) %}
with expected as (
    select p.enterprise_code, r.policy_id
    from {{ profile }} p
    join {{ policies }} r
        on r.valid_from <= {{ date_in_year('p.evaluation_year', 12, 31) }}
        and (r.valid_to is null or r.valid_to >= {{ date_in_year('p.evaluation_year', 1, 1) }})
),

got as (
    select enterprise_code, policy_id from {{ model }}
)

select enterprise_code, policy_id, 'no verdict' as problem
from (select * from expected except select * from got) missing_pairs
union all
select enterprise_code, policy_id, 'not an enterprise and policy of the year' as problem
from (select * from got except select * from expected) extra_pairs
{% endtest %}
