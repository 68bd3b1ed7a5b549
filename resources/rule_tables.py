"""The rule tables: the policy files and the alert-rule files, checked and written into the lake before dbt runs.

    python -m resources.rule_tables   # into the configured home's lake (resources/settings.py); exit 1 when malformed

dbt's models ref_policies, ref_policy_conditions and ref_alert_rules are SQL over three Parquet files of the lake, as
the staging models are SQL over bronze, so that the same models build on DuckDB and on Spark (dbt-spark's session and
thrift connections run no Python model). This step writes them before each dbt build (the asset `warehouse_models`,
and every test or tool that runs dbt):

    reference/policies/policies.parquet                     contracts.policies.policies_table()
    reference/policy_conditions/policy_conditions.parquet   contracts.policies.conditions_table()
    reference/alert_rules/alert_rules.parquet               contracts.alerts.rules_table()

from the policies folder (policies/, or LAKEHOUSE_POLICIES_DIR) and the alert-rules folder (alert_rules/, or
LAKEHOUSE_ALERT_RULES_DIR). Both folders are loaded and checked first: a malformed file anywhere raises one
RuleFileError naming every problem of every file (its file and field), and nothing is written, so the tables an
earlier build read stay as they were and no model that evaluates policies or alerts is built from a half-read folder.
Otherwise each file is replaced whole (resources/lake.py: written aside, then moved or copied into place), typed even
when a folder holds no rule.
"""
from __future__ import annotations

import argparse
import sys

from contracts.alerts import RULE_COLUMNS, AlertRuleError, rule_rows
from contracts.alerts import load as load_alert_rules
from contracts.policies import CONDITION_COLUMNS, POLICY_COLUMNS, PolicyError, arrow_table, condition_rows, policy_rows
from contracts.policies import load as load_policies
from resources.lake import Lake
from resources.settings import LakehouseSettings

# table name (the dbt source `rules`' table) -> its file in the lake
TABLES = {name: f"reference/{name}/{name}.parquet" for name in ("policies", "policy_conditions", "alert_rules")}


class RuleFileError(ValueError):
    """The problems of the policy files and of the alert-rule files together: `errors` (each a PolicyError or an
    AlertRuleError, whose message names its folder) and `problems` (every problem of them all, each naming its file
    and field)."""

    def __init__(self, errors: list[PolicyError | AlertRuleError]):
        self.errors = errors
        self.problems = [p for e in errors for p in e.problems]
        super().__init__("\n".join(str(e) for e in errors))


def tables() -> dict:
    """The three tables (pyarrow), from both folders loaded and checked once; RuleFileError names every problem."""
    loaded, errors = {}, []
    for name, load_files, error in (("policies", load_policies, PolicyError),
                                    ("alert_rules", load_alert_rules, AlertRuleError)):
        try:
            loaded[name] = load_files()
        except error as e:
            errors.append(e)
    if errors:
        raise RuleFileError(errors)
    policies, rules = loaded["policies"], loaded["alert_rules"]
    # the same tables as policies_table(), conditions_table() and rules_table(), without loading the folders again
    return {"policies": arrow_table(policy_rows(policies), POLICY_COLUMNS),
            "policy_conditions": arrow_table(condition_rows(policies), CONDITION_COLUMNS),
            "alert_rules": arrow_table(rule_rows(rules), RULE_COLUMNS)}


def write(lake: Lake) -> dict[str, int]:
    """The three tables into `lake`, each file whole or not at all: {table: rows}. Both folders are checked before
    anything is written (RuleFileError: nothing written)."""
    import pyarrow.parquet as pq

    built = tables()
    written = {}
    for name, table in built.items():
        rel = TABLES[name]
        scratch = lake.scratch(rel)
        try:
            pq.write_table(table, scratch)
        except BaseException:
            lake.discard(scratch)
            raise
        lake.commit(scratch, rel)
        written[name] = table.num_rows
    return written


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m resources.rule_tables", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    lake = LakehouseSettings().lake
    try:
        written = write(lake)
    except RuleFileError as e:
        print(e, file=sys.stderr)
        return 1
    for name, rows in written.items():
        print(f"wrote {lake.uri(TABLES[name])}: {rows} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
