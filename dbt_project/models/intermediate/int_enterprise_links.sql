{#- The resolution ladder: each source record's link to an S1 entity (PRIPID), by the strongest rule that finds
    exactly one entity. Rungs 1-5 (codes and exact names) are int_links_exact; this model adds, for what they left
    (int_links_pending):
      name_without_site (0.88)      the longest registry name (current or former) the department's name starts
                                    with, followed by a site of the enterprise (二厂, (东城厂区), 一车间, 仓库,
                                    宿舍): a branch's site goes to the branch; a sub-organisation (工会委员会,
                                    党支部, 食堂) or an unregistered 分公司 never goes to the enterprise
      trade_name_and_address (0.87) the record's core begins with the trade name of exactly one entity registered
                                    at the record's address (current or former 住所): S6 ties accounts to
                                    enterprises by name and address (东莞国宏有限责任公司 at 东莞市长安创新路337号
                                    for 东莞国宏医疗器械有限责任公司 registered there)
      name_core at 0.86             an abbreviation: the trade name and the legal form with the industry left out
                                    (东莞博国有限责任公司 for 东莞博国设备有限公司): exactly one entity's core
                                    begins so, with the same legal form
      similarity (score)            Jaro-Winkler of name cores (and addresses where the source has one) above
                                    var('similarity_threshold'), clearly better than the next candidate
    Neither of the last two proposes an entity the record's place contradicts (a division its name reads or its
    code names), nor one whose USCC holds another organization code than the record's code carries. Persons and
    institutions are never linked by score. Grain: one row per linked source record. -#}
{#- Each pair (source_system, source_record_key, pripid, registry_key) of __pairs__, with whether the record's place
    contradicts it: a division its name reads that is neither one of the entity's (int_entity_divisions) nor written
    in the entity's name too (成都市宏达精密机械 against 东莞市宏达精密机械), the division its code names (a legacy
    taxpayer number) if it is not the entity's, or the organization code its code carries if the entity's USCC holds
    another (GB 11714 codes are national). The pairs are read once (Spark copies a common table expression into
    every place that reads it): each place the name reads a division is one group, with the entity's divisions that
    are that division and those that agree with the one the code names. __carry__ / __pair_carry__: more columns
    of the pair (', score' / ', s.score'). -#}
{% set pair_verdicts_sql %}
    select source_system, source_record_key, pripid__carry__, bool_or(contradicted) as is_contradicted
    from (
        select
            s.source_system, s.source_record_key, s.pripid__pair_carry__,
            coalesce(p.position is not null and count(d.division_code) = 0
                and not contains(s.registry_key, p.name_form), false)
            or coalesce({{ code_division('o.code') }} is not null and count(c.division_code) = 0, false)
            or coalesce(
                length(o.code) in (9, 15)
                and {{ org_code_is_valid(org_code_in('o.code')) }}
                and {{ org_code_is_valid('e.embedded_org_code') }}
                and e.embedded_org_code <> {{ org_code_in('o.code') }}, false
            ) as contradicted
        from __pairs__ s
        join {{ ref('int_links_pending') }} o using (source_system, source_record_key)
        left join {{ ref('stg_samr__entities') }} e on e.pripid = s.pripid
        left join record_places p using (source_system, source_record_key)
        left join {{ ref('int_entity_divisions') }} d on d.pripid = s.pripid and d.division_code = p.division_code
        left join {{ ref('int_entity_divisions') }} c
            on c.pripid = s.pripid and {{ division_agrees(code_division('o.code'), 'c.division_code') }}
        group by
            s.source_system, s.source_record_key, s.pripid, s.registry_key__pair_carry__, o.code, e.embedded_org_code,
            p.position, p.name_form
    ) places
    group by source_system, source_record_key, pripid__carry__
{% endset %}
{%- set address_verdicts = pair_verdicts_sql | replace('__pairs__', 'address_pairs')
    | replace('__pair_carry__', '') | replace('__carry__', '') %}
{%- set abbreviation_verdicts = pair_verdicts_sql | replace('__pairs__', 'abbreviation_pairs')
    | replace('__pair_carry__', '') | replace('__carry__', '') %}
{%- set scored_verdicts = pair_verdicts_sql | replace('__pairs__', 'scored_pairs')
    | replace('__pair_carry__', ', s.score') | replace('__carry__', ', score') %}
with registry as (
    select e.pripid, e.name_key, c.core_key, e.registered_address
    from {{ ref('stg_samr__entities') }} e
    left join {{ ref('int_name_cores') }} c using (name_key)
),

