{#- The resolution ladder: each source record's link to an S1 entity (PRIPID), by the strongest rule that finds
    exactly one entity. Rules, strongest first, with their scores:
      uscc / permit_prefix (1.00)   the code equals a registry USCC (pilot codes that fail the check included:
                                    written identically, they are still that entity's code)
      org_code (0.97)               the GB 11714 organization code inside a USCC, a legacy taxpayer number or an
                                    organization code equals the one inside a registry USCC
      registration_number (0.97)    a legacy 15-digit 工商注册号 of the registry
      name_exact (0.95)             the normalized name equals a registry name
      former_name (0.92)            ... a name the registry recorded before a 名称 change
      name_core (0.90)              ... once place names the department dropped are removed on both sides
      name_without_site (0.88)      the longest registry name the department's name starts with, followed by a
                                    short site suffix (二厂, (东城厂区)): a branch's site goes to the branch
      similarity (score)            Jaro-Winkler of name cores (and addresses where the source has one) above
                                    var('similarity_threshold'), clearly better than the next candidate
    Persons and institutions are never linked. Grain: one row per linked source record. -#}
with records as (
    select r.*, c.core_key
    from {{ ref('int_source_records') }} r
    left join {{ ref('int_name_cores') }} c using (name_key)
    where r.source_system <> 'samr'
),

registry as (
    select e.pripid, e.uscc, e.registration_number, e.name_key, c.core_key, e.registered_address,
        case when {{ org_code_is_valid('e.embedded_org_code') }} then e.embedded_org_code end as org_code
    from {{ ref('stg_samr__entities') }} e
    left join {{ ref('int_name_cores') }} c using (name_key)
),

-- identifiers that point at exactly one registry entity
by_uscc as (select uscc, min(pripid) as pripid from registry where uscc is not null group by uscc having count(*) = 1),
by_org as (select org_code, min(pripid) as pripid from registry where org_code is not null group by org_code having count(*) = 1),
by_regno as (
    select registration_number, min(pripid) as pripid from registry where registration_number is not null
    group by registration_number having count(*) = 1
),
by_name as (select name_key, min(pripid) as pripid from registry where name_key is not null group by name_key having count(*) = 1),
by_former_name as (
    select former_name_key as name_key, min(pripid) as pripid
    from {{ ref('stg_samr__changes') }}
    where former_name_key is not null and former_name_key not in (select name_key from registry where name_key is not null)
    group by former_name_key having count(distinct pripid) = 1
),
by_core as (select core_key, min(pripid) as pripid from registry where core_key is not null group by core_key having count(*) = 1),

coded as (
    select source_system, source_record_key, code,
        case length(code) when 18 then substr(code, 9, 9) when 15 then substr(code, 7, 9) when 9 then code end as org_candidate
    from records
    where code is not null
),

-- names are matched for every owner but persons: S1 holds every enterprise, so a registry name is an enterprise's
organizations as (
    select * from records where owner_kind <> 'person' and name_key is not null
),

deterministic as (
    select c.source_system, c.source_record_key, b.pripid,
        case when c.source_system = 'eco' then 'permit_prefix' else 'uscc' end as match_rule, 1.00 as match_score, 1 as rung
    from coded c join by_uscc b on c.code = b.uscc
    union all
    select c.source_system, c.source_record_key, b.pripid, 'org_code', 0.97, 2
    from coded c join by_org b on c.org_candidate = b.org_code
    where {{ org_code_is_valid('c.org_candidate') }}
    union all
    select c.source_system, c.source_record_key, b.pripid, 'registration_number', 0.97, 2
    from coded c join by_regno b on c.code = b.registration_number
    union all
    select o.source_system, o.source_record_key, b.pripid, 'name_exact', 0.95, 3
    from organizations o join by_name b on o.name_key = b.name_key
    union all
    select o.source_system, o.source_record_key, b.pripid, 'former_name', 0.92, 4
    from organizations o join by_former_name b on o.name_key = b.name_key
    union all
    -- the department dropped the place names (or wrote only the core)
    select o.source_system, o.source_record_key, b.pripid, 'name_core', 0.90, 5
    from organizations o join by_core b on o.core_key = b.core_key
    union all
    -- two equi-joins, not one OR join: an OR condition cannot use a hash join
    select o.source_system, o.source_record_key, b.pripid, 'name_core', 0.90, 5
    from organizations o join by_core b on o.name_key = b.core_key
),

strongest_so_far as (
    select source_system, source_record_key, pripid, match_rule, match_score, rung
    from (
        select *, row_number() over (partition by source_system, source_record_key order by rung, pripid) as place
        from deterministic
    ) ranked_rules
    where place = 1
),

-- a registered name followed by a site suffix, for what no code or name rule linked; never an unregistered
-- 分公司 mapped onto its parent. One equi-join per suffix length on the name without that suffix, not a join on a
-- common prefix: place names alone make such a block hold a whole district. The shortened names are spelled out
-- per length (not a cross join with a lengths table) so that every join stays a hash join on a column.
site_stems as (
    {%- for k in range(1, var('site_suffix_max_length') + 1) %}
    select o.source_system, o.source_record_key, {{ k }} as suffix_length,
        left(o.name_key, length(o.name_key) - {{ k }}) as stem
    from organizations o
    left join strongest_so_far s using (source_system, source_record_key)
    where s.pripid is null and length(o.name_key) > {{ k }} and o.name_key not like '%分公司'
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
),

site_candidates as (
    select t.source_system, t.source_record_key, b.pripid,
        row_number() over (partition by t.source_system, t.source_record_key
                           order by t.suffix_length, b.pripid) as place
    from site_stems t
    join by_name b on b.name_key = t.stem
),

site_prefixed as (
    select source_system, source_record_key, pripid, 'name_without_site' as match_rule, 0.88 as match_score, 6 as rung
    from site_candidates
    where place = 1
),

strongest as (
    select * from strongest_so_far
    union all
    select source_system, source_record_key, pripid, match_rule, match_score, rung from site_prefixed
),

-- what is left for scoring: organizations without a link and without a valid USCC of their own
-- (a valid USCC that the registry does not hold belongs to an enterprise registered elsewhere)
unlinked as (
    select o.*
    from organizations o
    left join strongest s using (source_system, source_record_key)
    where s.pripid is null and o.owner_kind = 'organization' and not coalesce({{ uscc_is_valid('o.code') }}, false)
),

-- blocking: each record is compared with the registry entities sharing the shortest prefix of its name core
-- (3 to 6 characters) that at most var('similarity_block_max') entities share. A fixed prefix would not do: a
-- core that begins with a town (松山湖...) puts a whole town into one block.
registry_blocks as (
    {%- for k in range(3, 7) %}
    select {{ k }} as prefix_length, left(core_key, {{ k }}) as block_key, pripid, core_key, registered_address
    from registry
    where core_key is not null
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
),

block_sizes as (
    select prefix_length, block_key, count(*) as block_size
    from registry_blocks
    group by prefix_length, block_key
),

record_prefixes as (
    {%- for k in range(3, 7) %}
    select source_system, source_record_key, {{ k }} as prefix_length, left(core_key, {{ k }}) as block_key
    from unlinked
    where core_key is not null
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
),

record_blocks as (
    select source_system, source_record_key, prefix_length, block_key
    from (
        select p.*, row_number() over (partition by p.source_system, p.source_record_key order by p.prefix_length) as place
        from record_prefixes p
        join block_sizes b using (prefix_length, block_key)
        where b.block_size <= {{ var('similarity_block_max') }}
    ) small_enough
    where place = 1
),

candidates as (
    select u.source_system, u.source_record_key, r.pripid,
        case when u.address is not null and r.registered_address is not null
             then 0.85 * {{ string_similarity('u.core_key', 'r.core_key') }}
                  + 0.15 * {{ string_similarity('u.address', 'r.registered_address') }}
             else {{ string_similarity('u.core_key', 'r.core_key') }} end as score
    from unlinked u
    join record_blocks k using (source_system, source_record_key)
    join registry_blocks r using (prefix_length, block_key)
),

ranked as (
    select *,
        row_number() over (partition by source_system, source_record_key order by score desc, pripid) as place,
        lead(score) over (partition by source_system, source_record_key order by score desc, pripid) as runner_up
    from candidates
),

scored as (
    select source_system, source_record_key, pripid, 'similarity' as match_rule, round(score, 4) as match_score, 7 as rung
    from ranked
    where place = 1 and score >= {{ var('similarity_threshold') }}
        and score - coalesce(runner_up, 0) >= {{ var('similarity_margin') }}
)

select source_system, source_record_key, pripid, match_rule, match_score, rung from strongest
union all
select source_system, source_record_key, pripid, match_rule, match_score, rung from scored
