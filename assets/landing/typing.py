"""Typing and quarantine, generated from a dataset's declaration and run in DuckDB (vectorized).

Input: a relation `raw` with `_source_row` and one VARCHAR column per declared field (named by the
landed name; NULL where the delivery lacks the column), plus, for JSON sources, `lines` with the
record's JSON text in `_line`. Output: one table `typed` with the typed rows and, for the rows that
could not be typed, miss a required value or break a domain rule, every reason that applies.

One pass over the delivery: each value is trimmed once and parsed once, and the checks and domain rules read
the parsed values. What only a rejected row needs (its raw values as JSON) is built for those rows alone.
"""
from __future__ import annotations

from collections.abc import Callable

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


def _suffixed(f: Field, suffix: str) -> str:
    return quote_identifier(f"{f.name}__{suffix}")


def trimmed(f: Field) -> str:
    """The column holding the raw value trimmed, '' as NULL."""
    return _suffixed(f, "raw")


def parsed(f: Field) -> str:
    """The column holding the value parsed to its declared type."""
    return _suffixed(f, "typed")


def json_value(f: Field) -> str:
    """JSON sources: the column holding the field's JSON value (a list's elements are read from it)."""
    return _suffixed(f, "json")


def json_type(f: Field) -> str:
    return _suffixed(f, "json_type")


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
        # the same date written YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD (SOURCES.md); also a database's text of a
        # DATETIME holding it, 'YYYY-MM-DD 00:00:00' or with fractional seconds (MariaDB's DATETIME(6): '.000000')
        return (f"CAST(COALESCE(TRY_STRPTIME({raw}, '%Y-%m-%d'), TRY_STRPTIME({raw}, '%Y/%m/%d'), "
                f"TRY_STRPTIME({raw}, '%Y%m%d'), TRY_STRPTIME({raw}, '%Y-%m-%d %H:%M:%S'), "
                f"TRY_STRPTIME({raw}, '%Y-%m-%d %H:%M:%S.%n')) AS DATE)")
    if k == "period":
        return (f"CASE WHEN regexp_full_match({raw}, '[0-9]{{4}}-?[0-9]{{2}}') THEN "
                f"TRY_CAST(left({raw}, 4) || '-' || right({raw}, 2) || '-01' AS DATE) END")
    if k in ("timestamp", "timestamptz"):
        return f"TRY_CAST({raw} AS {f.duckdb_type})"
    if k == "string_list":
        return f"CASE WHEN _json_object THEN CAST(json_extract_string({json_value(f)}, '$[*]') AS VARCHAR[]) END"
    raise ValueError(f"unknown kind {k!r}")


EXPECTED = {
    "integer": "a whole number", "year": "a year (YYYY)", "amount": "a number (amount)",
    "decimal4": "a number", "quantity": "a number", "date": "a date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)",
    "period": "a month (YYYYMM or YYYY-MM)", "timestamp": "a timestamp", "timestamptz": "an ISO 8601 timestamp",
    "string_list": "a list of strings",
}


def label(f: Field) -> str:
    return f"{f.source} ({f.name})" if f.source != f.name else f.name


def error_terms(ds: Dataset, json_source: bool) -> list[str]:
    """One SQL CASE per check over the trimmed and parsed columns; each yields a reason or NULL."""
    terms = []
    if json_source:
        terms.append("CASE WHEN NOT _json_valid THEN 'not valid JSON' "
                     "WHEN NOT _json_object THEN 'not a JSON object' END")
    guard = "_json_object AND " if json_source else ""  # a line that is not a JSON object has one reason only
    for f in ds.fields:
        raw, value, lab = trimmed(f), parsed(f), label(f)
        if f.required:
            present = raw if f.kind != "string_list" else f"NULLIF(len({value}), 0)"
            terms.append(f"CASE WHEN {guard}{present} IS NULL THEN "
                         f"{quote_literal(f'required field {lab} is empty')} END")
        if json_source:
            allowed = ", ".join(quote_literal(t) for t in JSON_TYPES[f.kind] + ("NULL",))
            wrong_type = quote_literal("{}: expected " + EXPECTED.get(f.kind, "a string") + ", got JSON {}")
            terms.append(f"CASE WHEN {json_type(f)} NOT IN ({allowed}) THEN format({wrong_type}, "
                         f"{quote_literal(lab)}, lower({json_type(f)})) END")
            if f.kind == "string_list":
                terms.append(f"CASE WHEN {json_type(f)} = 'ARRAY' THEN CASE WHEN NOT list_bool_and(list_transform("
                             f"CAST(json_extract({json_value(f)}, '$[*]') AS JSON[]), "
                             f"lambda x: json_type(x) = 'VARCHAR')) THEN "
                             f"{quote_literal(f'{lab}: expected a list of strings')} END END")
                continue
        if f.kind == "string":
            terms.append(f"CASE WHEN contains({quote_identifier(f.name)}, chr(0)) THEN "
                         f"{quote_literal(f'{lab}: contains a NUL byte')} END")
        elif f.kind != "string_list":
            terms.append(f"CASE WHEN {raw} IS NOT NULL AND {value} IS NULL THEN "
                         f"format({quote_literal('{}: {} is not ' + EXPECTED[f.kind])}, {quote_literal(lab)}, "
                         f"'''' || left({raw}, 40) || '''') END")
    return terms


