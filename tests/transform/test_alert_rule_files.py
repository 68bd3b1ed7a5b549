"""The alert-rule files' loader (contracts/alerts.py): the shipped rules, every kind of mistake named with its file and
field, and the generated files that must follow the signals' declaration."""
from __future__ import annotations

from pathlib import Path

import pytest

from contracts.alerts import (
    README,
    RULE_COLUMNS,
    RULES_DIR,
    SIGNALS,
    SIGNALS_MACRO,
    AlertRuleError,
    load,
    readme_with_signals,
    rules_table,
    signals_macro,
)

GOOD = """\
id: tax-decline-strict
title: 税收同比连续大幅下降
signal: tax_decline
severity: high
parameters:
  drop_at_least: 0.5
  months_running: 2
"""


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def problems(folder: Path) -> list[str]:
    with pytest.raises(AlertRuleError) as caught:
        load(folder)
    return caught.value.problems


def test_the_shipped_rules_cover_every_signal_and_cite_what_they_model():
    rules = load(RULES_DIR)
    assert {r.signal for r in rules} == {s.name for s in SIGNALS}
    for path in RULES_DIR.glob("*.yaml"):
        assert path.read_text(encoding="utf-8").startswith("# Modelled on"), path.name


def test_defaults_fill_the_parameters_a_rule_leaves_out(tmp_path):
    write(tmp_path, "good.yaml", GOOD)
    [rule] = load(tmp_path)
    assert rule.parameters == {"drop_at_least": 0.5, "months_running": 2, "min_prior_year_tax_yuan": 0.0}
    table = rules_table(tmp_path)
    assert table.column_names == [name for name, _ in RULE_COLUMNS]
    row = table.to_pylist()[0]
    assert row["drop_at_least"] == 0.5 and row["months_running"] == 2 and row["statuses"] is None


@pytest.mark.parametrize("text, problem", [
    (GOOD.replace("severity: high", "severity: urgent"),
     "bad.yaml: severity: expected one of high, medium, low, got the text 'urgent'"),
    (GOOD.replace("signal: tax_decline", "signal: tax_fall"),
     "bad.yaml: signal: unknown signal the text 'tax_fall' (expected one of tax_decline, power_and_headcount_falling"),
    (GOOD.replace("drop_at_least: 0.5", "drop_at_least: 50"),
     "bad.yaml: parameters.drop_at_least: expected a share between 0 and 1 (0.3 for 30%), got the number 50"),
    (GOOD.replace("months_running: 2", "months_running: 2.5"),
     "bad.yaml: parameters.months_running: expected a whole number of at least 1 and at most 12, got the number 2.5"),
    (GOOD.replace("  months_running: 2\n", ""),
     "bad.yaml: parameters.months_running: missing (required by tax_decline)"),
    (GOOD + "  min_sales_yuan: 5\n",
     "bad.yaml: parameters.min_sales_yuan: unknown parameter of tax_decline (expected drop_at_least, months_running"),
    (GOOD.replace("id: tax-decline-strict\n", ""), "bad.yaml: id: missing (required)"),
    (GOOD + "owner: 经信局\n", "bad.yaml: owner: unknown field (expected id, title, signal, severity"),
    (GOOD + "  drop_at_least: 0.4\n", "bad.yaml: not valid YAML (line 8, column 3): the key 'drop_at_least' is given "
                                      "twice"),
    ("id: x\ntitle: t\nsignal: sales_without_power\nseverity: low\nparameters:\n  min_sales_yuan: 1\n"
     "  sections: [C, manufacturing]\n",
     "bad.yaml: parameters.sections[2]: 'manufacturing' does not look like a value of sections ([A-T])"),
    ("id: x\ntitle: t\nsignal: closed_but_active\nseverity: low\nparameters:\n  statuses: [closed]\n",
     "bad.yaml: parameters.statuses[1]: 'closed' is not one of revoked, deregistered, cancelled"),
])
def test_a_mistake_is_named_with_its_file_and_field(tmp_path, text, problem):
    write(tmp_path, "bad.yaml", text)
    found = problems(tmp_path)
    assert any(p.startswith(problem) for p in found), found


def test_every_problem_of_every_file_at_once(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", GOOD)  # the same id
    write(tmp_path, "c.yaml", GOOD.replace("tax-decline-strict", "c").replace("severity: high", "severity: 1"))
    write(tmp_path, "notes.txt", "a rule saved as text would be silently left out")
    found = problems(tmp_path)
    assert "b.yaml: id: 'tax-decline-strict' is already the id of a.yaml" in found
    assert "c.yaml: severity: expected one of high, medium, low, got the number 1" in found
    assert "notes.txt: not an alert-rule file (a rule is a .yaml file; move other files elsewhere)" in found


def test_the_generated_macro_and_readme_follow_the_declared_signals():
    assert SIGNALS_MACRO.read_text(encoding="utf-8") == signals_macro(), "run: python -m contracts.alerts"
    text = README.read_text(encoding="utf-8")
    assert text == readme_with_signals(text), "run: python -m contracts.alerts"
