"""Typing and quarantine, generated from a dataset's declaration and run in DuckDB (vectorized).

Input: a relation `raw` with `_source_row` and one VARCHAR column per declared field (named by the
landed name; NULL where the delivery lacks the column), plus, for JSON sources, `_line` holding the
record's JSON text. Output: typed rows, and the rows that could not be typed or miss a required
value, each with every reason that applies.
"""
from __future__ import annotations

from contracts.sources import Dataset, Field
from contracts.sql import json_path_key, quote_identifier, quote_literal

# the earliest period a delivery may name: no department system holds records from before the PRC's founding
EARLIEST_PERIOD = "1949-10"

JSON_TYPES = {
    # kind -> JSON types a value may have (besides null). Departments write numbers as strings ("12.5", S5's jfjs)
    # and dates as numbers (20240203): both are the same values and load; typing then checks the text.
    "string": ("VARCHAR",),
    "integer": ("BIGINT", "UBIGINT", "VARCHAR"),
    "year": ("BIGINT", "UBIGINT", "VARCHAR"),
    "amount": ("BIGINT", "UBIGINT", "DOUBLE", "VARCHAR"),
    "decimal4": ("BIGINT", "UBIGINT", "DOUBLE", "VARCHAR"),
    "quantity": ("BIGINT", "UBIGINT", "DOUBLE", "VARCHAR"),
    "date": ("VARCHAR", "BIGINT", "UBIGINT"),
    "period": ("VARCHAR", "BIGINT", "UBIGINT"),
    "timestamp": ("VARCHAR",),
    "timestamptz": ("VARCHAR",),
    "string_list": ("ARRAY",),
}


def _number(raw: str, sql_type: str) -> str:
    return f"TRY_CAST(replace({raw}, ',', '') AS {sql_type})"


def parse_expression(f: Field, raw: str) -> str:
    """SQL turning the raw VARCHAR `raw` (already trimmed, '' as NULL) into the declared type."""
    k = f.kind
    if k == "string":
        return raw
    if k in ("integer", "amount", "decimal4", "quantity"):
        return _number(raw, f.duckdb_type)
    if k == "year":
        return f"CASE WHEN TRY_CAST({raw} AS INTEGER) BETWEEN 1900 AND 2100 THEN TRY_CAST({raw} AS INTEGER) END"
    if k == "date":
        # the same date written YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD (SOURCES.md); also a DB's 'YYYY-MM-DD 00:00:00'
        return (f"CAST(COALESCE(TRY_STRPTIME({raw}, '%Y-%m-%d'), TRY_STRPTIME({raw}, '%Y/%m/%d'), "
                f"TRY_STRPTIME({raw}, '%Y%m%d'), TRY_STRPTIME({raw}, '%Y-%m-%d %H:%M:%S')) AS DATE)")
    if k == "period":
        return (f"CASE WHEN regexp_full_match({raw}, '[0-9]{{4}}-?[0-9]{{2}}') THEN "
                f"TRY_CAST(left({raw}, 4) || '-' || right({raw}, 2) || '-01' AS DATE) END")
    if k in ("timestamp", "timestamptz"):
        return f"TRY_CAST({raw} AS {f.duckdb_type})"
    if k == "string_list":
        path = quote_literal("$." + json_path_key(f.source) + "[*]")
        return f"CASE WHEN _json_object THEN CAST(json_extract_string(_line, {path}) AS VARCHAR[]) END"
    raise ValueError(f"unknown kind {k!r}")


EXPECTED = {
    "integer": "a whole number", "year": "a year (YYYY)", "amount": "a number (amount)",
    "decimal4": "a number", "quantity": "a number", "date": "a date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)",
    "period": "a month (YYYYMM or YYYY-MM)", "timestamp": "a timestamp", "timestamptz": "an ISO 8601 timestamp",
    "string_list": "a list of strings",
}


def raw_column(f: Field) -> str:
    """The raw value, trimmed, with '' as NULL."""
    return f"NULLIF(trim({quote_identifier(f.name)}), '')"


def label(f: Field) -> str:
    return f"{f.source} ({f.name})" if f.source != f.name else f.name


