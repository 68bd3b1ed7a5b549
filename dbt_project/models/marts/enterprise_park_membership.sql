{#- Which park each enterprise belongs to, by the parks file's rules (ref_park_rules), in this precedence:
      1. registry_park_code: the S1 PARKCODE of its registry entity. A code no park lists still places it, under
         that code (dim_park shows the code, a warning test names it): the registry is the authority on parks.
      2. land_park_name: without a PARKCODE, the S10 园区 of its land parcels; with parcels in several parks, the
         park of the largest area (an exact tie leaves it out of every park). Enterprises registered elsewhere
         holding land here belong to no park.
      3. address_keyword: without either, a park keyword in its S1 registered address (DOM); the longest keyword
         found decides (two parks tying on it leave it out).
    Grain: one row per 企业码 in a park. -#}
with rules as (
    select * from {{ ref('ref_park_rules') }}
),

xref as (
    select source_system, source_record_key, enterprise_code
    from {{ ref('xref_source_record') }}
    where enterprise_code is not null and source_system in ('samr', 'land')
),

registry as (
    select
        x.enterprise_code,
        nullif(trim(s.park_code), '') as registry_park_code,
        {{ normalize_code('s.park_code') }} as park_code_key,
        {{ name_key('s.registered_address') }} as address_key
    from {{ ref('stg_samr__entities') }} s
    join xref x on x.source_system = 'samr' and x.source_record_key = s.pripid
),

-- 1. S1 PARKCODE
by_registry_code as (
    select
        r.enterprise_code,
        coalesce(k.park_code, r.park_code_key) as park_code,
        'registry_park_code' as membership_rule,
        r.registry_park_code as matched_value,
        k.park_code is not null as in_parks_file
    from registry r
    left join rules k on k.rule = 'registry_park_code' and k.match_key = r.park_code_key
    where r.park_code_key is not null
),

-- 2. S10 园区, by area per park
land_by_park as (
    select x.enterprise_code, k.park_code, min(p.park_name) as matched_value, sum(coalesce(p.area_m2, 0)) as area_m2
    from {{ ref('stg_land__parcels') }} p
    join xref x on x.source_system = 'land' and x.source_record_key = p.source_record_key
    join rules k on k.rule = 'land_park_name' and k.match_key = {{ name_key('p.park_name') }}
    -- only an enterprise registered here belongs to a park: one registered elsewhere that holds land in it is a
    -- lead (mart_chain_leads), not a member
    where p.park_name is not null and x.enterprise_code in (select r.enterprise_code from registry r)
    group by x.enterprise_code, k.park_code
),

land_largest as (
    select *, max(area_m2) over (partition by enterprise_code) as largest_area_m2 from land_by_park
),

by_land as (
    select
        enterprise_code,
        min(park_code) as park_code,
        'land_park_name' as membership_rule,
        min(matched_value) as matched_value,
        true as in_parks_file
    from land_largest
    where area_m2 = largest_area_m2
        and enterprise_code not in (select b.enterprise_code from by_registry_code b)
    group by enterprise_code
    having count(*) = 1
),

-- 3. keywords in the registered address, for what 1 and 2 left out
address_matches as (
    select r.enterprise_code, k.park_code, k.rule_value as matched_value, length(k.match_key) as keyword_length
    from registry r
    join rules k on k.rule = 'address_keyword' and {{ dbt.position('k.match_key', 'r.address_key') }} > 0
    where r.park_code_key is null
        and r.enterprise_code not in (select b.enterprise_code from by_land b)
),

address_longest as (
    select *, max(keyword_length) over (partition by enterprise_code) as longest from address_matches
),

by_address as (
    select
        enterprise_code,
        min(park_code) as park_code,
        'address_keyword' as membership_rule,
        min(matched_value) as matched_value,
        true as in_parks_file
    from address_longest
    where keyword_length = longest
    group by enterprise_code
    having count(distinct park_code) = 1
)

select enterprise_code, park_code, membership_rule, matched_value, in_parks_file from by_registry_code
union all
select enterprise_code, park_code, membership_rule, matched_value, in_parks_file from by_land
union all
select enterprise_code, park_code, membership_rule, matched_value, in_parks_file from by_address
