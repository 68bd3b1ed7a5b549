"""The jobs of the code location: landing by partitioning, the build and publication, the rollback."""
from __future__ import annotations

import dagster as dg

from assets.landing.assets import asset_key
from assets.publish.assets import PUBLISH_ASSETS, rollback_op
from assets.transform.assets import warehouse_models
from contracts.sources import DATASETS


def landing_selection(partitioning: str) -> dg.AssetSelection:
    return dg.AssetSelection.assets(*[asset_key(ds) for ds in DATASETS if ds.partitioning == partitioning])


# a landing job runs the assets of one partitioning (the runs of assets/landing/plan.py): snapshots, months, years
snapshot_landing_job = dg.define_asset_job("snapshot_landing", selection=landing_selection("snapshot"),
                                           description="Land the snapshot sources: S1 registry, S4, S8, S10")
monthly_landing_job = dg.define_asset_job("monthly_landing", selection=landing_selection("monthly"),
                                          description="Land months of S2 tax, S5 social insurance, S6 power")
yearly_landing_job = dg.define_asset_job("yearly_landing", selection=landing_selection("yearly"),
                                         description="Land years of S3 stats, S7 eco, S9 patents")
LANDING_JOBS = {"snapshot": snapshot_landing_job, "monthly": monthly_landing_job, "yearly": yearly_landing_job}

# build the warehouse and publish what passes the gate, in one run (the gate reads this run's dbt test results); the
# selection takes the checks of its assets with them, the ground-truth check on marts/xref_source_record among them
build_and_publish_job = dg.define_asset_job(
    "build_and_publish",
    selection=dg.AssetSelection.assets(warehouse_models, *PUBLISH_ASSETS),
    description="Full refresh of the warehouse (dbt build with its tests), then stage, gate and publish the extracts.",
)


@dg.job(description="Move `current` of the published datasets back to a named version (and rebuild analytics.duckdb).")
def rollback_published():
    rollback_op()


JOBS = [*LANDING_JOBS.values(), build_and_publish_job, rollback_published]
