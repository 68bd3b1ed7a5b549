"""`make run`: generate the default sources once, serve the simulated HRSS API, materialize every asset,
and print what was done and where the results are.

The simulator is run as a separate process (`python -m simulator ...`): the pipeline never imports it.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ENTERPRISES = int(os.environ.get("LAKEHOUSE_DEMO_ENTERPRISES", "15000"))
SEED = int(os.environ.get("LAKEHOUSE_DEMO_SEED", "20251231"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_sources(root: Path) -> str:
    marker = root / "_truth" / "generation.json"
    if marker.exists():
        return f"reused the sources root at {root}"
    print(f"Generating the default sources ({ENTERPRISES:,} enterprises, seed {SEED}) into {root} ...", flush=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "simulator", "generate", "--out", str(root), "--enterprises",
                    str(ENTERPRISES), "--seed", str(SEED), "--quiet"], check=True, stdout=subprocess.DEVNULL)
    return f"generated the sources root at {root} in {time.perf_counter() - started:.1f} s"


@contextlib.contextmanager
def hrss_api(root: Path):
    """Use the configured HRSS API, or start the simulated one for the duration of the run."""
    if os.environ.get("HRSS_API_BASE_URL"):
        yield os.environ["HRSS_API_BASE_URL"], "configured"
        return
    port = free_port()
    token = secrets.token_urlsafe(24)
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "serve-hrss", "--root", str(root), "--port", str(port),
                             f"--token={token}"], stdout=subprocess.DEVNULL)  # a token may begin with "-"
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            time.sleep(0.1)
        os.environ["HRSS_API_BASE_URL"] = base
        os.environ["HRSS_API_TOKEN"] = token
        yield base, "simulated"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def hrss_periods(base: str) -> list[str]:
    req = urllib.request.Request(f"{base}/api/v1/periods", headers={"Authorization": f"Bearer {os.environ['HRSS_API_TOKEN']}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)["periods"]


def materialize_everything(settings, hrss_periods_: list[str]) -> list[str]:
    """Land every delivery found: one run for the snapshots, one per partitioning for its range."""
    import dagster as dg

    from assets.landing.assets import LANDING_ASSETS, asset_key
    from assets.landing.contract import DATASETS
    from assets.landing.deliveries import discover
    from pipelines.definitions import defs

    by_key = {a.key: a for a in LANDING_ASSETS}
    found: dict[str, set[str]] = {"snapshot": set(), "monthly": set(), "yearly": set()}
    for ds in DATASETS:
        if ds.format == "api":
            found["monthly"] |= set(hrss_periods_)
        elif ds.format != "sql":
            found[ds.partitioning] |= {p for p in discover(settings.sources_path, ds) if p != "snapshot"}
    out = []
    for partitioning in ("snapshot", "monthly", "yearly"):
        selected = [by_key[asset_key(ds)] for ds in DATASETS if ds.partitioning == partitioning]
        keys = sorted(found[partitioning])
        tags = {}
        if partitioning != "snapshot":
            if not keys:
                continue
            # one run over the whole range (the assets' single-run backfill policy)
            tags = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
        started = time.perf_counter()
        result = dg.materialize(selected, resources=defs.resources, tags=tags, instance=dg.DagsterInstance.get(),
                                raise_on_error=False)
        # a range run reports one materialization per partition, each with the run's totals: count assets once
        per_asset = {e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()}
        events = list(per_asset)
        loaded = sum(m["rows_loaded"].value for m in per_asset.values())
        quarantined = sum(m["rows_quarantined"].value for m in per_asset.values())
        checks = result.get_asset_check_evaluations()
        span = f" {keys[0]}..{keys[-1]}" if keys else ""
        out.append(f"landed {partitioning}{span}: {len(events)} asset(s), {loaded:,} rows loaded, {quarantined:,} "
                   f"quarantined, {sum(c.passed for c in checks)}/{len(checks)} conservation checks passed, "
                   f"{time.perf_counter() - started:.1f} s{'' if result.success else ' (FAILED: see the Dagster UI)'}")
    out += build_warehouse(settings)
    return out


def build_warehouse(settings) -> list[str]:
    """One run: dbt build (staging, resolution, marts and their tests), the resolution-quality check, then the
    gate and the publication of the extracts (the `build_and_publish` job plus the ground-truth check)."""
    import dagster as dg

    from assets.publish.assets import GATES, PUBLISH_ASSETS
    from assets.publish.datasets import PUBLISHED
    from assets.publish import store
    from assets.transform.assets import warehouse_models
    from assets.transform.quality import links_match_ground_truth
    from pipelines.definitions import defs

    started = time.perf_counter()
    result = dg.materialize([warehouse_models, links_match_ground_truth, *PUBLISH_ASSETS], resources=defs.resources,
                            instance=dg.DagsterInstance.get(), raise_on_error=False)
    elapsed = time.perf_counter() - started
    checks = result.get_asset_check_evaluations()
    gates = [c for c in checks if c.check_name in GATES]
    dbt_tests = [c for c in checks if c.check_name != "links_match_ground_truth" and c not in gates]
    warnings = [c for c in dbt_tests if not c.passed and c.severity == dg.AssetCheckSeverity.WARN]
    models = [e for e in result.get_asset_materialization_events() if e.asset_key.path[0] not in ("staged", "published")]
    out = [f"built the warehouse (dbt): {len(models)} models, "
           f"{sum(c.passed for c in dbt_tests)}/{len(dbt_tests)} dbt tests passed"
           f"{f' ({len(warnings)} more with warnings)' if warnings else ''}"]
    for c in checks:
        if c.check_name == "links_match_ground_truth" and "precision" in c.metadata:
            out.append(f"企业码 resolution vs ground truth: precision {c.metadata['precision'].value:.2%}, "
                       f"recall {c.metadata['recall'].value:.2%}")
    failed = [f"{c.asset_key.to_user_string()}:{c.check_name}" for c in gates if not c.passed]
    published = settings.published_path
    current = {p.name: store.current_version(published, p.name) for p in PUBLISHED}
    out.append(f"quality gate: {sum(c.passed for c in gates)}/{len(gates)} blocking checks passed"
               + (f"; FAILED: {', '.join(failed)} (nothing published; see the Dagster UI)" if failed else ""))
    versions = sorted({v for v in current.values() if v})
    if len(versions) == 1:
        out.append(f"published (current): version {versions[0]} of {len(current)} datasets "
                   f"({', '.join(current)}); analysts: {published / store.ANALYTICS}")
    elif versions:
        out.append("published (current): " + ", ".join(f"{n} {v}" for n, v in current.items() if v)
                   + f"; analysts: {published / store.ANALYTICS}")
    out.append(f"build + gate + publication: {elapsed:.1f} s{'' if result.success else ' (FAILED: see the Dagster UI)'}")
    import duckdb

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    rules = con.execute("select match_rule, count(*) from marts.xref_source_record group by 1 order by 2 desc").fetchall()
    codes = con.execute("select count(*), count(*) filter (where is_external) from resolution.int_enterprise_codes").fetchall()[0]
    con.close()
    out.append(f"企业码 assigned: {codes[0]:,} ({codes[1]:,} external); links by rule: "
               + ", ".join(f"{r} {n:,}" for r, n in rules))
    return out


def main() -> int:
    from pipelines.resources import LakehouseSettings

    settings = LakehouseSettings()
    root = settings.sources_path
    os.environ.setdefault("SAMR_DB_URL", f"sqlite:///{root / 'samr' / 'samr.db'}")
    lines = [ensure_sources(root)]
    generation = json.loads((root / "_truth" / "generation.json").read_text(encoding="utf-8")) if (
        root / "_truth" / "generation.json").exists() else {}
    for dept, info in generation.get("files", {}).items():
        lines.append(f"  {dept:<6} {info['files']:>3} file(s) {info['bytes'] / 1e6:8.1f} MB")
    with hrss_api(root) as (base, kind):
        periods = hrss_periods(base)
        lines.append(f"HRSS API ({kind}) at {base}: {len(periods)} periods {periods[0] if periods else ''}..{periods[-1] if periods else ''}")
        lines += materialize_everything(settings, periods)
    lines.append(f"lake: {settings.lake_path}  warehouse: {settings.warehouse_path}  published: {settings.published_path}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # skip interpreter teardown: duckdb-engine's bindings print a spurious "nanobind: leaked ..." report there
    os._exit(code)
