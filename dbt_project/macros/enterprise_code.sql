{#- 企业码: 'QY' + a 9-digit sequence number + a check character (the GB 32100 alphabet and weights, so a mistyped
    digit is caught). The sequence only grows: a code is never reused. -#}
{% macro enterprise_code(sequence_expr) -%}
    {%- set chars = '0123456789ABCDEFGHJKLMNPQRTUWXY' -%}
    {%- set weights = [1, 3, 9, 27, 19, 26, 16, 17, 20] -%}
    {%- set digits = "lpad(cast(" ~ sequence_expr ~ " as string), 9, '0')" -%}
    'QY' || {{ digits }} || substr('{{ chars }}', cast((
        {%- for i in range(1, 10) -%}
            cast(substr({{ digits }}, {{ i }}, 1) as integer) * {{ weights[i - 1] }}
            {%- if not loop.last %} + {% endif -%}
        {%- endfor -%}
    ) % 31 as integer) + 1, 1)
{%- endmacro %}
