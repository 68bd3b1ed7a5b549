"""The pipeline's stages as time windows, read from what a run leaves behind: the Dagster event log (one step per
landing asset, the dbt step, the checks, the gate, the publication) and dbt's run_results.json (each node's
timing inside the dbt step)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg

from .measure import Window

DBT_STEP = "warehouse_models"


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
        return "checks: dbt tests"
    if kind == "seed":
        return "dbt seeds (reference tables)"
    if name.startswith("stg_"):
        return "dbt staging"
    if name.startswith("int_"):
        return "resolution (企业码 ladder)"
    return "marts"


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
                    name = f"landing: {sorted(bronze)[0]}"
                elif step == DBT_STEP:
                    name = DBT_STEP
                elif "staged_extracts" in step:
                    name = "gate: extracts staged, GX + PII + upstream checks"
                elif "published_extracts" in step:
                    name = "publication"
                else:
                    name = f"checks: {step}"
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
            stages.setdefault("dbt start-up, parse, row counts", []).extend(_subtract(window, nodes))
    else:
        stages["dbt build (no run_results.json)"] = dbt_windows
    summary = {"runs": len(runs), "failed_runs": sum(r.status != dg.DagsterRunStatus.SUCCESS for r in runs)}
    return stages, rows, summary
