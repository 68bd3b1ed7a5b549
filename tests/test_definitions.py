"""The code location loads and validates the way the UI and `dagster dev` load it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

ROOT = Path(__file__).resolve().parents[1]


def test_definitions_load():
    from pipelines.definitions import defs

    assert isinstance(defs, dg.Definitions)
    dg.Definitions.validate_loadable(defs)


def test_workspace_validates_with_nothing_exported():
    """As `dagster dev -w workspace.yaml` loads it with no LAKEHOUSE_* or DAGSTER_HOME set (resources/settings.py
    derives every default)."""
    from tests.crash.demo_run import CONFIG

    env = {k: v for k, v in os.environ.items() if k not in CONFIG}
    out = subprocess.run([str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-w",
                          "workspace.yaml"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "pipelines" in out.stdout + out.stderr


def test_instance_config_turns_telemetry_and_nux_off():
    import yaml

    config = yaml.safe_load((ROOT / "dagster_home" / "dagster.yaml").read_text())
    assert config["telemetry"]["enabled"] is False and config["nux"]["enabled"] is False


def test_dead_runs_are_reaped_for_ui_and_scheduled_runs_too():
    from pipelines.definitions import defs

    sensor = defs.get_sensor_def("dead_run_reaper")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING  # runs whenever the daemon does
