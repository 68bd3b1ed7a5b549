{#- National identifier standards in portable SQL (position/substr/translate), behind adapter.dispatch so an
    engine that lacks one of them can supply its own. -#}

{#- Full-width digits, letters, hyphen and space (as sources write them) to their ASCII forms. -#}

{% macro to_half_width(expr) -%}
    {#- only text that has a full-width character pays for translate() -#}
    case when {{ regex_contains(expr, '[０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ－（）　]') }}
        then translate({{ expr }}, '０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ－（）　', '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-() ') else {{ expr }} end
{%- endmacro %}

{#- A code as written (any width, case, spaces, hyphens) to its canonical form; '' becomes NULL. -#}
{% macro normalize_code(expr) -%}
    {{ return(adapter.dispatch('normalize_code')(expr)) }}
{%- endmacro %}
{% macro default__normalize_code(expr) -%}
    nullif(upper(replace(replace(replace(replace({{ to_half_width(expr) }}, ' ', ''), '-', ''), chr(9), ''), '.', '')), '')
{%- endmacro %}

{#- GB 32100-2015: 18 characters of 0-9 A-Z without I O S V Z; check character at position 18 from
    weights 3^(i-1) mod 31. -#}
{% macro uscc_is_valid(code) -%}
    {{ return(adapter.dispatch('uscc_is_valid')(code)) }}
{%- endmacro %}
{% macro default__uscc_is_valid(code) -%}
    {%- set chars = '0123456789ABCDEFGHJKLMNPQRTUWXY' -%}
    {%- set weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] -%}
    coalesce(length({{ code }}) = 18
    {%- for i in range(1, 19) %} and position(substr({{ code }}, {{ i }}, 1) in '{{ chars }}') > 0{% endfor %}
    and substr('{{ chars }}', cast((31 - ((
        {%- for i in range(1, 18) -%}
            (position(substr({{ code }}, {{ i }}, 1) in '{{ chars }}') - 1) * {{ weights[i - 1] }}
            {%- if not loop.last %} + {% endif -%}
        {%- endfor -%}
    ) % 31)) % 31 as integer) + 1, 1) = substr({{ code }}, 18, 1), false)
{%- endmacro %}

{#- GB 11714-1997: 8 body characters (0-9, A-Z) + a check character; weights 3 7 9 10 5 8 4 2,
    check = 11 - sum mod 11 with 10 -> X and 11 -> 0. Takes the 9 characters without hyphen. -#}
{% macro org_code_is_valid(code) -%}
    {{ return(adapter.dispatch('org_code_is_valid')(code)) }}
{%- endmacro %}
{% macro default__org_code_is_valid(code) -%}
    {%- set chars = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ' -%}
    {%- set weights = [3, 7, 9, 10, 5, 8, 4, 2] -%}
    {%- set total -%}
        {%- for i in range(1, 9) -%}
            (position(substr({{ code }}, {{ i }}, 1) in '{{ chars }}') - 1) * {{ weights[i - 1] }}
            {%- if not loop.last %} + {% endif -%}
        {%- endfor -%}
    {%- endset -%}
    coalesce(length({{ code }}) = 9
    {%- for i in range(1, 9) %} and position(substr({{ code }}, {{ i }}, 1) in '{{ chars }}') > 0{% endfor %}
    and substr({{ code }}, 9, 1) = case 11 - (({{ total }}) % 11) when 10 then 'X' when 11 then '0'
        else cast(11 - (({{ total }}) % 11) as string) end, false)
{%- endmacro %}

{#- The GB 11714 organization code a code carries where it carries one: inside a USCC (characters 9-17), after the
    division of a legacy 15-character taxpayer number, or the code itself. Not checked here (org_code_is_valid). -#}
{% macro org_code_in(code) -%}
    case length({{ code }})
        when 18 then substr({{ code }}, 9, 9)
        when 15 then substr({{ code }}, 7, 9)
        when 9 then {{ code }}
    end
{%- endmacro %}
