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

{#- `expr` with every match of the regular expression replaced. -#}
{% macro regex_replace(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace')(expr, pattern, replacement)) }}
{%- endmacro %}
{% macro default__regex_replace(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- `text` begins with `prefix`. -#}
{% macro starts_with(text, prefix) -%}
    substr({{ text }}, 1, length({{ prefix }})) = {{ prefix }}
{%- endmacro %}

{#- A date from a year expression and a constant month and day. -#}
{% macro date_in_year(year_expr, month, day) -%}
    cast(cast({{ year_expr }} as string) || '-{{ "%02d" | format(month) }}-{{ "%02d" | format(day) }}' as date)
{%- endmacro %}

{#- Rows of a ';'-separated list column, as `value_name`, next to the row's other columns. -#}
{% macro split_to_rows(relation_alias, list_expr, value_name) -%}
    {{ return(adapter.dispatch('split_to_rows')(relation_alias, list_expr, value_name)) }}
{%- endmacro %}
{% macro default__split_to_rows(relation_alias, list_expr, value_name) -%}
    {{ relation_alias }}, unnest(string_split({{ list_expr }}, ';')) as split_values({{ value_name }})
{%- endmacro %}

{#- Rows of `relation_alias` once per integer from `start` to `stop` - 1, as `alias`.`column` (none when stop <= start).
    Nothing may be joined after it (Spark's lateral view closes the FROM clause). -#}
{% macro range_rows(relation_alias, start, stop, alias, column) -%}
    {{ return(adapter.dispatch('range_rows')(relation_alias, start, stop, alias, column)) }}
{%- endmacro %}
{% macro default__range_rows(relation_alias, start, stop, alias, column) -%}
    {{ relation_alias }}, range({{ start }}, {{ stop }}) {{ alias }} ({{ column }})
{%- endmacro %}

{#- The number of elements of a list. -#}
{% macro list_length(list_expr) -%}
    {{ return(adapter.dispatch('list_length')(list_expr)) }}
{%- endmacro %}
{% macro default__list_length(list_expr) -%}
    len({{ list_expr }})
{%- endmacro %}

{#- The texts of a group joined in an order (NULLs left out; NULL when there are none). -#}
{% macro ordered_string_agg(expr, separator, order_by) -%}
    {{ return(adapter.dispatch('ordered_string_agg')(expr, separator, order_by)) }}
{%- endmacro %}
{% macro default__ordered_string_agg(expr, separator, order_by) -%}
    string_agg({{ expr }}, '{{ separator }}' order by {{ order_by }})
{%- endmacro %}

{#- A number that orders rows by `seen_at` (NULL first), then by a hash of `values`: its maximum picks one latest
    row per group with a fixed-size aggregate state, which spills to disk, unlike `max_by` over text (it ran DuckDB
    out of memory at 3M enterprises). Rows with the same number hold the same values. -#}
{% macro latest_row_key(seen_at, values) -%}
    {{ return(adapter.dispatch('latest_row_key')(seen_at, values)) }}
{%- endmacro %}
{% macro default__latest_row_key(seen_at, values) -%}
    (cast(epoch_us(coalesce(cast({{ seen_at }} as timestamp), timestamp '0001-01-01')) as hugeint) * 18446744073709551616
     + cast(hash({{ values | join(', ') }}) as hugeint))
{%- endmacro %}

{#- Character positions of a text as bits of one number (bit i-1 for character i), so that a set of positions is a
    fixed-size value and `bit_or` gathers them in an aggregate that spills to disk (an ordered `string_agg` over one row
    per character ran DuckDB out of memory at 3M enterprises). Positions up to position_mask_bits() only. -#}
{% macro position_mask_bits() -%}128{%- endmacro %}

{#- The positions `position` .. `position` + `length` - 1 (1-based). -#}
{% macro position_mask(position, length) -%}
    {{ return(adapter.dispatch('position_mask')(position, length)) }}
{%- endmacro %}
{% macro default__position_mask(position, length) -%}
    (((1::uhugeint << ({{ length }})::uhugeint) - 1) << ({{ position }} - 1)::uhugeint)
{%- endmacro %}

{#- The union of a group's position sets (an aggregate). -#}
{% macro positions_union(mask) -%}
    {{ return(adapter.dispatch('positions_union')(mask)) }}
{%- endmacro %}
{% macro default__positions_union(mask) -%}
    bit_or({{ mask }})
{%- endmacro %}

{#- `text` without the characters whose positions `mask` holds. -#}
{% macro without_positions(text, mask) -%}
    {{ return(adapter.dispatch('without_positions')(text, mask)) }}
{%- endmacro %}
{% macro default__without_positions(text, mask) -%}
    array_to_string(list_filter(string_split({{ text }}, ''),
        lambda ch, i: (({{ mask }} >> (i - 1)::uhugeint) & 1::uhugeint) = 0), '')
{%- endmacro %}

{#- A figure as a clerk reads it: thousands separated, at most 6 decimals, no trailing .0 (20,000,000; 0.031224;
    33). Never a bare run of 11 digits, which the publication's personal-data scan would take for a phone number. -#}
{% macro display_number(expr) -%}
    {{ return(adapter.dispatch('display_number')(expr)) }}
{%- endmacro %}
{% macro default__display_number(expr) -%}
    regexp_replace(format('{:,}', round(cast({{ expr }} as double), 6)), '\.0$', '')
{%- endmacro %}

{#- Rounded half up on the decimal figure, on both engines (DuckDB rounds a double's binary value: 0.73125 is
    0.7312 there and 0.7313 on Spark): from 10 decimals, as a double. -#}
{% macro round_half_up(expr, digits=0) -%}
    cast(round(cast({{ expr }} as decimal(38, 10)), {{ digits }}) as double)
{%- endmacro %}

{#- The value of the row with the greatest (least) `order` among the rows that have a value: DuckDB's max_by skips
    a NULL value, Spark's returns it; said explicitly, the engines agree. Where rows can tie on `order`, `tie`
    decides (compared after it): without it each engine, and each run, may pick another of the tied rows. -#}
{% macro max_by_known(value, order, tie=none) -%}
    max_by({{ value }}, case when {{ value }} is not null then {{ ordering_pair(order, tie) if tie else order }} end)
{%- endmacro %}
{% macro min_by_known(value, order, tie=none) -%}
    min_by({{ value }}, case when {{ value }} is not null then {{ ordering_pair(order, tie) if tie else order }} end)
{%- endmacro %}

{#- Two values compared as one: by the first, then the second. -#}
{% macro ordering_pair(first, second) -%}
    {{ return(adapter.dispatch('ordering_pair')(first, second)) }}
{%- endmacro %}
{% macro default__ordering_pair(first, second) -%}
    struct_pack(k := {{ first }}, t := {{ second }})
{%- endmacro %}

{#- Every column but these: DuckDB's `* exclude (...)`, Spark's `* except (...)`. -#}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except')(columns)) }}
{%- endmacro %}
{% macro default__star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}

{#- A bronze dataset (`source()`): DuckDB reads it through the source's external_location (read_parquet over the lake);
    Spark reads the same folder of Parquet files by path, the folder taken from that external_location, so each
    source's place is declared once (files named `_…` or `.…`, in flight or quarantined, are skipped by Spark as by
    the glob). The source stays a dependency in dbt's graph either way. -#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {{ return(adapter.dispatch('bronze_relation')(relation, source_name, table_name)) }}
{%- endmacro %}
{% macro default__bronze_relation(relation, source_name, table_name) -%}
    {{ return(relation) }}
{%- endmacro %}
{% macro spark__bronze_relation(relation, source_name, table_name) -%}
    {%- if not execute -%}{{ return(relation) }}{%- endif -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {%- set location = (node.meta.get('external_location') or node.source_meta.get('external_location', '')) -%}
    {%- set folder = modules.re.search("read_parquet\\('([^']+)/\\[!\\._\\]\\*\\.parquet'",
        location.replace('{name}', table_name)) -%}
    {%- if folder is none -%}
        {{ exceptions.raise_compiler_error("source " ~ source_name ~ "." ~ table_name ~ ": Spark reads a folder of "
            ~ "Parquet files; expected an external_location read_parquet('<folder>/[!._]*.parquet'), found: "
            ~ location) }}
    {%- endif -%}
    {%- set path = folder.group(1) -%}
    {%- if '://' in path and not path.startswith('file://') -%}
        {{ exceptions.raise_compiler_error("source " ~ source_name ~ "." ~ table_name ~ " at " ~ path ~ ": Spark reads "
            ~ "the lake from a filesystem path here (no s3a connector); expected a folder") }}
    {%- endif -%}
    {{ return("parquet.`" ~ path ~ "`") }}
{%- endmacro %}

{#- A sum of amounts in 元, of one type on both engines: DuckDB widens a sum of DECIMAL(18, 2) to (38, 2), Spark to
    (28, 2); the published contracts say (38, 2). -#}
{% macro sum_yuan(expr) -%}
    cast(sum({{ expr }}) as decimal(38, 2))
{%- endmacro %}
