"""Policy matching (政策直达 / 免申即享) on the default root's warehouse, against verdicts this test computes itself.

Each field's value is read here from the marts the vocabulary names (dim_enterprise, mart_enterprise_profile,
fct_enterprise_year, mart_mu_efficiency), never from policy_profile, and each condition and policy is judged in
Python: every verdict of mart_policy_match and mart_policy_match_conditions must agree. Then, on a copy of the
warehouse, a policy file added to the folder adds its rows (and an expired one none), a figure nobody reported makes
a policy cannot_tell, and a malformed file stops the build before dbt (the rule tables are written first:
resources/rule_tables.py) and the pipeline with the file and field named, publishing nothing. The policy files' loader
alone: tests/transform/test_policy_files.py.
"""
from __future__ import annotations

import datetime as dt
import math
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from contracts.policies import POLICIES_DIR, POLICIES_ENV, Policy, load
from tests.pipeline import dbt_build, warehouse_frame

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
POLICY_MODELS = ["ref_policies", "ref_policy_conditions", "policy_profile", "mart_policy_match_conditions",
                 "mart_policy_match"]
S3_COLUMNS = ["gross_industrial_output_yuan", "operating_revenue_yuan", "industrial_value_added_yuan",
              "rd_expenditure_yuan", "energy_consumption_tce", "employees_year_end"]

ADDED = """\
# a policy a city adds: every kind of operator the shipped ones leave out
id: added-employment-subsidy
title: 稳岗就业补贴
department: 市人力资源和社会保障局
valid_from: 2025-03-01
conditions:
  - {field: is_operating, operator: is, value: true}
  - {field: industry_code, operator: prefix_not_in, value: ['51', '52']}
  - {field: founded_on, operator: on_or_after, value: 2010-01-01}
  - {field: sales_revenue_12m_yuan, operator: at_most, value: 50000000}
  - {field: total_tax_12m_yuan, operator: below, value: 5000000}
  - {field: park_code, operator: not_in, value: ['none']}
  - {field: insured_headcount, operator: at_least, value: 5, label: 参保职工不少于 5 人}
"""
EXPIRED = """\
id: expired-reward
title: 已到期的奖励
department: 市经济和信息化局
valid_from: 2021-01-01
valid_to: 2024-12-31
conditions:
  - {field: is_operating, operator: is, value: true}
"""
NOT_YET = EXPIRED.replace("expired-reward", "next-years-reward").replace("valid_from: 2021-01-01\nvalid_to: 2024-12-31",
                                                                          "valid_from: 2026-01-01")
MALFORMED = """\
id: malformed
title: 写错的政策
department: 测试局
valid_from: 2025-01-01
conditions:
  - {field: is_high_tech, operator: is, value: true}
  - {field: operating_revenue_yuan, operator: greater_than, value: 1000}
"""


def query(home: Path, sql: str) -> pd.DataFrame:
    return warehouse_frame(home, sql)


