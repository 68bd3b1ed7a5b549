"""The completeness gate: a delivery in the sources root that did not land stops publication, loudly, unless an
operator accepts that gap by name (and the manifest then records it)."""
from __future__ import annotations

import json
import shutil

import pytest

from assets.landing.completeness import missing_deliveries
from assets.publish import store
from assets.publish.assets import COMPLETE_CHECK, PUBLISH_ASSETS
from resources.lake import Lake
from tests.landing.helpers import failure, land
from tests.pipeline import build_and_publish, build_warehouse, land_everything

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published_root(small_root, tmp_path_factory):
    root = tmp_path_factory.mktemp("complete") / "sources"
    shutil.copytree(small_root, root)  # the session's root is shared: this test changes its copy's deliveries
    home = tmp_path_factory.mktemp("complete_home")
    land_everything(root, home)
    assert build_warehouse(root, home).success
    result = build_and_publish(root, home, assets=list(PUBLISH_ASSETS))
    assert result.success
    return root, home


def gate(result) -> list:
    return [c for c in result.get_asset_check_evaluations() if c.check_name == COMPLETE_CHECK]


def test_a_delivery_that_failed_to_land_blocks_publication(published_root):
    root, home = published_root
    published = home / "published"
    before = {p: store.current_version(published, p) for p in ("dim_enterprise", "xref_source_record")}
    assert missing_deliveries(root, Lake.at(home / "lake"), True) == []

    # a new month arrives in UTF-8 instead of GBK: its landing fails with a clear message
    months = sorted((root / "tax").glob("税收_*.csv"))
    bad = root / "tax" / "税收_202412.csv"
    bad.write_bytes(months[0].read_bytes().decode("gbk").encode("utf-8"))
    assert "expected GBK" in failure(land(["tax_returns"], home, root, partition="2024-12"))

    result = build_and_publish(root, home, assets=list(PUBLISH_ASSETS))
    assert not result.success
    checks = gate(result)
    assert checks and not any(c.passed for c in checks)
    assert "tax_returns:2024-12 (tax/税收_202412.csv): present in the sources root but never landed" in \
        checks[0].description
    assert {p: store.current_version(published, p) for p in before} == before  # nothing moved

    # an operator accepts the named gap: the version is published, and its manifest says what it lacks
    accepted = build_and_publish(root, home, assets=list(PUBLISH_ASSETS), run_config={
        "ops": {"staged_extracts": {"config": {"accept_gaps": ["tax_returns:2024-12"]}}}})
    assert accepted.success and all(c.passed for c in gate(accepted))
    manifest = json.loads((published / "dim_enterprise" / "current" / store.MANIFEST).read_text(encoding="utf-8"))
    assert [g["delivery"] for g in manifest["accepted_gaps"]] == ["tax/税收_202412.csv"]
    assert store.current_version(published, "dim_enterprise") != before["dim_enterprise"]
    bad.unlink()


def test_a_redelivery_that_did_not_land_is_a_gap(published_root):
    root, home = published_root
    month = sorted((root / "tax").glob("税收_*.csv"))[-1]
    original = month.read_bytes()
    month.write_bytes(original.replace(b"\n", b"\r\n"))  # corrected file, same name, not landed yet
    try:
        [gap] = missing_deliveries(root, Lake.at(home / "lake"), True)
        assert gap["delivery"] == f"tax/{month.name}" and gap["problem"].startswith("changed since it landed")
    finally:
        month.write_bytes(original)
    # same content again: a copy's new mtime is fine
    assert missing_deliveries(root, Lake.at(home / "lake"), True) == []
