"""`make run` as a user runs it, for tests: scripts/demo.py in its own process (and process group) on a scratch home
prepared as `make install` prepares one, and fingerprints of what it must not change."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from resources.settings import instance_dir, prepare_dagster_home

REPO = Path(__file__).resolve().parents[2]
# what the user may have configured in the test's own environment must not leak into the run
CONFIG = ("LAKEHOUSE_SOURCES_ROOT", "SAMR_DB_URL", "HRSS_API_BASE_URL", "HRSS_API_TOKEN", "LAKEHOUSE_HOME",
          "DAGSTER_HOME", "VIRTUAL_ENV", "LAKEHOUSE_DAGSTER_PG_URL")


def prepare_home(home: Path) -> Path:
    """The Dagster instance of a fresh home, as `make install` creates it: where the run finds it (DAGSTER_HOME is
    left out of its environment), with the project's dagster.yaml, migrated."""
    return prepare_dagster_home(instance_dir(home))


def env_for(home: Path, root: Path | None, **extra: str) -> dict:
    """The environment of a process on `home` (and on the configured sources root `root`): the rest is derived."""
    env = {k: v for k, v in os.environ.items() if k not in CONFIG}
    env.update({"LAKEHOUSE_HOME": str(home), "PYTHONPATH": str(REPO), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                "DO_NOT_TRACK": "1", **extra})
    if root is not None:
        env["LAKEHOUSE_SOURCES_ROOT"] = str(root)
    return env


def start_demo(home: Path, root: Path | None, log: Path, **extra: str) -> subprocess.Popen:
    """scripts/demo.py in a new process group (its HRSS server and dbt with it), output to `log`."""
    out = log.open("w")
    try:
        return subprocess.Popen([sys.executable, str(REPO / "scripts" / "demo.py")], cwd=REPO,
                                env=env_for(home, root, **extra), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    finally:
        out.close()


def run_demo(home: Path, root: Path | None, log: Path, timeout: float = 1200, **extra: str) -> tuple[int, str]:
    proc = start_demo(home, root, log, **extra)
    try:
        code = proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
    return code, log.read_text(encoding="utf-8", errors="replace")


def summary(output: str, lines: int = 40) -> str:
    """The last lines demo.py printed (its stages and summary; the rest is in its log file), for assertion
    messages."""
    return "\n".join(output.splitlines()[-lines:])


def fingerprint(root: Path) -> dict[str, str]:
    """Every file and folder under `root`: a file's SHA-256, a symlink's target, 'dir' for a folder."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = "symlink -> " + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
