from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def compiled_name_key(tmp_path_factory):
    """name_key(<column>) compiled by dbt from the project's macros (dbt compile --inline; no warehouse is built)."""
    import os

    from dbt.cli.main import dbtRunner

    tmp = tmp_path_factory.mktemp("dbt")
    previous = os.environ.get("LAKEHOUSE_HOME")
    os.environ["LAKEHOUSE_HOME"] = str(tmp)
    try:
        result = dbtRunner().invoke([
            "compile", "--inline", "select {{ name_key('__column__') }} as k", "--quiet",
            "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(ROOT / "dbt_project"),
            "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")])
    finally:
        if previous is None:
            os.environ.pop("LAKEHOUSE_HOME", None)
        else:
            os.environ["LAKEHOUSE_HOME"] = previous
    assert result.success, result.exception
    sql = result.result.results[0].node.compiled_code
    expression = re.search(r"select (.*) as k\s*$", sql, re.S).group(1)
    return lambda column: expression.replace("__column__", column)
