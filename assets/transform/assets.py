"""dbt models as assets. The translator alone decides keys and groups, from the dbt folder; dbt sources carry the
landing assets' keys (meta.dagster.asset_key, generated from the landing declaration), so lineage runs unbroken
from a department file to a mart."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from .project import dbt_project

# dbt folder -> asset group (the layers of DESIGN.md)
GROUPS = {"staging": "staging", "intermediate": "resolution", "marts": "marts"}
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

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return ["team:data-engineering"]


translator = LakehouseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=translator, pool=WAREHOUSE_POOL)
def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """dbt build: seeds, staging views, the resolution steps, the marts, and their tests (as asset checks)."""
    yield from dbt.cli(["build"], context=context).stream()
