"""Running the whole pipeline for tests, as `make run` does: land every delivery, then dbt build."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from assets.landing.plan import deliveries, landing_plan
from resources.systems import HrssApi
from simulator.hrss_server import make_server
from tests.landing.helpers import land


@contextmanager
def hrss_for(root: Path):
    server, _ = make_server(root, "tok")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield HrssApi(base_url=f"http://127.0.0.1:{server.server_address[1]}", token="tok")
    finally:
        server.shutdown()
        server.server_close()


def land_with(root: Path, home: Path, hrss: HrssApi) -> list[dg.ExecuteInProcessResult]:
    """The landing plan's runs (assets/landing/plan.py), as `make run` runs them: the snapshots, then every month and
    every year present (files and API periods) as one range each."""
    return [land([ds.asset_name for ds in run.datasets], home, root, partition=run.partition_key, hrss=hrss,
                 tags=run.tags) for run in landing_plan(deliveries(root, hrss.periods()))]


def land_everything(root: Path, home: Path) -> list[dg.ExecuteInProcessResult]:
    """Every delivery of a simulator root, S5 from the simulator's HTTP server."""
    with hrss_for(root) as hrss:
        return land_with(root, home, hrss)


def build_warehouse(root: Path, home: Path) -> dg.ExecuteInProcessResult:
    """dbt build on `home`'s lake, through the Dagster dbt assets."""
    from assets.transform.assets import warehouse_models
    from assets.transform.quality import links_match_ground_truth
    from pipelines.definitions import defs
    from resources.settings import LakehouseSettings

    resources = {**defs.resources, "settings": LakehouseSettings(home=str(home), sources_root=str(root))}
    return dg.materialize([warehouse_models, links_match_ground_truth], resources=resources, raise_on_error=False)


def build_and_publish(root: Path, home: Path, instance: dg.DagsterInstance | None = None,
                      assets: list | None = None, run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    """The `build_and_publish` job's assets (dbt build, staged extracts and their gate, publication) in one run."""
    from assets.publish.assets import PUBLISH_ASSETS
    from assets.transform.assets import warehouse_models
    from pipelines.definitions import defs
    from resources.settings import LakehouseSettings

    resources = {**defs.resources, "settings": LakehouseSettings(home=str(home), sources_root=str(root))}
    return dg.materialize(assets or [warehouse_models, *PUBLISH_ASSETS], resources=resources, instance=instance,
                          raise_on_error=False, run_config=run_config)


def warehouse_frame(home: Path, sql: str):
    """A query of `home`'s build warehouse as a DataFrame, on a read-only connection of its own."""
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def dbt_build(home: Path, select: list[str], env: dict[str, str | None]):
    """`dbt build --select ...` (models and their tests) on `home`, in a process of its own (dbt keeps its DuckDB
    connection open in-process), with `env` on top of this one's (a None value unsets the variable). The rule tables
    are written into `home`'s lake first, as `warehouse_models` writes them (`python -m resources.rule_tables`, in the
    same environment): when the policy or alert-rule files are malformed, that step's result is returned and dbt never
    runs (its exit code, its output then its problems in `stdout`, its problems alone in `stderr`)."""
    import os
    import subprocess
    import sys

    from resources.settings import LakehouseSettings

    repo = Path(__file__).resolve().parents[1]
    project = repo / "dbt_project"
    environment = {**os.environ, **LakehouseSettings(home=str(home)).dbt_environment()}
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    rules = subprocess.run([sys.executable, "-m", "resources.rule_tables"], cwd=repo, env=environment,
                           capture_output=True, text=True, timeout=300)
    if rules.returncode != 0:
        return subprocess.CompletedProcess(rules.args, rules.returncode, stdout=rules.stdout + rules.stderr,
                                           stderr=rules.stderr)
    return subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--select", *select, "--project-dir", str(project),
         "--profiles-dir", str(project), "--target-path", str(home / "dbt-target"),
         "--log-path", str(home / "dbt-logs")],
        env=environment, capture_output=True, text=True, timeout=600)
