"""The one `Definitions` object of the code location (workspace.yaml -> pipelines.definitions).

It assembles what `assets/` defines with the jobs, schedules and sensors of `pipelines/`; it computes nothing and
reads nothing at import. Settings and connections are resolved when a run starts (resources/settings.py derives
every default from LAKEHOUSE_HOME); secrets are `EnvVar`s, so they never show in the UI or logs.
"""
from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from assets.landing.assets import LANDING_ASSETS
from assets.publish.assets import PUBLISH_ASSETS
from assets.transform.assets import RULE_TABLES, warehouse_models
from assets.transform.project import dbt_project
from assets.transform.quality import links_match_ground_truth
from resources.settings import LakehouseSettings
from resources.systems import HrssApi, SamrDatabase

from .jobs import JOBS
from .run_recovery import patch_pool_wait
from .schedules import SCHEDULES
from .sensors import SENSORS

# Dagster 1.13 spins a full core while a step waits for a pool slot, and ignores SIGTERM/Ctrl-C then: fixed in every
# process that loads this code location (the UI's run workers included); see pipelines/run_recovery.py
patch_pool_wait()

settings = LakehouseSettings()
defs = dg.Definitions(
    assets=[*LANDING_ASSETS, *RULE_TABLES, warehouse_models, *PUBLISH_ASSETS],
    asset_checks=[links_match_ground_truth],
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources={
        "settings": settings,
        "samr": SamrDatabase(settings=settings),
        # the dbt of this environment, whether or not its bin/ is on PATH
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))),
        "hrss": HrssApi(base_url=dg.EnvVar("HRSS_API_BASE_URL"), token=dg.EnvVar("HRSS_API_TOKEN")),
    },
)
