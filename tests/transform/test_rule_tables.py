"""The rule tables (resources/rule_tables.py): the policy and alert-rule files, checked and written into the lake as
the three Parquet files dbt's reference models read. The files equal what contracts/ returns; a malformed folder writes
nothing and names every file and field of both folders at once; an empty folder writes typed empty tables; the
command line says what it wrote, or the problems on stderr with exit 1. That dbt reads them and a malformed file stops
the build before dbt: tests/transform/test_policies.py and test_alerts.py."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from contracts.alerts import RULE_COLUMNS, RULES_DIR, RULES_ENV, rules_table
from contracts.policies import (
    CONDITION_COLUMNS,
    POLICIES_DIR,
    POLICIES_ENV,
    POLICY_COLUMNS,
    conditions_table,
    policies_table,
)
from resources import rule_tables
from resources.lake import Lake
from tests.duck import query, scalar

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "dbt_project" / "models" / "reference"
MALFORMED_POLICY = """\
id: malformed
title: 写错的政策
department: 测试局
valid_from: 2025-01-01
conditions:
  - {field: operating_revenue_yuan, operator: greater_than, value: 1000}
"""
MALFORMED_RULE = """\
id: malformed-rule
title: 写错的预警
signal: tax_decline
severity: urgent
parameters: {drop_at_least: 0.3, months_running: 3}
"""
POLICY_PROBLEM = "malformed.yaml: conditions[1].operator: unknown operator; operating_revenue_yuan takes"
RULE_PROBLEM = "malformed_rule.yaml: severity: expected one of high, medium, low, got the text 'urgent'"


@pytest.fixture
def folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """Copies of the repository's policies and alert-rule folders, named by the variables."""
    policies, rules = tmp_path / "policies", tmp_path / "alert_rules"
    shutil.copytree(POLICIES_DIR, policies)
    shutil.copytree(RULES_DIR, rules)
    monkeypatch.setenv(POLICIES_ENV, str(policies))
    monkeypatch.setenv(RULES_ENV, str(rules))
    return policies, rules


def lake_files(lake_dir: Path) -> dict[str, bytes]:
    """Every file under the lake's folder (hidden ones too: a scratch file left behind would show here)."""
    return {p.relative_to(lake_dir).as_posix(): p.read_bytes() for p in sorted(lake_dir.rglob("*")) if p.is_file()}


def test_the_repositorys_folders_are_written_as_the_tables_contracts_returns(tmp_path, monkeypatch):
    monkeypatch.delenv(POLICIES_ENV, raising=False)
    monkeypatch.delenv(RULES_ENV, raising=False)
    lake = Lake.at(tmp_path / "lake")
    written = rule_tables.write(lake)
    want = {"policies": policies_table(), "policy_conditions": conditions_table(), "alert_rules": rules_table()}
    assert written == {name: table.num_rows for name, table in want.items()}
    assert all(rows > 0 for rows in written.values())
    assert sorted(lake_files(tmp_path / "lake")) == sorted(rule_tables.TABLES.values()) == [
        "reference/alert_rules/alert_rules.parquet", "reference/policies/policies.parquet",
        "reference/policy_conditions/policy_conditions.parquet"]
    for name, table in want.items():
        got = pq.read_table(lake.local_path(rule_tables.TABLES[name]))
        assert got.schema.equals(table.schema), name
        assert got.to_pylist() == table.to_pylist(), name
    # written again from the same files: the same rows (the files are replaced, never appended to)
    assert rule_tables.write(lake) == written
    assert len(lake_files(tmp_path / "lake")) == 3


def test_a_malformed_policy_and_a_malformed_rule_are_named_together_and_nothing_is_written(folders, tmp_path):
    policies, rules = folders
    lake_dir = tmp_path / "lake"
    rule_tables.write(Lake.at(lake_dir))  # an earlier build's tables, from good files
    before = lake_files(lake_dir)
    (policies / "malformed.yaml").write_text(MALFORMED_POLICY, encoding="utf-8")
    (rules / "malformed_rule.yaml").write_text(MALFORMED_RULE, encoding="utf-8")
    with pytest.raises(rule_tables.RuleFileError) as caught:
        rule_tables.write(Lake.at(lake_dir))
    error = caught.value
    assert [type(e).__name__ for e in error.errors] == ["PolicyError", "AlertRuleError"]
    assert any(p.startswith(POLICY_PROBLEM) for p in error.problems), error.problems
    assert RULE_PROBLEM in error.problems
    # one message: each folder's problems, each with its file and field
    assert POLICY_PROBLEM in str(error) and RULE_PROBLEM in str(error)
    assert f"problem(s) in the policy files of {policies}" in str(error)
    assert f"problem(s) in the alert-rule files of {rules}" in str(error)
    # nothing written: the earlier tables stay byte for byte, and no scratch file is left beside them
    assert lake_files(lake_dir) == before

    # either folder alone is enough to write nothing
    (policies / "malformed.yaml").unlink()
    with pytest.raises(rule_tables.RuleFileError) as caught:
        rule_tables.write(Lake.at(lake_dir))
    assert caught.value.problems == [RULE_PROBLEM]
    assert lake_files(lake_dir) == before


