{#- 政策直达, the evidence: every condition of every policy valid in the evaluation year (its window overlaps the
    year of as_of_date), for every enterprise registered here, with the value it read (policy_profile's column of
    the condition's field) and its verdict: pass, fail, or missing when the figure is not known. The policies and
    their conditions are the policy files (ref_policies, ref_policy_conditions; contracts/policies.py).
    Grain: one row per 企业码, policy and condition. -#}
with profile as (
    select * from {{ ref('policy_profile') }}
),

evaluation as (
    select max(evaluation_year) as evaluation_year from profile
),

policies as (
    select p.policy_id
    from {{ ref('ref_policies') }} p
    cross join evaluation e
    where p.valid_from <= {{ date_in_year('e.evaluation_year', 12, 31) }}
        and (p.valid_to is null or p.valid_to >= {{ date_in_year('e.evaluation_year', 1, 1) }})
),

conditions as (
    select c.*
    from {{ ref('ref_policy_conditions') }} c
    where c.policy_id in (select p.policy_id from policies p)
),

-- the values of the list conditions (in, not_in, prefix_in, prefix_not_in), one per row
listed as (
    select policy_id, condition_no, listed_value
    from {{ split_to_rows('conditions', 'threshold', 'listed_value') }}
    where field_type = 'text'
),

readings as (
    -- the value each condition reads, in the column of its field's type
    select
        p.enterprise_code,
        p.evaluation_year,
        c.policy_id,
        c.condition_no,
        c.field,
        c.operator,
        c.threshold,
        c.threshold_number,
        c.threshold_date,
        c.threshold_boolean,
        c.label,
        case c.field
            {%- for f in policy_fields() if f.type == 'number' %}
                when '{{ f.name }}' then p.{{ f.name }}
            {%- endfor %}
        end as number_value,
        case c.field
            {%- for f in policy_fields() if f.type == 'text' %}
                when '{{ f.name }}' then p.{{ f.name }}
            {%- endfor %}
        end as text_value,
        case c.field
            {%- for f in policy_fields() if f.type == 'date' %}
                when '{{ f.name }}' then p.{{ f.name }}
            {%- endfor %}
        end as date_value,
        case c.field
            {%- for f in policy_fields() if f.type == 'boolean' %}
                when '{{ f.name }}' then p.{{ f.name }}
            {%- endfor %}
        end as boolean_value
    from profile p
    cross join conditions c
),

list_matches as (
    -- a value listed (in, not_in) or beginning with a listed prefix (prefix_in, prefix_not_in)
    select distinct r.enterprise_code, r.policy_id, r.condition_no
    from readings r
    join listed l on l.policy_id = r.policy_id and l.condition_no = r.condition_no
    where (r.operator in ('in', 'not_in') and r.text_value = l.listed_value)
        or (r.operator in ('prefix_in', 'prefix_not_in') and {{ starts_with('r.text_value', 'l.listed_value') }})
),

judged as (
    select
        r.*,
        case
            when r.number_value is not null then {{ display_number('r.number_value') }}
            when r.date_value is not null then cast(r.date_value as {{ dbt.type_string() }})
            when r.boolean_value is not null then cast(r.boolean_value as {{ dbt.type_string() }})
            else r.text_value
        end as value_used,
        m.enterprise_code is not null as is_listed
    from readings r
    left join list_matches m using (enterprise_code, policy_id, condition_no)
)

select
    -- ids
    cast(evaluation_year as integer) as evaluation_year,
    policy_id,
    enterprise_code,
    cast(condition_no as integer) as condition_no,
    -- the condition as the policy file writes it
    field,
    operator,
    threshold,
    label,
    -- what it read and the verdict
    value_used,
    number_value as value_number,
    case
        when value_used is null then 'missing'
        when (operator = 'is' and boolean_value = threshold_boolean)
            or (operator = 'at_least' and number_value >= threshold_number)
            or (operator = 'above' and number_value > threshold_number)
            or (operator = 'at_most' and number_value <= threshold_number)
            or (operator = 'below' and number_value < threshold_number)
            or (operator = 'before' and date_value < threshold_date)
            or (operator = 'on_or_after' and date_value >= threshold_date)
            or (operator in ('in', 'prefix_in') and is_listed)
            or (operator in ('not_in', 'prefix_not_in') and not is_listed)
            then 'pass'
        else 'fail'
    end as verdict
from judged
