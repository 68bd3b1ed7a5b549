"""Running landing assets for real (dagster.materialize on a temporary lake) and reading what they wrote."""
from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.landing.assets import LANDING_ASSETS, asset_key
from contracts.sources import DATASETS
from resources.settings import LakehouseSettings
from resources.systems import HrssApi, SamrDatabase
from tests import duck

BY_NAME = {ds.asset_name: ds for ds in DATASETS}
ASSETS = {a.key: a for a in LANDING_ASSETS}


def land(names: list[str], home: Path, sources: Path, partition: str | None = None, samr_url: str | None = None,
         hrss: HrssApi | None = None, tags: dict | None = None) -> dg.ExecuteInProcessResult:
    settings = LakehouseSettings(home=str(home), sources_root=str(sources))
    resources = {
        "settings": settings,
        "samr": SamrDatabase(settings=settings, url=samr_url),
        "hrss": hrss or HrssApi(base_url="http://127.0.0.1:9", token="unused", max_retries=0),
    }
    selected = [ASSETS[asset_key(BY_NAME[n])] for n in names]
    return dg.materialize(selected, resources=resources, partition_key=partition, tags=tags or {},
                          raise_on_error=False)


def failure(result: dg.ExecuteInProcessResult) -> str:
    events = result.get_step_failure_events()
    assert events, "expected the landing to fail"
    data = events[0].step_failure_data
    return " ".join(filter(None, [data.error.message if data.error else "",
                                  data.user_failure_data.description if data.user_failure_data else ""]))


def metadata(result: dg.ExecuteInProcessResult, name: str) -> dict:
    key = asset_key(BY_NAME[name])
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {k: v.value for k, v in events[-1].materialization.metadata.items()}


def bronze(home: Path, name: str, partition: str = "snapshot") -> list[dict]:
    ds = BY_NAME[name]
    path = home / "lake" / "bronze" / ds.source / ds.name / f"{partition}.parquet"
    return duck.records(f"select * from read_parquet('{path}') order by _source_row")


def quarantine(home: Path, name: str, partition: str = "snapshot") -> list[dict]:
    ds = BY_NAME[name]
    path = home / "lake" / "quarantine" / ds.source / ds.name / f"{partition}.parquet"
    return duck.records(f"select * from read_parquet('{path}') order by source_row")


def check_passed(result: dg.ExecuteInProcessResult) -> bool:
    evaluations = result.get_asset_check_evaluations()
    assert evaluations
    return all(e.passed for e in evaluations)
