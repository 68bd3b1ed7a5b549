"""The pipeline's stages as time windows, read from what a run leaves behind: the Dagster event log (one step per
landing asset, the dbt step, the checks, the gate, the publication) and dbt's run_results.json (each node's
timing inside the dbt step)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from assets.transform.quality import QUALITY_CHECK

from .measure import Window

DBT_STEP = "warehouse_models"

LANDING = "landing: "  # + the source system
DBT_STARTUP = "dbt start-up, parse, row counts"
DBT_SEEDS = "dbt seeds (reference tables)"
DBT_STAGING = "dbt staging"
RESOLUTION = "resolution (企业码 ladder)"
MARTS = "marts"
DBT_TESTS = "checks: dbt tests"
GROUND_TRUTH = f"checks: {QUALITY_CHECK}"
OTHER_CHECKS = "checks: "  # + the step key
GATE = "gate: extracts staged, GX + PII + upstream checks"
PUBLICATION = "publication"
ORCHESTRATION = "orchestration: process start-up, imports, between steps"


@dataclass(frozen=True)
class Kind:
    """What a stage is: its name (or name prefix), its line in the chart, what its rows per second count
    (`landed_source`, `landed`, `source_records`, `published` or nothing) and whether the floor runs it too."""

    name: str
    group: str
    rows: str | None
    transformation: bool = False


# in pipeline order: the report's rows and the chart's lines follow it
KINDS = (
    Kind(LANDING, "landing (10 sources)", "landed_source"),
    Kind(DBT_STARTUP, "dbt start-up + row counts", "landed", transformation=True),
    Kind(DBT_SEEDS, "dbt staging + seeds", "landed", transformation=True),
    Kind(DBT_STAGING, "dbt staging + seeds", "landed", transformation=True),
    Kind(RESOLUTION, "resolution", "source_records", transformation=True),
    Kind(MARTS, "marts", "landed", transformation=True),
    Kind(DBT_TESTS, "checks (dbt tests, ground truth)", "landed"),
    Kind(GROUND_TRUTH, "checks (dbt tests, ground truth)", "source_records"),
    Kind(OTHER_CHECKS, "checks (dbt tests, ground truth)", "landed"),
    Kind(GATE, "gate (extracts + GX/PII)", "published"),
    Kind(PUBLICATION, "publication", "published"),
    Kind(ORCHESTRATION, "orchestration", None),
)


def kind_of(stage: str) -> Kind:
    """Exact names first, then the prefixes (landing: <source>, checks: <step>)."""
    return next((k for k in KINDS if k.name == stage), None) or next(k for k in KINDS if stage.startswith(k.name))


def in_pipeline_order(stages) -> list[str]:
    return sorted(stages, key=lambda n: (KINDS.index(kind_of(n)), n))


def _ts(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=dt.timezone.utc).timestamp()


def _subtract(window: Window, holes: list[Window]) -> list[Window]:
    out, start = [], window[0]
    for a, b in sorted(holes):
        if b <= start or a >= window[1]:
            continue
        if a > start:
            out.append((start, a))
        start = max(start, b)
    if start < window[1]:
        out.append((start, window[1]))
    return out


def dbt_node_stage(unique_id: str) -> str:
    kind, _, name = unique_id.split(".", 2)
    name = name.split(".")[-1]
    if kind in ("test", "unit_test"):
        return DBT_TESTS
    if kind == "seed":
        return DBT_SEEDS
    if name.startswith("stg_"):
        return DBT_STAGING
    if name.startswith("int_"):
        return RESOLUTION
    return MARTS


def read_stages(dagster_home: Path, run_results: Path) -> tuple[dict[str, list[Window]], dict[str, int], dict]:
    """Stage -> windows, landing rows per source, and the runs' summary (count, failures)."""
    stages: dict[str, list[Window]] = {}
    rows: dict[str, int] = {}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs()
        for run in runs:
            starts, ends, assets, seen = {}, {}, {}, set()
            for record in instance.all_logs(run.run_id):
                event = record.dagster_event
                if not event or not event.step_key:
                    continue
                if event.event_type == dg.DagsterEventType.STEP_START:
                    starts[event.step_key] = record.timestamp
                elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                    ends[event.step_key] = record.timestamp
                elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
                    key = event.asset_key
                    assets.setdefault(event.step_key, set()).add(key)
                    if key.path[0] == "bronze" and key not in seen:  # a range run repeats its totals per partition
                        seen.add(key)
                        loaded = event.materialization.metadata.get("rows_loaded")
                        rows[key.path[1]] = rows.get(key.path[1], 0) + (loaded.value if loaded else 0)
            for step, start in starts.items():
                window = (start, ends.get(step, start))
                keys = assets.get(step, set())
                bronze = {k.path[1] for k in keys if k.path[0] == "bronze"}
                if bronze:
                    name = LANDING + sorted(bronze)[0]
                elif step == DBT_STEP:
                    name = DBT_STEP
                elif "staged_extracts" in step:
                    name = GATE
                elif "published_extracts" in step:
                    name = PUBLICATION
                elif step.endswith(QUALITY_CHECK):
                    name = GROUND_TRUTH
                else:
                    name = OTHER_CHECKS + step
                stages.setdefault(name, []).append(window)
    # the dbt step, split by dbt's own node timings; what is left of it is dbt's start-up, parsing and our
    # row counts after it exits
    dbt_windows = stages.pop(DBT_STEP, [])
    if run_results.exists():
        nodes: list[Window] = []
        for result in json.loads(run_results.read_text(encoding="utf-8"))["results"]:
            timing = [t for t in result.get("timing", []) if t.get("started_at") and t.get("completed_at")]
            if not timing:
                continue
            window = (min(_ts(t["started_at"]) for t in timing), max(_ts(t["completed_at"]) for t in timing))
            stages.setdefault(dbt_node_stage(result["unique_id"]), []).append(window)
            nodes.append(window)
        for window in dbt_windows:
            stages.setdefault(DBT_STARTUP, []).extend(_subtract(window, nodes))
    else:
        stages[DBT_STARTUP] = dbt_windows  # no node timings: the whole dbt step counts as one
    summary = {"runs": len(runs), "failed_runs": sum(r.status != dg.DagsterRunStatus.SUCCESS for r in runs)}
    return stages, rows, summary