def error_terms(ds: Dataset, json_source: bool) -> list[str]:
    """One SQL CASE per check; each yields a reason or NULL."""
    terms = []
    if json_source:
        terms.append("CASE WHEN NOT _json_valid THEN 'not valid JSON' "
                     "WHEN NOT _json_object THEN 'not a JSON object' END")
    guard = "_json_object AND " if json_source else ""  # a line that is not a JSON object has one reason only
    for f in ds.fields:
        raw = raw_column(f)
        lab = label(f)
        if f.required:
            value = raw if f.kind != "string_list" else f"NULLIF(len({parse_expression(f, raw)}), 0)"
            terms.append(f"CASE WHEN {guard}{value} IS NULL THEN {quote_literal(f'required field {lab} is empty')} END")
        if json_source:
            allowed = ", ".join(quote_literal(t) for t in JSON_TYPES[f.kind] + ("NULL",))
            jt = quote_identifier(f.name + "__json_type")
            wrong_type = quote_literal("{}: expected " + EXPECTED.get(f.kind, "a string") + ", got JSON {}")
            terms.append(f"CASE WHEN {jt} NOT IN ({allowed}) THEN format({wrong_type}, {quote_literal(lab)}, "
                         f"lower({jt})) END")
            if f.kind == "string_list":
                path = quote_literal("$." + json_path_key(f.source) + "[*]")
                terms.append(f"CASE WHEN {jt} = 'ARRAY' THEN CASE WHEN NOT list_bool_and(list_transform("
                             f"CAST(json_extract(_line, {path}) AS JSON[]), lambda x: json_type(x) = 'VARCHAR')) THEN "
                             f"{quote_literal(f'{lab}: expected a list of strings')} END END")
                continue
        if f.kind == "string":
            terms.append(f"CASE WHEN contains({quote_identifier(f.name)}, chr(0)) THEN "
                         f"{quote_literal(f'{lab}: contains a NUL byte')} END")
        elif f.kind != "string_list":
            parsed = parse_expression(f, raw)
            terms.append(f"CASE WHEN {raw} IS NOT NULL AND ({parsed}) IS NULL THEN "
                         f"format({quote_literal('{}: {} is not ' + EXPECTED[f.kind])}, {quote_literal(lab)}, "
                         f"'''' || left({raw}, 40) || '''') END")
    return terms


def json_projection(ds: Dataset) -> str:
    """From `lines(_source_row, _line)`: validity, then each field's raw text and JSON type, computed only on
    valid objects (DuckDB's JSON functions raise on malformed text)."""
    cols = []
    for f in ds.fields:
        path = quote_literal("$." + json_path_key(f.source))
        cols.append(f"CASE WHEN _json_object THEN json_extract_string(_line, {path}) END AS {quote_identifier(f.name)}")
        cols.append(f"CASE WHEN _json_object THEN coalesce(json_type(_line, {path}), 'NULL') END "
                    f"AS {quote_identifier(f.name + '__json_type')}")
    return (f"SELECT _source_row, _line, _json_valid, _json_object, {', '.join(cols)} FROM ("
            f"SELECT *, _json_valid AND CASE WHEN _json_valid THEN json_type(_line) = 'OBJECT' ELSE false END "
            f"AS _json_object FROM (SELECT *, json_valid(_line) AS _json_valid FROM lines))")


def domain_terms(ds: Dataset, partition: str, landed_on: str) -> list[str]:
    """Reasons a typed row is impossible in its domain (the rules declared with the dataset), as SQL CASEs over the
    typed columns; `partition` is the delivery's period ('snapshot' for none), `landed_on` the landing day."""
    terms = []
    for f in ds.fields:
        col, lab = quote_identifier(f.name), label(f)
        if f.minimum is not None:
            below = quote_literal(f"{{}}: {{}} is below its minimum {f.minimum:g}")
            terms.append(f"CASE WHEN {col} < {f.minimum} THEN format({below}, {quote_literal(lab)}, "
                         f"CAST({col} AS VARCHAR)) END")
        if f.not_in_future:
            future = quote_literal(f"{{}}: {{}} is in the future (landed on {landed_on})")
            terms.append(f"CASE WHEN {col} > DATE {quote_literal(landed_on)} THEN format({future}, "
                         f"{quote_literal(lab)}, CAST({col} AS VARCHAR)) END")
    for earlier, later in ds.ordered_dates:
        a, b = ds.field(earlier), ds.field(later)
        col_a, col_b = quote_identifier(a.name), quote_identifier(b.name)
        terms.append(f"CASE WHEN {col_b} < {col_a} THEN format('{{}}: {{}} is before {{}} {{}}', "
                     f"{quote_literal(label(b))}, CAST({col_b} AS VARCHAR), "
                     f"{quote_literal(label(a))}, CAST({col_a} AS VARCHAR)) END")
    if ds.period_field and partition != "snapshot":
        f = ds.field(ds.period_field)
        col = quote_identifier(f.name)
        latest = f"DATE {quote_literal(partition + '-01')}" if f.kind == "period" else str(int(partition))
        # an earlier period is a late filing and loads; a later one cannot have been reported yet
        after = quote_literal(f"{{}}: {{}} is after the delivery's period {partition}")
        terms.append(f"CASE WHEN {col} > {latest} THEN format({after}, {quote_literal(f.source)}, "
                     f"CAST({col} AS VARCHAR)) END")
        earliest = f"DATE {quote_literal(EARLIEST_PERIOD + '-01')}" if f.kind == "period" else EARLIEST_PERIOD[:4]
        before = quote_literal(f"{{}}: {{}} is before {EARLIEST_PERIOD[:4]}")
        terms.append(f"CASE WHEN {col} < {earliest} THEN format({before}, {quote_literal(f.source)}, "
                     f"CAST({col} AS VARCHAR)) END")
    return terms


