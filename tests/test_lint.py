"""Lint, as part of `make test`: ruff over the Python (ruff.toml: pyflakes, import order, bugbear, 120 columns) and
sqlfluff over the dbt project (.sqlfluff: DuckDB, its rules and the reasons for those left out). Each runs as the
venv's own command from the repository's root, so the result is what `ruff check` and `sqlfluff lint dbt_project`
say there; a failure lists the findings (`ruff check --fix`, `sqlfluff fix dbt_project` fix most)."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_ruff():
    result = run("ruff", "check", "--no-cache", "--output-format", "concise", ".")
    assert result.returncode == 0, f"ruff check found:\n{result.stdout}{result.stderr}"


@pytest.mark.slow
def test_sqlfluff():
    result = run("sqlfluff", "lint", "dbt_project", "--format", "json")
    assert result.returncode in (0, 1), f"sqlfluff could not lint:\n{result.stderr}"
    files = json.loads(result.stdout)
    findings = [f"{f['filepath']}:{v['start_line_no']}:{v['start_line_pos']}: {v['code']} {v['description']}"
                for f in files for v in f["violations"]]
    assert findings == [], "sqlfluff lint found:\n" + "\n".join(findings)
    assert result.returncode == 0, result.stderr
    # it read the whole project: every SQL file but the generated ones .sqlfluffignore names (a file over a size
    # limit, say, is skipped with only a warning on stderr)
    linted = {Path(f["filepath"]).as_posix() for f in files}
    ignored = ("dbt_project/target/", "dbt_project/logs/", "dbt_project/dbt_packages/",
               "dbt_project/macros/generated_traditional_simplified.sql")
    present = {p.relative_to(ROOT).as_posix() for p in (ROOT / "dbt_project").rglob("*.sql")}
    missed = sorted(p for p in present - linted if not p.startswith(ignored))
    assert missed == [], f"sqlfluff did not lint {missed}:\n{result.stderr}"
    assert "dbt_project/models/intermediate/int_links_exact.sql" in linted


# what the pipeline runs (not the tests, the benchmarks or the simulator, which measure DuckDB or write sources)
PIPELINE_CODE = ("assets", "resources", "data_quality", "pipelines", "scripts", "contracts")


def duckdb_connects(source: str) -> list[int]:
    """The lines of `source` that call duckdb.connect."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "duckdb"]


def test_every_duckdb_connection_of_the_pipeline_is_bounded():
    """Only resources/connections.py calls duckdb.connect: everywhere else a connection has a memory limit and a
    spill folder (an unbounded one takes 80% of the machine and spills into the working directory)."""
    assert duckdb_connects("import duckdb\n\ncon = duckdb.connect(config={})\n") == [3]
    found = [f"{path.relative_to(ROOT)}:{line}" for folder in PIPELINE_CODE
             for path in sorted((ROOT / folder).rglob("*.py")) if path != ROOT / "resources" / "connections.py"
             for line in duckdb_connects(path.read_text(encoding="utf-8"))]
    assert found == [], f"unbounded DuckDB connections (use resources.connections): {found}"
