"""Shared fixtures: small generated sources roots (real files, real databases, real HTTP)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

SMALL = dict(enterprises=1500, seed=7, year=2025, months=3)

# pytest-xdist (`-n 2 --dist loadgroup`, pyproject.toml) runs each group below in one worker, so that what a group
# builds once (the default 15k root's landing, warehouse and publication; the small `make run`; a module's fixtures) is
# built once per `make test`
DEFAULT_FIXTURES = {"default_landed", "default_warehouse", "default_published"}
# the groups that take longest, longest first (measured serially on 2 cores, 2026-12-01): started first, they do not
# leave one worker busy alone at the end
LONGEST = ["small_run", "tests/publish/test_publication.py", "tests/transform/test_resolution.py", "default_15k",
           "tests/test_sources_untouched.py", "tests/benchmarks/test_bench.py", "tests/ui/test_browser.py",
           "tests/transform/test_reference_data.py", "tests/crash/test_dead_runs.py",
           "tests/second_world/test_second_world.py", "tests/publish/test_completeness.py"]


def xdist_group(item, rootpath: Path) -> str:
    fixtures = set(getattr(item, "fixturenames", ()))
    if fixtures & DEFAULT_FIXTURES:
        return "default_15k"
    if "small_run" in fixtures:
        return "small_run"
    return Path(str(item.fspath)).relative_to(rootpath).as_posix()  # a module's tests share its module fixtures


def pytest_configure(config):
    # pytest-xdist declares it too; declared here, the suite also runs where xdist is not installed (-p no:xdist)
    config.addinivalue_line("markers", "xdist_group(name): run in the same pytest-xdist worker as its group")


def pytest_collection_modifyitems(config, items):
    groups = {}
    for item in items:
        groups[item] = xdist_group(item, config.rootpath)
        item.add_marker(pytest.mark.xdist_group(groups[item]))
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller schedules groups in this order
        items.sort(key=lambda item: LONGEST.index(groups[item]) if groups[item] in LONGEST else len(LONGEST))


@pytest.fixture(scope="session")
def small_root(tmp_path_factory) -> Path:
    """A complete sources root from the simulator, small enough to build in seconds."""
    from simulator.generate import generate

    root = tmp_path_factory.mktemp("sources")
    generate(root, progress=False, chunk_size=600, **SMALL)
    return root


@pytest.fixture(scope="session")
def small_run(small_root, tmp_path_factory):
    """One `make run` (scripts/demo.py, its own process) on a department's copy of the small root, configured by
    LAKEHOUSE_SOURCES_ROOT, into a fresh home: (root, home, fingerprint of the root before the run, exit code,
    output). test_sources_untouched checks that run; tests/crash/test_kill9.py then kills the next runs in that
    home (each of its runs reads the same root, so the root must still match the fingerprint afterwards)."""
    from tests.crash.demo_run import fingerprint, prepare_home, run_demo

    base = tmp_path_factory.mktemp("small_run")
    root = base / "department" / "park-x"
    shutil.copytree(small_root, root)
    before = fingerprint(root)
    home = base / "home"
    prepare_home(home)
    code, out = run_demo(home, root, base / "first.log")
    return root, home, before, code, out
