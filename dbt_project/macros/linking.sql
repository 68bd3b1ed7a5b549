{#- The records and registry entities both halves of the exact ladder (int_links_core, int_links_exact) match by
    name, as common table expressions: the records the name rules may link (organizations, and site_variants: the
    same under their name without a site suffix), the registry (entities numbered by pripid) and every name an
    entity is known by. One definition, since the two models must agree on them. -#}
{% macro name_linking_ctes() -%}
records as (
    select
        r.source_system, r.source_record_key, r.code, r.name, r.name_key, r.owner_kind, r.last_seen_on,
        c.core_key, c.bare_core, c.has_company_form, {{ address_key('r.address') }} as address_key, r.is_dated_act
    from {{ ref('int_source_records') }} r
    left join {{ ref('int_name_cores') }} c using (name_key)
    where r.source_system <> 'samr'
),

-- entities are carried as integers and named (pripid) only at the end: at 3M an aggregate that keeps a text per
-- group (min(pripid)) holds it in memory that DuckDB cannot spill
registry as (
    select
        row_number() over (order by e.pripid) as entity_id, e.pripid, e.uscc, e.registration_number,
        e.enterprise_name, e.name_key, e.founded_on, e.deregistered_on,
        case when {{ org_code_is_valid('e.embedded_org_code') }} then e.embedded_org_code end as org_code,
        e.division_code,
        case when e.uscc_is_valid then substr(e.uscc, 3, 6) end as uscc_division_code
    from {{ ref('stg_samr__entities') }} e
),

-- every name an entity is known by: its current name and the names it had before a 名称 change
registry_names as (
    select entity_id, name_key, enterprise_name as written_name, false as is_former
    from registry where name_key is not null
    union
    select g.entity_id, c.former_name_key, c.value_before, true
    from {{ ref('stg_samr__changes') }} c
    join registry g using (pripid)
    where c.former_name_key is not null
),

-- a USCC that points at exactly one registry entity
by_uscc as (
    select uscc, min(entity_id) as entity_id from registry where uscc is not null group by uscc having count(*) = 1
),

-- names are matched for every owner but persons (S1 holds every enterprise, so a registry name is an enterprise's)
-- and but enterprises registered elsewhere: a valid USCC the registry does not hold is another enterprise's
organizations as (
    select * from records
    where owner_kind <> 'person' and name_key is not null
        and not (coalesce({{ uscc_is_valid('code') }}, false) and code not in (select b.uscc from by_uscc b))
),

-- the same records once more under their name without a site suffix (华兴电子有限公司二厂, 研发楼, 仓库): a site of
-- the enterprise, matched by the same rules one rung lower (name_without_site)
site_variants as (
    select
        o.source_system, o.source_record_key, o.code, o.name, c.name_key, o.owner_kind, o.last_seen_on,
        c.core_key, c.bare_core, c.has_company_form, o.address_key, o.is_dated_act
    from organizations o
    join {{ ref('int_name_cores') }} s on s.name_key = o.name_key and s.site_stem is not null
    join {{ ref('int_name_cores') }} c on c.name_key = s.site_stem
)
{%- endmacro %}
