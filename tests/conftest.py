"""Shared fixtures: small generated sources roots (real files, real databases, real HTTP)."""
from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# a shell configured for a deployment must not point the tests at it: tests/s3.py and tests/pg.py set these where needed
for _name in ("LAKEHOUSE_LAKE_URL", "LAKEHOUSE_LAKE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
              "AWS_SESSION_TOKEN", "LAKEHOUSE_DAGSTER_PG_URL"):
    os.environ.pop(_name, None)

SMALL = dict(enterprises=1500, seed=7, year=2025, months=3)
ROOT = Path(__file__).resolve().parents[1]

# pytest-xdist (`-n 2`, pyproject.toml) runs each group of test modules below in one worker, so that what a group
# builds once (the default 15k root's landing, warehouse and publication; the small `make run`; a module's fixtures)
# is built once per `make test`: the modules that use a fixture of the default root form one group, those of the small
# `make run` another, and every other module is a group of its own
DEFAULT_FIXTURES = ("default_landed", "default_warehouse", "default_published")
# the groups that take longest, longest first (measured serially on 2 cores, 2026-12-01): started first, they do not
# leave one worker busy alone at the end
LONGEST = ["small_run", "default_15k", "tests/publish/test_publication.py", "tests/benchmarks/test_bench.py",
           "tests/ui/test_browser.py", "tests/transform/test_reference_data.py", "tests/crash/test_dead_runs.py",
           "tests/second_world/test_second_world.py", "tests/publish/test_completeness.py"]


@functools.lru_cache(maxsize=None)
def xdist_group(module: str) -> str:
    """The group of a test module (its path from the repository's root), from the fixtures its source names."""
    text = (ROOT / module).read_text(encoding="utf-8")
    if any(name in text for name in DEFAULT_FIXTURES):
        return "default_15k"
    if "small_run" in text:
        return "small_run"
    return module


def rank(module: str) -> int:
    group = xdist_group(module)
    return LONGEST.index(group) if group in LONGEST else len(LONGEST)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Whole groups to a worker, in the order of the collection (pytest-xdist's `loadgroup` cannot be used: with
    pytest 9.2 its xdist_group marks no longer reach the scheduler)."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid.split("::", 1)[0])

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the scheduler takes the groups in this order
        items.sort(key=lambda item: rank(item.nodeid.split("::", 1)[0]))


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


@pytest.fixture(scope="session")
def default_landed(tmp_path_factory):
    """The default sources root (15,000 enterprises, 15 months) landed as `make run` does."""
    from simulator.generate import generate
    from tests.pipeline import land_everything

    root = tmp_path_factory.mktemp("default_root")
    generate(root, enterprises=15_000, seed=20251231, progress=False)
    home = tmp_path_factory.mktemp("default_home")
    runs = land_everything(root, home)
    return root, home, runs


@pytest.fixture(scope="session")
def default_warehouse(default_landed):
    from tests.pipeline import build_warehouse

    root, home, _ = default_landed
    result = build_warehouse(root, home)
    return root, home, result


@pytest.fixture(scope="session")
def default_published(default_warehouse):
    """The default root's warehouse gated and published (staged extracts, GX, PII scan, current, analytics.duckdb)."""
    from assets.publish.assets import PUBLISH_ASSETS
    from tests.pipeline import build_and_publish

    root, home, _ = default_warehouse
    result = build_and_publish(root, home, assets=list(PUBLISH_ASSETS))
    assert result.success
    return root, home
