"""dbt models as assets. The translator alone decides keys and groups, from the dbt folder; dbt sources carry the
landing assets' keys (meta.dagster.asset_key, generated from the landing declaration), so lineage runs unbroken
from a department file to a mart. The dbt source `rules` (the policy and alert-rule files as tables, which
`warehouse_models` writes into the lake before dbt runs) carries the keys of RULE_TABLES, declared here."""

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from assets.metadata import markdown_table
from contracts.sql import qualified_name
from resources import connections, rule_tables
from resources.settings import LakehouseSettings

from .project import dbt_project

# dbt folder -> asset group (the layers of DESIGN.md)
GROUPS = {"staging": "staging", "intermediate": "resolution", "marts": "marts", "reference": "reference"}
WAREHOUSE_POOL = "warehouse"  # every asset that writes the build warehouse: one at a time (DuckDB has one writer)


class LakehouseDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> "str | None":
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        folder = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else None
        return GROUPS.get(folder, super().get_group_name(dbt_resource_props))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)  # meta.dagster.asset_key: the landing asset
        return dg.AssetKey([self.get_group_name(dbt_resource_props) or "dbt", dbt_resource_props["name"]])


translator = LakehouseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

RULES_SOURCE = "rules"  # the dbt source of the rule tables (dbt_project/models/reference/_rules__sources.yml)


def rule_table_specs() -> list[dg.AssetSpec]:
    """The rule tables (the dbt source `rules`) as external assets: no asset materializes them (`warehouse_models`
    writes them before dbt runs), but the reference models read them, so the graph shows where those come from. Keys
    and descriptions are the source's, from the manifest, so they cannot drift from what the models depend on."""
    manifest = json.loads(Path(dbt_project.manifest_path).read_text(encoding="utf-8"))
    return [dg.AssetSpec(translator.get_asset_key(source), description=source["description"],
                         group_name=GROUPS["reference"], owners=["team:data-engineering"], kinds={"yaml", "parquet"},
                         metadata={"written_by": "resources/rule_tables.py, before dbt (warehouse_models)"})
            for source in sorted(manifest["sources"].values(), key=lambda s: s["name"])
            if source["source_name"] == RULES_SOURCE]


RULE_TABLES = rule_table_specs()


def _relations() -> dict[dg.AssetKey, str]:
    """Asset key -> schema.table of every dbt table (models materialized as tables or incremental, seeds)."""
    manifest = json.loads(Path(dbt_project.manifest_path).read_text(encoding="utf-8"))
    return {translator.get_asset_key(n): qualified_name(n["schema"], n["alias"]) for n in manifest["nodes"].values()
            if n["resource_type"] in ("model", "seed") and n["config"].get("materialized") != "view"}


def compiled_tests(target: Path) -> dict[str, str]:
    """unique_id -> the SQL dbt ran for each test of the last invocation (it selects the failing rows)."""
    path = Path(target) / "run_results.json"
    if not path.exists():
        return {}
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    return {r["unique_id"]: r["compiled_code"] for r in results
            if r["unique_id"].startswith("test.") and r.get("compiled_code")}


def failing_rows(con: duckdb.DuckDBPyConnection, sql: str, limit: int = 20) -> list[dict]:
    cursor = con.execute(f"select * from ({sql}) as failing limit $limit", {"limit": limit})
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]


def with_failing_rows(event: dg.AssetCheckResult, con: duckdb.DuckDBPyConnection, tests: dict[str, str]):
    """A failed dbt test shows which rows failed (a park code missing from the parks file, say), not only how many:
    dagster-dbt reports the count alone."""
    unique_id = event.metadata.get("unique_id")
    sql = tests.get(getattr(unique_id, "value", unique_id))
    if event.passed or not sql:
        return event
    try:
        rows = failing_rows(con, sql)
    except duckdb.Error as e:  # the test's relation may be gone; the count dbt reported still stands
        return dg.AssetCheckResult(**{**event_fields(event),
                                      "metadata": {**event.metadata, "failing_rows_error": str(e)}})
    sample = "; ".join(", ".join(f"{k}={v}" for k, v in r.items()) for r in rows[:5])
    return dg.AssetCheckResult(**{**event_fields(event), "description": f"failing rows: {sample}"[:1000],
                                  "metadata": {**event.metadata, "failing_rows": dg.MetadataValue.md(
                                      markdown_table(rows, max_columns=10, max_width=60))}})


