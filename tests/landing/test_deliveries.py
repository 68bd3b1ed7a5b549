"""Re-delivery, re-runs, conservation over a whole default root, the file sensor and the UI metadata."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import dagster as dg

from assets.landing.assets import LANDING_ASSETS
from assets.landing.store import read_raw
from contracts.sources import DATASETS
from pipelines.sensors import new_deliveries_sensor
from resources.settings import LakehouseSettings
from simulator.redeliver import redeliver
from tests import duck

from .helpers import bronze, check_passed, land, metadata

MONTHLY_FILES = ["tax_returns", "grid_consumption"]


def count(path: Path) -> int:
    return duck.scalar(f"select count(*) from read_parquet('{path}/*.parquet')") if any(
        path.glob("*.parquet")) else 0


def test_redelivery_replaces_the_partition_and_reruns_are_idempotent(tmp_path, small_root):
    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    home = tmp_path / "home"
    first = land(MONTHLY_FILES, home, root, partition="2025-11")
    assert first.success
    before = bronze(home, "tax_returns", "2025-11")
    land(MONTHLY_FILES, home, root, partition="2025-11")
    strip = lambda rows: [{k: v for k, v in r.items() if k != "_loaded_at"} for r in rows]  # noqa: E731
    assert strip(bronze(home, "tax_returns", "2025-11")) == strip(before)  # same partition twice: same result
    event = redeliver(root, "tax", "202511", seed=3, share=0.05)
    result = land(["tax_returns"], home, root, partition="2025-11")
    assert result.success and check_passed(result)
    after = bronze(home, "tax_returns", "2025-11")
    assert len(after) == event["rows_after"] and len(before) == event["rows_before"]
    assert {r["_delivery_sha256"] for r in after} != {r["_delivery_sha256"] for r in before}
    # both deliveries stay in the raw archive, addressed by their hashes, compressed, and give their bytes back
    raw = {p.name.removesuffix(".csv.zst"): p for p in (home / "lake" / "raw").rglob("*.csv.zst")}
    assert {before[0]["_delivery_sha256"], after[0]["_delivery_sha256"]} <= set(raw)
    lake = LakehouseSettings(home=str(home)).lake
    [delivered] = [f.read_bytes() for f in (root / "tax").iterdir() if "202511" in f.name]
    kept = read_raw(lake, raw[after[0]["_delivery_sha256"]].relative_to(home / "lake").as_posix())
    assert hashlib.sha256(kept).hexdigest() == after[0]["_delivery_sha256"]
    assert kept == delivered
    assert raw[after[0]["_delivery_sha256"]].stat().st_size < len(kept) / 2  # zstd: a CSV shrinks
    # a standard zstd frame: the operator's own tool reads it too
    assert subprocess.run(["zstd", "-dc", str(raw[after[0]["_delivery_sha256"]])], capture_output=True,
                          check=True).stdout == kept
    # the bronze folder holds exactly the current delivery: no second copy of the month
    assert count(home / "lake" / "bronze" / "tax" / "returns") == len(after)


def test_conservation_holds_for_every_delivery_of_a_default_root(default_landed):
    """The default-size root (15,000 enterprises, 15 months), landed as `make run` does: one run per range."""
    import json

    root, home, runs = default_landed
    assert all(r.success and check_passed(r) for r in runs)
    deliveries = 0
    for ds in DATASETS:
        b = home / "lake" / "bronze" / ds.source / ds.name
        q = home / "lake" / "quarantine" / ds.source / ds.name
        records = [json.loads(p.read_text()) for p in (b / "_deliveries").glob("*.json")]
        assert records, ds.asset_name
        deliveries += len(records)
        assert sum(r["rows_in"] for r in records) == count(b) + count(q), ds.asset_name
        assert count(b) > 0
    months = len(list((root / "tax").glob("*.csv")))
    assert months == 15
    assert deliveries == 3 + 1 + 1 + 1 + months * 3 + 2 + 2 + 3  # S1 x3, S4, S8, S10, months, S3, S7, S9
    # the registry landed entirely, PII columns included (bronze is internal; publication strips them)
    assert count(home / "lake" / "bronze" / "samr" / "entities") == 15_000


def test_sensor_requests_new_and_changed_files(tmp_path, small_root):
    from pipelines.definitions import defs

    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    settings = LakehouseSettings(home=str(tmp_path / "home"), sources_root=str(root))

    def tick(cursor: str | None):
        """One evaluation as the daemon does it: Dagster resolves each request against the sensor's jobs in the code
        location (a job it does not target, or a partition its job does not have, fails here)."""
        ctx = dg.build_sensor_context(cursor=cursor, resources={"settings": settings}, definitions=defs)
        return new_deliveries_sensor.evaluate_tick(ctx)

    def requested(requests) -> list[tuple]:
        return [(r.job_name, sorted("/".join(k.path[1:]) for k in r.asset_selection), r.partition_key,
                 r.tags.get("dagster/asset_partition_range_start") and (
                     r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"]))
                for r in requests]

    # every file is new: the landing plan's runs, one per partitioning, each a run of that partitioning's landing job
    # over the range of its deliveries
    first = tick(None)
    assert requested(first.run_requests) == [
        ("snapshot_landing", ["land/parcels", "miit/recognitions", "most/certificates"], None, None),
        ("monthly_landing", ["grid/consumption", "tax/returns"], None, ("2025-10", "2025-12")),
        ("yearly_landing", ["cnipa/patents", "eco/permits", "stats/indicators"], None, ("2023", "2025"))]
    assert tick(first.cursor).run_requests == []  # nothing new
    redeliver(root, "grid", "202512", seed=1)
    (root / "tax" / "_draft.csv").write_text("x")  # not a delivery
    again = tick(first.cursor).run_requests
    assert requested(again) == [("monthly_landing", ["grid/consumption"], "2025-12", None)]
    assert again[0].tags["dagster/partition"] == "2025-12"  # resolved against the monthly job's partitions
    assert again[0].run_key != first.run_requests[1].run_key  # a changed file is a new request, not a repeated one


def test_landing_plan_of_a_root_and_of_one_delivery(small_root):
    from assets.landing.plan import deliveries, landing_plan

    runs = landing_plan(deliveries(small_root, api_periods=["2025-12", "2025-10"]))
    assert [(r.partitioning, sorted(ds.asset_name for ds in r.datasets), r.partition_key, r.tags) for r in runs] == [
        ("snapshot", ["land_parcels", "miit_recognitions", "most_certificates", "samr_abnormal_operations",
                      "samr_changes", "samr_entities"], None, {}),
        ("monthly", ["grid_consumption", "hrss_employers", "tax_returns"], None,
         {"dagster/asset_partition_range_start": "2025-10", "dagster/asset_partition_range_end": "2025-12"}),
        ("yearly", ["cnipa_patents", "eco_permits", "stats_indicators"], None,
         {"dagster/asset_partition_range_start": "2023", "dagster/asset_partition_range_end": "2025"})]
    (one,) = landing_plan({"tax_returns": {"2025-11"}})
    assert [ds.asset_name for ds in one.datasets] == ["tax_returns"] and one.partition_key == "2025-11"
    assert one.tags == {} and landing_plan({"tax_returns": set()}) == []


def test_ui_metadata(tmp_path, small_root):
    result = land(["tax_returns"], tmp_path, small_root, partition="2025-12")
    md = metadata(result, "tax_returns")
    assert md["source"] == "tax/税收_202512.csv" and len(md["delivery_sha256"]) == 64
    assert md["rows_loaded"] == md["dagster/row_count"] > 0
    assert "纳税人识别号" not in md["preview"] and "taxpayer_id" in md["preview"]
    names = [c.name for c in md["dagster/column_schema"].columns]
    assert names[:3] == ["taxpayer_id", "taxpayer_name", "tax_period"] and "_delivery_sha256" in names
    entities = land(["samr_entities"], tmp_path, small_root)
    preview = metadata(entities, "samr_entities")["preview"]
    assert "legal_representative_id_number" not in preview and "contact_phone" not in preview  # PII kept out


def test_definitions_describe_every_landing_asset():
    for a in LANDING_ASSETS:
        spec = next(iter(a.specs))
        assert spec.group_name == "landing" and spec.owners and "parquet" in spec.kinds
        assert "Grain" in spec.description and spec.metadata["dagster/column_schema"].columns
        checks = {c.name: c for c in a.check_specs}
        assert sorted(checks) == ["files_recognised", "rows_conserved"]
        assert checks["rows_conserved"].blocking and not checks["files_recognised"].blocking  # a warning only


def test_docs_are_generated_from_the_declaration():
    from assets.landing import docs

    assert docs.TARGET.read_text(encoding="utf-8") == docs.render(), "run: python -m assets.landing.docs"


def test_monthly_schedule_pulls_the_previous_month():
    from pipelines.definitions import defs

    schedule = defs.resolve_schedule_def("monthly_landing_schedule")
    ctx = dg.build_schedule_context(repository_def=defs.get_repository_def(),
                                    scheduled_execution_time=__import__("datetime").datetime(2025, 12, 5, 6, 0))
    request = schedule.evaluate_tick(ctx).run_requests[0]
    assert request.partition_key == "2025-11"


def test_previous_month_across_the_year_end():
    import datetime

    from pipelines.schedules import previous_month

    assert previous_month(datetime.date(2026, 1, 5)) == "2025-12"
    assert previous_month(datetime.date(2026, 3, 5)) == "2026-02"

