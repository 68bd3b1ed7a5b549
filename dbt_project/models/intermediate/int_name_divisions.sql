{#- Where each name key names a division: every occurrence of a GB/T 2260 name form (full or short), at any
    position (first, in brackets after the trade name, in the middle; brackets are already folded out of the key).
    Found by an equi-join on the two characters an occurrence starts with, then checked in full: no regex with
    thousands of alternatives (about 1 ms a row in DuckDB) and no per-row loop.
    Occurrences that overlap are read as a person reads them, left first and longest first: 广东宁盛 is 广东 + 宁盛
    (not 东宁), 义乌市北苑 is 义乌市 + 北苑 (not 市北); an occurrence an earlier or longer one overlaps is dropped.
    Grain: one row per name key, position and division (朝阳 at one position names four divisions). -#}
with names as (
    select distinct name_key from {{ ref('int_source_records') }} where name_key is not null
    union
    select distinct former_name_key from {{ ref('stg_samr__changes') }} where former_name_key is not null
),

-- the names, and the names without a site suffix (华兴电子有限公司二厂 -> 华兴电子有限公司)
keys as (
    select name_key from names
    union
    select {{ site_stem('name_key') }} from names where {{ site_stem('name_key') }} is not null
),

forms as (
    select name_form, division_code, level, left(name_form, 2) as head, length(name_form) as form_length
    from {{ ref('int_division_names') }}
),

heads as (
    select k.name_key, p.position, substr(k.name_key, p.position, 2) as head
    from {{ range_rows('keys k', '1', 'length(k.name_key)', 'p', 'position') }}
),

occurrences as (
    select h.name_key, h.position, f.form_length, f.name_form, f.division_code, f.level
    from heads h
    join forms f on f.head = h.head
    where substr(h.name_key, h.position, f.form_length) = f.name_form
),

spans as (select distinct name_key, position, form_length from occurrences),

{%- set overlaps = "o.name_key = s.name_key
             and ((o.position < s.position and o.position + o.form_length > s.position)
             or (o.position = s.position and o.form_length > s.form_length))" %}

-- spans nothing overlaps from the left stand; a span only those standing ones overlap falls (义乌市 drops 市北,
-- so 北湖 after it stands)
standing as (
    select s.* from spans s
    anti join spans o on {{ overlaps }}
),

overlapped as (
    select distinct s.name_key, s.position, s.form_length
    from spans s
    join standing o on {{ overlaps }}
),

{%- set overlaps_right = "o.name_key = s.name_key
             and ((o.position > s.position and s.position + s.form_length > o.position)
             or (o.position = s.position and o.form_length > s.form_length))" %}

standing_right as (
    select s.* from spans s
    anti join spans o on {{ overlaps_right }}
),

overlapped_right as (
    select distinct s.name_key, s.position, s.form_length
    from spans s
    join standing_right o on {{ overlaps_right }}
)

select
    o.name_key, o.position, o.form_length, o.name_form, o.division_code, o.level,
    v.name_key is null as is_reading, w.name_key is null as is_reading_right
from occurrences o
left join overlapped v using (name_key, position, form_length)
left join overlapped_right w using (name_key, position, form_length)
