"""The asset graph (keys, groups, owners, kinds, dependencies, checks, jobs, schedules, sensors) is the reviewed
snapshot in pipelines/asset_graph.json: any change to it shows up as a diff of that file."""
from __future__ import annotations

import json

from pipelines import graph_snapshot


def test_the_asset_graph_is_the_reviewed_snapshot():
    current = graph_snapshot.snapshot()
    recorded = json.loads(graph_snapshot.SNAPSHOT.read_text(encoding="utf-8"))
    assert current == recorded, "the asset graph changed: run `python -m pipelines.graph_snapshot --write` and review"
    assert graph_snapshot.SNAPSHOT.read_text(encoding="utf-8") == graph_snapshot.render(current)


def test_every_asset_has_a_group_an_owner_and_a_description():
    graph = graph_snapshot.snapshot()
    lacking = {key: a for key, a in graph["assets"].items()
               if not (a["group"] and a["group"] != "default" and a["owners"] and a["described"])}
    assert lacking == {}
