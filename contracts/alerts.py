"""Early-warning rules as data (风险预警 / 企业诊断): the signals, their parameters, declared once, and the rule loader.

A rule is one YAML file in the alert-rules folder (the repository's `alert_rules/`, or the folder
LAKEHOUSE_ALERT_RULES_DIR names, for a city's own): its id, title, severity, the signal it raises and that signal's
thresholds (`alert_rules/README.md` shows the format). A signal is what only several departments together can see,
computed by `mart_enterprise_alerts` for every enterprise and month; a rule says how far a figure must move, for how
long, before a park's staff should look. Adding a rule is adding a file; two rules may raise the same signal at
different thresholds and severities.

A malformed file (unknown key or parameter, a threshold of the wrong type or out of range, a signal that does not
exist, a duplicate id) fails the load with the file and the field named, every problem of every file at once, so the
build stops before any alert is computed: nothing half-evaluated is ever published.

    python -m contracts.alerts   # rewrite the dbt macro alert_signals() and the tables in alert_rules/README.md
"""
from __future__ import annotations

import json
import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from contracts.policies import ID_PATTERN, _StrictLoader, _text, _type_name, _unknown_and_missing, load_folder

REPO = Path(__file__).resolve().parents[1]
RULES_DIR = REPO / "alert_rules"
RULES_ENV = "LAKEHOUSE_ALERT_RULES_DIR"
SIGNALS_MACRO = REPO / "dbt_project" / "macros" / "generated_alert_signals.sql"
README = RULES_DIR / "README.md"
SEVERITIES = ("high", "medium", "low")
LIST_SEPARATOR = ";"
REQUIRED = object()

# GB 32100 registration status (S1 REGSTATE) of a closed enterprise, by the name a rule uses
CLOSED_STATUSES = {"revoked": "2", "deregistered": "3", "cancelled": "5"}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # ratio (0 < x < 1), count (a whole number >= minimum), number (>= 0), list (of text values)
    meaning: str
    default: object = REQUIRED
    minimum: int = 0  # count
    maximum: int | None = None  # count
    values: tuple[str, ...] = ()  # list: the values it may hold
    pattern: str | None = None  # list: what each value must look like

    @property
    def column_type(self) -> str:
        """The column of ref_alert_rules that holds it (pyarrow type name)."""
        return {"ratio": "float64", "number": "float64", "count": "int32", "list": "string"}[self.type]

    @property
    def default_text(self) -> str:
        if self.default is REQUIRED:
            return "required"
        if isinstance(self.default, tuple):
            return ", ".join(self.default) if self.default else "any"
        return f"{self.default:g}" if isinstance(self.default, float) else str(self.default)


@dataclass(frozen=True)
class Signal:
    name: str
    meaning: str  # what it detects, from which departments (documentation: alert_rules/README.md)
    evidence: str  # the evidence columns of mart_enterprise_alerts it fills
    parameters: tuple[Parameter, ...]


RUNNING = Parameter("months_running", "count", "consecutive months the condition must hold (the alert is raised in "
                    "the last of them and every further month it holds)", minimum=1, maximum=12)
SIGNALS: tuple[Signal, ...] = (
    Signal("tax_decline", "tax paid (S2) down year on year, month after month: the month's total tax against the same "
           "month a year earlier; a month with no return either year is not compared (a late return is not a fall)",
           "tax_yuan, tax_prior_year_yuan, tax_change, months_running", (
               Parameter("drop_at_least", "ratio", "the fall against the same month a year earlier (0.3 = down 30% "
                         "or more)"),
               RUNNING,
               Parameter("min_prior_year_tax_yuan", "number", "compare only months whose tax a year earlier was "
                         "above this (元): a small taxpayer's swings are noise", default=0.0),
           )),
    Signal("power_and_headcount_falling", "electricity (S6) and insured headcount (S5) both down year on year in the "
           "same months: production and payroll shrinking together, which neither department sees alone",
           "electricity_kwh, electricity_prior_year_kwh, electricity_change, insured_headcount, "
           "insured_headcount_prior_year, headcount_change, months_running", (
               Parameter("electricity_drop_at_least", "ratio", "the fall in kWh against the same month a year "
                         "earlier"),
               Parameter("headcount_drop_at_least", "ratio", "the fall in persons insured against the same month a "
                         "year earlier"),
               RUNNING,
           )),
    Signal("closed_but_active", "registered as closed by S1 (revoked, deregistered or cancelled) yet still metering "
           "power (S6) or paying social insurance (S5) in a month after it closed (closed on: S1's deregistration "
           "date, else the date of its last status change; with neither, only the latest month is judged)",
           "registration_status, closed_on, electricity_kwh, insured_headcount", (
               Parameter("statuses", "list", "the closed statuses it watches", default=tuple(CLOSED_STATUSES),
                         values=tuple(CLOSED_STATUSES)),
               Parameter("grace_months", "count", "whole months after closing before activity counts (accounts "
                         "take a while to close)", default=0, maximum=24),
               Parameter("min_electricity_kwh", "number", "a month's kWh at or above which the meter counts as "
                         "running", default=1.0),
               Parameter("min_insured_headcount", "count", "persons insured at or above which the payroll counts as "
                         "running", default=1, minimum=1),
           )),
    Signal("newly_abnormal", "put on the abnormal-operation list (S1 经营异常名录) in the month or the months just "
           "before, and not taken off by the month's end", "abnormal_listed_on, abnormal_reason", (
               Parameter("within_months", "count", "the listing counts as new for this many months, its own "
                         "included", default=1, minimum=1, maximum=12),
           )),
    Signal("sales_without_power", "sales declared to tax (S2) in months with no electricity metered (S6): a factory "
           "invoicing without producing, or a meter the grid no longer bills it for",
           "sales_revenue_yuan, electricity_kwh, months_running", (
               Parameter("min_sales_yuan", "number", "the month's declared sales at or above which it counts (元)"),
               Parameter("max_electricity_kwh", "number", "kWh at or below which the month counts as without power "
                         "(no metered record at all counts as 0)", default=0.0),
               RUNNING,
               Parameter("sections", "list", "only enterprises of these GB/T 4754-2017 sections (C: manufacturing, "
                         "which cannot produce without power); any when left out", default=(),
                         pattern=r"[A-T]"),
           )),
)
BY_SIGNAL = {s.name: s for s in SIGNALS}


