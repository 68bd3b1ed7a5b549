"""GX's validation writes nothing to the terminal: its tqdm bars ("Calculating Metrics", redrawn with \\r) filled the
run logs of `make run` and the UI."""
from __future__ import annotations

import json

import duckdb

from data_quality import validate as gate


def test_a_validation_draws_no_progress_bar(tmp_path, monkeypatch, capfd):
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "tiny.json").write_text(json.dumps({"expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 10}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}]}))
    monkeypatch.setattr(gate, "SUITES_DIR", suites)
    folder = tmp_path / "tiny"
    folder.mkdir()
    duckdb.connect().execute(f"copy (select range as id from range(5)) to '{folder}/part-0.parquet'")
    capfd.readouterr()
    outcome = gate.validate("tiny", str(folder / "*.parquet"), {}, tmp_path / "gx")
    out, err = capfd.readouterr()
    assert outcome.success and outcome.evaluated == 2  # it validated: the metrics were calculated
    assert "Calculating Metrics" not in out + err and "\r" not in out + err, err[-500:]
