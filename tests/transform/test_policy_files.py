"""Policies as data: the policy files and their loader (contracts/policies.py), without a warehouse.

The shipped policies load and say what real policy each models; the generated vocabulary (the dbt macro, the table of
policies/README.md) and policy_profile's contract agree with the declaration; a malformed file is named with the
field at fault, every problem of every file at once. The verdicts themselves: tests/transform/test_policies.py."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from contracts import policies
from contracts.policies import BY_FIELD, FIELDS, OPERATORS, PolicyError, load

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "dbt_project" / "target" / "manifest.json"
# the policy types the issue asks for, by the id of the file that models each
SHIPPED = {"high-tech-enterprise-reward": "高新技术企业", "rd-expense-subsidy": "研发费用",
           "first-time-above-scale-reward": "首次升规", "mu-class-a-land-tax-rebate": "亩均效益A类",
           "srdi-enterprise-reward": "专精特新"}
SQL_TYPES = {"boolean": "boolean", "number": "double", "date": "date", "text": "varchar"}

GOOD = """\
id: good
title: 测试政策
department: 测试局
valid_from: 2025-01-01
conditions:
  - field: is_high_tech
    operator: is
    value: true
"""


def test_the_shipped_policies_load_and_each_cites_the_real_policy_it_models():
    loaded = {p.id: p for p in load(policies.POLICIES_DIR)}
    assert set(SHIPPED) <= set(loaded), sorted(loaded)
    for policy_id, kind in SHIPPED.items():
        policy = loaded[policy_id]
        assert kind in policy.title, (policy_id, policy.title)
        text = (policies.POLICIES_DIR / policy.file).read_text(encoding="utf-8")
        comment = "".join(line for line in text.splitlines() if line.startswith("#"))
        assert comment.startswith("# Models") and kind in comment, f"{policy.file}: cite the real policy it models"
        assert policy.conditions and all(c.label for c in policy.conditions)


def test_the_generated_vocabulary_is_current():
    assert policies.FIELDS_MACRO.read_text(encoding="utf-8") == policies.fields_macro(), \
        "dbt_project/macros/generated_policy_fields.sql is stale: run `python -m contracts.policies`"
    readme = policies.README.read_text(encoding="utf-8")
    assert readme == policies.readme_with_vocabulary(readme), \
        "the vocabulary of policies/README.md is stale: run `python -m contracts.policies`"
    assert all(f"`{f.name}`" in readme for f in FIELDS)


def test_policy_profile_has_a_column_of_each_field_of_the_vocabulary_and_the_sql_knows_every_operator():
    """The declaration, policy_profile's enforced contract (a column per field, typed) and the operators the SQL of
    mart_policy_match_conditions judges (ref_policy_conditions' accepted operators) are one vocabulary."""
    nodes = json.loads(MANIFEST.read_text(encoding="utf-8"))["nodes"]
    node = lambda name: next(n for n in nodes.values() if n["name"] == name)  # noqa: E731
    profile = node("policy_profile")
    assert profile["config"]["contract"]["enforced"]
    columns = {name: c["data_type"] for name, c in profile["columns"].items()}
    assert {f.name: columns.get(f.name) for f in FIELDS} == {f.name: SQL_TYPES[f.type] for f in FIELDS}
    accepted = next(n["test_metadata"]["kwargs"]["values"] for n in nodes.values()
                    if n["resource_type"] == "test" and n.get("column_name") == "operator"
                    and n["attached_node"].endswith(".ref_policy_conditions"))
    assert sorted(accepted) == sorted(op for ops in OPERATORS.values() for op in ops)
    # every type has a field, so each of the SQL's typed CASE expressions has a branch
    assert {f.type for f in FIELDS} == set(OPERATORS)


def problems_of(tmp_path: Path, files: dict[str, str]) -> list[str]:
    folder = tmp_path / "policies"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as failed:
        load(folder)
    assert str(folder) in str(failed.value)  # the folder is named once, every problem after it
    assert all(p in str(failed.value) for p in failed.value.problems)
    return failed.value.problems


def condition(field: str, operator: str, value: str) -> str:
    head = GOOD.split("conditions:")[0]
    return f"{head}conditions:\n  - field: {field}\n    operator: {operator}\n    value: {value}\n"


@pytest.mark.parametrize("text,expected", [
    # an unknown field, at the top and in a condition
    (GOOD.replace("title:", "titel:"), "bad.yaml: titel: unknown field"),
    (GOOD + "    valeu: 3\n", "bad.yaml: conditions[1].valeu: unknown field"),
    (condition("revenue", "at_least", "20000000"), "bad.yaml: conditions[1].field: unknown field 'revenue'"),
    # a wrong type
    (condition("operating_revenue_yuan", "at_least", "'20000000'"),
     "bad.yaml: conditions[1].value: wrong type: operating_revenue_yuan is a number"),
    (condition("is_high_tech", "is", "'yes'"), "bad.yaml: conditions[1].value: wrong type: is_high_tech is a boolean"),
    (condition("industry_code", "prefix_in", "[39, '40']"),
     "bad.yaml: conditions[1].value[1]: wrong type: expected text, got the number 39 (write codes in quotes"),
    (condition("park_code", "in", "P441900001"), "bad.yaml: conditions[1].value: wrong type: in takes a list"),
    (GOOD.replace("title: 测试政策", "title: [a, b]"), "bad.yaml: title: expected text, got a list"),
    # a missing id or condition part
    (GOOD.replace("id: good\n", ""), "bad.yaml: id: missing (required)"),
    (GOOD.replace("    value: true\n", ""), "bad.yaml: conditions[1].value: missing (required)"),
    (GOOD.split("conditions:")[0] + "conditions: []\n", "bad.yaml: conditions: expected a list of at least one"),
    # a bad date
    (GOOD.replace("2025-01-01", "2025-02-30"), "bad.yaml: valid_from: bad date '2025-02-30'"),
    (GOOD + "valid_to: next year\n", "bad.yaml: valid_to: bad date: expected YYYY-MM-DD"),
    (GOOD + "valid_to: 2024-12-31\n", "bad.yaml: valid_to: 2024-12-31 is before valid_from 2025-01-01"),
    (condition("founded_on", "before", "20200101"), "bad.yaml: conditions[1].value: bad date"),
    # an unknown operator, or one its field does not take
    (condition("is_high_tech", "between", "true"), "bad.yaml: conditions[1].operator: unknown operator; is_high_tech"),
    (condition("is_high_tech", "at_least", "1"), "bad.yaml: conditions[1].operator: is_high_tech takes is, not"),
    # a value its field never takes, a key written twice, not YAML
    (condition("mu_evaluation_class", "in", "['E']"), "bad.yaml: conditions[1].value[1]: 'E' is not a value"),
    (GOOD.replace("title: 测试政策", "title: 测试政策\ntitle: 又一个"),
     "bad.yaml: not valid YAML (line 3, column 1): the key 'title' is given twice"),
    (GOOD.replace("    operator: is", "   operator: is"), "bad.yaml: not valid YAML (line 7"),
    (GOOD.replace("id: good", "id: Good Policy"), "bad.yaml: id: expected lower-case letters"),
])
def test_a_malformed_policy_is_named_with_its_file_and_field(tmp_path, text, expected):
    problems = problems_of(tmp_path, {"good.yaml": GOOD.replace("id: good", "id: fine"), "bad.yaml": text})
    assert any(p.startswith(expected) for p in problems), problems
    assert not any(p.startswith("good.yaml") for p in problems)


def test_every_problem_of_every_file_is_named_at_once(tmp_path):
    problems = problems_of(tmp_path, {
        "a.yaml": condition("revenue", "at_least", "1").replace("2025-01-01", "2025-13-01"),
        "b.yaml": GOOD, "c.yaml": GOOD,  # the same id twice
        "notes.txt": "a policy saved under the wrong name",
        "README.md": "documentation is not a policy", ".hidden.yaml": "an editor's file"})
    assert sorted(problems) == sorted([
        "a.yaml: valid_from: bad date '2025-13-01' (month must be in 1..12)",
        "a.yaml: conditions[1].field: unknown field 'revenue' (the vocabulary: policies/README.md)",
        "c.yaml: id: 'good' is already the id of b.yaml",
        "notes.txt: not a policy file (a policy is a .yaml file; move other files elsewhere)"])


def test_the_folder_is_the_variables_when_set(tmp_path, monkeypatch):
    folder = tmp_path / "city"
    folder.mkdir()
    (folder / "one.yml").write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv(policies.POLICIES_ENV, str(folder))
    assert [p.id for p in load()] == ["good"]
    assert policies.policies_table().num_rows == 1 and policies.conditions_table().num_rows == 1
    monkeypatch.setenv(policies.POLICIES_ENV, str(tmp_path / "missing"))
    with pytest.raises(PolicyError, match=f"{policies.POLICIES_ENV}=.*missing: no such folder"):
        load()
    # an empty folder: no policy, typed empty tables (the marts build empty)
    shutil.rmtree(folder)
    folder.mkdir()
    monkeypatch.setenv(policies.POLICIES_ENV, str(folder))
    table = policies.conditions_table()
    assert table.num_rows == 0 and table.schema.field("threshold_date").type.__str__() == "date32[day]"


def test_thresholds_are_typed_by_their_field_and_written_as_a_clerk_reads_them(tmp_path):
    text = GOOD.split("conditions:")[0] + """conditions:
  - {field: operating_revenue_yuan, operator: at_least, value: 20000000}
  - {field: rd_intensity, operator: at_least, value: 0.03}
  - {field: founded_on, operator: before, value: 2020-01-01}
  - {field: industry_code, operator: prefix_in, value: ['39', '0511'], label: 电子或开采辅助}
"""
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    rows = policies.condition_rows(load(tmp_path))
    assert [(r["field_type"], r["threshold"], r["label"]) for r in rows] == [
        ("number", "20,000,000", "operating_revenue_yuan at_least 20,000,000"),
        ("number", "0.03", "rd_intensity at_least 0.03"),
        ("date", "2020-01-01", "founded_on before 2020-01-01"),
        ("text", "39;0511", "电子或开采辅助")]
    assert rows[0]["threshold_number"] == 2e7 and str(rows[2]["threshold_date"]) == "2020-01-01"
    assert all(BY_FIELD[r["field"]].type == r["field_type"] for r in rows)
    assert yaml.safe_load(text)["valid_from"] != "2025-01-01"  # plain YAML would have made a date of it
