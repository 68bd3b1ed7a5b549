"""The sensors: new deliveries in the sources root, and runs left behind by dead processes."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from assets.landing.assets import FILE_DATASETS
from assets.landing.deliveries import discover
from assets.landing.plan import landing_plan
from resources.settings import LakehouseSettings

from .jobs import LANDING_JOBS
from .run_recovery import dead_run_reaper


def file_signature(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}-{st.st_mtime_ns}"


@dg.sensor(jobs=list(LANDING_JOBS.values()), minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Requests the landing of every new or changed file in the sources root (the landing plan's "
                       "runs of the datasets and partitions that changed)")
def new_deliveries_sensor(context: dg.SensorEvaluationContext, settings: LakehouseSettings):
    sources = settings.sources_path
    seen = json.loads(context.cursor) if context.cursor else {}
    changed: dict[str, set[str]] = {}  # dataset -> its new or changed partitions
    names: dict[str, list[str]] = {}  # partitioning -> the changed files (name:signature), for the run key
    for ds in FILE_DATASETS:
        for partition, path in discover(sources, ds).items():
            sig = file_signature(path)
            name = str(path.relative_to(sources))
            if seen.get(name) != sig:
                changed.setdefault(ds.asset_name, set()).add(partition)
                names.setdefault(ds.partitioning, []).append(f"{name}:{sig}")
                seen[name] = sig
    requests = []
    for run in landing_plan(changed):
        key = hashlib.sha256("\n".join(sorted(names[run.partitioning])).encode()).hexdigest()[:16]
        # a run of the landing job of its partitioning, as `make run` runs it, over the datasets that changed
        requests.append(dg.RunRequest(run_key=f"{run.partitioning}:{key}", job_name=LANDING_JOBS[run.partitioning].name,
                                      asset_selection=run.asset_keys, partition_key=run.partition_key, tags=run.tags))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, ensure_ascii=False, sort_keys=True))


SENSORS = [new_deliveries_sensor, dead_run_reaper]
