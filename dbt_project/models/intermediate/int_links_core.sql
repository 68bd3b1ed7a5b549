{#- Rung 5 of the exact ladder, the name cores: for each record the name rules may link (under its own name, and
    under its name without a site suffix: is_site), the registry entities whose name (current or former) it equals
    once that entity's divisions are removed from both, wherever they stand, and its company form where the
    department left it out. Only the best agreement is kept (the company form written alike outranks one left out),
    and never an entity of another place than a division the record's code names (a legacy taxpayer number starts
    with one). int_links_exact turns these candidates into links (name_core, name_core_shared, name_without_site)
    and uses them to tell name candidates apart; it is its own table because Spark inlines a common table
    expression at every use, and this chain, used many times over there, made a plan no driver could hold.
    The common table expressions records ... site_variants come from name_linking_ctes (macros/linking.sql).
    Grain: one row per record, is_site and candidate entity. -#}
with {{ name_linking_ctes() }},

entity_divisions as (
    select g.entity_id, d.division_code from {{ ref('int_entity_divisions') }} d join registry g using (pripid)
),

named as (
    select *, false as is_site from organizations
    union all
    select *, true from site_variants
),

-- candidates share the core with every division and the company form removed (a blocking key); blocks that
-- many registry names share are left to the scored rung
registry_cores as (
    select n.entity_id, n.name_key, n.is_former, c.bare_core
    from registry_names n
    join {{ ref('int_name_cores') }} c using (name_key)
    where length(c.bare_core) >= 2
    union
    select n.entity_id, n.name_key, n.is_former, c.bare_core_right
    from registry_names n
    join {{ ref('int_name_cores') }} c using (name_key)
    where length(c.bare_core_right) >= 2
),

record_cores as (
    select o.*, o.bare_core as block_core from named o
    union
    -- `on`, not `using`: Spark moves a using column to the front of `o.*`, and a union pairs columns by position
    select o.*, c.bare_core_right from named o join {{ ref('int_name_cores') }} c on c.name_key = o.name_key
    where c.bare_core_right <> c.bare_core
),

core_blocks as (
    select bare_core from registry_cores group by bare_core having count(*) <= {{ var('name_core_block_max', 100) }}
),

core_candidates as (
    select distinct
        o.source_system, o.source_record_key, o.is_site, o.name_key as record_key, o.has_company_form,
        n.entity_id, n.name_key as registry_key, n.is_former
    from record_cores o
    join core_blocks b on b.bare_core = o.block_core
    join registry_cores n on n.bare_core = o.block_core
),

-- each name once more, without only the divisions of the candidate entity (every occurrence counts here: for an
-- entity of 东莞, 大岭东莞山 holds 东莞 even where 岭东 reads first)
strict_needed as (
    select distinct record_key as name_key, entity_id from core_candidates
    union
    select distinct registry_key, entity_id from core_candidates
),

-- the characters those divisions cover, as one mask per name and entity (a division read past the mask's last
-- position, in a name longer than any registered, stays in the name: the names then agree less, never more)
strict_covered as (
    select s.name_key, s.entity_id, {{ positions_union(position_mask('d.position', 'd.form_length')) }} as covered
    from strict_needed s
    join {{ ref('int_name_divisions') }} d on d.name_key = s.name_key
    join entity_divisions e on e.entity_id = s.entity_id and e.division_code = d.division_code
    where d.position + d.form_length - 1 <= {{ position_mask_bits() }}
    group by s.name_key, s.entity_id
),

strict_cores as (
    select
        s.name_key, s.entity_id,
        case
            -- sqlfluff's DuckDB grammar predates the `lambda x, i:` syntax (DuckDB 2.0) the macro writes
            when v.covered is null then s.name_key else {{ without_positions('s.name_key', 'v.covered') }}  -- noqa: PRS
        end as strict_core
    from strict_needed s
    left join strict_covered v on v.name_key = s.name_key and v.entity_id = s.entity_id
),

core_verified as (
    select
        c.source_system, c.source_record_key, c.is_site, c.entity_id,
        -- 2: the names agree company form included; 1: the department left the form out or wrote another
        max(case when rs.strict_core = ns.strict_core then 2 else 1 end) as agreement
    from core_candidates c
    join strict_cores rs on rs.name_key = c.record_key and rs.entity_id = c.entity_id
    join strict_cores ns on ns.name_key = c.registry_key and ns.entity_id = c.entity_id
    where length(rs.strict_core) >= 2
        and {{ regex_replace('rs.strict_core', company_form_pattern(), '') }}
        = {{ regex_replace('ns.strict_core', company_form_pattern(), '') }}
    group by c.source_system, c.source_record_key, c.is_site, c.entity_id
),

-- a code that names a division (a legacy taxpayer number starts with one) is the record's place too: a record of
-- 440300MA1J32585 嘉泰商贸有限公司 is Shenzhen's 嘉泰商贸, not 张家港市嘉泰商贸有限公司
code_conflicts as (
    select distinct c.source_system, c.source_record_key, c.entity_id
    from core_verified c
    join records r using (source_system, source_record_key)
    where {{ code_division('r.code') }} is not null
        and not exists (
            select 1 from entity_divisions e
            where e.entity_id = c.entity_id and {{ division_agrees(code_division('r.code'), 'e.division_code') }}
        )
),

-- the best agreement only: a full-form agreement outranks one without the form
core_best as (
    select v.* from core_verified v
    anti join code_conflicts using (source_system, source_record_key, entity_id)
    qualify v.agreement = max(v.agreement) over (partition by source_system, source_record_key, v.is_site)
)

select b.source_system, b.source_record_key, b.is_site, g.pripid, b.agreement
from core_best b
join registry g using (entity_id)
