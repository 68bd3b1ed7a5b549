{#- The core of every name key: the name without any division it names (东莞市, 广东, (东莞), 成都市武侯区), wherever
    it stands. Departments drop, add, move or bracket the division; the core stays. Used to find candidates
    (int_links_exact checks each one against the entity's own divisions) and for the scored rung.
    bare_core also drops the company form at the end (有限公司, 股份公司, 公司): an abbreviation leaves it out.
    Grain: one row per distinct name key seen in any source or former name. -#}
with keys as (
    select distinct name_key from {{ ref('int_source_records') }} where name_key is not null
    union
    select distinct former_name_key from {{ ref('stg_samr__changes') }} where former_name_key is not null
),

covered as (
    select distinct d.name_key, c.position
    from {{ ref('int_name_divisions') }} d, range(d.position, d.position + d.form_length) c(position)
),

characters as (
    select k.name_key, p.position, substr(k.name_key, p.position, 1) as ch
    from keys k, range(1, length(k.name_key) + 1) p(position)
    where k.name_key in (select name_key from covered)
),

stripped as (
    select c.name_key,
        coalesce(string_agg(case when v.position is null then c.ch end, '' order by c.position), '') as core_key
    from characters c
    left join covered v using (name_key, position)
    group by c.name_key
),

cores as (
    select k.name_key, coalesce(s.core_key, k.name_key) as core_key
    from keys k
    left join stripped s using (name_key)
)

select
    name_key,
    core_key,
    regexp_replace(core_key, '{{ company_form_pattern() }}', '') as bare_core,
    {{ regex_contains('name_key', company_form_pattern()) }} as has_company_form
from cores