def event_fields(event: dg.AssetCheckResult) -> dict:
    return {"asset_key": event.asset_key, "check_name": event.check_name, "passed": event.passed,
            "severity": event.severity, "metadata": event.metadata, "description": event.description}


def with_row_counts(context: AssetExecutionContext, events: list, warehouse: Path, target: Path | None = None) -> list:
    """Row counts and a preview on each table's materialization, read once dbt has exited: DuckDB lets no other
    process open the file while dbt writes it, so dagster-dbt's per-model fetch_row_counts() cannot be used."""
    if not warehouse.exists():
        return events
    relations = _relations()
    tests = compiled_tests(target) if target else {}
    out = []
    con = connections.read_only(warehouse)
    try:
        for event in events:
            if isinstance(event, dg.AssetCheckResult):
                event = with_failing_rows(event, con, tests)
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                if key in relations:
                    cursor = con.execute(f"select * from {relations[key]} limit 5")
                    columns = [d[0] for d in cursor.description]
                    preview = dg.MetadataValue.md(markdown_table(
                        [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()], max_columns=10, max_width=40))
                    count = con.execute(f"select count(*) from {relations[key]}").fetchone()[0]
                    event = dg.Output(value=event.value, output_name=event.output_name, data_version=event.data_version,
                                      tags=event.tags, metadata={**event.metadata, "dagster/row_count": count,
                                                                 "preview": preview})
            out.append(event)
    finally:
        con.close()
    return out


def keep_run_results(target: Path, into: Path) -> None:
    """The last build's run_results.json (each node's timing and status) and manifest.json (the SQL it ran) at a
    fixed place, for operators and the benchmark: dagster-dbt gives every invocation its own target folder."""
    into.mkdir(parents=True, exist_ok=True)
    for name in ("run_results.json", "manifest.json"):
        if (Path(target) / name).exists():
            shutil.copyfile(Path(target) / name, into / name)


def write_rule_tables(context: AssetExecutionContext, settings: LakehouseSettings) -> None:
    """The policy files (policies/, or LAKEHOUSE_POLICIES_DIR) and the alert-rule files (alert_rules/, or
    LAKEHOUSE_ALERT_RULES_DIR), checked and written into the run's lake as the tables dbt's models ref_policies,
    ref_policy_conditions and ref_alert_rules read (resources/rule_tables.py). A malformed file fails the build here,
    with every problem's file and field in the failure's message, before any model is built (so the warehouse is
    never left with new marts beside verdicts or alerts of an earlier build, and nothing is published); the lake keeps
    the tables of the last good files."""
    try:
        written = rule_tables.write(settings.lake)
    except rule_tables.RuleFileError as e:
        raise dg.Failure(description=str(e), metadata={
            "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in e.problems))}) from None
    context.log.info("rule tables written to the lake: " + ", ".join(
        f"{settings.lake.uri(rule_tables.TABLES[name])} ({rows} rows)" for name, rows in written.items()))


# the unit tests check the models' SQL on fixed inputs, not the data: they run where the SQL changes (`make test`,
# tests/transform/test_dbt_unit_tests.py; `dbt test --select test_type:unit`), not in every run, where they took a
# third of a small build's dbt time
PIPELINE_BUILD_EXCLUDES = ("--exclude-resource-type", "unit_test")


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=translator, pool=WAREHOUSE_POOL)
def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource, settings: LakehouseSettings):
    """dbt build: seeds, staging views, the resolution steps, the marts, and their data tests (as asset checks);
    first the policy and alert-rule files, checked and written into the lake as the tables the reference models
    read."""
    write_rule_tables(context, settings)
    events, error = [], None
    settings.home_path.mkdir(parents=True, exist_ok=True)  # with the lake on an object store, nothing made it yet
    with settings.exported():  # dbt's profile and sources read LAKEHOUSE_HOME: this run's home, default or not
        invocation = dbt.cli(["build", *PIPELINE_BUILD_EXCLUDES], context=context)
    try:
        events.extend(invocation.stream())
    except Exception as e:  # what dbt built before failing is still reported, then the failure
        error = e
        # dbt may still hold the warehouse when the stream stops early: reading it now would fail on DuckDB's lock
        # and hide dbt's own error
        if invocation.process.poll() is None:
            invocation.process.terminate()
        invocation.process.wait()
    keep_run_results(invocation.target_path, settings.dbt_results_path)
    yield from with_row_counts(context, events, settings.warehouse_path, invocation.target_path)
    if error is not None:
        raise error
