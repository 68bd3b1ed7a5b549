{#- Every way a GB/T 2260 division is written in an enterprise name: its full name (东莞市, 凉山彝族自治州) and its
    short form without the unit word (东莞, 凉山; 广西 for 广西壮族自治区, 香港 for 香港特别行政区). Short forms of one
    character (城 for 城区, 义 for 义县) are dropped: a single character is part of too many trade names; so are short
    forms that are words of industries (GB/T 4754 names) or of legal forms: 合作 (合作市) in 专业合作社, 资源 (资源县)
    in 人力资源, 石棉 (石棉县) in 石棉制品, 港口 (港口区).
    Grain: one row per name form and division (朝阳 names four divisions). -#}
{%- set ethnic_groups = '蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|水|东乡|纳西|景颇|柯尔克孜|土|达斡尔'
    ~ '|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺' %}
with divisions as (
    -- the seed's codes are 6 digits; dbt may load them as integers
    select lpad(cast(division_code as string), 6, '0') as division_code, division_name, cast(level as integer) as level
    from {{ ref('gbt2260_divisions') }}
),

forms as (
    select division_code, level, division_name as name_form, 'full' as form_kind from divisions
    union all
    -- autonomous units: the unit word and the peoples named before it (GB 3304 names, 族 optional)
    select
        division_code, level,
        {{ regex_extract('division_name', '^(.{2,}?)(?:(?:' ~ ethnic_groups ~ ')族?)*自治(?:区|州|县|旗)$', 1) }}, 'short'
    from divisions
    where {{ regex_contains('division_name', '自治(区|州|县|旗)$') }}
    union all
    select
        division_code, level,
        {{ regex_extract('division_name', '^(.{2,}?)(?:特别行政区|地区|林区|特区|省|市|区|县|旗|盟)$', 1) }}, 'short'
    from divisions
    where not {{ regex_contains('division_name', '自治(区|州|县|旗)$') }}
),

-- the words enterprise names are made of besides their divisions: industries and legal forms
legal_form_words (word) as (
    values
    ('有限责任公司'), ('股份有限公司'), ('专业合作社'), ('股份合作'), ('个人独资企业'), ('合伙企业'), ('经营部'), ('分公司')
),

words as (
    select name as word from {{ ref('gbt4754_2017') }}
    union all
    select word from legal_form_words
),

word_forms as (
    select distinct f.name_form
    from forms f
    join words w on contains(w.word, f.name_form)
    where f.form_kind = 'short'
)

select distinct name_form, division_code, level, form_kind
from forms
where length(name_form) >= 2
    and (form_kind = 'full' or name_form not in (select w.name_form from word_forms w))
