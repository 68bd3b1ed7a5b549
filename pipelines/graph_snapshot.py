"""`python -m pipelines.graph_snapshot [--write]`: the code location's asset graph as reviewed text.

Every asset (key, group, owners, kinds, upstream keys, whether it is described), every asset check (its asset,
name and whether it blocks), every job, schedule and sensor, sorted, in `pipelines/asset_graph.json`. The test
tests/test_asset_graph.py fails when the graph differs from the file, so a change to the graph shows up as a diff
of that file in review; `--write` refreshes it."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent / "asset_graph.json"


def snapshot() -> dict:
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    assets = {}
    for spec in sorted(defs.resolve_all_asset_specs(), key=lambda s: s.key.to_user_string()):
        assets[spec.key.to_user_string()] = {
            "group": spec.group_name,
            "owners": sorted(spec.owners),
            "kinds": sorted(spec.kinds),
            "upstream": sorted(d.asset_key.to_user_string() for d in spec.deps),
            "described": bool(spec.description and spec.description.strip()),
        }
    checks = sorted(
        ({"asset": key.asset_key.to_user_string(), "check": key.name,
          "blocking": bool(graph.get_check_spec(key).blocking)} for key in graph.asset_check_keys),
        key=lambda c: (c["asset"], c["check"]))
    repository = defs.get_repository_def()
    return {
        "assets": assets,
        "checks": checks,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": sorted(s.name for s in repository.schedule_defs),
        "sensors": sorted(s.name for s in repository.sensor_defs),
    }


def render(graph: dict) -> str:
    """One line per asset, check, job, schedule and sensor: a change to one of them is a one-line diff."""
    def line(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    assets = ",\n".join(f"  {line(key)}: {line(value)}" for key, value in graph["assets"].items())
    checks = ",\n".join(f"  {line(c)}" for c in graph["checks"])
    names = {k: ",\n".join(f"  {line(n)}" for n in graph[k]) for k in ("jobs", "schedules", "sensors")}
    return ("{\n" f' "assets": {{\n{assets}\n }},\n' f' "checks": [\n{checks}\n ],\n'
            + ",\n".join(f' "{k}": [\n{v}\n ]' for k, v in names.items()) + "\n}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.graph_snapshot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"refresh {SNAPSHOT.name}")
    args = parser.parse_args(argv)
    text = render(snapshot())
    if args.write:
        SNAPSHOT.write_text(text, encoding="utf-8")
        print(f"wrote {SNAPSHOT}")
        return 0
    same = SNAPSHOT.exists() and SNAPSHOT.read_text(encoding="utf-8") == text
    print(f"{SNAPSHOT.name} is current" if same else f"{SNAPSHOT.name} differs: run with --write and review the diff")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
