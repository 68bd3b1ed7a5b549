{#- The matching key of an enterprise name: the same name as departments write it differently (traditional
    characters, full-width brackets and letters, spaces, 有限责任公司 for 有限公司) gives the same key. -#}

{% macro name_key(expr) -%}
    {{ return(adapter.dispatch('name_key')(expr)) }}
{%- endmacro %}
{% macro default__name_key(expr) -%}
    {%- set folded = to_simplified("upper(" ~ to_half_width(expr) ~ ")") -%}
    nullif(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace({{ folded }},
        ' ', ''), '　', ''), '(', ''), ')', ''), '【', ''), '】', ''), '〔', ''), '〕', ''), '"', ''),
        '有限责任公司', '有限公司'), '股份有限公司', '股份公司'), '')
{%- endmacro %}

{#- Traditional -> simplified, one character at a time, by OpenCC's character map (generated into
    generated_traditional_simplified.sql by `python -m reference.build`). translate() with a 4,000-character map
    costs about 4 ms a row in DuckDB (it scans the map per row), so the text is split into characters and joined
    to the map as a relation instead; only text holding a traditional character (one regex pass) pays for it. -#}
{% macro to_simplified(expr) -%}
    {{ return(adapter.dispatch('to_simplified')(expr)) }}
{%- endmacro %}
{% macro default__to_simplified(expr) -%}
    {%- set traditional = traditional_characters() | trim -%}
    {%- set simplified = simplified_characters() | trim -%}
    case when {{ regex_contains(expr, '[' ~ traditional ~ ']') }} then (
        select string_agg(coalesce(m.simplified, c.ch), '' order by c.pos)
        from (select unnest(string_split({{ expr }}, '')) as ch, unnest(generate_series(1, length({{ expr }}))) as pos) c
        left join (
            select unnest(string_split('{{ traditional }}', '')) as traditional,
                unnest(string_split('{{ simplified }}', '')) as simplified
        ) m on m.traditional = c.ch
    ) else {{ expr }} end
{%- endmacro %}

{#- The legal form a company name ends with (企业名称登记管理规定: 行政区划 + 字号 + 行业 + 组织形式), on a name key. -#}
{% macro company_form_pattern() -%}(股份公司|有限公司|集团公司|公司)${%- endmacro %}

{#- A site of the enterprise written after its registered name: a works, plant area, workshop, warehouse,
    dormitory, building or construction phase (二厂, 东城厂区, 一车间, 3号仓库, 研发楼, 三期). Sub-organisations (trade union, party branch, canteen,
    kindergarten ...) are not the enterprise and never match: their words are excluded explicitly. -#}
{% macro site_suffix_pattern() -%}^[\p{Han}A-Z0-9#号第]{0,6}?(分厂|厂区|厂房|厂|车间|仓库|库房|仓|宿舍|基地|工地|项目部|项目|门市部|门店|配电房|泵房|锅炉房|楼|栋|幢|期|区)${%- endmacro %}
{% macro sub_organisation_pattern() -%}(工会|党委|党总支|党支部|支部|团委|团支部|纪委|妇委会|委员会|食堂|幼儿园|托儿所|学校|医务室|卫生所|职工之家|协会|俱乐部){%- endmacro %}

{#- A name key without a site written after the registered name (华兴电子有限公司二厂 -> 华兴电子有限公司): the name up
    to a legal form or unit word (有限公司, 厂, 商行, 店 ...) when all that follows is sites (仓库, 研发楼, 三期,
    东城厂区); the first such word (材料厂一分厂宿舍 is a site of 材料厂), else the last (XX有限公司斗门分公司新厂区
    is a site of the 分公司). NULL when there is none, or when what follows names a sub-organisation or a branch. -#}
{% macro site_stem(key) -%}
    {%- set sites = '(?:[\\p{Han}A-Z0-9#]{0,6}?(?:分厂|厂区|厂房|厂|车间|仓库|库房|仓|宿舍|基地|工地|项目部|项目|门市部|门店'
        ~ '|配电房|泵房|锅炉房|楼|栋|幢|期|区))+$' -%}
    {%- set forms = '(?:公司|厂|商行|店|馆|合作社|经营部|中心|工作室|场|站))' -%}
    {%- set not_site = sub_organisation_pattern()[:-1] ~ '|分公司|分店|分部|分社|分支|办事处|营业部|子公司)' -%}
    {%- set first = regex_extract(key, '^(.*?' ~ forms ~ sites, 1) -%}
    {%- set last = regex_extract(key, '^(.*' ~ forms ~ sites, 1) -%}
    case
        when {{ first }} <> '' and not {{ regex_contains('substr(' ~ key ~ ', length(' ~ first ~ ') + 1)', not_site) }}
            then {{ first }}
        when {{ last }} <> '' and not {{ regex_contains('substr(' ~ key ~ ', length(' ~ last ~ ') + 1)', not_site) }}
            then {{ last }}
    end
{%- endmacro %}

{#- A name as written, for telling whether a department wrote it exactly as registered: traditional characters,
    full-width forms and spaces folded, the legal form kept (有限责任公司 stays apart from 有限公司). -#}
{% macro written_form(expr) -%}
    replace(replace({{ to_simplified("upper(" ~ to_half_width("trim(" ~ expr ~ ")") ~ ")") }}, ' ', ''), '　', '')
{%- endmacro %}

{#- An address as a key: the province left out (S6 writes 东莞市寮步创新路91号 for the registry's 广东省东莞市寮步
    创新路91号), full-width forms and spaces folded. -#}
{% macro address_key(expr) -%}
    nullif({{ regex_replace("replace(replace(upper(" ~ to_half_width("trim(" ~ expr ~ ")") ~ "), ' ', ''), '　', '')",
        '^[\p{Han}]{2,8}?(省|自治区)', '') }}, '')
{%- endmacro %}

{#- A rung's decision: the one candidate of `verdicts` (source_system, source_record_key, pripid, is_contradicted)
    that nothing in the record's place contradicts, or no link when there are two or more. -#}
{% macro the_one_candidate(verdicts, match_rule, match_score, rung) -%}
    select source_system, source_record_key, min(pripid) as pripid, '{{ match_rule }}' as match_rule,
        {{ match_score }} as match_score, {{ rung }} as rung
    from ({{ verdicts }}) verdicts
    where not is_contradicted
    group by source_system, source_record_key
    having count(distinct pripid) = 1
{%- endmacro %}
