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
    The common table expressions records ... site_variants come from name_linking_ctes (macros/linking.sql), the
    name cores' candidates from int_links_core.
    Grain: one row per source record these rules link, or find two or more entities for (match_rule 'ambiguous',
    pripid NULL: left unlinked, and closed to the fuzzy rungs). -#}
with {{ name_linking_ctes() }},

entity_addresses as (
    select g.entity_id, a.address_key from {{ ref('int_entity_addresses') }} a join registry g using (pripid)
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

-- the name cores' best candidates (int_links_core), as entity numbers
core_best as (
    select b.source_system, b.source_record_key, b.is_site, g.entity_id, b.agreement
    from {{ ref('int_links_core') }} b
    join registry g using (pripid)
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
    select distinct
        c.source_system, c.source_record_key, case k.side when 1 then c.entity_id else c.holder end as entity_id
    from contested_names c
    cross join (values (1), (2)) k (side)
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

-- where two rules of one rung find the same entity, the record names the first of them in this order
rules (match_rule, rule_order) as (
    values
    ('former_name', 1), ('name_and_address', 2), ('name_core', 3), ('name_core_shared', 4), ('name_exact', 5),
    ('name_shared', 6), ('name_without_site', 7), ('org_code', 8), ('permit_prefix', 9),
    ('registration_number', 10), ('uscc', 11)
),

-- the strongest rung that found anything decides. GB 11714 organization codes are national: a name rule's entity
-- whose USCC holds another organization code than the valid one in the record's legacy taxpayer number or
-- organization code is another enterprise's, whatever the name says, and found nothing
strongest_rung as (
    select d.*, r.rule_order
    from deterministic d
    join rules r using (match_rule)
    left join coded c using (source_system, source_record_key)
    left join registry g on g.entity_id = d.entity_id
    where not coalesce(
            d.match_rule not in ('uscc', 'permit_prefix', 'org_code', 'registration_number')
            and length(c.code) in (9, 15) and {{ org_code_is_valid('c.org_candidate') }}
            and g.org_code <> c.org_candidate, false
        )
    qualify d.rung = min(d.rung) over (partition by d.source_system, d.source_record_key)
),

-- one entity found links; two or more, or only candidates a shared name could not tell apart, leave the record
-- unlinked and closed to the fuzzy rungs (they must not then pick a third, or one of them, by a weaker rule).
-- Each common table expression is read once here: Spark copies one into every place that reads it
evidence as (
    select source_system, source_record_key, entity_id, rule_order, match_score, rung from strongest_rung
    union all
    select source_system, source_record_key, null, null, null, rung from shared_candidates
),

decided as (
    select
        source_system, source_record_key,
        min(entity_id) as entity_id, min(rule_order) as rule_order,
        max(match_score) as match_score, min(case when entity_id is not null then rung end) as link_rung,
        min(rung) as rung, coalesce(min(entity_id) = max(entity_id), false) as is_linked
    from evidence
    group by source_system, source_record_key
)

select
    d.source_system, d.source_record_key, g.pripid, coalesce(r.match_rule, 'ambiguous') as match_rule,
    case when d.is_linked then d.match_score end as match_score,
    case when d.is_linked then d.link_rung else d.rung end as rung
from decided d
left join registry g on d.is_linked and g.entity_id = d.entity_id
left join rules r on d.is_linked and r.rule_order = d.rule_order
