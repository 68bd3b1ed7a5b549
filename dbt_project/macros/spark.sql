{#- Spark SQL spellings of the cross-engine helpers (adapter.dispatch picks spark__ on the `spark` targets). Every
    model is written once; these are the only places where Spark and DuckDB differ (docs/spark.md). -#}

{#- Java regular expressions name the Han script \p{IsHan} (RE2, which DuckDB uses: \p{Han}); Spark's string literals
    keep backslashes as written (the profile sets spark.sql.parser.escapedStringLiterals, as DuckDB reads them). -#}
{% macro spark_regex(pattern) -%}
    {{ return(pattern | replace('\\p{Han}', '\\p{IsHan}')) }}
{%- endmacro %}

{% macro spark__regex_contains(expr, pattern) -%}
    ({{ expr }} rlike '{{ spark_regex(pattern) }}')
{%- endmacro %}

{#- \z: Java's $ also matches before a final line break, RE2's full match does not -#}
{% macro spark__regex_full_match(expr, pattern) -%}
    ({{ expr }} rlike '^(?:{{ spark_regex(pattern) }})\z')
{%- endmacro %}

{% macro spark__regex_extract(expr, pattern, group) -%}
    regexp_extract({{ expr }}, '{{ spark_regex(pattern) }}', {{ group }})
{%- endmacro %}

{% macro spark__regex_replace(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ spark_regex(pattern) }}', '{{ replacement }}')
{%- endmacro %}

{% macro spark__split_to_rows(relation_alias, list_expr, value_name) -%}
    {{ relation_alias }} lateral view explode(split({{ list_expr }}, ';')) split_values as {{ value_name }}
{%- endmacro %}

{#- a lateral view comes after the relation's joins: the models using it join nothing after it -#}
{% macro spark__range_rows(relation_alias, start, stop, alias, column) -%}
    {{ relation_alias }} lateral view explode(
        case when {{ stop }} > {{ start }} then sequence(cast({{ start }} as bigint), cast({{ stop }} as bigint) - 1)
        else cast(array() as array<bigint>) end) {{ alias }} as {{ column }}
{%- endmacro %}

{% macro spark__unnest_with_position(list_expr, value_name, position_name) -%}
    inline(transform({{ list_expr }}, (v, i) -> struct(v as {{ value_name }}, i + 1 as {{ position_name }})))
{%- endmacro %}

{% macro spark__list_length(list_expr) -%}
    size({{ list_expr }})
{%- endmacro %}

{#- listagg(distinct ...) within group fails in Spark 4.3 (a ClassCastException while planning): the distinct values,
    sorted, joined; NULL when there are none, as DuckDB's string_agg -#}
{% macro spark__ordered_string_agg(expr, separator, order_by) -%}
    {%- if expr.startswith('distinct ') -%}
        {%- set value = expr[9:] -%}
        {%- if value != order_by -%}
            {{ exceptions.raise_compiler_error("ordered_string_agg(" ~ expr ~ "): distinct values are ordered by "
                ~ "themselves; expected order_by " ~ value ~ ", found " ~ order_by) }}
        {%- endif -%}
        case when count({{ expr }}) > 0 then array_join(array_sort(collect_set({{ value }})), '{{ separator }}') end
    {%- else -%}
        listagg({{ expr }}, '{{ separator }}') within group (order by {{ order_by }})
    {%- endif -%}
{%- endmacro %}

{#- xxhash64 is signed: shifted to 0 .. 2^64 - 1, as DuckDB's hash -#}
{% macro spark__latest_row_key(seen_at, values) -%}
    (cast(unix_micros(coalesce(cast({{ seen_at }} as timestamp), timestamp '0001-01-01')) as decimal(38, 0))
     * 18446744073709551616 + (cast(xxhash64({{ values | join(', ') }}) as decimal(38, 0)) + 9223372036854775808))
{%- endmacro %}

{#- Spark's integers stop at 64 bits: a set of positions is an array (gathered by positions_union) -#}
{% macro spark__position_mask(position, length) -%}
    sequence(cast({{ position }} as int), cast({{ position }} + {{ length }} - 1 as int))
{%- endmacro %}
{% macro spark__positions_union(mask) -%}
    array_distinct(flatten(collect_list({{ mask }})))
{%- endmacro %}
{% macro spark__without_positions(text, mask) -%}
    concat_ws('', filter(split({{ text }}, ''), (ch, i) -> not array_contains({{ mask }}, i + 1)))
{%- endmacro %}

{#- format_number always writes the decimals: the trailing zeros (and a bare point) go, as DuckDB's format writes -#}
{% macro spark__display_number(expr) -%}
    regexp_replace(format_number(round(cast({{ expr }} as double), 6), 6), '\.?0+$', '')
{%- endmacro %}

{% macro spark__date_series(start_date, end_date) -%}
    select explode(sequence(date '{{ start_date }}', date '{{ end_date }}', interval 1 day)) as calendar_date
{%- endmacro %}

{#- translate() with a constant map: Spark builds the map once per task, not per row -#}
{% macro spark__to_simplified(expr) -%}
    translate({{ expr }}, '{{ traditional_characters() | trim }}', '{{ simplified_characters() | trim }}')
{%- endmacro %}

{% macro spark__read_csv_text(path) -%}
    csv.`{{ path }}`
{%- endmacro %}

{#- Contracts declare DuckDB's type names; Spark's table of the same columns: text is string, DuckDB's 128-bit sum of
    integers is Spark's 64-bit one (Spark's sum of bigint stays bigint) -#}
{% macro spark_type(data_type) -%}
    {%- set t = data_type | lower | trim -%}
    {{ return({'varchar': 'string', 'text': 'string', 'hugeint': 'bigint', 'integer': 'int'}.get(t, t)) }}
{%- endmacro %}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = {} -%}
        {%- do copy.update(column) -%}
        {%- if column.get('data_type') -%}
            {%- do copy.update({'data_type': spark_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: copy}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(translated)) }}
{%- endmacro %}

{#- Seeds on Spark: dbt-spark's session cursor binds a missing value as the text 'None' (a blank parent_code became
    'None'), so the values are written into the statement as literals: NULL, numbers as written, text quoted (a quote
    inside text as chr(39): with escapedStringLiterals, Spark SQL has no escape for it). -#}
{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is boolean -%}{{ 'true' if value else 'false' }}
    {%- elif value is number -%}{{ value }}
    {%- elif value is not string and value.isoformat is defined -%}'{{ value.isoformat() }}'
    {%- elif "'" in value|string -%}concat('{{ (value|string).split("'") | join("', chr(39), '") }}')
    {%- else -%}'{{ value }}'
    {%- endif -%}
{%- endmacro %}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ spark_seed_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first %}{% do statements.append(sql) %}{% endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{% macro spark__star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__ordering_pair(first, second) -%}
    named_struct('k', {{ first }}, 't', {{ second }})
{%- endmacro %}