def json_projection(ds: Dataset) -> str:
    """From `lines(_source_row, _line)`: validity, then each field's raw text, JSON type (and a list's JSON value).
    Each function parses a valid object once for all fields (a list of paths), never on malformed text (DuckDB's JSON
    functions raise on it)."""
    paths = "[" + ", ".join(quote_literal("$." + json_path_key(f.source)) for f in ds.fields) + "]"
    cols = []
    for i, f in enumerate(ds.fields, start=1):
        cols.append(f"_texts[{i}] AS {quote_identifier(f.name)}")
        if f.kind == "string_list":
            path = quote_literal("$." + json_path_key(f.source))
            cols.append(f"CASE WHEN _json_object THEN json_extract(_line, {path}) END AS {json_value(f)}")
        cols.append(f"CASE WHEN _json_object THEN coalesce(_types[{i}], 'NULL') END AS {json_type(f)}")
    return (f"SELECT _source_row, _line, _json_valid, _json_object, {', '.join(cols)} FROM ("
            f"SELECT *, CASE WHEN _json_object THEN json_extract_string(_line, {paths}) END AS _texts, "
            f"CASE WHEN _json_object THEN json_type(_line, {paths}) END AS _types FROM ("
            f"SELECT *, _json_valid AND CASE WHEN _json_valid THEN json_type(_line) = 'OBJECT' ELSE false END "
            f"AS _json_object FROM (SELECT *, json_valid(_line) AS _json_valid FROM lines)))")


def domain_terms(ds: Dataset, partition: str, landed_on: str,
                 column: Callable[[Field], str] = lambda f: quote_identifier(f.name)) -> list[str]:
    """Reasons a typed row is impossible in its domain (the rules declared with the dataset), as SQL CASEs over the
    typed values (`column` names the column holding a field's); `partition` is the delivery's period ('snapshot' for
    none), `landed_on` the landing day."""
    terms = []
    for f in ds.fields:
        col, lab = column(f), label(f)
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
        col_a, col_b = column(a), column(b)
        terms.append(f"CASE WHEN {col_b} < {col_a} THEN format('{{}}: {{}} is before {{}} {{}}', "
                     f"{quote_literal(label(b))}, CAST({col_b} AS VARCHAR), "
                     f"{quote_literal(label(a))}, CAST({col_a} AS VARCHAR)) END")
    if ds.period_field and partition != "snapshot":
        f = ds.field(ds.period_field)
        col = column(f)
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


def raw_values_expression(ds: Dataset) -> str:
    """Over `raw`: a row's values as the department wrote them (its JSON line, or its columns as a JSON object)."""
    if ds.format in ("jsonl", "api"):
        return "_line"
    return "CAST(to_json(struct_pack(" + ", ".join(
        f"{quote_identifier(f.source)} := {quote_identifier(f.name)}" for f in ds.fields) + ")) AS VARCHAR)"


def raw_values_of(ds: Dataset, rows: str) -> str:
    """`_source_row, _raw_values` of the rows of `raw` that `rows` (a query of `_source_row`) selects: built only for
    them, not for the whole delivery."""
    return (f"SELECT _source_row, {raw_values_expression(ds)} AS _raw_values FROM raw "
            f"WHERE _source_row IN ({rows})")


