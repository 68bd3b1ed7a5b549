"""A crash never wedges the next run: dead runs are reaped, and a run waiting for a pool slot sleeps and can be stopped.

Why an explicit check and not Dagster's run monitoring (read in Dagster 1.13's code):
- The monitoring daemon fails a STARTED run only through `run_launcher.check_run_worker_health`, and the
  `DefaultRunLauncher` (what `dagster dev` uses) does not support it (`supports_check_run_worker_health` is False);
  the runs of `make run` (the code location's jobs, each run by `execute_in_process` in make run's own process) have
  no launcher at all. Its other levers are timeouts (`start_timeout_seconds` for STARTING, `cancel_timeout_seconds`
  for CANCELING, `max_runtime_seconds` for everything) that cannot tell a dead run from a long one.
- Pool slots are freed only when a step ends in the process that claimed them, by the monitoring daemon's
  `free_slots_after_run_end_seconds` for runs that are already finished, or by hand in the UI. A SIGKILLed run is
  never finished, so its slot is held for ever and every later run waits behind it.
So `reap_dead_runs` looks at each STARTED or CANCELING run, takes the process ids its own events recorded (the run
worker's RUN_START, each step's STEP_START), and when none of them is still alive marks the run failed (or canceled)
and frees its slots and pending claims. `make run` calls it at start-up; for runs launched from the UI and by
schedules the `dead_run_reaper` sensor calls it every minute (sensors need the daemon, which `dagster dev` runs).
The instance lives on this machine ($LAKEHOUSE_HOME/dagster, SQLite), so a process id is this machine's. A process
that started after the event that recorded its id is another process (the id was reused, or the machine rebooted).

Dagster 1.13 also spins while a step waits for a pool slot: `InstanceConcurrencyContext.interval_to_next_pending_
claim_check` returns `min(0, ...)`, never positive, so the executors never sleep (upstream PR dagster-io/dagster
#20367, closed unmerged), and the in-process executor never looks at the SIGTERM/Ctrl-C that `capture_interrupts`
recorded while no step runs. `patch_pool_wait` fixes both in this process: call it before any run executes.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

import dagster as dg

ACTIVE = (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING)
# the events whose writer is a process of the run: the run worker, and every step (a child with multiprocess)
WORKER_EVENTS = {dg.DagsterEventType.RUN_START, dg.DagsterEventType.STEP_START}
# longest sleep between two looks at the pool or at an interrupt while a step waits for a slot
WAIT_TICK_SECONDS = 0.5
# /proc start times are in clock ticks since boot: allow their rounding when comparing with an event's time
CLOCK_SLACK_SECONDS = 1.0


def _boot_time() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as f:
            return next(float(line.split()[1]) for line in f if line.startswith("btime "))
    except (OSError, StopIteration):
        return None


def process_start_time(pid: int) -> float | None:
    """When the process `pid` started (epoch seconds), -inf if it is alive but this system cannot say when, None if
    there is no such live process (a zombie is dead: it only waits for its parent to read its exit status)."""
    boot = _boot_time()
    if boot is not None:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except FileNotFoundError:
            return None
        except OSError:
            pass
        else:
            fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces and parentheses
            if fields[0] in ("Z", "X"):
                return None
            return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return float("-inf")


def process_alive(pid: int, seen_at: float) -> bool:
    """Is the process that wrote an event at `seen_at` with this pid still running?"""
    started = process_start_time(pid)
    return started is not None and started <= seen_at + CLOCK_SLACK_SECONDS


def worker_processes(instance: dg.DagsterInstance, run_id: str) -> dict[int, float]:
    """pid -> time of the last event it recorded, for the run worker and the step processes of a run."""
    seen: dict[int, float] = {}
    for entry in instance.all_logs(run_id, of_type=WORKER_EVENTS):
        pid = entry.dagster_event.pid if entry.dagster_event else None
        if pid:
            seen[pid] = max(seen.get(pid, 0.0), entry.timestamp)
    return seen


@dataclass(frozen=True)
class Reaped:
    run_id: str
    job_name: str
    marked: str  # "failed", "canceled", or "" when only slots were freed
    pools: tuple[str, ...]
    pids: tuple[int, ...]

    def summary(self) -> str:
        what = f"marked {self.marked} (its process{'es' if len(self.pids) > 1 else ''} " \
               f"{', '.join(map(str, self.pids))} ended without reporting)" if self.marked else "finished earlier"
        slots = f"; freed its slot in pool {', '.join(self.pools)}" if self.pools else ""
        return f"run {self.run_id[:8]} ({self.job_name}) {what}{slots}"


def _holders(instance: dg.DagsterInstance) -> dict[str, set[str]]:
    """run id -> the pools in which it holds a slot or has a pending claim."""
    storage = instance.event_log_storage
    out: dict[str, set[str]] = {}
    if not storage.supports_global_concurrency_limits:
        return out
    for pool in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(pool)
        for run_id in {s.run_id for s in info.claimed_slots} | {s.run_id for s in info.pending_steps}:
            out.setdefault(run_id, set()).add(pool)
    return out


def reap_dead_runs(instance: dg.DagsterInstance) -> list[Reaped]:
    """Mark failed every in-progress run whose processes are all gone, and free the pool slots and pending claims of
    every run that is no longer in progress."""
    reaped: list[Reaped] = []
    holders = _holders(instance)
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=list(ACTIVE))):
        run = record.dagster_run
        seen = worker_processes(instance, run.run_id)
        if not seen or any(process_alive(pid, at) for pid, at in seen.items()):
            continue  # alive, or no process recorded yet (run monitoring's start timeout covers that)
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.status != run.status:
            continue  # it finished, or someone else reaped it, meanwhile
        message = (f"The run's processes ({', '.join(map(str, sorted(seen)))}) are gone without reporting an end "
                   "(killed, out of memory, or the machine stopped); marked by the dead-run check "
                   "(pipelines/run_recovery.py), which frees its pool slots.")
        if run.status == dg.DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, message)
            marked = "canceled"
        else:
            from dagster._core.events import JobFailureData, RunFailureReason

            instance.report_run_failed(run, message, JobFailureData(
                error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION))
            marked = "failed"
        pools = holders.pop(run.run_id, set())
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(Reaped(run.run_id, run.job_name, marked, tuple(sorted(pools)), tuple(sorted(seen))))
    # slots or claims left by runs that did end (a run marked failed by hand, or by an earlier version of this check)
    for run_id, pools in holders.items():
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            label = run.job_name if run else "?"
            reaped.append(Reaped(run_id, label, "", tuple(sorted(pools)), ()))
    return reaped


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Marks failed the runs whose processes died (SIGKILL, out of memory, a lost machine) and frees "
                       "their `warehouse` pool slot, so that the UI's launches and the schedules never wait behind "
                       "them (pipelines/run_recovery.py; docs/operations.md).")
def dead_run_reaper(context: dg.SensorEvaluationContext):
    reaped = reap_dead_runs(context.instance)
    for r in reaped:
        context.log.warning(r.summary())
    return dg.SkipReason("; ".join(r.summary() for r in reaped) if reaped else "no dead run")


_PATCHED = False


def patch_pool_wait() -> None:
    """Make a step waiting for a pool slot sleep between looks at the pool, and let SIGTERM/Ctrl-C stop it."""
    global _PATCHED
    if _PATCHED:
        return
    from dagster._core.errors import DagsterExecutionInterruptedError
    from dagster._core.execution.plan.active import ActiveExecution
    from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
    from dagster._utils.interrupts import check_captured_interrupt

    def interval_to_next_pending_claim_check(self) -> float:
        # the time until the earliest pending claim may be retried (upstream returns min(0, ...): always 0)
        if not self._pending_claims or not self._pending_timeouts:
            return 0.0
        return max(0.0, min(self._pending_timeouts.values()) - time.time())

    def waiting_for_slot(self: ActiveExecution) -> bool:
        ctx = self._instance_concurrency_context
        return bool(ctx is not None and ctx.has_pending_claims() and not self._in_flight)

    def nap(self: ActiveExecution) -> None:
        # short naps: a signal handler only records the interrupt, and time.sleep resumes after it (PEP 475)
        due = self._instance_concurrency_context.interval_to_next_pending_claim_check()
        time.sleep(min(WAIT_TICK_SECONDS, max(due, 0.05)))

    original_sleep_til_ready = ActiveExecution.sleep_til_ready
    original_check_for_interrupts = ActiveExecution.check_for_interrupts

    def sleep_til_ready(self: ActiveExecution) -> None:  # the in-process executor's idle point
        if check_captured_interrupt():
            self.mark_interrupted()
            raise DagsterExecutionInterruptedError("interrupted while waiting for a pool slot")
        if waiting_for_slot(self):
            nap(self)
            return
        original_sleep_til_ready(self)

    def check_for_interrupts(self: ActiveExecution) -> bool:  # the multiprocess executor's loop calls it every turn
        if waiting_for_slot(self) and not check_captured_interrupt():
            nap(self)
        return original_check_for_interrupts(self)

    InstanceConcurrencyContext.interval_to_next_pending_claim_check = interval_to_next_pending_claim_check
    ActiveExecution.sleep_til_ready = sleep_til_ready
    ActiveExecution.check_for_interrupts = check_for_interrupts
    _PATCHED = True


def main() -> int:
    """`python -m pipelines.run_recovery`: run the dead-run check on the instance now (DAGSTER_HOME, else
    $LAKEHOUSE_HOME/dagster), print what it did."""
    from resources.settings import LakehouseSettings

    with dg.DagsterInstance.from_config(str(LakehouseSettings().dagster_home)) as instance:
        reaped = reap_dead_runs(instance)
    print("\n".join(r.summary() for r in reaped) or "no dead run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
