"""Policies as data (政策直达 / 免申即享): the condition vocabulary, declared once, and the loader of the policy files.

A policy is one YAML file in the policies folder (the repository's `policies/`, or the folder LAKEHOUSE_POLICIES_DIR
names, for a city's own): its id, title, issuing department, validity window and the conditions an enterprise must
meet, each a field of the vocabulary below, an operator that field allows and a value of the field's type
(`policies/README.md` shows the format). Adding a policy is adding a file: at each build, before dbt runs,
resources/rule_tables.py loads every file and writes the tables the dbt models `ref_policies` and
`ref_policy_conditions` read into the lake, and `mart_policy_match` evaluates each policy against every enterprise.

A malformed file (unknown key, wrong type, missing id, bad date, unknown field or operator, duplicate id or key) fails
the load with the file and the field named, every problem of every file at once, so the build stops before any
policy is evaluated: nothing half-evaluated is ever published.

    python -m contracts.policies   # rewrite the vocabulary's dbt macro and the table in policies/README.md

The vocabulary drives the loader's checks, the dbt macro `policy_fields()` (generated: which column of
`policy_profile` each field is, typed) and the table of fields in policies/README.md; tests/transform/test_policies.py
fails when either generated file is stale.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
POLICIES_DIR = REPO / "policies"
POLICIES_ENV = "LAKEHOUSE_POLICIES_DIR"
FIELDS_MACRO = REPO / "dbt_project" / "macros" / "generated_policy_fields.sql"
README = POLICIES_DIR / "README.md"

# the value an operator compares with, by field type; each field allows some of its type's operators
OPERATORS = {
    "boolean": {"is": "equals the value (true or false)"},
    "number": {"at_least": "≥ the value", "above": "> the value", "at_most": "≤ the value", "below": "< the value"},
    "date": {"before": "earlier than the date", "on_or_after": "on the date or later"},
    "text": {"in": "one of the listed values", "not_in": "none of the listed values",
             "prefix_in": "begins with one of the listed prefixes",
             "prefix_not_in": "begins with none of the listed prefixes"},
}
LIST_SEPARATOR = ";"  # a list value is stored joined by it (values may not hold it)


@dataclass(frozen=True)
class Field:
    """A field a condition may read: a column of the dbt model `policy_profile` (one row per local enterprise)."""

    name: str
    type: str  # boolean, number, date, text
    reads: str  # where the value comes from, in the marts (documentation: policies/README.md)
    operators: tuple[str, ...]
    values: tuple[str, ...] = ()  # text: the only values it takes (a listed value outside them is an error)
    pattern: str | None = None  # text: what a listed value must look like

    def __post_init__(self):
        unknown = set(self.operators) - set(OPERATORS[self.type])
        assert not unknown, f"{self.name}: operators {unknown} are not {self.type} operators"


TEXT = ("in", "not_in")
NUMBER = ("at_least", "above", "at_most", "below")
FIELDS: tuple[Field, ...] = (
    # where the enterprise is and what it does
    Field("industry_code", "text", "dim_enterprise.industry_code: GB/T 4754-2017 class (S1, completed by S3)",
          ("prefix_in", "prefix_not_in", *TEXT), pattern=r"[0-9]{2,4}"),
    Field("section_code", "text", "dim_enterprise.section_code: GB/T 4754-2017 section letter (C manufacturing)",
          TEXT, pattern=r"[A-T]"),
    Field("park_code", "text", "dim_enterprise.park_code: the park by the parks file's rules; none outside every park",
          TEXT),
    Field("division_code", "text", "dim_enterprise.division_code: GB/T 2260 county-level division of registration",
          ("prefix_in", *TEXT), pattern=r"[0-9]{2,6}"),
    Field("founded_on", "date", "dim_enterprise.founded_on: date of establishment (S1)", tuple(OPERATORS["date"])),
    # flags
    Field("is_operating", "boolean", "dim_enterprise.is_operating: registration status 存续 (S1)", ("is",)),
    Field("is_above_designated_size", "boolean",
          "dim_enterprise.is_above_designated_size: 规上, in S3's list of the latest year it published", ("is",)),
    Field("was_above_designated_size_previous_year", "boolean",
          "规上 the year before: in S3's list of the year before its latest (fct_enterprise_year); blank when that "
          "year's list has not landed", ("is",)),
    Field("is_high_tech", "boolean", "dim_enterprise.is_high_tech: a 高新技术企业 certificate valid at as_of_date (S8)",
          ("is",)),
    Field("srdi_tier", "text", "dim_enterprise.srdi_tier: 专精特新 recognition valid at as_of_date (S4), none if none",
          TEXT, values=("little_giant", "srdi_sme", "none")),
    Field("is_on_abnormal_list", "boolean",
          "dim_enterprise.is_on_abnormal_list: on the 经营异常名录 at as_of_date (S1)", ("is",)),
    # figures, 元 and persons
    Field("operating_revenue_yuan", "number", "fct_enterprise_year: 营业收入 of S3's latest year (元)", NUMBER),
    Field("rd_expenditure_yuan", "number", "fct_enterprise_year: 研发费用 of S3's latest year (元)", NUMBER),
    Field("rd_intensity", "number", "fct_enterprise_year: 研发费用 / 营业收入 of S3's latest year (a ratio: 0.03 = 3%)",
          NUMBER),
    Field("employees_year_end", "number", "fct_enterprise_year: 从业人员期末人数 of S3's latest year", NUMBER),
    Field("sales_revenue_12m_yuan", "number",
          "mart_enterprise_profile: sales declared to tax over the 12 months to as_of_date (S2, 元)", NUMBER),
    Field("total_tax_12m_yuan", "number",
          "mart_enterprise_profile: tax paid over the 12 months to as_of_date (S2, 元)", NUMBER),
    Field("insured_headcount", "number",
          "mart_enterprise_profile.latest_insured_headcount: persons insured in the latest month (S5)", NUMBER),
    # 亩均效益
    Field("mu_evaluation_class", "text",
          "mart_mu_efficiency: 亩均效益 class of the latest year evaluated; not_evaluated outside that year's "
          "evaluated set; blank when no year has been evaluated", TEXT,
          values=("A", "B", "C", "D", "T", "not_evaluated")),
)
BY_FIELD = {f.name: f for f in FIELDS}

ID_PATTERN = r"[a-z0-9][a-z0-9_-]{0,63}"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# the keys of a policy file and of each condition, and whether each is required
POLICY_KEYS = {"id": True, "title": True, "department": True, "valid_from": True, "valid_to": False,
               "benefit": False, "conditions": True}
CONDITION_KEYS = {"field": True, "operator": True, "value": True, "label": False}


class PolicyError(ValueError):
    """Every problem found in the policy files, each naming its file and field."""

    def __init__(self, problems: list[str], folder: Path | None = None):
        self.problems = problems
        where = f" of {folder}" if folder is not None else ""
        super().__init__(f"{len(problems)} problem(s) in the policy files{where}:\n"
                         + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Condition:
    number: int  # from 1, in the file's order
    field: str
    operator: str
    value: object  # bool, float, dt.date or tuple[str, ...], per the field's type
    label: str

    @property
    def threshold(self) -> str:
        """The value as a clerk reads it: 20,000,000; 0.03; 2024-01-01; true; 39;40."""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, float):
            return number_text(self.value)
        if isinstance(self.value, tuple):
            return LIST_SEPARATOR.join(self.value)
        return self.value.isoformat()


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    department: str
    valid_from: dt.date
    valid_to: dt.date | None
    benefit: str | None
    conditions: tuple[Condition, ...]
    file: str  # its file name in the policies folder


def number_text(value: float) -> str:
    """20000000.0 -> 20,000,000; 0.03 -> 0.03 (thousands separated, at most 6 decimals, no trailing .0), as the marts
    write figures (the macro display_number)."""
    text = f"{round(value, 6):,}"
    return text[:-2] if text.endswith(".0") else text


def policies_dir() -> Path:
    """LAKEHOUSE_POLICIES_DIR when set (read when called, never at import), else the repository's policies/."""
    configured = os.environ.get(POLICIES_ENV, "").strip()
    return Path(configured).expanduser() if configured else POLICIES_DIR


