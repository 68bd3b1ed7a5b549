"""What dbt adds to a model's Jinja context beyond sqlfluff's `apply_dbt_builtins` (ref, source, config, var), for
sqlfluff's jinja templater (.sqlfluff, library_path): adapter.dispatch to the project's macros, the few dbt
cross-database macros the project calls, var (the project's values), env_var, target. sqlfluff's dbt templater
renders with dbt itself, but compiles every file through dbt (minutes for this project) and skips macro files.

Only the shape of what these render matters: templated SQL is parsed, never linted as written
(ignore_templated_areas), so they follow dbt-duckdb's output closely enough to parse the same, no more.
"""
from __future__ import annotations

from pathlib import Path

import yaml
from jinja2 import pass_context

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"

# Dispatched macros that are an expression of SQL expressions, rendered as a call of the same name: expanded, they
# are kilobytes of SQL each (name_key holds OpenCC's character map and a dozen nested replace()) and sqlfluff spent
# minutes parsing them in every model; what they expand to is built and checked by dbt (tests/transform)
CALLS = {"name_key", "to_simplified", "normalize_code", "uscc_is_valid", "org_code_is_valid", "string_similarity"}


class _CompilerError(Exception):
    pass


def _call(macro_name):
    return lambda *args: f"{macro_name}({', '.join(map(str, args))})"


@pass_context
def _dispatch(context, macro_name, macro_namespace=None):
    """The project's implementation, by dbt-duckdb's search order (duckdb__, then default__)."""
    if macro_name in CALLS:
        return _call(macro_name)
    for prefix in ("duckdb__", "default__"):
        macro = context.resolve_or_missing(prefix + macro_name)
        if callable(macro):
            return macro
    raise _CompilerError(f"no implementation of {macro_name} for duckdb")


def _last_day(date, datepart):
    return f"cast(date_trunc('{datepart}', {date}) + interval 1 {datepart} - interval 1 day as date)"


class _Namespace:
    def __init__(self, **members):
        self.__dict__.update(members)


adapter = _Namespace(dispatch=_dispatch, quote=lambda identifier: f'"{identifier}"')

# dbt's cross-database macros as dbt-duckdb spells them
dbt = _Namespace(
    dateadd=lambda datepart, interval, from_date: f"({from_date} + cast({interval} as bigint) * interval 1 {datepart})",
    last_day=_last_day,
    listagg=lambda measure, delimiter_text, order_by_clause=None, limit_num=None:
        f"string_agg({measure}, {delimiter_text} {order_by_clause or ''})",
    right=lambda text, length: f"right({text}, {length})",
    position=lambda substring, text: f"position({substring} in {text})",
    safe_cast=lambda field, type_: f"cast({field} as {type_})",
    type_string=lambda: "varchar",
)

api = _Namespace(Column=_Namespace(translate_type=lambda type_: type_))
target = _Namespace(name="dev", schema="main", type="duckdb")
# as when dbt parses: run_query is never reached
execute = False


def var(name, default=None):
    """The project's vars (dbt_project.yml), typed as dbt reads them: `range(1, var('n') + 1)` needs a number."""
    values = yaml.safe_load(DBT_PROJECT.read_text(encoding="utf-8")).get("vars", {})
    return values.get(name, default)


def env_var(name, default=None):
    """Unset for the linter: a reference file's variable takes the default seed's branch."""
    return default if default is not None else f"env_var_{name}"


def _raise_compiler_error(message):
    raise _CompilerError(message)


exceptions = _Namespace(raise_compiler_error=_raise_compiler_error)

# dbt's own `source`, which the project's `source` override (macros/portable.sql) calls
builtins = _Namespace(source=lambda source_name, table_name: f"{source_name}.{table_name}")
