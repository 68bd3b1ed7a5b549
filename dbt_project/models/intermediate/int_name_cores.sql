{#- The core of every name key: the name without the place names it may start with (东莞市, 绍兴市柯桥区, 广东),
    which departments often drop. The place names are learned from the registry's addresses (province, city,
    district written first), so this works for any jurisdiction, not only ours.
    Grain: one row per distinct name key seen in any source. -#}
with address_heads as (
    select left({{ name_key('registered_address') }}, 12) as head
    from {{ ref('stg_samr__entities') }}
    where registered_address is not null
),

-- only the consecutive administrative units an address starts with (province, city, district/county):
-- further on, 沥海市民大道 is a town and a street, not a city
{%- set units = '^(\\p{Han}{2,7}?(?:省|自治区))?(\\p{Han}{2,4}?(?:市|州|盟))?(\\p{Han}{1,4}?(?:区|县|市|旗))?' %}
tokens as (
    select {{ regex_extract('head', units, 1) }} as token from address_heads
    union all select {{ regex_extract('head', units, 2) }} from address_heads
    union all select {{ regex_extract('head', units, 3) }} from address_heads
),

place_names as (
    select token as place_name
    from tokens
    where token <> ''
    group by token
    having count(*) >= 3
),

with_short_forms as (
    select place_name from place_names
    union
    -- 东莞市 is also written 东莞, 广东省 广东
    select left(place_name, length(place_name) - 1) from place_names where length(place_name) >= 3
),

keys as (
    select distinct name_key from {{ ref('int_source_records') }} where name_key is not null
    union
    select distinct former_name_key from {{ ref('stg_samr__changes') }} where former_name_key is not null
),

first_strip as (
    select k.name_key,
        coalesce(substr(k.name_key, length(max_by(p.place_name, length(p.place_name))) + 1), k.name_key) as rest
    from keys k
    left join with_short_forms p
        on {{ starts_with('k.name_key', 'p.place_name') }} and length(k.name_key) >= length(p.place_name) + 4
    group by k.name_key
),

second_strip as (
    select f.name_key,
        coalesce(substr(f.rest, length(max_by(p.place_name, length(p.place_name))) + 1), f.rest) as core_key
    from first_strip f
    left join with_short_forms p
        on {{ starts_with('f.rest', 'p.place_name') }} and length(f.rest) >= length(p.place_name) + 4
    group by f.name_key, f.rest
)

select name_key, core_key from second_strip
