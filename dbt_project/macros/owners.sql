{#- Who a name belongs to, before any matching: persons and institutions never receive an enterprise code.
    Institutions by their code (GB 32100 authority 1: 机构编制, 5: 民政) or by their name; persons by a name
    of 2-4 Chinese characters without any organizational word. -#}
{% macro owner_kind(name_expr, code_expr='null') -%}
    case
        when left({{ code_expr }}, 1) in ('1', '5') then 'institution'
        -- a legal form at the end makes an enterprise, whatever it is called (XX研究院有限公司)
        when {{ regex_contains('trim(' ~ name_expr ~ ')', '(公司|企业|厂|合作社|商行|经营部|店|馆)\\s*$') }} then 'organization'
        when {{ regex_contains(name_expr, '(大学|学院|学校|研究院|研究所|实验室|研究中心|医院|科学院)') }} then 'institution'
        when {{ regex_full_match('trim(' ~ name_expr ~ ')', '[\\x{4e00}-\\x{9fa5}·]{2,4}') }}
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
