{#- The resolution ladder, rungs 1-5 (codes, exact names, name cores): each source record's link to an S1 entity
    (PRIPID) by the strongest rule that finds exactly one entity. int_enterprise_links adds the fuzzy rungs.
    Rules, strongest first, with their scores:
      uscc / permit_prefix (1.00)   the code equals a registry USCC (pilot codes that fail the check included:
                                    written identically, they are still that entity's code)
      name_and_address (0.97)       of the entities the name could be (any name rule below, before telling
                                    candidates apart), exactly one is registered at the record's address (current
                                    or a former 住所): S6 ties accounts to enterprises by name and address
      org_code (0.97)               the GB 11714 organization code inside a USCC (one that fails its check: a
                                    typo elsewhere in it), a legacy taxpayer number or an organization code equals
                                    the one inside a registry USCC; a valid USCC the registry does not hold is
                                    another enterprise's, whatever organization code it embeds
      registration_number (0.97)    a legacy 15-digit 工商注册号 of the registry
      name_exact (0.95)             the normalized name equals a registry name
      name_shared (0.93)            the normalized name is one several registry entities share (a name taken again
                                    after a deregistration; 有限公司 and 有限责任公司 normalize alike): the only one
                                    registered on the record's date, when it is also the one written exactly so
                                    (or whatever the spelling, when that date is the day the owner acted: a patent
                                    application filed, a certificate issued).
                                    So is a name that reads no division when one entity holds it exactly and others
                                    hold it with their division (安万商贸有限公司 against 义乌市安万商贸有限公司: a
                                    department dropped the division, or wrote the other entity's name)
      former_name (0.92)            ... a name the registry recorded before a 名称 change (T_BGXX)
      name_core (0.90)              the name equals a registry name (current or former) once the divisions of that
                                    entity are removed from both, wherever they stand (东莞华兴电子, 华兴（东莞）电子
                                    有限公司 and 华兴电子 for 东莞市华兴电子有限公司), the company form left out
                                    when the department left it out; a division that is not the entity's
                                    (成都市华兴电子有限公司) keeps the names apart
      name_core_shared (0.89)       ... several entities qualify: told apart as name_shared does
      name_without_site (0.88)      the name without a site suffix (二厂, 研发楼, 东城厂区, 仓库) links by one of the
                                    name rules above; never a sub-organisation's name (工会委员会, 食堂) or a 分公司
    Never linked by a name: persons, records whose valid USCC the registry does not hold (an enterprise
    registered elsewhere, whatever its name), and a record to an entity whose USCC holds another organization code
    than the valid one in the record's legacy taxpayer number or organization code (GB 11714 codes are national); never linked by a core: a record whose name or code (a legacy
    taxpayer number starts with a division code) names a place that is not the entity's. A rung that finds two or more entities links none: no tie-break.
    Grain: one row per source record these rules link, or find two or more entities for (match_rule 'ambiguous',
    pripid NULL: left unlinked, and closed to the fuzzy rungs). -#}
with records as (
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

entity_divisions as (
    select g.entity_id, d.division_code from {{ ref('int_entity_divisions') }} d join registry g using (pripid)
),

entity_addresses as (
    select g.entity_id, a.address_key from {{ ref('int_entity_addresses') }} a join registry g using (pripid)
),

-- identifiers that point at exactly one registry entity
by_uscc as (
    select uscc, min(entity_id) as entity_id from registry where uscc is not null group by uscc having count(*) = 1
),

by_org as (
    select org_code, min(entity_id) as entity_id from registry where org_code is not null
    group by org_code having count(*) = 1
),

by_regno as (
    select registration_number, min(entity_id) as entity_id from registry where registration_number is not null
    group by registration_number having count(*) = 1
),

-- how many registry entities hold each name: one is a link, several need telling apart
name_holders as (
    select name_key, count(*) as entities, min(entity_id) as entity_id from registry where name_key is not null
    group by name_key
),

by_name as (select name_key, entity_id from name_holders where entities = 1),

by_former_name as (
    select name_key, min(entity_id) as entity_id
    from registry_names
    where is_former and name_key not in (select g.name_key from registry g where g.name_key is not null)
    group by name_key having min(entity_id) = max(entity_id)
),

coded as (
    select
        source_system, source_record_key, code,
        {{ org_code_in('code') }} as org_candidate
    from records
    where code is not null
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
    select o.*, c.bare_core_right from named o join {{ ref('int_name_cores') }} c using (name_key)
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
        and regexp_replace(rs.strict_core, '{{ company_form_pattern() }}', '')
        = regexp_replace(ns.strict_core, '{{ company_form_pattern() }}', '')
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
),

core_unique as (
    select source_system, source_record_key, is_site, min(entity_id) as entity_id
    from core_best
    group by source_system, source_record_key, is_site
    having min(entity_id) = max(entity_id)
),

-- every entity a record's name could be, before candidates are told apart: its name exactly (current, former or
-- shared) or by a verified core
name_candidates as (
    select o.source_system, o.source_record_key, n.entity_id
    from organizations o
    join registry_names n on n.name_key = o.name_key
    union
    select source_system, source_record_key, entity_id from core_best where not is_site
),

-- the one candidate registered where the record says it is
address_agreed as (
    select c.source_system, c.source_record_key, min(c.entity_id) as entity_id
    from name_candidates c
    join organizations o using (source_system, source_record_key)
    join entity_addresses a on a.entity_id = c.entity_id and a.address_key = o.address_key
    group by c.source_system, c.source_record_key
    having min(c.entity_id) = max(c.entity_id)
),

-- a name that reads no division, held exactly by one entity and by others with their division: not decided by the
-- spelling alone (measured at 200k: the exact holder is wrong 11% of the time there)
contested_names as (
    select o.source_system, o.source_record_key, n.entity_id as holder, b.entity_id
    from organizations o
    join {{ ref('int_name_cores') }} c on c.name_key = o.name_key and c.core_key = o.name_key
    join by_name n on n.name_key = o.name_key
    join core_best b using (source_system, source_record_key)
    where not b.is_site
),

contested as (select distinct source_system, source_record_key from contested_names where entity_id <> holder),

-- both entities of a contested record: the exact holder and the one its verified core names
contested_entities as (
    select source_system, source_record_key, entity_id from contested_names
    union
    select source_system, source_record_key, holder from contested_names
),

-- records several registry entities could be: by one shared exact name, by a contested one, or by several
-- verified cores
shared_names as (select name_key from name_holders where entities > 1),

shared_candidates as (
    select o.source_system, o.source_record_key, o.name, o.last_seen_on, o.is_dated_act, 3 as rung, r.*
    from organizations o
    join shared_names s on o.name_key = s.name_key
    join registry r on r.name_key = o.name_key
    union all
    select o.source_system, o.source_record_key, o.name, o.last_seen_on, o.is_dated_act, 3, r.*
    from contested
    join organizations o using (source_system, source_record_key)
    join contested_entities k using (source_system, source_record_key)
    join registry r on r.entity_id = k.entity_id
    union all
    select o.source_system, o.source_record_key, o.name, o.last_seen_on, o.is_dated_act, 5, r.*
    from core_best b
    join organizations o using (source_system, source_record_key)
    join registry r on r.entity_id = b.entity_id
    left join core_unique u using (source_system, source_record_key, is_site)
    where u.entity_id is null and not b.is_site
),

-- two independent signals must agree: the only candidate registered on the record's date is also the one written
-- exactly so (measured at 1M: the spelling alone links wrongly 5.6% of the time, the date alone 81% where the two
-- disagree; together, 1.4%). Where the date is the day the owner acted (a patent filed, a certificate issued), the
-- date alone decides: an enterprise not registered that day did not act (at 200k: 105 more links, none wrong)
shared_signals as (
    select distinct
        source_system, source_record_key, entity_id, rung, is_dated_act,
        case
            when founded_on <= last_seen_on and (deregistered_on is null or deregistered_on > last_seen_on) then 1
            else 0
        end as registered_then,
        case when {{ written_form('name') }} = {{ written_form('enterprise_name') }} then 1 else 0 end as written_so
    from shared_candidates
),

shared_resolved as (
    select source_system, source_record_key, rung, min(case when registered_then = 1 then entity_id end) as entity_id
    from shared_signals
    group by source_system, source_record_key, rung
    having sum(registered_then) = 1 and (max(registered_then * written_so) = 1 or bool_and(is_dated_act))
),

deterministic as (
    select
        c.source_system, c.source_record_key, b.entity_id,
        case when c.source_system = 'eco' then 'permit_prefix' else 'uscc' end as match_rule,
        1.00 as match_score, 1 as rung
    from coded c join by_uscc b on c.code = b.uscc
    union all
    select c.source_system, c.source_record_key, b.entity_id, 'org_code', 0.97, 2
    from coded c join by_org b on c.org_candidate = b.org_code
    where {{ org_code_is_valid('c.org_candidate') }}
        -- a valid USCC the registry does not hold is an enterprise registered elsewhere, whatever it embeds
        and not coalesce({{ uscc_is_valid('c.code') }}, false)
    union all
    select c.source_system, c.source_record_key, b.entity_id, 'registration_number', 0.97, 2
    from coded c join by_regno b on c.code = b.registration_number
    union all
    select source_system, source_record_key, entity_id, 'name_and_address', 0.97, 2
    from address_agreed
    union all
    select o.source_system, o.source_record_key, b.entity_id, 'name_exact', 0.95, 3
    from organizations o join by_name b on o.name_key = b.name_key
    anti join contested using (source_system, source_record_key)
    union all
    select
        source_system, source_record_key, entity_id, case rung when 3 then 'name_shared' else 'name_core_shared' end,
        case rung when 3 then 0.93 else 0.89 end, rung
    from shared_resolved
    union all
    select o.source_system, o.source_record_key, b.entity_id, 'former_name', 0.92, 4
    from organizations o join by_former_name b on o.name_key = b.name_key
    union all
    select source_system, source_record_key, entity_id, 'name_core', 0.90, 5
    from core_unique
    where not is_site
    union all
    -- a site of a registered name, exactly or by its core
    select o.source_system, o.source_record_key, b.entity_id, 'name_without_site', 0.88, 6
    from site_variants o join by_name b on o.name_key = b.name_key
    union all
    select o.source_system, o.source_record_key, b.entity_id, 'name_without_site', 0.88, 6
    from site_variants o join by_former_name b on o.name_key = b.name_key
    union all
    select source_system, source_record_key, entity_id, 'name_without_site', 0.88, 6
    from core_unique
    where is_site
),

-- GB 11714 organization codes are national: a record whose legacy taxpayer number or organization code carries a
-- valid one other than the one inside an entity's USCC is another enterprise's, whatever its name says
org_conflicts as (
    select d.source_system, d.source_record_key, d.entity_id
    from deterministic d
    join coded c using (source_system, source_record_key)
    join registry g on g.entity_id = d.entity_id
    where d.match_rule not in ('uscc', 'permit_prefix', 'org_code', 'registration_number')
        and length(c.code) in (9, 15) and {{ org_code_is_valid('c.org_candidate') }}
        and g.org_code <> c.org_candidate
),

-- where two rules of one rung find the same entity, the record names the first of them in this order
rules (match_rule, rule_order) as (
    values
    ('former_name', 1), ('name_and_address', 2), ('name_core', 3), ('name_core_shared', 4), ('name_exact', 5),
    ('name_shared', 6), ('name_without_site', 7), ('org_code', 8), ('permit_prefix', 9),
    ('registration_number', 10), ('uscc', 11)
),

-- the strongest rung that found anything decides; if it found two entities, the record stays unlinked
strongest_rung as (
    select d.*
    from deterministic d
    anti join org_conflicts using (source_system, source_record_key, entity_id)
    qualify d.rung = min(d.rung) over (partition by source_system, source_record_key)
),

strongest as (
    select
        d.source_system, d.source_record_key, min(d.entity_id) as entity_id,
        min(r.rule_order) as rule_order, max(d.match_score) as match_score, min(d.rung) as rung
    from strongest_rung d
    join rules r using (match_rule)
    group by d.source_system, d.source_record_key
    having min(d.entity_id) = max(d.entity_id)
),

-- records these rungs found two or more entities for and linked to none: the fuzzy rungs must not then pick a
-- third (or one of them) by a weaker rule
ambiguous as (
    select source_system, source_record_key, min(c.rung) as rung
    from (
        select source_system, source_record_key, rung from strongest_rung
        union all
        select source_system, source_record_key, rung from shared_candidates
    ) c
    anti join strongest using (source_system, source_record_key)
    group by source_system, source_record_key
)

select s.source_system, s.source_record_key, g.pripid, r.match_rule, s.match_score, s.rung
from strongest s
join registry g using (entity_id)
join rules r using (rule_order)
union all
select source_system, source_record_key, null, 'ambiguous', null, rung from ambiguous