def _value(v):
    """pandas' missing values (None, NaN, NaT) as None; timestamps as dates."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v


def field_values(home: Path) -> tuple[int, dict[str, dict]]:
    """(evaluation year, {enterprise_code: {field: value}}) for every enterprise registered here, read by this test
    from the marts the vocabulary names."""
    enterprises = query(home, "select * from marts.dim_enterprise where not is_external")
    profile = query(home, "select * from marts.mart_enterprise_profile").set_index("enterprise_code").to_dict("index")
    years = query(home, "select * from marts.fct_enterprise_year")
    mu = query(home, "select * from marts.mart_mu_efficiency")
    # S3: its latest year, and who was in its list the year before (when that year's list landed)
    s3 = years[years[S3_COLUMNS].notna().any(axis=1)]
    latest = int(s3["fiscal_year"].max())
    previous = set(s3.loc[s3["fiscal_year"] == latest - 1, "enterprise_code"])
    has_previous = bool(previous)
    figures = s3[s3["fiscal_year"] == latest].set_index("enterprise_code").to_dict("index")
    mu_year = mu["fiscal_year"].max() if len(mu) else None
    mu_class = mu[mu["fiscal_year"] == mu_year].set_index("enterprise_code")["evaluation_class"].to_dict()
    out = {}
    for e in enterprises.to_dict("records"):
        code = e["enterprise_code"]
        f, p = figures.get(code, {}), profile.get(code, {})
        revenue, rd = _value(f.get("operating_revenue_yuan")), _value(f.get("rd_expenditure_yuan"))
        out[code] = {
            "industry_code": _value(e["industry_code"]), "section_code": _value(e["section_code"]),
            "park_code": _value(e["park_code"]) or "none", "division_code": _value(e["division_code"]),
            "founded_on": _value(e["founded_on"]), "is_operating": _value(e["is_operating"]),
            "is_above_designated_size": bool(e["is_above_designated_size"]),
            "was_above_designated_size_previous_year": (code in previous) if has_previous else None,
            "is_high_tech": bool(e["is_high_tech"]), "srdi_tier": _value(e["srdi_tier"]) or "none",
            "is_on_abnormal_list": bool(e["is_on_abnormal_list"]),
            "operating_revenue_yuan": revenue, "rd_expenditure_yuan": rd,
            "rd_intensity": rd / revenue if rd is not None and revenue else None,
            "employees_year_end": _value(f.get("employees_year_end")),
            "sales_revenue_12m_yuan": _value(p.get("sales_revenue_12m_yuan")),
            "total_tax_12m_yuan": _value(p.get("total_tax_12m_yuan")),
            "insured_headcount": _value(p.get("latest_insured_headcount")),
            "mu_evaluation_class": None if mu_year is None else mu_class.get(code, "not_evaluated"),
        }
    return int(enterprises["as_of_date"].max().year), out


JUDGE = {
    "is": lambda v, t: v == t,
    "at_least": lambda v, t: float(v) >= t, "above": lambda v, t: float(v) > t,
    "at_most": lambda v, t: float(v) <= t, "below": lambda v, t: float(v) < t,
    "before": lambda v, t: v < t, "on_or_after": lambda v, t: v >= t,
    "in": lambda v, t: v in t, "not_in": lambda v, t: v not in t,
    "prefix_in": lambda v, t: any(v.startswith(x) for x in t),
    "prefix_not_in": lambda v, t: not any(v.startswith(x) for x in t),
}


def expected_verdicts(year: int, values: dict[str, dict], policies: list[Policy]) -> tuple[dict, dict]:
    """({(policy, enterprise): verdict}, {(policy, enterprise, condition_no): verdict}) of every policy valid in
    `year`, judged here."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    matches, conditions = {}, {}
    for policy in policies:
        if policy.valid_from > last or (policy.valid_to is not None and policy.valid_to < first):
            continue
        for code, fields in values.items():
            verdicts = []
            for c in policy.conditions:
                value = fields[c.field]
                verdict = "missing" if value is None else "pass" if JUDGE[c.operator](value, c.value) else "fail"
                conditions[(policy.id, code, c.number)] = verdict
                verdicts.append(verdict)
            matches[(policy.id, code)] = ("not_eligible" if "fail" in verdicts else
                                          "cannot_tell" if "missing" in verdicts else "eligible")
    return matches, conditions


def built(home: Path) -> tuple[dict, dict]:
    matches = query(home, "select policy_id, enterprise_code, verdict from marts.mart_policy_match")
    conditions = query(home, "select policy_id, enterprise_code, condition_no, verdict "
                             "from marts.mart_policy_match_conditions")
    return ({(r.policy_id, r.enterprise_code): r.verdict for r in matches.itertuples()},
            {(r.policy_id, r.enterprise_code, r.condition_no): r.verdict for r in conditions.itertuples()})


def differences(got: dict, want: dict, limit: int = 10) -> list:
    keys = sorted(set(got) | set(want))
    return [(k, got.get(k), want.get(k)) for k in keys if got.get(k) != want.get(k)][:limit]


