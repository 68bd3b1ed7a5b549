"""Landing a sources root that our simulator did not write: a few hand-made rows per source."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from assets.landing.deliveries import discover
from contracts.sources import DATASETS

from . import handmade
from .helpers import BY_NAME, bronze, check_passed, land, metadata, quarantine

SNAPSHOTS = ["samr_entities", "samr_changes", "samr_abnormal_operations", "miit_recognitions", "most_certificates",
             "land_parcels"]


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return handmade.build(tmp_path_factory.mktemp("handmade"))


@pytest.fixture(scope="module")
def home(tmp_path_factory, root) -> Path:
    home = tmp_path_factory.mktemp("home")
    assert land(SNAPSHOTS, home, root).success
    assert land(["tax_returns", "grid_consumption"], home, root, partition="2024-06").success
    assert land(["stats_indicators", "eco_permits", "cnipa_patents"], home, root, partition="2024").success
    return home


def test_registry_with_free_text_dates(home):
    rows = {r["pripid"]: r for r in bronze(home, "samr_entities")}
    assert rows["HM-0001"]["enterprise_name"] == '义乌市"新星"饰品有限公司'
    assert rows["HM-0002"]["enterprise_name"] == "义乌市SELECT=1贸易商行"
    assert rows["HM-0002"]["founded_on"] == dt.date(2009, 3, 1)  # written 2009/03/01
    assert rows["HM-0003"]["founded_on"] == dt.date(2021, 1, 1)  # written 20210101
    assert rows["HM-0002"]["deregistered_on"] == dt.date(2024, 6, 30)  # written 2024-06-30 00:00:00.000000
    assert rows["HM-0002"]["registered_capital"] == Decimal("10.5000")  # 万元, as delivered
    assert rows["HM-0002"]["uscc"] is None and rows["HM-0002"]["registration_number"] == "330782000123456"
    assert rows["HM-0001"]["updated_at"] == dt.datetime(2024, 1, 2, 10, 0)
    assert [r["changed_item"] for r in bronze(home, "samr_changes")] == ["名称"]
    assert bronze(home, "samr_abnormal_operations")[0]["removed_on"] is None


def test_tax_keeps_refunds_duplicates_and_odd_names(home):
    rows = bronze(home, "tax_returns", "2024-06")
    assert len(rows) == 3  # the duplicate row is kept: deduplication is staging's job
    first = rows[0]
    assert first["taxpayer_id"] == "9133 0782 MA2J XXXX 1Q"  # as written; normalizing is staging's job
    assert first["taxpayer_name"] == '义乌市"新星"饰品有限公司'
    assert first["vat"] == Decimal("1200.50") and first["corporate_income_tax"] == Decimal("-300.00")
    assert first["tax_period"] == dt.date(2024, 6, 1)
    assert first["_source_file"] == "tax/税收_202406.csv" and first["_source_row"] == 2
    assert len(first["_delivery_sha256"]) == 64


def test_other_sources(home):
    stats = bronze(home, "stats_indicators", "2024")
    assert len(stats) == 1 and stats[0]["unit_code"] == "MA2JXXXX-1"
    assert stats[0]["operating_revenue"] == Decimal("29000.50") and stats[0]["employees_year_end"] == 120
    assert bronze(home, "miit_recognitions")[0]["valid_until"] == dt.date(2026, 12, 31)
    assert bronze(home, "most_certificates")[0]["issued_on"] == dt.date(2023, 12, 1)
    grid = bronze(home, "grid_consumption", "2024-06")
    assert [g["account_number"] for g in grid] == ["0571000001", "0571000002"]  # leading zeros kept
    assert bronze(home, "eco_permits", "2024")[0]["ammonia_nitrogen"] is None
    patents = bronze(home, "cnipa_patents", "2024")
    assert patents[0]["applicants"] == ['义乌市"新星"饰品有限公司', "张三"]
    land_rows = bronze(home, "land_parcels")
    assert land_rows[0]["area"] == pytest.approx(6666.7) and land_rows[0]["starts_on"] == dt.date(2019, 6, 1)


def test_nothing_quarantined_and_conserved(home):
    for name, part in [("tax_returns", "2024-06"), ("land_parcels", "snapshot"), ("cnipa_patents", "2024")]:
        assert quarantine(home, name, part) == []


def test_files_that_are_not_deliveries_are_ignored(root):
    assert set(discover(root, BY_NAME["tax_returns"])) == {"2024-06"}


def test_missing_departments_and_months_are_not_errors(tmp_path, root):
    result = land(["tax_returns"], tmp_path, root, partition="2024-07")  # no file for July
    assert result.success and check_passed(result)
    assert metadata(result, "tax_returns")["rows_in"] == 0
    empty = tmp_path / "empty_root"
    empty.mkdir()
    result = land(["land_parcels", "miit_recognitions"], tmp_path / "h2", empty)
    assert result.success


def test_a_root_without_the_registry_lands_the_rest(tmp_path, root):
    import shutil

    partial = tmp_path / "partial"
    shutil.copytree(root, partial, ignore=shutil.ignore_patterns("samr"))
    result = land([ds.asset_name for ds in DATASETS if ds.partitioning == "snapshot"], tmp_path / "home", partial)
    assert result.success
    assert not (partial / "samr").exists()  # no empty registry file created in the department's root
    assert not (tmp_path / "home" / "lake" / "bronze" / "samr" / "entities" / "snapshot.parquet").exists()
    assert (tmp_path / "home" / "lake" / "bronze" / "land" / "parcels" / "snapshot.parquet").exists()
    assert "the 企业码 resolution needs the registry" in metadata(result, "samr_entities")["registry"]


def test_the_registry_file_is_only_read(tmp_path, root):
    db = root / "samr" / "samr.db"
    before = (db.read_bytes(), sorted(p.name for p in db.parent.iterdir()))
    assert land(["samr_entities", "samr_changes"], tmp_path, root).success
    assert (db.read_bytes(), sorted(p.name for p in db.parent.iterdir())) == before
