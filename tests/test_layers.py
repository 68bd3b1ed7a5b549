"""Layers point down only: every module imports its own package and the layers below it, never a layer above nor a
sibling of its own layer. Read from the source with `ast` (every import, those inside functions included), so a
`python -m` tool of any layer is held to its layer too.

    tests                               everything below
    scripts, benchmarks                 tools over the code location (the simulator as a separate system)
    pipelines                           assembles: definitions, jobs, schedules, sensors
    assets                              the assets, built from the declarations, resources and quality suites
    resources, data_quality             how the lake and the departments are reached; the GX gate
    contracts, reference, simulator,    declarations, reference data, the departments' systems, the SQL linter's
    lint                                dbt stand-in: nothing of the project
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# lowest first; packages of one layer are siblings and do not import each other
LAYERS = [
    {"contracts", "reference", "simulator", "lint"},
    {"resources", "data_quality"},
    {"assets"},
    {"pipelines"},
    {"scripts", "benchmarks"},
    {"tests"},
]
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}
NOT_CODE = {"var", "dbt_project", "docs", "dagster_home"}


def project_packages(root: Path) -> set[str]:
    """Every folder at the root that holds Python code."""
    return {d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith(".") and d.name not in NOT_CODE
            and next(d.rglob("*.py"), None) is not None}


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every absolute import; relative ones stay inside their own package."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
    return out


def violations(root: Path) -> list[str]:
    found = []
    for package in sorted(RANK):
        for path in sorted((root / package).rglob("*.py")):
            for line, module in imported(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                target = module.split(".")[0]
                if target == package or target not in RANK:
                    continue  # its own package, the standard library, a dependency
                if RANK[target] >= RANK[package]:
                    where = "above" if RANK[target] > RANK[package] else "beside"
                    found.append(f"{path.relative_to(root)}:{line} imports {module}: layer {target} is {where} "
                                 f"layer {package}")
    return found


def test_every_package_has_a_layer():
    assert project_packages(ROOT) <= set(RANK), f"declare the layer of {sorted(project_packages(ROOT) - set(RANK))}"


def test_imports_point_down_only():
    assert violations(ROOT) == []


def test_an_import_from_above_is_named(tmp_path):
    """The check itself: an asset importing the code location, and a quality module importing an asset (the two
    arrows that pointed up before resources/ and contracts/ existed), are each reported with file and line."""
    for package in RANK:
        (tmp_path / package).mkdir()
    (tmp_path / "assets" / "landing.py").write_text("import os\n\nfrom pipelines.resources import LakehouseSettings\n")
    (tmp_path / "data_quality" / "suites.py").write_text("def f():\n    from assets.publish import datasets\n")
    (tmp_path / "resources" / "settings.py").write_text("import data_quality.validate\nfrom . import systems\n")
    assert violations(tmp_path) == [
        "assets/landing.py:3 imports pipelines.resources: layer pipelines is above layer assets",
        "data_quality/suites.py:2 imports assets.publish: layer assets is above layer data_quality",
        "resources/settings.py:1 imports data_quality.validate: layer data_quality is beside layer resources"]