def test_an_empty_policies_folder_writes_typed_empty_tables(folders, tmp_path, monkeypatch):
    empty = tmp_path / "no_policies"
    empty.mkdir()
    monkeypatch.setenv(POLICIES_ENV, str(empty))
    lake = Lake.at(tmp_path / "lake")
    written = rule_tables.write(lake)
    assert written["policies"] == written["policy_conditions"] == 0 and written["alert_rules"] > 0
    for name, columns in (("policies", POLICY_COLUMNS), ("policy_conditions", CONDITION_COLUMNS)):
        path = lake.local_path(rule_tables.TABLES[name])
        table = pq.read_table(path)
        assert table.num_rows == 0
        assert [(f.name, str(f.type)) for f in table.schema] == [
            (column, {"string": "string", "date32": "date32[day]", "int32": "int32", "float64": "double",
                      "bool_": "bool"}[kind]) for column, kind in columns]
    # read as the dbt source reads them (read_parquet over the folder's glob): typed columns, no rows
    glob = f"{lake.local_path('reference/policy_conditions')}/[!._]*.parquet"
    described = query("describe select * from read_parquet($glob, union_by_name = true)", {"glob": glob})
    assert {row[0]: row[1] for row in described} == {
        "policy_id": "VARCHAR", "condition_no": "INTEGER", "field": "VARCHAR", "field_type": "VARCHAR",
        "operator": "VARCHAR", "threshold": "VARCHAR", "threshold_number": "DOUBLE", "threshold_date": "DATE",
        "threshold_boolean": "BOOLEAN", "label": "VARCHAR"}
    assert scalar("select count(*) from read_parquet($glob)", {"glob": glob}) == 0

def test_the_models_select_every_column_of_the_tables_in_order():
    """The SQL models list the contract's columns, in its order: the models' schema is the tables'."""
    for model, columns in (("ref_policies", POLICY_COLUMNS), ("ref_policy_conditions", CONDITION_COLUMNS),
                           ("ref_alert_rules", RULE_COLUMNS)):
        text = (MODELS / f"{model}.sql").read_text(encoding="utf-8")
        select = text[text.index("\nselect\n") + len("\nselect\n"):text.index("\nfrom ")]
        listed = [line.strip().rstrip(",") for line in select.splitlines() if line.strip()
                  and not line.strip().startswith("--")]
        assert listed == [name for name, _ in columns], model
        assert re.search(r"\{\{ source\('rules', '\w+'\) \}\}", text), model
        assert not (MODELS / f"{model}.py").exists()


def cli(env: dict[str, str]) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "resources.rule_tables"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)


def test_the_command_line_writes_into_the_homes_lake_or_exits_1_with_the_problems(folders, tmp_path):
    policies, _ = folders
    home = tmp_path / "home"
    done = cli({"LAKEHOUSE_HOME": str(home)})
    assert done.returncode == 0, done.stderr
    for rel in rule_tables.TABLES.values():
        assert (home / "lake" / rel).is_file()
        assert f"wrote {home / 'lake' / rel}: " in done.stdout, done.stdout
    before = lake_files(home / "lake")

    (policies / "malformed.yaml").write_text(MALFORMED_POLICY, encoding="utf-8")
    done = cli({"LAKEHOUSE_HOME": str(home)})
    assert done.returncode == 1
    assert POLICY_PROBLEM in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert lake_files(home / "lake") == before


def test_on_an_object_store_the_tables_are_written_whole_and_read_as_dbt_reads_them(tmp_path, monkeypatch):
    """A lake on S3 (moto's server): the three objects, no upload left beside them, read through the lake's S3 client
    by the source's glob (as dbt-duckdb's plugin reads them)."""
    import duckdb

    from resources.settings import LakehouseSettings
    from tests.s3 import s3_server

    monkeypatch.delenv(POLICIES_ENV, raising=False)
    monkeypatch.delenv(RULES_ENV, raising=False)
    with s3_server(tmp_path / "moto.log"):
        lake = LakehouseSettings(home=str(tmp_path / "home")).lake
        assert lake.remote
        written = rule_tables.write(lake)
        for name, rel in rule_tables.TABLES.items():
            folder = rel.rsplit("/", 1)[0]
            assert lake.files(folder) == [rel.rsplit("/", 1)[1]]
            hidden = [i.base_name for i in lake.fs.get_file_info(pafs.FileSelector(lake.key(folder)))
                      if i.base_name.startswith(".")]
            assert hidden == [], hidden
            con = duckdb.connect()
            try:
                lake.register_with(con)
                rows = con.execute("select count(*) from read_parquet($glob, union_by_name = true)",
                                   {"glob": f"{lake.uri(folder)}/[!._]*.parquet"}).fetchone()[0]
            finally:
                con.close()
            assert rows == written[name] > 0, name
        assert not (tmp_path / "home" / "lake").exists()  # nothing on local disk
