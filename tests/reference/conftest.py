from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def compiled_name_key(tmp_path_factory):
    """name_key(<column>) compiled by dbt from the project's macros (dbt compile --inline; no warehouse is built)."""
    from dbt.cli.main import dbtRunner

    from resources.settings import LakehouseSettings

    tmp = tmp_path_factory.mktemp("dbt")
    with LakehouseSettings(home=str(tmp)).exported():  # dbt's profile reads LAKEHOUSE_HOME
        result = dbtRunner().invoke([
            "compile", "--inline", "select {{ name_key('__column__') }} as k", "--quiet",
            "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(ROOT / "dbt_project"),
            "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")])
    assert result.success, result.exception
    sql = result.result.results[0].node.compiled_code
    expression = re.search(r"select (.*) as k\s*$", sql, re.S).group(1)
    return lambda column: expression.replace("__column__", column)
