{#- Similarity of two strings in [0, 1] (Jaro-Winkler): engines name it differently. -#}
{% macro string_similarity(a, b) -%}
    {{ return(adapter.dispatch('string_similarity')(a, b)) }}
{%- endmacro %}
{% macro default__string_similarity(a, b) -%}
    jaro_winkler_similarity({{ a }}, {{ b }})
{%- endmacro %}
