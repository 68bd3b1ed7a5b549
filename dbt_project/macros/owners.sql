{#- Who a name belongs to, before any matching: persons and institutions never receive an enterprise code.
    - By code: only a valid USCC (GB 32100) says who registered its holder. Its first character is the
      registration authority: 9 工商 (market entities, which the registry holds); any other (1 机构编制,
      5 民政, 8 工会, ...) registers institutions, associations and trade unions. A legacy 15-digit number
      starting 11-15 or 50-54 begins with a division code (Beijing ... Inner Mongolia, Chongqing ... Tibet):
      it says nothing about the kind of holder, so codes that are not valid USCCs are not read.
    - By name: a legal form at the end makes an organization whatever it is called (XX研究院有限公司); a
      university, hospital or research institute, or a sub-organisation (工会委员会, 党支部) is an institution;
      2-3 Chinese characters without any organizational word are a person, 4 only after a two-character
      surname (欧阳, 司马 ...): a 4-character name such as 弘和服饰 is an enterprise's short name. -#}
{% macro owner_kind(name_expr, code_expr='null') -%}
    case
        when {{ uscc_is_valid(code_expr) }} and left({{ code_expr }}, 1) <> '9' then 'institution'
        when {{ regex_contains('trim(' ~ name_expr ~ ')', '(公司|企业|厂|合作社|商行|经营部|店|馆)\\s*$') }} then 'organization'
        -- ... also when a site follows it (XX研究院厂（东城厂区）, XX有限公司研发楼)
        when {{ regex_contains('trim(' ~ name_expr ~ ')', '(公司|企业|厂|合作社|商行|经营部|店|馆)\\s*[(（]?[^()（）]{0,6}(厂|厂区|车间|仓库|宿舍|楼|期|基地)[)）]?\\s*$') }} then 'organization'
        when {{ regex_contains(name_expr, '(大学|学院|学校|研究院|研究所|实验室|研究中心|医院|科学院)') }} then 'institution'
        when {{ regex_contains('trim(' ~ name_expr ~ ')', '(工会|工会委员会|党委|党总支|党支部|团委|委员会|协会|学会|商会)\\s*$') }} then 'institution'
        when ({{ regex_full_match('trim(' ~ name_expr ~ ')', '[\\x{4e00}-\\x{9fa5}]{2,3}|[\\x{4e00}-\\x{9fa5}]+·[\\x{4e00}-\\x{9fa5}·]+') }}
              or {{ regex_full_match('trim(' ~ name_expr ~ ')', '(欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|令狐|夏侯|轩辕|端木|南宫|独孤|西门|申屠|澹台|钟离|闻人|赫连|呼延|拓跋)[\\x{4e00}-\\x{9fa5}]{1,2}') }})
             and not {{ regex_contains(name_expr, '(公司|厂|店|行|部|社|中心|院|所|室|馆|场|站|队|局|会|园|城|坊|铺|庄|堂|居|阁|楼|吧|处)') }} then 'person'
        else 'organization'
    end
{%- endmacro %}

{#- A list column exploded into rows with the 1-based position of each element. -#}
{% macro unnest_with_position(list_expr, value_name, position_name) -%}
    {{ return(adapter.dispatch('unnest_with_position')(list_expr, value_name, position_name)) }}
{%- endmacro %}
{% macro default__unnest_with_position(list_expr, value_name, position_name) -%}
    unnest({{ list_expr }}) as {{ value_name }}, unnest(generate_series(1, len({{ list_expr }}))) as {{ position_name }}
{%- endmacro %}