-- every name an entity is known by (current, and former from T_BGXX) that no other entity is known by
registry_names as (
    select pripid, name_key from registry where name_key is not null
    union
    select pripid, former_name_key from {{ ref('stg_samr__changes') }} where former_name_key is not null
),

by_name as (
    select name_key, min(pripid) as pripid from registry_names group by name_key having count(distinct pripid) = 1
),

-- a registered name followed by a site of the enterprise (二厂, 东城厂区, 一车间, 3号仓库, 宿舍), for what no code or
-- name rule linked. Never a sub-organisation (工会委员会, 党支部, 食堂, 幼儿园: not the enterprise) and never an
-- unregistered 分公司 or office onto its parent. One equi-join per suffix length on the name without that suffix,
-- not a join on a common prefix: place names alone make such a block hold a whole district. The shortened names are
-- spelled out per length (not a cross join with a lengths table) so that every join stays a hash join on a column.
site_stems as (
    {%- for k in range(1, var('site_suffix_max_length') + 1) %}
        select
            o.source_system, o.source_record_key, {{ k }} as suffix_length,
            left(o.name_key, length(o.name_key) - {{ k }}) as stem, right(o.name_key, {{ k }}) as suffix
        from {{ ref('int_links_pending') }} o
        where length(o.name_key) > {{ k }}
        {%- if not loop.last %}
            union all{% endif %}
    {%- endfor %}
),

site_candidates as (
    select t.source_system, t.source_record_key, t.suffix_length, b.pripid
    from site_stems t
    join by_name b on b.name_key = t.stem
    where {{ regex_contains('t.suffix', site_suffix_pattern()) }}
        and not {{ regex_contains('t.suffix', sub_organisation_pattern()) }}
        and not {{ regex_contains('t.suffix', '(分公司|分店|分部|分社|分支|办事处|营业部|子公司)') }}
),

