"""The one `Definitions` object of the code location (workspace.yaml -> pipelines.definitions).

It assembles; it computes nothing and reads nothing at import. Connection settings are `EnvVar`s,
resolved when a run starts, so secrets never show in the UI or logs (the Makefile exports defaults).
"""
from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from assets.landing.assets import (
    LANDING_ASSETS,
    monthly_landing_job,
    monthly_landing_schedule,
    new_deliveries_sensor,
    snapshot_landing_job,
    yearly_landing_job,
)
from assets.publish.assets import PUBLISH_ASSETS, rollback_published
from assets.transform.assets import warehouse_models
from assets.transform.project import dbt_project
from assets.transform.quality import links_match_ground_truth
from pipelines.resources import HrssApi, LakehouseSettings, SamrDatabase
from pipelines.run_recovery import dead_run_reaper, patch_pool_wait

# Dagster 1.13 spins a full core while a step waits for a pool slot, and ignores SIGTERM/Ctrl-C then: fixed in every
# process that loads this code location (the UI's run workers included); see pipelines/run_recovery.py
patch_pool_wait()

# build the warehouse and publish what passes the gate, in one run (the gate reads this run's dbt test results)
build_and_publish_job = dg.define_asset_job(
    "build_and_publish",
    selection=dg.AssetSelection.assets(warehouse_models, *PUBLISH_ASSETS),
    description="Full refresh of the warehouse (dbt build with its tests), then stage, gate and publish the extracts.",
)
# the month's deliveries land on the 5th (monthly_landing_schedule); the warehouse and extracts follow on the 6th
monthly_publication_schedule = dg.ScheduleDefinition(
    job=build_and_publish_job, cron_schedule="0 6 6 * *", execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

settings = LakehouseSettings()
defs = dg.Definitions(
    assets=[*LANDING_ASSETS, warehouse_models, *PUBLISH_ASSETS],
    asset_checks=[links_match_ground_truth],
    jobs=[snapshot_landing_job, monthly_landing_job, yearly_landing_job, build_and_publish_job, rollback_published],
    schedules=[monthly_landing_schedule, monthly_publication_schedule],
    sensors=[new_deliveries_sensor, dead_run_reaper],
    resources={
        "settings": settings,
        "samr": SamrDatabase(settings=settings),
        # the dbt of this environment, whether or not its bin/ is on PATH
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))),
        "hrss": HrssApi(base_url=dg.EnvVar("HRSS_API_BASE_URL"), token=dg.EnvVar("HRSS_API_TOKEN")),
    },
)
