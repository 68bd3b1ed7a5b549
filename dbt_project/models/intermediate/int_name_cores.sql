{#- The core of every name key: the name without any division it names (东莞市, 广东, (东莞), 成都市武侯区), wherever
    it stands. Departments drop, add, move or bracket the division; the core stays. Used to find candidates
    (int_links_exact checks each one against the entity's own divisions) and for the scored rung.
    bare_core also drops the company form at the end (有限公司, 股份公司, 公司): an abbreviation leaves it out.
    site_stem is the name without a site suffix (二厂, 研发楼, 仓库), itself a row of its own.
    Grain: one row per distinct name key seen in any source or former name, or such a name's site stem. -#}
with names as (
    select distinct name_key from {{ ref('int_source_records') }} where name_key is not null
    union
    select distinct former_name_key from {{ ref('stg_samr__changes') }} where former_name_key is not null
),

keys as (
    select name_key from names
    union
    select {{ site_stem('name_key') }} from names where {{ site_stem('name_key') }} is not null
),

covered as (
    select distinct d.name_key, c.position, d.is_reading, d.is_reading_right
    from {{ range_rows(ref('int_name_divisions') ~ ' d', 'd.position', 'd.position + d.form_length', 'c', 'position') }}
    where d.is_reading or d.is_reading_right
),

-- each covered position once: whether any division read from the left or from the right covers it
covered_positions as (
    select name_key, position, bool_or(is_reading) as is_reading, bool_or(is_reading_right) as is_reading_right
    from covered group by name_key, position
),

characters as (
    select k.name_key, p.position, substr(k.name_key, p.position, 1) as ch
    from {{ range_rows('keys k', '1', 'length(k.name_key) + 1', 'p', 'position') }}
    where k.name_key in (select v.name_key from covered v)
),

stripped as (
    select
        c.name_key,
        coalesce(
            {{ ordered_string_agg('case when not coalesce(v.is_reading, false) then c.ch end', '', 'c.position') }}, ''
        ) as core_key,
        coalesce(
            {{ ordered_string_agg(
                'case when not coalesce(v.is_reading_right, false) then c.ch end', '', 'c.position') }}, ''
        ) as core_key_right
    from characters c
    left join covered_positions v using (name_key, position)
    group by c.name_key
),

cores as (
    select
        k.name_key, coalesce(s.core_key, k.name_key) as core_key,
        coalesce(s.core_key_right, k.name_key) as core_key_right
    from keys k
    left join stripped s using (name_key)
)

select
    name_key,
    core_key,
    {{ regex_replace('core_key', company_form_pattern(), '') }} as bare_core,
    -- the same read right first; equal to bare_core unless two division names overlap
    {{ regex_replace('core_key_right', company_form_pattern(), '') }} as bare_core_right,
    {{ regex_contains('name_key', company_form_pattern()) }} as has_company_form,
    {{ site_stem('name_key') }} as site_stem
from cores
