"""The dbt unit tests (the models' SQL on fixed inputs, `unit_tests:` in the models' yml) run here, once per
`make test`, not in every pipeline run (assets/transform/assets.py PIPELINE_BUILD_EXCLUDES)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from resources.settings import LakehouseSettings

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def test_every_unit_test_passes_and_the_pipeline_build_leaves_them_out(default_warehouse, tmp_path):
    _, home, result = default_warehouse
    assert result.success
    # the pipeline's build ran the data tests, not the unit tests
    kept = json.loads((home / "dbt" / "run_results.json").read_text(encoding="utf-8"))["results"]
    assert any(r["unique_id"].startswith("test.") for r in kept)
    assert not [r["unique_id"] for r in kept if r["unique_id"].startswith("unit_test.")]

    settings = LakehouseSettings(home=str(home))
    target = tmp_path / "target"  # not the project's target/, which other runs read their partial parse from
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "test", "--select", "test_type:unit", "--project-dir",
         str(PROJECT), "--profiles-dir", str(PROJECT), "--target-path", str(target), "--log-path", str(tmp_path)],
        env={**os.environ, **settings.dbt_environment(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
             "DO_NOT_TRACK": "1"},
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-5000:]
    declared = list(json.loads((target / "manifest.json").read_text(encoding="utf-8"))["unit_tests"])
    ran = {r["unique_id"]: r["status"] for r in json.loads((target / "run_results.json").read_text())["results"]}
    assert len(declared) >= 20 and sorted(ran) == sorted(declared)
    assert set(ran.values()) == {"pass"}, {k: v for k, v in ran.items() if v != "pass"}