def contradicting_duplicates(ds: Dataset) -> str | None:
    """SQL over `typed`: the reason for rows of one delivery that share the dataset's row identity but differ in
    content (both are quarantined: nobody can tell which is right); NULL otherwise."""
    if not ds.unique_within_delivery:
        return None
    keys = ", ".join(f"trim(CAST({quote_identifier(n)} AS VARCHAR))" for n in ds.unique_within_delivery)
    names = " + ".join(ds.field(n).source for n in ds.unique_within_delivery)
    window = f"OVER (PARTITION BY {keys})"
    message = quote_literal(f"duplicate {names} {{}} with different content in this delivery (rows {{}})")
    return (f"CASE WHEN min(md5(CAST(_raw_values AS VARCHAR))) {window} <> max(md5(CAST(_raw_values AS VARCHAR))) "
            f"{window} THEN format({message}, concat_ws(' | ', {keys}), "
            f"array_to_string(list(_source_row) {window}, ', ')) END")


def typed_select(ds: Dataset) -> str:
    cols = [f"{parse_expression(f, raw_column(f))} AS {quote_identifier(f.name)}" for f in ds.fields]
    return ", ".join(cols)


def record_key_expression(ds: Dataset) -> str:
    parts = [f"coalesce(trim({quote_identifier(name)}), '')" for name in ds.key]
    return parts[0] if len(parts) == 1 else f"concat_ws({quote_literal(ds.key_separator)}, {', '.join(parts)})"


def build_typing_sql(ds: Dataset, json_source: bool) -> tuple[str, str]:
    """(checked relation SQL, raw-values JSON SQL). The first selects `_reason` ('' when the row loads)."""
    reasons = f"concat_ws('; ', {', '.join(error_terms(ds, json_source))})"
    checked = f"SELECT *, {reasons} AS _reason FROM raw"
    raw_values = "to_json(struct_pack(" + ", ".join(
        f"{quote_identifier(f.source)} := {quote_identifier(f.name)}" for f in ds.fields) + "))"
    if json_source:
        raw_values = "_line"
    return checked, raw_values


def typing_statements(ds: Dataset, partition: str, landed_on: str, json_source: bool) -> list[str]:
    """The statements, in order, that turn the delivery (`raw`, or `lines` for JSON) into `typed`: the declared
    columns typed, `_source_row`, `_raw_values`, `_key`, and `_reason` ('' when the row loads). Domain rules need
    typed values, so they run on `typed`; then the rows that contradict each other."""
    statements = [f"CREATE TEMP TABLE raw AS {json_projection(ds)}"] if json_source else []
    checked_sql, raw_values = build_typing_sql(ds, json_source)
    statements += [f"CREATE TEMP VIEW checked AS {checked_sql}",
                   f"CREATE TEMP TABLE typed AS SELECT {typed_select(ds)}, _source_row, _reason, {raw_values} AS "
                   f"_raw_values, {record_key_expression(ds)} AS _key FROM checked"]
    statements += [f"UPDATE typed SET _reason = concat_ws('; ', NULLIF(_reason, ''), {term}) WHERE ({term}) IS NOT NULL"
                   for term in domain_terms(ds, partition, landed_on)]
    duplicates = contradicting_duplicates(ds)
    if duplicates:
        statements += [f"CREATE TEMP TABLE contradicting AS SELECT _source_row, {duplicates} AS _duplicate "
                       f"FROM typed WHERE _reason = ''",
                       "UPDATE typed SET _reason = c._duplicate FROM contradicting c "
                       "WHERE typed._source_row = c._source_row AND c._duplicate IS NOT NULL"]
    return statements
