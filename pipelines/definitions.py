"""The one `Definitions` object of the code location (workspace.yaml -> pipelines.definitions).

It assembles; it computes nothing and reads nothing at import. Connection settings are `EnvVar`s,
resolved when a run starts, so secrets never show in the UI or logs (the Makefile exports defaults).
"""
from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg

from assets.landing.assets import (
    LANDING_ASSETS, monthly_landing_job, monthly_landing_schedule, new_deliveries_sensor, snapshot_landing_job,
    yearly_landing_job,
)
from assets.transform.assets import warehouse_models
from assets.transform.quality import links_match_ground_truth
from assets.transform.project import dbt_project
from dagster_dbt import DbtCliResource
from pipelines.resources import HrssApi, LakehouseSettings, SamrDatabase

defs = dg.Definitions(
    assets=[*LANDING_ASSETS, warehouse_models],
    asset_checks=[links_match_ground_truth],
    jobs=[snapshot_landing_job, monthly_landing_job, yearly_landing_job],
    schedules=[monthly_landing_schedule],
    sensors=[new_deliveries_sensor],
    resources={
        "settings": LakehouseSettings(),
        "samr": SamrDatabase(url=dg.EnvVar("SAMR_DB_URL")),
        # the dbt of this environment, whether or not its bin/ is on PATH
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))),
        "hrss": HrssApi(base_url=dg.EnvVar("HRSS_API_BASE_URL"), token=dg.EnvVar("HRSS_API_TOKEN")),
    },
)