def test_every_verdict_of_the_shipped_policies_is_the_one_computed_from_the_profile(default_warehouse):
    _, home, _ = default_warehouse
    year, values = field_values(home)
    policies = load(POLICIES_DIR)
    want_matches, want_conditions = expected_verdicts(year, values, policies)
    got_matches, got_conditions = built(home)
    assert differences(got_matches, want_matches) == []
    assert differences(got_conditions, want_conditions) == []
    # a row per enterprise registered here and policy valid in the year; each policy has enterprises eligible
    assert len(got_matches) == len(values) * len({p for p, _ in want_matches}) >= 5 * 10_000
    by_policy = pd.Series(got_matches).groupby(level=0).value_counts().unstack(fill_value=0)
    assert (by_policy["eligible"] > 0).all() and (by_policy["not_eligible"] > 0).all(), by_policy
    assert by_policy["cannot_tell"].sum() > 0, by_policy

    # a handful, as a clerk reads them: one enterprise per policy and verdict, with the values the marts show
    rows = query(home, """
        select m.policy_id, m.enterprise_code, m.verdict, m.reasons, c.condition_no, c.field, c.value_used,
            c.value_number, c.verdict as condition_verdict
        from marts.mart_policy_match m
        join marts.mart_policy_match_conditions c using (policy_id, enterprise_code)
        where m.enterprise_code in (
            select min(enterprise_code) from marts.mart_policy_match group by policy_id, verdict)""")
    for r in rows.itertuples():
        value = values[r.enterprise_code][r.field]
        if isinstance(value, float):  # figures: the number itself, and as a clerk reads it
            assert r.value_number == pytest.approx(value, rel=1e-9)
            assert r.value_used.replace(",", "") == f"{round(value, 6)}".removesuffix(".0") \
                or abs(float(r.value_used.replace(",", "")) - value) < 1e-5, (r.value_used, value)
        elif value is None:
            assert pd.isna(r.value_used) and r.condition_verdict == "missing"
        else:
            assert r.value_used == (str(value).lower() if isinstance(value, bool) else str(value))
        # reasons: the failing conditions for not_eligible, the missing ones for cannot_tell, nothing when eligible
        assert (r.verdict == "eligible") == pd.isna(r.reasons)


def test_cannot_tell_is_a_missing_figure_with_nothing_failing(default_warehouse):
    _, home, _ = default_warehouse
    _, values = field_values(home)
    rows = query(home, """
        select m.policy_id, m.enterprise_code, m.reasons, c.field, c.label, c.verdict
        from marts.mart_policy_match m join marts.mart_policy_match_conditions c using (policy_id, enterprise_code)
        where m.verdict = 'cannot_tell'""")
    assert len(rows) > 0
    assert set(rows["verdict"]) == {"pass", "missing"}
    for r in rows[rows["verdict"] == "missing"].itertuples():
        assert values[r.enterprise_code][r.field] is None
        assert f"{r.label} (no figure)" in r.reasons


@pytest.fixture(scope="module")
def policy_home(default_warehouse, tmp_path_factory) -> Path:
    """A copy of the default warehouse for the policy models to be rebuilt in (the shared one stays as it is)."""
    _, home, _ = default_warehouse
    copy = tmp_path_factory.mktemp("policy_home")
    shutil.copyfile(home / "warehouse.duckdb", copy / "warehouse.duckdb")
    return copy


def dbt_build_policies(home: Path, folder: Path) -> subprocess.CompletedProcess:
    """dbt build of the policy models and their tests on `home`, with the policy files of `folder`."""
    return dbt_build(home, POLICY_MODELS, {POLICIES_ENV: str(folder)})


@pytest.mark.slow
def test_adding_a_policy_file_adds_its_rows(default_warehouse, policy_home, tmp_path):
    _, home, _ = default_warehouse
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, folder)
    (folder / "added_employment_subsidy.yaml").write_text(ADDED, encoding="utf-8")
    (folder / "expired_reward.yaml").write_text(EXPIRED, encoding="utf-8")
    (folder / "next_years_reward.yaml").write_text(NOT_YET, encoding="utf-8")
    done = dbt_build_policies(policy_home, folder)
    assert done.returncode == 0, done.stdout[-3000:]

    year, values = field_values(policy_home)
    want_matches, want_conditions = expected_verdicts(year, values, load(folder))
    got_matches, got_conditions = built(policy_home)
    assert differences(got_matches, want_matches) == [] and differences(got_conditions, want_conditions) == []
    added = {code: v for (policy, code), v in got_matches.items() if policy == "added-employment-subsidy"}
    assert len(added) == len(values)  # one row per enterprise registered here
    assert not any(policy in ("expired-reward", "next-years-reward") for policy, _ in got_matches)
    # the shipped policies' verdicts are what they were
    before, _ = built(home)
    assert {k: v for k, v in got_matches.items() if k[0] != "added-employment-subsidy"} == before
    # its insured-headcount condition reads S5, which many enterprises have no record in: those that meet every
    # other condition cannot be told, and say which figure is missing
    unknown = {code for code, v in added.items() if v == "cannot_tell"}
    assert unknown and all(values[code]["insured_headcount"] is None for code in unknown)
    assert set(query(policy_home, "select distinct reasons from marts.mart_policy_match "
                                  "where verdict = 'cannot_tell' and policy_id = 'added-employment-subsidy'")
               ["reasons"]) == {"参保职工不少于 5 人 (no figure)"}
    assert {"eligible", "not_eligible"} <= set(added.values())