def contradicting_duplicates(ds: Dataset) -> list[str]:
    """Statements over `typed`: rows of one delivery that share the dataset's row identity but differ in content get
    that reason (both are quarantined: nobody can tell which is right). The identities that repeat are found by a
    GROUP BY first; only their rows are compared, by their raw values."""
    if not ds.unique_within_delivery:
        return []
    # the typed values (a string typed is its trimmed text): grouped as they are, written as text in the reason
    ids = [f"_id{i}" for i in range(len(ds.unique_within_delivery))]
    identity = ", ".join(f"{quote_identifier(n)} AS {i}" for n, i in zip(ds.unique_within_delivery, ids, strict=True))
    same = " AND ".join(f"c.{i} IS NOT DISTINCT FROM r.{i}" for i in ids)
    names = " + ".join(ds.field(n).source for n in ds.unique_within_delivery)
    message = quote_literal(f"duplicate {names} {{}} with different content in this delivery (rows {{}})")
    return [
        f"CREATE TEMP TABLE repeated AS SELECT {', '.join(ids)} FROM (SELECT {identity} FROM typed "
        f"WHERE _reason = '') GROUP BY ALL HAVING count(*) > 1",
        f"CREATE TEMP TABLE repeated_rows AS SELECT c.* FROM (SELECT _source_row, {identity} FROM typed "
        f"WHERE _reason = '') c JOIN repeated r ON {same}",
        f"CREATE TEMP TABLE contradicting AS SELECT _source_row, CASE WHEN min(_content) OVER w <> max(_content) "
        f"OVER w THEN format({message}, concat_ws(' | ', {', '.join(f'CAST({i} AS VARCHAR)' for i in ids)}), "
        f"array_to_string(list(_source_row) "
        f"OVER w, ', ')) END AS _duplicate FROM (SELECT r.*, md5(v._raw_values) AS _content FROM repeated_rows r "
        f"JOIN ({raw_values_of(ds, 'SELECT _source_row FROM repeated_rows')}) v USING (_source_row)) "
        f"WINDOW w AS (PARTITION BY {', '.join(ids)} ORDER BY _source_row "
        f"ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
        "UPDATE typed SET _reason = c._duplicate FROM contradicting c "
        "WHERE typed._source_row = c._source_row AND c._duplicate IS NOT NULL",
    ]


def record_key_expression(ds: Dataset) -> str:
    parts = [f"coalesce(trim({quote_identifier(name)}), '')" for name in ds.key]
    return parts[0] if len(parts) == 1 else f"concat_ws({quote_literal(ds.key_separator)}, {', '.join(parts)})"


def typed_query(ds: Dataset, partition: str, landed_on: str, json_source: bool) -> str:
    """Over `raw`: the declared columns typed, `_source_row`, `_key`, and `_reason` (every check and domain rule that
    fails, '' when the row loads), in three projections: trimmed, parsed, checked."""
    trim_cols = ", ".join(f"NULLIF(trim({quote_identifier(f.name)}), '') AS {trimmed(f)}" for f in ds.fields)
    parse_cols = ", ".join(f"{parse_expression(f, trimmed(f))} AS {parsed(f)}" for f in ds.fields)
    reasons = error_terms(ds, json_source) + domain_terms(ds, partition, landed_on, column=parsed)
    out = ", ".join(f"{parsed(f)} AS {quote_identifier(f.name)}" for f in ds.fields)
    return (f"SELECT {out}, _source_row, {record_key_expression(ds)} AS _key, concat_ws('; ', {', '.join(reasons)}) "
            f"AS _reason FROM (SELECT *, {parse_cols} FROM (SELECT *, {trim_cols} FROM raw))")


def typing_statements(ds: Dataset, partition: str, landed_on: str, json_source: bool) -> list[str]:
    """The statements, in order, that turn the delivery (`raw`, or `lines` for JSON) into `typed`: the declared
    columns typed, `_source_row`, `_key`, and `_reason` ('' when the row loads); then the rows that contradict each
    other."""
    statements = [f"CREATE TEMP TABLE raw AS {json_projection(ds)}"] if json_source else []
    statements.append(f"CREATE TEMP TABLE typed AS {typed_query(ds, partition, landed_on, json_source)}")
    return statements + contradicting_duplicates(ds)
