{#- How well each source is tied to enterprises: records, linked by each rule, unlinked by reason.
    Grain: one row per source system and match rule. -#}
with by_rule as (
    select
        source_system,
        match_rule,
        enterprise_code is not null as is_linked,
        count(*) as records,
        {{ round_half_up('avg(match_score)', 4) }} as mean_score
    from {{ ref('xref_source_record') }}
    group by source_system, match_rule, enterprise_code is not null
)

select
    *,
    {{ round_half_up('records / sum(records) over (partition by source_system)', 4) }} as share_of_source
from by_rule
