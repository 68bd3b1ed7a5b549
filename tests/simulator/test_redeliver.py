"""A re-delivered month replaces its file under the same name: duplicates gone, some amounts corrected."""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.redeliver import redeliver


def rows(path: Path, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding))))


@pytest.mark.parametrize("source,name,encoding",
                         [("tax", "税收_202511.csv", "gbk"), ("grid", "用电量_202511.csv", "utf-8")])
def test_redelivery_corrects_in_place(tmp_path: Path, small_root: Path, source, name, encoding):
    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    before = rows(root / source / name, encoding)
    event = redeliver(root, source, "202511", seed=5, share=0.05)
    after = rows(root / source / name, encoding)
    assert after[0] == before[0]
    assert len(after) - 1 == event["rows_after"] == len({tuple(r) for r in before[1:]})
    assert len({tuple(r) for r in after[1:]}) == len(after) - 1  # no duplicate rows left
    assert {r[0] for r in after[1:]} == {r[0] for r in before[1:]}  # same record keys: the truth holds
    changed = {tuple(r) for r in after[1:]} - {tuple(r) for r in before[1:]}
    assert 0 < len(changed) == event["rows_corrected"]
    if source == "tax":
        for r in after[1:]:
            if tuple(r) in changed:
                amounts = [float(v.replace(",", "")) for v in r[3:7]]
                assert abs(amounts[3] - sum(amounts[:3])) <= 0.011
    assert not [p for p in (root / source).iterdir() if p.name.startswith(".")]  # nothing temporary left
    logged = [json.loads(line) for line in (root / "_truth" / "redeliveries.jsonl").read_text().splitlines()]
    assert logged[-1] == event


def test_cli_and_missing_month(tmp_path: Path, small_root: Path):
    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    out = subprocess.run([sys.executable, "-m", "simulator", "redeliver", "--root", str(root), "--period", "202512"],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["period"] == "202512"
    with pytest.raises(FileNotFoundError, match="税收_202401.csv"):
        redeliver(root, "tax", "202401")