class _StrictLoader(yaml.SafeLoader):
    """YAML as written: a key twice in one mapping is an error (PyYAML keeps the last silently), and dates stay text,
    so that 2025-02-30 is reported as a bad date of its field rather than failing inside the parser."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} is given twice",
                                                    key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _type_name(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return {"list": "a list", "dict": "a mapping"}.get(type(value).__name__, type(value).__name__)


def _date(value, where: str, problems: list[str]) -> dt.date | None:
    if isinstance(value, str) and re.fullmatch(DATE_PATTERN, value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as e:
            problems.append(f"{where}: bad date {value!r} ({e})")
            return None
    problems.append(f"{where}: bad date: expected YYYY-MM-DD, got {_type_name(value)}")
    return None


def _text(value, where: str, problems: list[str]) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    problems.append(f"{where}: expected text, got {_type_name(value)}")
    return None


def _unknown_and_missing(data: dict, keys: dict[str, bool], where: str, problems: list[str]) -> None:
    for key in data:
        if key not in keys:
            problems.append(f"{where}{key}: unknown field (expected {', '.join(keys)})")
    for key, required in keys.items():
        if required and data.get(key) is None:
            problems.append(f"{where}{key}: missing (required)")


def _value(field: Field, operator: str, value, where: str, problems: list[str]):
    """The condition's value, typed by its field; None (and a problem) when it is not of that type."""
    if field.type == "boolean":
        if isinstance(value, bool):
            return value
        problems.append(f"{where}: wrong type: {field.name} is a boolean, expected true or false, got "
                        f"{_type_name(value)}")
        return None
    if field.type == "number":
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        problems.append(f"{where}: wrong type: {field.name} is a number, expected a number (20000000 or 0.03), got "
                        f"{_type_name(value)}")
        return None
    if field.type == "date":
        return _date(value, where, problems)
    # text: a non-empty list of text values, each as the field writes it
    if not isinstance(value, list) or not value:
        problems.append(f"{where}: wrong type: {operator} takes a list of values, e.g. ['39', '40'], got "
                        f"{_type_name(value)}")
        return None
    out = []
    for i, item in enumerate(value, 1):
        if not isinstance(item, str) or not item.strip():
            hint = " (write codes in quotes, '0511': unquoted, YAML reads a number and drops leading zeros)" \
                if isinstance(item, int | float) and not isinstance(item, bool) else ""
            problems.append(f"{where}[{i}]: wrong type: expected text, got {_type_name(item)}{hint}")
            continue
        item = item.strip()
        if LIST_SEPARATOR in item:
            problems.append(f"{where}[{i}]: {item!r}: a value may not hold {LIST_SEPARATOR!r}")
        elif field.values and item not in field.values:
            problems.append(f"{where}[{i}]: {item!r} is not a value of {field.name} "
                            f"(expected one of {', '.join(field.values)})")
        elif field.pattern and not re.fullmatch(field.pattern, item):
            problems.append(f"{where}[{i}]: {item!r} does not look like a value of {field.name} ({field.pattern})")
        else:
            out.append(item)
    return tuple(out) if len(out) == len(value) else None