def _parameter_columns() -> dict[str, Parameter]:
    columns: dict[str, Parameter] = {}
    for signal in SIGNALS:
        for p in signal.parameters:
            assert columns.setdefault(p.name, p).type == p.type, f"{p.name}: one type across signals"
    return columns


PARAMETERS = _parameter_columns()
RULE_KEYS = {"id": True, "title": True, "signal": True, "severity": True, "parameters": False, "description": False,
             "follow_up": False}


class AlertRuleError(ValueError):
    """Every problem found in the alert-rule files, each naming its file and field."""

    def __init__(self, problems: list[str], folder: Path | None = None):
        self.problems = problems
        where = f" of {folder}" if folder is not None else ""
        super().__init__(f"{len(problems)} problem(s) in the alert-rule files{where}:\n"
                         + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    signal: str
    severity: str
    parameters: dict  # every parameter of its signal, defaults filled in
    description: str | None
    follow_up: str | None
    file: str


def rules_dir() -> Path:
    configured = os.environ.get(RULES_ENV, "").strip()
    return Path(configured).expanduser() if configured else RULES_DIR


def _parameter(p: Parameter, value, where: str, problems: list[str]):
    number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if p.type == "ratio":
        if number and 0 < value < 1:
            return float(value)
        problems.append(f"{where}: expected a share between 0 and 1 (0.3 for 30%), got {_type_name(value)}")
    elif p.type == "number":
        if number and value >= 0:
            return float(value)
        problems.append(f"{where}: expected a number of at least 0, got {_type_name(value)}")
    elif p.type == "count":
        top = f" and at most {p.maximum}" if p.maximum is not None else ""
        if number and float(value).is_integer() and value >= p.minimum and (p.maximum is None or value <= p.maximum):
            return int(value)
        problems.append(f"{where}: expected a whole number of at least {p.minimum}{top}, got {_type_name(value)}")
    else:
        if not isinstance(value, list) or not value:
            problems.append(f"{where}: expected a list of values, e.g. [{', '.join(p.values[:2]) or 'C'}], got "
                            f"{_type_name(value)}")
            return None
        out = []
        for i, item in enumerate(value, 1):
            if not isinstance(item, str) or not item.strip():
                problems.append(f"{where}[{i}]: expected text, got {_type_name(item)}")
            elif p.values and item.strip() not in p.values:
                problems.append(f"{where}[{i}]: {item!r} is not one of {', '.join(p.values)}")
            elif p.pattern and not re.fullmatch(p.pattern, item.strip()):
                problems.append(f"{where}[{i}]: {item!r} does not look like a value of {p.name} ({p.pattern})")
            else:
                out.append(item.strip())
        return tuple(out) if len(out) == len(value) else None
    return None


def parse(text: str, file: str) -> tuple[Rule | None, list[str]]:
    """One rule file's text: (the rule, or None, and its problems, each starting with `file`)."""
    problems: list[str] = []
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader: no Python objects
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return None, [f"{file}: not valid YAML{where}: {getattr(e, 'problem', None) or e}"]
    if not isinstance(data, dict):
        return None, [f"{file}: expected a mapping of id, title, signal, severity, parameters; got "
                      f"{_type_name(data)}"]
    _unknown_and_missing(data, RULE_KEYS, f"{file}: ", problems)
    rule_id = data.get("id")
    if rule_id is not None and not (isinstance(rule_id, str) and re.fullmatch(ID_PATTERN, rule_id)):
        problems.append(f"{file}: id: expected lower-case letters, digits, - and _ ({ID_PATTERN}), got "
                        f"{_type_name(rule_id)}")
    texts = {key: _text(data[key], f"{file}: {key}", problems) if data.get(key) is not None else None
             for key in ("title", "description", "follow_up")}
    severity = data.get("severity")
    if severity is not None and severity not in SEVERITIES:
        problems.append(f"{file}: severity: expected one of {', '.join(SEVERITIES)}, got {_type_name(severity)}")
    name = data.get("signal")
    signal = BY_SIGNAL.get(name) if isinstance(name, str) else None
    if name is not None and signal is None:
        problems.append(f"{file}: signal: unknown signal {_type_name(name)} (expected one of "
                        f"{', '.join(BY_SIGNAL)}; alert_rules/README.md)")
    given = data.get("parameters")
    if given is None:
        given = {}
    if not isinstance(given, dict):
        problems.append(f"{file}: parameters: expected a mapping of thresholds, got {_type_name(given)}")
        given = {}
    parameters = {}
    if signal is not None:
        known = {p.name: p for p in signal.parameters}
        for key in given:
            if key not in known:
                problems.append(f"{file}: parameters.{key}: unknown parameter of {signal.name} (expected "
                                f"{', '.join(known)})")
        for p in signal.parameters:
            if given.get(p.name) is None:
                if p.default is REQUIRED:
                    problems.append(f"{file}: parameters.{p.name}: missing (required by {signal.name})")
                parameters[p.name] = None if p.default is REQUIRED else p.default
            else:
                parameters[p.name] = _parameter(p, given[p.name], f"{file}: parameters.{p.name}", problems)
    if problems:
        return None, problems
    return Rule(rule_id, texts["title"], signal.name, severity, parameters, texts["description"], texts["follow_up"],
                file), []


def load(folder: Path | None = None) -> list[Rule]:
    """Every rule of `folder` (default: rules_dir()), checked; AlertRuleError names every problem of every file."""
    return load_folder(Path(folder) if folder is not None else rules_dir(), parse, AlertRuleError, RULES_ENV,
                       "alert-rule", "an alert-rule file", "rule")


RULE_COLUMNS = (("rule_id", "string"), ("title", "string"), ("signal", "string"), ("severity", "string"),
                ("description", "string"), ("follow_up", "string"), ("rule_file", "string"),
                *((name, p.column_type) for name, p in PARAMETERS.items()))


def rule_rows(rules: list[Rule]) -> list[dict]:
    rows = []
    for r in rules:
        row = {"rule_id": r.id, "title": r.title, "signal": r.signal, "severity": r.severity,
               "description": r.description, "follow_up": r.follow_up, "rule_file": r.file}
        for name, value in r.parameters.items():
            if name == "statuses":  # the registry's codes, as dim_enterprise holds them
                value = tuple(CLOSED_STATUSES[v] for v in value)
            # an empty list (sections left out) is NULL: any
            row[name] = (LIST_SEPARATOR.join(value) or None) if isinstance(value, tuple) else value
        rows.append(row)
    return rows


def rules_table(folder: Path | None = None):
    """What the dbt model ref_alert_rules reads (resources/rule_tables.py writes it): one row per rule file, one
    column per parameter (NULL where its signal has none)."""
    from contracts.policies import arrow_table

    return arrow_table(rule_rows(load(folder)), RULE_COLUMNS)


# -- generated files ------------------------------------------------------------------------------------------------

def signals_macro() -> str:
    signals = "[\n" + ",\n".join("    " + json.dumps({"name": s.name, "meaning": s.meaning}, ensure_ascii=False)
                                 for s in SIGNALS) + "\n]"
    return ("{#- GENERATED by `python -m contracts.alerts` from contracts/alerts.py (SIGNALS): do not edit.\n"
            "    The early-warning signals mart_enterprise_alerts computes; mart_park_alerts counts each. -#}\n\n"
            "{% macro alert_signals() -%}\n{{ return(" + signals + ") }}\n{%- endmacro %}\n")


README_START = "<!-- signals: generated by `python -m contracts.alerts` from contracts/alerts.py; do not edit -->"
README_END = "<!-- /signals -->"


def signals_markdown() -> str:
    lines = []
    for s in SIGNALS:
        lines += [f"### `{s.name}`", "", s.meaning + ".", "", f"Evidence: {s.evidence}.", "",
                  "| parameter | type | default | meaning |", "|---|---|---|---|"]
        lines += [f"| `{p.name}` | {p.type}{' of ' + ', '.join(p.values) if p.values else ''} | {p.default_text} | "
                  f"{p.meaning} |" for p in s.parameters]
        lines.append("")
    return "\n".join(lines).rstrip()


def readme_with_signals(text: str) -> str:
    start, end = text.index(README_START), text.index(README_END)
    return text[:start] + README_START + "\n\n" + signals_markdown() + "\n\n" + text[end:]


def main() -> int:
    SIGNALS_MACRO.write_text(signals_macro(), encoding="utf-8")
    README.write_text(readme_with_signals(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {SIGNALS_MACRO.relative_to(REPO)} and the signals of {README.relative_to(REPO)} "
          f"({len(SIGNALS)} signals)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
