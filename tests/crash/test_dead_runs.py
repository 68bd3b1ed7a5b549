"""A run killed with SIGKILL while holding the `warehouse` pool slot is found dead and its slot freed; a run waiting
for the slot sleeps (measured CPU) and stops on SIGTERM and Ctrl-C, its run marked failed and its claim released.

Real processes on a real Dagster instance (SQLite, the project's dagster.yaml): a tiny job whose one asset is in the
pool, run in-process by `dagster.materialize` exactly as `make run` runs its jobs.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest

from pipelines.run_recovery import process_alive, reap_dead_runs
from resources.settings import prepare_dagster_home

REPO = Path(__file__).resolve().parents[2]
POOL = "warehouse"

# a run with one step in the pool: it holds the slot for HOLD seconds (or waits for it first)
RUNNER = textwrap.dedent("""
    import os, sys, time
    import dagster as dg
    from pipelines.run_recovery import patch_pool_wait

    if os.environ.get("PATCH", "1") == "1":
        patch_pool_wait()
    hold = float(sys.argv[1])

    @dg.asset(pool="warehouse")
    def holder():
        time.sleep(hold)

    result = dg.materialize([holder], instance=dg.DagsterInstance.get(), raise_on_error=False)
    sys.exit(0 if result.success else 3)
""")

# the same step in a job run by `dagster job execute`: the multiprocess executor, as runs launched from the UI or a
# schedule use it; the code location applies the fix when it is loaded, as pipelines/definitions.py does
JOB_LOCATION = textwrap.dedent("""
    import time
    import dagster as dg
    from pipelines.run_recovery import patch_pool_wait

    patch_pool_wait()

    @dg.asset(pool="warehouse")
    def quick():
        time.sleep(0)

    quick_job = dg.define_asset_job("quick_job", selection=[quick])
    defs = dg.Definitions(assets=[quick], jobs=[quick_job])