def _condition(number: int, data, where: str, problems: list[str]) -> Condition | None:
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a mapping with field, operator and value, got {_type_name(data)}")
        return None
    before = len(problems)
    _unknown_and_missing(data, CONDITION_KEYS, f"{where}.", problems)
    name, operator = data.get("field"), data.get("operator")
    field = BY_FIELD.get(name) if isinstance(name, str) else None
    if name is not None and field is None:
        problems.append(f"{where}.field: unknown field {name!r} (the vocabulary: policies/README.md)")
    elif field is not None and operator is not None and operator not in field.operators:
        known = isinstance(operator, str) and any(operator in ops for ops in OPERATORS.values())
        problems.append(f"{where}.operator: {'' if known else 'unknown operator; '}{name} takes "
                        f"{', '.join(field.operators)}, not {operator!r}")
    label = data.get("label")
    if label is not None:
        label = _text(label, f"{where}.label", problems)
    if len(problems) > before or field is None:
        return None
    value = _value(field, operator, data["value"], f"{where}.value", problems)
    if value is None:
        return None
    condition = Condition(number, field.name, operator, value, label or "")
    return condition if label else Condition(number, field.name, operator, value,
                                             f"{field.name} {operator} {condition.threshold}")


def parse(text: str, file: str) -> tuple[Policy | None, list[str]]:
    """One policy file's text: (the policy, or None, and its problems, each starting with `file`)."""
    problems: list[str] = []
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader: no Python objects
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        return None, [f"{file}: not valid YAML{where}: {problem}"]
    if not isinstance(data, dict):
        return None, [f"{file}: expected a mapping of id, title, department, valid_from, conditions; got "
                      f"{_type_name(data)}"]
    _unknown_and_missing(data, POLICY_KEYS, f"{file}: ", problems)
    policy_id = data.get("id")
    if policy_id is not None and not (isinstance(policy_id, str) and re.fullmatch(ID_PATTERN, policy_id)):
        problems.append(f"{file}: id: expected lower-case letters, digits, - and _ ({ID_PATTERN}), got "
                        f"{_type_name(policy_id)}")
    title = _text(data["title"], f"{file}: title", problems) if data.get("title") is not None else None
    department = _text(data["department"], f"{file}: department", problems) \
        if data.get("department") is not None else None
    benefit = _text(data["benefit"], f"{file}: benefit", problems) if data.get("benefit") is not None else None
    valid_from = _date(data["valid_from"], f"{file}: valid_from", problems) \
        if data.get("valid_from") is not None else None
    valid_to = _date(data["valid_to"], f"{file}: valid_to", problems) if data.get("valid_to") is not None else None
    if valid_from and valid_to and valid_to < valid_from:
        problems.append(f"{file}: valid_to: {valid_to} is before valid_from {valid_from}")
    conditions = []
    raw = data.get("conditions")
    if raw is not None and (not isinstance(raw, list) or not raw):
        problems.append(f"{file}: conditions: expected a list of at least one condition, got {_type_name(raw)}")
    elif raw:
        conditions = [_condition(i, c, f"{file}: conditions[{i}]", problems) for i, c in enumerate(raw, 1)]
    if problems:
        return None, problems
    return Policy(policy_id, title, department, valid_from, valid_to, benefit, tuple(conditions), file), []


