{#- The parks file's membership rules, one value per row, with the key an enterprise's data is matched on. A park's
    own code always counts as an S1 PARKCODE and its own name as an S10 园区, beside the values listed.
    Grain: one row per rule and matching key (a key claimed by two parks fails the build: the file is ambiguous). -#}
{{ config(materialized='table', schema='reference') }}

with parks as (
    select * from {{ ref('ref_parks') }}
),

values_listed as (
    select park_code, 'registry_park_code' as rule, park_code as rule_value from parks
    union all
    select park_code, 'registry_park_code', trim(v) from {{ reference_list_rows('parks', 'registry_park_codes', 'v') }}
    union all
    select park_code, 'land_park_name', park_name from parks
    union all
    select park_code, 'land_park_name', trim(v) from {{ reference_list_rows('parks', 'land_park_names', 'v') }}
    union all
    select park_code, 'address_keyword', trim(v) from {{ reference_list_rows('parks', 'address_keywords', 'v') }}
),

keyed as (
    select
        park_code,
        rule,
        rule_value,
        -- codes as the registry normalizes them; names and keywords as names are matched (width, spaces, brackets,
        -- traditional characters)
        case
            when rule = 'registry_park_code' then {{ normalize_code('rule_value') }}
            else {{ name_key('rule_value') }}
        end as match_key
    from values_listed
    where rule_value is not null and rule_value <> ''
)

-- a value listed twice for one park counts once
select park_code, rule, min(rule_value) as rule_value, match_key
from keyed
where match_key is not null
group by park_code, rule, match_key