-- the longest registered name the record starts with is the most specific one (a branch's site to the branch)
site_prefixed as (
    select
        source_system, source_record_key, min(pripid) as pripid, 'name_without_site' as match_rule,
        0.88 as match_score, 6 as rung
    from (
        select * from site_candidates
        qualify suffix_length = min(suffix_length) over (partition by source_system, source_record_key)
    ) longest
    group by source_system, source_record_key
    having count(distinct pripid) = 1
),

-- what is left after the site rung: organizations (not institutions) without a link; int_links_pending already
-- holds no record with a valid USCC of its own
after_sites as (
    select o.*
    from {{ ref('int_links_pending') }} o
    left join site_prefixed s using (source_system, source_record_key)
    where s.pripid is null and o.owner_kind = 'organization'
),

-- the divisions each record's name reads (a candidate must not be contradicted by them)
record_places as (
    select u.source_system, u.source_record_key, d.position, d.name_form, d.division_code
    from after_sites u
    join {{ ref('int_name_divisions') }} d on d.name_key = u.name_key
    where d.is_reading
),

-- a trade name at the registered address: the record's core (divisions out, so the 字号 leads it) and the core of
-- exactly one entity registered at the record's address begin with the same two characters
address_pairs as (
    select u.source_system, u.source_record_key, a.pripid, r.name_key as registry_key
    from after_sites u
    join {{ ref('int_entity_addresses') }} a on a.address_key = {{ address_key('u.address') }}
    join registry r on r.pripid = a.pripid
    where u.address is not null and length(u.core_key) >= 2 and left(r.core_key, 2) = left(u.core_key, 2)
),

addressed as (
    {{ the_one_candidate(address_verdicts, 'trade_name_and_address', 0.87, 7) }}
),

after_addresses as (
    select o.*
    from after_sites o
    anti join addressed using (source_system, source_record_key)
),

-- an abbreviation: the trade name and the legal form, the industry left out (东莞博国有限责任公司 for 东莞博国设备
-- 有限公司, 东莞凯秋厂 for 东莞凯秋微电子厂, 联铂（义乌）有限公司佛堂分公司 for 联铂（义乌）服饰有限公司佛堂分公司): the
-- record's core without its form begins the core of exactly one entity's name (current or former) with the same form,
-- and nothing in the record contradicts that entity's place
-- 有限公司佛堂分公司 is one form: a branch's abbreviation keeps its parent's legal form and its own place
{%- set unit_forms = '((?:股份公司|有限公司|总公司|公司|厂)[^公司]{1,8}分公司'
    ~ '|股份公司|有限公司|总公司|公司|专业合作社|合作社|经营部|商行|厂|店)$' %}
record_short as (
    select
        u.source_system, u.source_record_key, u.code, c.core_key,
        {{ regex_extract('c.core_key', unit_forms, 1) }} as unit_form,
        {{ regex_replace('c.core_key', unit_forms, '') }} as trade_name
    from after_addresses u
    join {{ ref('int_name_cores') }} c on c.name_key = u.name_key
),

registry_short as (
    select
        n.pripid, n.name_key as registry_key,
        {{ regex_extract('c.core_key', unit_forms, 1) }} as unit_form,
        {{ regex_replace('c.core_key', unit_forms, '') }} as body
    from registry_names n
    join {{ ref('int_name_cores') }} c using (name_key)
),

abbreviation_pairs as (
    select r.source_system, r.source_record_key, g.pripid, g.registry_key
    from record_short r
    join registry_short g on left(g.body, 2) = left(r.trade_name, 2) and g.unit_form = r.unit_form
    where r.unit_form <> '' and length(r.trade_name) >= 2
        and {{ starts_with('g.body', 'r.trade_name') }} and length(g.body) > length(r.trade_name)
),

-- a name-core link of its own score (the audit trail's rule list is the marts' contract: see docs/resolution.md)
abbreviated as (
    {{ the_one_candidate(abbreviation_verdicts, 'name_core', 0.86, 7) }}
),

-- what is left for scoring
unlinked as (
    select o.*
    from after_addresses o
    left join abbreviated a using (source_system, source_record_key)
    where a.pripid is null
),

-- blocking: each record is compared with the registry entities sharing the shortest prefix of its name core
-- (3 to 6 characters) that at most var('similarity_block_max') entities share. A fixed prefix would not do: a
-- core that begins with a town (松山湖...) puts a whole town into one block.
registry_blocks as (
    {%- for k in range(3, 7) %}
        select
            {{ k }} as prefix_length, left(core_key, {{ k }}) as block_key, pripid, name_key, core_key,
            registered_address
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
    select u.source_system, u.source_record_key, k.prefix_length, left(u.core_key, k.prefix_length) as block_key
    from unlinked u
    cross join (values (3), (4), (5), (6)) k (prefix_length)
    where u.core_key is not null
),

record_blocks as (
    select source_system, source_record_key, prefix_length, block_key
    from (
        select
            p.*,
            row_number() over (partition by p.source_system, p.source_record_key order by p.prefix_length) as place
        from record_prefixes p
        join block_sizes b using (prefix_length, block_key)
        where b.block_size <= {{ var('similarity_block_max') }}
    ) small_enough
    where place = 1
),

-- a candidate whose divisions the record contradicts is no candidate: 成都市宏达精密机械 scores 1.0 against the
-- core of 东莞市宏达精密机械, but names another place. Every division the record's name reads must be one of the
-- entity's (int_entity_divisions) or be written in the entity's own name too.
scored_pairs as (
    select
        u.source_system, u.source_record_key, r.pripid, r.name_key as registry_key,
        case
            when u.address is not null and r.registered_address is not null
                then 0.85 * {{ string_similarity('u.core_key', 'r.core_key') }}
                    + 0.15 * {{ string_similarity('u.address', 'r.registered_address') }}
            else {{ string_similarity('u.core_key', 'r.core_key') }}
        end as score
    from unlinked u
    join record_blocks using (source_system, source_record_key)
    join registry_blocks r using (prefix_length, block_key)
),

candidates as (
    select source_system, source_record_key, pripid, score
    from ({{ scored_verdicts }}) v
    where not is_contradicted
),

ranked as (
    select
        *,
        row_number() over (partition by source_system, source_record_key order by score desc, pripid asc) as place,
        lead(score) over (partition by source_system, source_record_key order by score desc, pripid asc) as runner_up
    from candidates
),

scored as (
    select
        source_system, source_record_key, pripid, 'similarity' as match_rule,
        {{ round_half_up('score', 4) }} as match_score, 8 as rung
    from ranked
    where place = 1 and score >= {{ var('similarity_threshold') }}
        and score - coalesce(runner_up, 0) >= {{ var('similarity_margin') }}
)

select source_system, source_record_key, pripid, match_rule, match_score, rung from {{ ref('int_links_exact') }}
where pripid is not null
union all
select source_system, source_record_key, pripid, match_rule, match_score, rung from site_prefixed
union all
select source_system, source_record_key, pripid, match_rule, match_score, rung from addressed
union all
select source_system, source_record_key, pripid, match_rule, match_score, rung from abbreviated
union all
select source_system, source_record_key, pripid, match_rule, match_score, rung from scored
