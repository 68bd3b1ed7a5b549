"""kill -9 `make run` during landing, then the next run during dbt, the next during the gate and the next during
publication: what was published stays exactly as it was, no visible file is partial, each run reaps the one killed
before it, and the run after the last kill frees the pool slot, succeeds and publishes.

One scratch home on a small simulator root (1,500 enterprises, 3 months), published by the session's first
`make run` there (tests.conftest.small_run). The phases are read from the run's event
log (Dagster's instance) and from the files; then the whole process group (demo.py, its HRSS server, dbt) gets
SIGKILL, as an OOM kill or a power cut would.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import time
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from assets.publish import store
from contracts.published import PUBLISHED
from resources.settings import instance_dir
from tests.crash.demo_run import REPO, run_demo, start_demo, summary

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

NOT_LANDING = {"warehouse_models", "staged_extracts", "published_extracts"}
POLL = 0.01  # the publication step moves in milliseconds


@pytest.fixture(scope="module")
def lakehouse(small_run):
    """A home with one successful `make run` published (the session's small run): (root, home)."""
    root, home, _, code, out = small_run
    assert code == 0, summary(out)
    return root, home


def published_state(published: Path) -> dict[str, str]:
    """What consumers see: each `current` target, the bytes of its manifest, and analytics.duckdb's bytes."""
    state = {}
    for p in PUBLISHED:
        # the folder `current` resolves to, through however many links: what a reader of current/*.parquet gets
        link = published / p.name / store.CURRENT
        state[f"{p.name}/current"] = os.path.relpath(os.path.realpath(link), published) if link.exists() else "missing"
        manifest = link / store.MANIFEST
        state[f"{p.name}/manifest"] = hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.exists() else "-"
    analytics = published / store.ANALYTICS
    state[store.ANALYTICS] = hashlib.sha256(analytics.read_bytes()).hexdigest() if analytics.exists() else "-"
    return state


def visible(path: Path, top: Path) -> bool:
    return not any(part.startswith((".", "_")) for part in path.relative_to(top).parts)


def assert_nothing_partial(home: Path) -> None:
    """Every Parquet file a reader can see reads whole; every visible version folder matches its manifest; the
    analysts' database opens and answers."""
    published = home / "published"
    for top in (home / "lake", published):
        for path in top.rglob("*.parquet"):
            if visible(path, top):
                pq.read_table(path)  # raises on a truncated or half-written file
    for p in PUBLISHED:
        for folder in (published / p.name).glob("v=*"):
            store.verify(folder)
    with duckdb.connect(str(published / store.ANALYTICS), read_only=True) as con:
        for p in PUBLISHED:
            con.execute(f"select count(*) from {p.name}").fetchone()


def run_ids_since(instance: dg.DagsterInstance, started: float) -> list[str]:
    since = dt.datetime.fromtimestamp(started - 1, dt.timezone.utc)
    runs = instance.get_run_records(filters=dg.RunsFilter(created_after=since))
    return [r.dagster_run.run_id for r in sorted(runs, key=lambda r: r.create_timestamp)]


def events(instance, run_ids, kind) -> list:
    return [e for run_id in run_ids for e in instance.all_logs(run_id, of_type=kind)]


def process_group_has(pgid: int, needle: str) -> bool:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.getpgid(int(proc.name)) != pgid:
                    continue
                if needle in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                    return True
            except (OSError, ProcessLookupError):
                continue
    return False


def models_built(run_id: str) -> int:
    """How many models the run's dbt build has created so far, from dbt's own structured log."""
    built = 0
    for log in (REPO / "dbt_project" / "target").glob(f"warehouse_models-{run_id[:7]}-*/dbt.log*"):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"LogModelResult"' in line and '"status": "OK"' in line:
                built += 1
    return built


def phase_reached(phase: str, instance, started: float, home: Path, baseline_versions: dict) -> bool:
    runs = run_ids_since(instance, started)
    if phase == "landing":
        # the second landing run (the monthly range) has started a step: the snapshots are landed, months are not
        return len(runs) >= 2 and any(e.dagster_event.step_key not in NOT_LANDING
                                      for e in events(instance, runs[1:2], dg.DagsterEventType.STEP_START))
    if phase == "dbt":
        # inside the dbt build: dbt has written at least one model into the warehouse (dagster-dbt keeps each
        # invocation's dbt.log under the project's target/<step>-<run id>-<hash>/) and is still running (below)
        return any(models_built(run_id) for run_id in runs)
    if phase == "gate":
        # the extracts are staged and the first Great Expectations suite has been evaluated: the audit is under way
        return any(e.dagster_event.asset_check_evaluation_data.check_name == "great_expectations"
                   for e in events(instance, runs, dg.DagsterEventType.ASSET_CHECK_EVALUATION))
    if phase == "publication":
        # a staged version has just been renamed into a visible v=<version> folder: promotion is under way
        published = home / "published"
        return any(v not in baseline_versions[p.name] for p in PUBLISHED for v in store.versions(published, p.name))
    raise ValueError(phase)


def kill_at(phase: str, home: Path, root: Path, log: Path) -> str:
    """Start `make run`, SIGKILL its whole process group once it reaches `phase`: the id of the run it left STARTED.
    Before that, the run itself reaped the run killed before it (its dead-run check comes first)."""
    published = home / "published"
    baseline_versions = {p.name: set(store.versions(published, p.name)) for p in PUBLISHED}
    instance = dg.DagsterInstance.from_config(str(instance_dir(home)))
    started = time.time()
    proc = start_demo(home, root, log)
    try:
        deadline = started + 900
        # landing/dbt/gate are checked in the instance (a few queries), publication on the files, as fast as it goes
        interval = POLL if phase == "publication" else 0.2
        while not phase_reached(phase, instance, started, home, baseline_versions):
            assert proc.poll() is None, f"make run ended before the {phase} phase was seen:\n" + summary(
                log.read_text(errors="replace"))
            assert time.time() < deadline, f"the {phase} phase was not reached in 900 s"
            time.sleep(interval)
        if phase == "dbt":
            assert process_group_has(proc.pid, "dbt build"), "dbt was not running when killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # the killed run is still STARTED in the instance: nothing ended it (the one killed before it was reaped)
    killed = [r for r in instance.get_runs() if r.status == dg.DagsterRunStatus.STARTED]
    assert len(killed) == 1, (phase, [r.status for r in instance.get_runs()])
    return killed[0].run_id


def test_kill_9_in_every_phase_changes_nothing_published_and_the_next_run_publishes(lakehouse, tmp_path):
    """Crashes one after another, as a machine that keeps losing power: each run is killed in the next phase, each
    reaps the one killed before it, and none changes what consumers see; the run after the last one publishes."""
    root, home = lakehouse
    published = home / "published"
    before = published_state(published)
    instance = dg.DagsterInstance.from_config(str(instance_dir(home)))
    previous = None
    for phase in ("landing", "dbt", "gate", "publication"):
        log = tmp_path / f"killed-in-{phase}.log"
        run_id = kill_at(phase, home, root, log)
        if previous is not None:
            out = log.read_text(encoding="utf-8", errors="replace")
            assert f"dead-run check: run {previous[:8]}" in out and "marked failed" in out, (phase, summary(out))
            assert instance.get_run_by_id(previous).status == dg.DagsterRunStatus.FAILURE, phase
        assert published_state(published) == before, f"killed during {phase}: what consumers see changed"
        assert_nothing_partial(home)
        previous = run_id

    code, out = run_demo(home, root, tmp_path / "next.log")
    assert code == 0, summary(out)
    assert f"dead-run check: run {previous[:8]}" in out and "marked failed" in out, summary(out)
    assert instance.get_run_by_id(previous).status == dg.DagsterRunStatus.FAILURE
    after = published_state(published)
    assert "published now: version" in out, summary(out)
    assert all(after[f"{p.name}/current"] != before[f"{p.name}/current"] for p in PUBLISHED)
    assert_nothing_partial(home)
    pools = instance.event_log_storage.get_concurrency_info("warehouse")
    assert pools.claimed_slots == [] and pools.pending_steps == []
