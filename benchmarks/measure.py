"""Wall time, CPU time and peak memory of a process tree, attributed to the pipeline's stages afterwards.

A sampler thread reads /proc every `interval` seconds for the pipeline process and all its descendants (dbt runs
as a child of the Dagster process): CPU = utime + stime + the CPU of children they reaped (so a finished dbt
process is still counted), RSS = the sum of the tree's resident sets. Stages are time windows read afterwards
from the Dagster event log and dbt's run_results.json; each sampling interval is split evenly among the stages
active at its midpoint, so the stages' wall and CPU add up to the run's total. Every `spill_every` samples it also
adds up the disk the spill directories hold (DuckDB's temporary files past its memory limit): blocks allocated, not
apparent sizes (DuckDB's temporary files are sparse).
"""
from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(parent pid, CPU seconds incl. reaped children, resident bytes) of one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may contain spaces
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return int(fields[1]), (utime + stime + cutime + cstime) / TICKS, resident


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def tree(root: int, exclude: tuple[str, ...] = ()) -> tuple[float, int]:
    """CPU seconds and resident bytes of `root` and its descendants (excluding commands containing `exclude`)."""
    stats = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            s = _stat(int(entry.name))
            if s:
                stats[int(entry.name)] = s
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    cpu, rss, todo = 0.0, 0, [root]
    while todo:
        pid = todo.pop()
        if pid not in stats:
            continue
        if pid != root and exclude and any(x in _cmdline(pid) for x in exclude):
            continue
        cpu += stats[pid][1]
        rss += stats[pid][2]
        todo.extend(children.get(pid, []))
    return cpu, rss


def disk_bytes(paths: tuple[Path, ...]) -> int:
    """Bytes allocated on disk by every file under `paths` (missing ones hold none)."""
    total = 0
    for root in paths:
        if os.path.isfile(root):
            total += os.stat(root).st_blocks * 512
            continue
        for folder, _, files in os.walk(root):
            for name in files:
                try:
                    total += os.stat(os.path.join(folder, name)).st_blocks * 512
                except OSError:  # removed while we walked
                    pass
    return total


@dataclass
class Sampler:
    """Samples a process tree in a thread until stopped: (wall clock, CPU seconds, RSS bytes), and the spill
    directories' size on disk: (wall clock, bytes)."""

    pid: int
    interval: float = 0.1
    exclude: tuple[str, ...] = ()
    spill_dirs: tuple[Path, ...] = ()
    spill_every: int = 10
    disk_dirs: tuple[Path, ...] = ()  # everything the run writes: its peak size on disk (disk_every samples)
    disk_every: int = 20
    samples: list[tuple[float, float, int]] = field(default_factory=list)
    spill_samples: list[tuple[float, int]] = field(default_factory=list)
    disk_samples: list[tuple[float, int]] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        last_cpu = 0.0
        for i in itertools.count():
            if self._stop.is_set():
                break
            cpu, rss = tree(self.pid, self.exclude)
            last_cpu = max(last_cpu, cpu)  # a child exiting before its parent reaps it would dip the sum
            self.samples.append((time.time(), last_cpu, rss))
            if self.spill_dirs and i % self.spill_every == 0:
                self.spill_samples.append((time.time(), disk_bytes(self.spill_dirs)))
            if self.disk_dirs and i % self.disk_every == 0:
                self.disk_samples.append((time.time(), disk_bytes(self.disk_dirs)))
            self._stop.wait(self.interval)

    @property
    def peak_spill_bytes(self) -> int:
        return max((b for _, b in self.spill_samples), default=0)

    @property
    def peak_disk_bytes(self) -> int:
        return max((b for _, b in self.disk_samples), default=0)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


Window = tuple[float, float]


def attribute(samples: list[tuple[float, float, int]], stages: dict[str, list[Window]],
              rest: str = "orchestration (outside every stage)") -> dict[str, dict]:
    """Per stage: wall and CPU seconds (sampling intervals split evenly among the stages active at their
    midpoint; intervals in no stage go to `rest`) and the peak RSS sampled while the stage was active."""
    out = {name: {"wall_s": 0.0, "cpu_s": 0.0, "peak_rss_bytes": 0} for name in [*stages, rest]}
    for (t0, c0, r0), (t1, c1, r1) in itertools.pairwise(samples):
        mid = (t0 + t1) / 2
        active = [name for name, windows in stages.items() if any(a <= mid < b for a, b in windows)] or [rest]
        for name in active:
            o = out[name]
            o["wall_s"] += (t1 - t0) / len(active)
            o["cpu_s"] += max(0.0, c1 - c0) / len(active)
            o["peak_rss_bytes"] = max(o["peak_rss_bytes"], r0, r1)
    for o in out.values():
        o["wall_s"] = round(o["wall_s"], 2)
        o["cpu_s"] = round(o["cpu_s"], 2)
    return out


def peak_in_windows(samples: list[tuple[float, int]], stages: dict[str, list[Window]]) -> dict[str, int]:
    """Per stage: the largest value sampled while it was active (0 when nothing was sampled then)."""
    return {name: max((v for t, v in samples if any(a <= t < b for a, b in windows)), default=0)
            for name, windows in stages.items()}
