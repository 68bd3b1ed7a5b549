{#- Small cross-engine helpers (DESIGN: growth path). The default implementations are standard SQL or DuckDB;
    a Spark or Trino deployment overrides only what its engine spells differently (spark__..., trino__...). -#}

{#- Does `expr` match the regular expression anywhere? -#}
{% macro regex_contains(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_contains')(expr, pattern)) }}
{%- endmacro %}
{% macro default__regex_contains(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{#- Does the whole of `expr` match the regular expression? -#}
{% macro regex_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match')(expr, pattern)) }}
{%- endmacro %}
{% macro default__regex_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{#- The `group`-th capture group of the first match ('' when none). -#}
{% macro regex_extract(expr, pattern, group) -%}
    {{ return(adapter.dispatch('regex_extract')(expr, pattern, group)) }}
{%- endmacro %}
{% macro default__regex_extract(expr, pattern, group) -%}
    regexp_extract({{ expr }}, '{{ pattern }}', {{ group }})
{%- endmacro %}

{#- `text` begins with `prefix`. -#}
{% macro starts_with(text, prefix) -%}
    substr({{ text }}, 1, length({{ prefix }})) = {{ prefix }}
{%- endmacro %}

{#- A date from a year expression and a constant month and day. -#}
{% macro date_in_year(year_expr, month, day) -%}
    cast(cast({{ year_expr }} as varchar) || '-{{ "%02d" | format(month) }}-{{ "%02d" | format(day) }}' as date)
{%- endmacro %}

{#- Rows of a ';'-separated list column, as `value_name`, next to the row's other columns. -#}
{% macro split_to_rows(relation_alias, list_expr, value_name) -%}
    {{ return(adapter.dispatch('split_to_rows')(relation_alias, list_expr, value_name)) }}
{%- endmacro %}
{% macro default__split_to_rows(relation_alias, list_expr, value_name) -%}
    {{ relation_alias }}, unnest(string_split({{ list_expr }}, ';')) as split_values({{ value_name }})
{%- endmacro %}

{#- A figure as a clerk reads it: thousands separated, at most 6 decimals, no trailing .0 (20,000,000; 0.031224;
    33). Never a bare run of 11 digits, which the publication's personal-data scan would take for a phone number. -#}
{% macro display_number(expr) -%}
    {{ return(adapter.dispatch('display_number')(expr)) }}
{%- endmacro %}
{% macro default__display_number(expr) -%}
    regexp_replace(format('{:,}', round(cast({{ expr }} as double), 6)), '\.0$', '')
{%- endmacro %}