def yaml_files(folder: Path) -> list[Path]:
    """The rule files of a folder: every *.yaml and *.yml; README.md and hidden files are not rules."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml")
                  and not p.name.startswith("."))


def load_folder(folder: Path, parse, error: type, env_name: str, kind: str, a_file: str, an_item: str) -> list:
    """Every file of a folder of YAML rule files (policies, alert rules), parsed by `parse(text, file)` into objects
    with an `id`: `error` (PolicyError, AlertRuleError) names every problem of every file at once, the folder missing,
    a stray file (saved as .txt, it would be silently left out), text that is not UTF-8 and an id two files give."""
    if not folder.is_dir():
        where = f"{env_name}={folder}" if os.environ.get(env_name, "").strip() else str(folder)
        raise error([f"{where}: no such folder (expected a folder of {kind} files, one <id>.yaml each)"])
    problems = [f"{p.name}: not {a_file} (a{'n' if an_item[0] in 'aeiou' else ''} {an_item} is a .yaml file; move "
                f"other files elsewhere)" for p in sorted(folder.iterdir()) if p.is_file()
                and not p.name.startswith(".") and p.suffix not in (".yaml", ".yml") and p.name != "README.md"]
    items, seen = [], {}
    for path in yaml_files(folder):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            problems.append(f"{path.name}: not UTF-8 text ({e.reason} at byte {e.start})")
            continue
        item, found = parse(text, path.name)
        problems += found
        if item is None:
            continue
        if item.id in seen:
            problems.append(f"{path.name}: id: {item.id!r} is already the id of {seen[item.id]}")
            continue
        seen[item.id] = path.name
        items.append(item)
    if problems:
        raise error(problems, folder)
    return items


def load(folder: Path | None = None) -> list[Policy]:
    """Every policy of `folder` (default: policies_dir()), checked; PolicyError names every problem of every file."""
    return load_folder(Path(folder) if folder is not None else policies_dir(), parse, PolicyError, POLICIES_ENV,
                       "policy", "a policy file", "policy")


# the tables the dbt models ref_policies and ref_policy_conditions read (column, pyarrow type name), written into the
# lake by resources/rule_tables.py; the models select these columns in this order
POLICY_COLUMNS = (("policy_id", "string"), ("title", "string"), ("department", "string"), ("valid_from", "date32"),
                  ("valid_to", "date32"), ("benefit", "string"), ("conditions", "int32"), ("policy_file", "string"))
CONDITION_COLUMNS = (("policy_id", "string"), ("condition_no", "int32"), ("field", "string"),
                     ("field_type", "string"), ("operator", "string"), ("threshold", "string"),
                     ("threshold_number", "float64"), ("threshold_date", "date32"), ("threshold_boolean", "bool_"),
                     ("label", "string"))


def policy_rows(policies: list[Policy]) -> list[dict]:
    return [{"policy_id": p.id, "title": p.title, "department": p.department, "valid_from": p.valid_from,
             "valid_to": p.valid_to, "benefit": p.benefit, "conditions": len(p.conditions), "policy_file": p.file}
            for p in policies]


def condition_rows(policies: list[Policy]) -> list[dict]:
    return [{"policy_id": p.id, "condition_no": c.number, "field": c.field, "field_type": BY_FIELD[c.field].type,
             "operator": c.operator, "threshold": c.threshold,
             "threshold_number": c.value if isinstance(c.value, float) else None,
             "threshold_date": c.value if isinstance(c.value, dt.date) else None,
             "threshold_boolean": c.value if isinstance(c.value, bool) else None, "label": c.label}
            for p in policies for c in p.conditions]


def arrow_table(rows: list[dict], columns: tuple[tuple[str, str], ...]):
    """Typed even when there are no rows (an empty policies folder still builds empty tables)."""
    import pyarrow as pa

    schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in columns])
    return pa.Table.from_pylist(rows, schema=schema)


def policies_table(folder: Path | None = None):
    """What the dbt model ref_policies reads (resources/rule_tables.py writes it): one row per policy file."""
    return arrow_table(policy_rows(load(folder)), POLICY_COLUMNS)


def conditions_table(folder: Path | None = None):
    """What the dbt model ref_policy_conditions reads (resources/rule_tables.py writes it): one row per condition of
    each policy."""
    return arrow_table(condition_rows(load(folder)), CONDITION_COLUMNS)


# -- generated files ------------------------------------------------------------------------------------------------

def fields_macro() -> str:
    """dbt_project/macros/generated_policy_fields.sql: the vocabulary's names and types, for the marts' SQL."""
    fields = "[\n" + ",\n".join("    " + json.dumps({"name": f.name, "type": f.type}) for f in FIELDS) + "\n]"
    return ("{#- GENERATED by `python -m contracts.policies` from contracts/policies.py (FIELDS): do not edit.\n"
            "    The fields a policy condition may read: each a column of policy_profile, with its type. -#}\n\n"
            "{% macro policy_fields() -%}\n{{ return(" + fields + ") }}\n{%- endmacro %}\n")


README_START = ("<!-- vocabulary: generated by `python -m contracts.policies` from contracts/policies.py; "
                "do not edit -->")
README_END = "<!-- /vocabulary -->"


def vocabulary_markdown() -> str:
    lines = ["| field | type | operators | values | reads |", "|---|---|---|---|---|"]
    for f in FIELDS:
        values = ", ".join(f.values) if f.values else (f"`{f.pattern}`" if f.pattern else "")
        lines.append(f"| `{f.name}` | {f.type} | {', '.join(f.operators)} | {values} | {f.reads} |")
    lines += ["", "| operator | true when the field's value ... |", "|---|---|"]
    lines += [f"| `{op}` | {meaning} |" for ops in OPERATORS.values() for op, meaning in ops.items()]
    return "\n".join(lines)


def readme_with_vocabulary(text: str) -> str:
    start, end = text.index(README_START), text.index(README_END)
    return text[:start] + README_START + "\n\n" + vocabulary_markdown() + "\n\n" + text[end:]


def main() -> int:
    FIELDS_MACRO.write_text(fields_macro(), encoding="utf-8")
    README.write_text(readme_with_vocabulary(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {FIELDS_MACRO.relative_to(REPO)} and the vocabulary of {README.relative_to(REPO)} "
          f"({len(FIELDS)} fields)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