def lake_and_dbt_state(home: Path) -> dict[str, int | bytes | None]:
    """What a build would change in `home`: the rule tables of its lake (their bytes) and dbt's last run_results.json
    (its modification time), None when absent."""
    from resources.rule_tables import TABLES

    out: dict[str, int | bytes | None] = {}
    for rel in TABLES.values():
        path = home / "lake" / rel
        out[rel] = path.read_bytes() if path.exists() else None
    results = home / "dbt-target" / "run_results.json"
    out["run_results.json"] = results.stat().st_mtime_ns if results.exists() else None
    return out


@pytest.mark.slow
def test_a_malformed_policy_file_stops_the_build_before_dbt_with_the_file_and_field_named(policy_home, tmp_path):
    """The rule tables are written before dbt runs: a malformed file fails that step, naming the file and field; dbt
    never starts, so nothing that evaluates policies is rebuilt (the verdicts in the warehouse, the rule tables in
    the lake and dbt's run results stay as they were)."""
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, folder)
    (folder / "malformed.yaml").write_text(MALFORMED, encoding="utf-8")
    verdicts, state = built(policy_home), lake_and_dbt_state(policy_home)
    done = dbt_build_policies(policy_home, folder)
    assert done.returncode == 1
    assert "malformed.yaml: conditions[2].operator: unknown operator; operating_revenue_yuan takes" in done.stderr, \
        done.stdout[-3000:]
    assert "Traceback" not in done.stderr
    # dbt never ran (its run results are those of before, if any) and nothing in the lake or the warehouse changed
    assert lake_and_dbt_state(policy_home) == state
    assert built(policy_home) == verdicts
    assert len(verdicts[0]) > 0


def test_a_malformed_policy_file_stops_the_run_before_anything_is_built_or_published(default_published, tmp_path,
                                                                                      monkeypatch):
    """build_and_publish with a malformed policy file and a malformed alert rule: the dbt step fails first, writing the
    rule tables before dbt, naming each file and field; no model, rule table, extract or analysts' database is
    written, and every published dataset's `current` stays where it was."""
    from assets.publish import store
    from contracts.alerts import RULES_DIR, RULES_ENV
    from contracts.published import PUBLISHED
    from tests.pipeline import build_and_publish

    root, home = default_published
    run_home = tmp_path / "home"
    run_home.mkdir()
    shutil.copytree(home / "published", run_home / "published", symlinks=True)
    current = {p.name: store.current_version(run_home / "published", p.name) for p in PUBLISHED}
    assert all(current.values()), current
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, folder)
    (folder / "malformed.yaml").write_text(MALFORMED, encoding="utf-8")
    monkeypatch.setenv(POLICIES_ENV, str(folder))
    rules = tmp_path / "alert_rules"
    shutil.copytree(RULES_DIR, rules)
    (rules / "malformed_rule.yaml").write_text("id: malformed-rule\ntitle: t\nsignal: tax_decline\nseverity: high\n"
                                               "parameters: {drop_at_least: 0.3}\n", encoding="utf-8")
    monkeypatch.setenv(RULES_ENV, str(rules))

    result = build_and_publish(root, run_home)
    assert not result.success
    failures = result.get_step_failure_events()
    assert [e.step_key for e in failures] == ["warehouse_models"]
    message = failures[0].step_failure_data.user_failure_data.description
    assert "malformed.yaml: conditions[2].operator: unknown operator; operating_revenue_yuan takes" in message
    assert "malformed_rule.yaml: parameters.months_running: missing (required by tax_decline)" in message, message
    assert result.get_asset_materialization_events() == []
    assert not (run_home / "warehouse.duckdb").exists()
    assert not (run_home / "lake" / "reference").exists()
    assert {p.name: store.current_version(run_home / "published", p.name) for p in PUBLISHED} == current
