"""Shared fixtures: small generated sources roots (real files, real databases, real HTTP)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

SMALL = dict(enterprises=1500, seed=7, year=2025, months=3)


@pytest.fixture(scope="session")
def small_root(tmp_path_factory) -> Path:
    """A complete sources root from the simulator, small enough to build in seconds."""
    from simulator.generate import generate

    root = tmp_path_factory.mktemp("sources")
    generate(root, progress=False, chunk_size=600, **SMALL)
    return root


@pytest.fixture(scope="session")
def default_landed(tmp_path_factory):
    """The default sources root (15,000 enterprises, 12 months) landed as `make run` does."""
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
