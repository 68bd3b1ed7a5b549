"""The second world through the pipeline as `make run` does it: land every delivery (S5 from this world's own
HTTP server, not the simulator's), then the `build_and_publish` assets (dbt build, gate, publication)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from resources.systems import HrssApi
from tests.pipeline import build_and_publish, land_with


def checksums(root: Path) -> dict[str, str]:
    """SHA-256 of every file under `root`, by relative path."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def run(root: Path, home: Path, hrss: HrssApi) -> tuple[list[dg.ExecuteInProcessResult], dg.ExecuteInProcessResult]:
    landed = land_with(root, home, hrss)
    published = build_and_publish(root, home)
    return landed, published
