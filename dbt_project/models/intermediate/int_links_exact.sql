{#- The resolution ladder, rungs 1-5 (codes and exact names): each source record's link to an S1 entity (PRIPID)
    by the strongest rule that finds exactly one entity. int_enterprise_links adds the fuzzy rungs for the rest.
    Rules, strongest first, with their scores:
      uscc / permit_prefix (1.00)   the code equals a registry USCC (pilot codes that fail the check included:
                                    written identically, they are still that entity's code)
      org_code (0.97)               the GB 11714 organization code inside a USCC, a legacy taxpayer number or an
                                    organization code equals the one inside a registry USCC
      registration_number (0.97)    a legacy 15-digit 工商注册号 of the registry
      name_exact (0.95)             the normalized name equals a registry name
      name_shared (0.93)            the normalized name is one several registry entities share (a name taken again
                                    after a deregistration; 有限公司 and 有限责任公司 normalize alike): the only one
                                    registered on the record's date, when it is also the one written exactly so
      former_name (0.92)            ... a name the registry recorded before a 名称 change
      name_core (0.90)              ... once place names the department dropped are removed on both sides
      name_core_shared (0.89)       ... a core several entities share, told apart as name_shared does
      name_without_site (0.88)      the longest registry name the department's name starts with, followed by a
                                    short site suffix (二厂, (东城厂区)): a branch's site goes to the branch
      similarity (score)            Jaro-Winkler of name cores (and addresses where the source has one) above
                                    var('similarity_threshold'), clearly better than the next candidate
    Persons are never linked. Grain: one row per source record linked by one of these rules. -#}
with records as (
    select r.source_system, r.source_record_key, r.code, r.name, r.name_key, r.owner_kind, r.last_seen_on, c.core_key
    from {{ ref('int_source_records') }} r
    left join {{ ref('int_name_cores') }} c using (name_key)
    where r.source_system <> 'samr'
),

registry as (
    select e.pripid, e.uscc, e.registration_number, e.enterprise_name, e.name_key, c.core_key, e.registered_address,
        e.founded_on, e.deregistered_on,
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
-- how many registry entities hold each name and each name core: one is a link, several need telling apart
name_holders as (
    select name_key, count(*) as entities, min(pripid) as pripid from registry where name_key is not null group by name_key
),
core_holders as (
    select core_key, count(*) as entities, min(pripid) as pripid from registry where core_key is not null group by core_key
),
by_name as (select name_key, pripid from name_holders where entities = 1),
by_former_name as (
    select former_name_key as name_key, min(pripid) as pripid
    from {{ ref('stg_samr__changes') }}
    where former_name_key is not null and former_name_key not in (select name_key from registry where name_key is not null)
    group by former_name_key having count(distinct pripid) = 1
),
by_core as (select core_key, pripid from core_holders where entities = 1),

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

-- keys several registry entities share, and each record's candidates among them
shared_names as (select name_key from name_holders where entities > 1),
shared_cores as (select core_key from core_holders where entities > 1),

shared_candidates as (
    select o.source_system, o.source_record_key, o.name, o.last_seen_on, 3 as rung, r.*
    from organizations o
    join shared_names s on o.name_key = s.name_key
    join registry r on r.name_key = o.name_key
    union all
    select o.source_system, o.source_record_key, o.name, o.last_seen_on, 5, r.*
    from organizations o
    join shared_cores s on o.core_key = s.core_key
    join registry r on r.core_key = o.core_key
    union all
    select o.source_system, o.source_record_key, o.name, o.last_seen_on, 5, r.*
    from organizations o
    join shared_cores s on o.name_key = s.core_key
    join registry r on r.core_key = o.name_key
),

-- two independent signals must agree: the only candidate registered on the record's date is also the one written
-- exactly so (measured at 1M: the spelling alone links wrongly 5.6% of the time, the date alone 81% where the two
-- disagree; together, 1.4%)
shared_signals as (
    select distinct source_system, source_record_key, pripid, rung,
        case when founded_on <= last_seen_on and (deregistered_on is null or deregistered_on > last_seen_on)
             then 1 else 0 end as registered_then,
        case when replace(trim(name), ' ', '') = replace(trim(enterprise_name), ' ', '') then 1 else 0 end as written_so
    from shared_candidates
),

shared_resolved as (
    select source_system, source_record_key, rung, min(case when registered_then = 1 then pripid end) as pripid
    from shared_signals
    group by source_system, source_record_key, rung
    having sum(registered_then) = 1 and max(registered_then * written_so) = 1
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
    select source_system, source_record_key, pripid, case rung when 3 then 'name_shared' else 'name_core_shared' end,
        case rung when 3 then 0.93 else 0.89 end, rung
    from shared_resolved
    union all
    -- the department dropped the place names (or wrote only the core)
    select o.source_system, o.source_record_key, b.pripid, 'name_core', 0.90, 5
    from organizations o join by_core b on o.core_key = b.core_key
    union all
    -- two equi-joins, not one OR join: an OR condition cannot use a hash join
    select o.source_system, o.source_record_key, b.pripid, 'name_core', 0.90, 5
    from organizations o join by_core b on o.name_key = b.core_key
),

strongest as (
    select source_system, source_record_key, pripid, match_rule, match_score, rung
    from (
        select *, row_number() over (partition by source_system, source_record_key order by rung, pripid) as place
        from deterministic
    ) ranked_rules
    where place = 1
)

select source_system, source_record_key, pripid, match_rule, match_score, rung from strongest
