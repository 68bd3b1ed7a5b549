{#- One row per day between two dates, as a column `calendar_date`. -#}
{% macro date_series(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_series')(start_date, end_date)) }}
{%- endmacro %}
{% macro default__date_series(start_date, end_date) -%}
    select cast(d as date) as calendar_date
    from generate_series(cast('{{ start_date }}' as date), cast('{{ end_date }}' as date), interval 1 day) as t(d)
{%- endmacro %}