""")


@pytest.fixture()
def instance_home(tmp_path):
    home = prepare_dagster_home(tmp_path / "dagster")
    script = tmp_path / "runner.py"
    script.write_text(RUNNER, encoding="utf-8")
    (tmp_path / "location.py").write_text(JOB_LOCATION, encoding="utf-8")
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO)}
    return home, script, env


def start(script: Path, env: dict, hold: float, **extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(script), str(hold)], env={**env, **extra}, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def wait_for(predicate, timeout: float = 60, what: str = "") -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def pool_info(instance: dg.DagsterInstance):
    return instance.event_log_storage.get_concurrency_info(POOL)


def run_of(instance: dg.DagsterInstance, proc: subprocess.Popen) -> dg.DagsterRun | None:
    """The run whose RUN_START this process wrote."""
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_START):
            if entry.dagster_event and entry.dagster_event.pid == proc.pid:
                return run
    return None


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def waiting_claim(instance, proc) -> bool:
    run = run_of(instance, proc)
    return bool(run and any(s.run_id == run.run_id for s in pool_info(instance).pending_steps))


def holding_slot(instance, proc) -> bool:
    run = run_of(instance, proc)
    return bool(run and any(s.run_id == run.run_id for s in pool_info(instance).claimed_slots))


def test_a_killed_run_is_reaped_and_a_waiting_run_sleeps_then_stops_on_sigterm(instance_home):
    home, script, env = instance_home
    instance = dg.DagsterInstance.from_config(str(home))
    holder = start(script, env, 600)
    waiter = None
    try:
        wait_for(lambda: holding_slot(instance, holder), what="the first run to hold the pool slot")
        waiter = start(script, env, 0)
        wait_for(lambda: waiting_claim(instance, waiter), what="the second run to wait for the slot")

        # waiting costs (almost) nothing: under 5% of a core over 6 s (unpatched Dagster 1.13 spins at ~100%)
        before, t0 = cpu_seconds(waiter.pid), time.time()
        time.sleep(6)
        share = (cpu_seconds(waiter.pid) - before) / (time.time() - t0)
        assert share < 0.05, f"a run waiting for the pool used {share:.0%} of a core"

        # SIGTERM stops the waiting run promptly; its run is failed and its claim is gone
        waiter.send_signal(signal.SIGTERM)
        waiter.wait(timeout=20)
        waited_run = instance.get_run_by_id(run_of(instance, waiter).run_id)
        assert waited_run.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
        info = pool_info(instance)
        assert waited_run.run_id not in {s.run_id for s in info.pending_steps} | {s.run_id for s in info.claimed_slots}

        # the holder is alive: the check leaves it alone
        assert reap_dead_runs(instance) == []
        held_run = run_of(instance, holder)

        # SIGKILL the holder: it stays STARTED with the slot, until the dead-run check reaps it
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        assert instance.get_run_by_id(held_run.run_id).status == dg.DagsterRunStatus.STARTED
        assert {s.run_id for s in pool_info(instance).claimed_slots} == {held_run.run_id}
        reaped = reap_dead_runs(instance)
        assert [(r.run_id, r.marked, r.pools) for r in reaped] == [(held_run.run_id, "failed", (POOL,))]
        assert instance.get_run_by_id(held_run.run_id).status == dg.DagsterRunStatus.FAILURE
        assert pool_info(instance).claimed_slots == []
        assert reap_dead_runs(instance) == []  # once

        # the next run gets the slot at once and succeeds
        nxt = start(script, env, 0)
        assert nxt.wait(timeout=120) == 0
    finally:
        for p in (holder, waiter):
            if p and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def test_ctrl_c_stops_a_waiting_run(instance_home):
    home, script, env = instance_home
    instance = dg.DagsterInstance.from_config(str(home))
    holder = start(script, env, 600)
    waiter = None
    try:
        wait_for(lambda: holding_slot(instance, holder), what="the first run to hold the pool slot")
        waiter = start(script, env, 0)
        wait_for(lambda: waiting_claim(instance, waiter), what="the second run to wait for the slot")
        waiter.send_signal(signal.SIGINT)
        waiter.wait(timeout=20)
        run = instance.get_run_by_id(run_of(instance, waiter).run_id)
        assert run.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
        assert run.run_id not in {s.run_id for s in pool_info(instance).pending_steps}
    finally:
        for p in (holder, waiter):
            if p and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def test_a_multiprocess_run_waits_asleep_and_stops_on_sigterm(instance_home):
    home, script, env = instance_home
    instance = dg.DagsterInstance.from_config(str(home))
    holder = start(script, env, 600)
    waiter = None
    try:
        wait_for(lambda: holding_slot(instance, holder), what="the first run to hold the pool slot")
        waiter = subprocess.Popen([str(Path(sys.executable).with_name("dagster")), "job", "execute", "-f",
                                   str(script.with_name("location.py")), "-j", "quick_job"], env=env, cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: waiting_claim(instance, waiter), what="the job run to wait for the slot")
        before, t0 = cpu_seconds(waiter.pid), time.time()
        time.sleep(6)
        share = (cpu_seconds(waiter.pid) - before) / (time.time() - t0)
        assert share < 0.05, f"a multiprocess run waiting for the pool used {share:.0%} of a core"
        waiter.send_signal(signal.SIGTERM)
        waiter.wait(timeout=30)
        run = instance.get_run_by_id(run_of(instance, waiter).run_id)
        assert run.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
        info = pool_info(instance)
        assert run.run_id not in {s.run_id for s in info.pending_steps} | {s.run_id for s in info.claimed_slots}
    finally:
        for p in (holder, waiter):
            if p and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def test_a_reused_process_id_is_not_the_run_worker():
    # this process is alive, but it did not write an event a year ago: that writer is gone
    assert process_alive(os.getpid(), time.time())
    assert not process_alive(os.getpid(), time.time() - 365 * 86400)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not process_alive(child.pid, time.time())


@pytest.mark.slow
def test_make_run_waiting_for_the_pool_stops_on_sigterm_with_status_130(tmp_path, small_root):
    """`make run` behind another run's pool slot: it lands (landing is not in the pool), waits asleep at the build,
    and SIGTERM ends it with 130, its run marked failed and its claim released; nothing was published."""
    from tests.crash.demo_run import env_for, prepare_home, start_demo, summary

    root, home = tmp_path / "root", tmp_path / "home"
    shutil.copytree(small_root, root)  # the session's small root, copied: this test's `make run` gets its own
    dagster_home = prepare_home(home)
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    script = tmp_path / "runner.py"
    script.write_text(RUNNER, encoding="utf-8")
    # the runner script asks DagsterInstance.get(): the instance `make run` finds on its own (demo.py)
    holder = start(script, env_for(home, root, DAGSTER_HOME=str(dagster_home)), 900)
    demo = None
    try:
        wait_for(lambda: holding_slot(instance, holder), what="the other run to hold the pool slot")
        demo = start_demo(home, root, tmp_path / "run.log")
        wait_for(lambda: waiting_claim(instance, demo), timeout=600, what="make run to wait for the pool")
        before, t0 = cpu_seconds(demo.pid), time.time()
        time.sleep(6)
        share = (cpu_seconds(demo.pid) - before) / (time.time() - t0)
        assert share < 0.05, f"make run waiting for the pool used {share:.0%} of a core"
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 130
        out = (tmp_path / "run.log").read_text(errors="replace")
        assert "INTERRUPTED" in out, summary(out)
        run = instance.get_run_by_id(run_of(instance, demo).run_id)
        assert run.status == dg.DagsterRunStatus.FAILURE
        info = pool_info(instance)
        assert run.run_id not in {s.run_id for s in info.pending_steps} | {s.run_id for s in info.claimed_slots}
        assert not (home / "published").exists() or not any((home / "published").glob("*/current"))
    finally:
        for p in (holder, demo):
            if p and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
