{#- Reference data a city supplies as files (docs/reference_data.md): its parks, its industrial chains.
    A file is named by an environment variable holding an absolute path; unset, the repo's seed of the same
    columns stands in (the default simulated world). -#}

{#- The rows of the reference file named by `env_name`, or of the seed `default_seed` when it is unset. Every
    column of `columns` must be in the file's header (in any order, other columns ignored); values are text,
    trimmed, '' is NULL. -#}
{% macro reference_file(env_name, default_seed, columns) -%}
    {#- the seed is a dependency whether or not the file replaces it: the asset graph (parsed once, without the
        variable) and the build's order must agree -#}
    {%- set seed = ref(default_seed) -%}
    {%- set path = env_var(env_name, '') | trim -%}
    {%- if path == '' -%}
        (select {% for c in columns -%}
            nullif(trim(cast({{ adapter.quote(c) }} as {{ dbt.type_string() }})), '') as {{ c }}{{ ", " if not loop.last }}
        {%- endfor %},
            cast('seed:{{ default_seed }}' as {{ dbt.type_string() }}) as reference_file
         from {{ seed }})
    {%- else -%}
        {%- if execute -%}{{ check_reference_file_columns(path, env_name, columns) }}{%- endif -%}
        (select {% for c in columns %}nullif(trim({{ adapter.quote(c) }}), '') as {{ c }}{{ ", " if not loop.last }}{% endfor %},
            cast('{{ path | replace("'", "''") }}' as {{ dbt.type_string() }}) as reference_file
         from {{ read_csv_text(path) }})
    {%- endif -%}
{%- endmacro %}

{#- A UTF-8 CSV file with a header row, every column read as text (codes keep their leading zeros). Engine-specific:
    a Spark or Trino deployment overrides it (spark__read_csv_text, trino__...). -#}
{% macro read_csv_text(path) -%}
    {{ return(adapter.dispatch('read_csv_text')(path)) }}
{%- endmacro %}
{% macro default__read_csv_text(path) -%}
    read_csv('{{ path | replace("'", "''") }}', header = true, all_varchar = true, delim = ',', quote = '"')
{%- endmacro %}

{#- Fail with the variable, the file and what was expected when the path is relative or the header lacks a column:
    a bare "column not found" would name neither. (A missing or non-UTF-8 file fails in the engine, which names it.) -#}
{% macro check_reference_file_columns(path, env_name, columns) -%}
    {%- if not path.startswith('/') and '://' not in path -%}
        {{ exceptions.raise_compiler_error(
            env_name ~ "=" ~ path ~ ": expected an absolute path (or a URI) to a CSV file") }}
    {%- endif -%}
    {%- set header = reference_file_header(path) -%}
    {%- set missing = [] -%}
    {%- for c in columns if c not in header -%}{%- do missing.append(c) -%}{%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(env_name ~ "=" ~ path ~ ": the header lacks " ~ (missing | join(", "))
            ~ "; expected the columns " ~ (columns | join(",")) ~ " (found " ~ (header | join(",")) ~ ")") }}
    {%- endif -%}
{%- endmacro %}

{#- The column names of a CSV file's header (the engine strips a UTF-8 BOM). -#}
{% macro reference_file_header(path) -%}
    {{ return(adapter.dispatch('reference_file_header')(path)) }}
{%- endmacro %}
{% macro default__reference_file_header(path) -%}
    {%- set sql -%}
        select column_name from (describe select * from {{ read_csv_text(path) }})
    {%- endset -%}
    {%- set result = run_query(sql) -%}
    {%- set names = [] -%}
    {%- for row in result.rows -%}{%- do names.append(row[0]) -%}{%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- A ';'-separated list cell as rows (`value_name`), blanks dropped; both ASCII and full-width semicolons separate,
    as a list typed in a spreadsheet may use either. -#}
{% macro reference_list_rows(relation_alias, list_expr, value_name) -%}
    {{ split_to_rows(relation_alias, "replace(coalesce(" ~ list_expr ~ ", ''), '；', ';')", value_name) }}
{%- endmacro %}

{#- Rows whose `flag_column` is false: a value the data uses that the reference file does not list. The failing rows
    name the value (`column_name`) and the file it is missing from. Use with severity warn. -#}
{% test listed_in_reference(model, column_name, flag_column, reference) %}
select {{ column_name }}, '{{ reference }}' as missing_from
from {{ model }}
where not {{ flag_column }}
{% endtest %}

{#- S10 园区 values no park of the parks file lists (by name or land_park_names): land that membership cannot place.
    The failing rows name each value. Use with severity warn. -#}
{% test park_names_in_land_listed(model, parcels) %}
select distinct p.park_name as land_park_name, 'the parks file' as missing_from
from {{ parcels }} p
where p.park_name is not null
  and not exists (
      select 1 from {{ model }} r where r.rule = 'land_park_name' and r.match_key = {{ name_key('p.park_name') }})
{% endtest %}
