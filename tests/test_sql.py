"""contracts/sql.py: names, paths and text reach SQL through one quoting helper, or as bound parameters.

Two halves: the helper round-trips awkward names and paths through real DuckDB; and a read of the source (`ast`)
finds SQL text that quotes by hand, i.e. interpolates a value inside a '...' literal or a "..." identifier, or uses
Python's repr as SQL quoting.
"""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from contracts.sql import path_literal, qualified_name, quote_identifier, quote_literal

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("assets", "data_quality", "resources", "contracts")
HELPER = ROOT / "contracts" / "sql.py"
AWKWARD = ["it's a \"test\"; 目录", "plain", "a b", "'; drop table t; --", '"', "''", "表 名", "semi;colon"]

# constant text that makes a string SQL (messages and paths say none of these)
SQL_WORDS = re.compile(r"\b(select|copy\s*\(|copy\s+\S+\s+(to|from)|attach|create\s+(\w+\s+)?(table|view|schema)|"
                       r"insert\s+into|update\s+\S+\s+set|delete\s+from|comment\s+on|describe|read_(parquet|csv|json)|"
                       r"regexp_\w+|case\s+when|cast\s*\(|format\s*\()",
                       re.IGNORECASE)
# or text that only wraps values in quotes: "{schema}"."{table}", '{path}'
HAND_QUOTED_NAME = re.compile(r"[\0.,\s]*(['\"])\0\1[\0'\".,\s]*")


@pytest.mark.parametrize("name", AWKWARD)
def test_an_awkward_folder_table_and_column_round_trip(tmp_path, name):
    """A table and a column named `name`, written as Parquet into a folder named `name` and read back: by the
    helper's literal and by a bound parameter; a database attached from there; a view and a comment over it."""
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    part = folder / f"{name}.parquet"
    con = duckdb.connect()
    con.execute(f"create table {quote_identifier(name)} ({quote_identifier(name)} varchar)")
    con.execute(f"insert into {quote_identifier(name)} values (?)", [name])
    con.execute(f"copy {quote_identifier(name)} to {path_literal(part)} (format parquet)")
    assert pq.read_table(part).to_pylist() == [{name: name}]
    read_back = con.execute(f"select {quote_identifier(name)} from read_parquet({path_literal(part)})").fetchall()
    bound = con.execute(f"select {quote_identifier(name)} from read_parquet($path)", {"path": str(part)}).fetchall()
    glob = con.execute(f"select count(*) from read_parquet({path_literal(folder / '*.parquet')})").fetchone()
    assert read_back == bound == [(name,)] and glob == (1,)
    con.execute(f"copy (select {quote_literal(name)} as v) to $path (format parquet)", {"path": str(folder / "b.pq")})
    assert pq.read_table(folder / "b.pq").column("v").to_pylist() == [name]

    database = folder / f"{name} db.duckdb"
    duckdb.connect(str(database)).execute(f"create schema {quote_identifier(name)}; create table "
                                          f"{qualified_name(name, name)} as select 1 as x").close()
    con.execute(f"attach {path_literal(database)} as {quote_identifier(name + 'db')} (read_only)")
    assert con.execute(f"select x from {qualified_name(name + 'db', name, name)}").fetchall() == [(1,)]
    con.execute(f"create view {quote_identifier(name + 'v')} as select * from read_parquet({path_literal(part)})")
    con.execute(f"comment on view {quote_identifier(name + 'v')} is {quote_literal(name)}")
    assert con.execute("select comment from duckdb_views() where view_name = ?", [name + "v"]).fetchone() == (name,)
    assert con.execute(f"select * from {quote_identifier(name + 'v')}").fetchall() == [(name,)]
    con.close()


def test_the_helper_quotes_by_duckdbs_rules():
    assert quote_identifier('a"b') == '"a""b"'
    assert quote_literal("it's") == "'it''s'"
    assert quote_literal("a\\b") == "'a\\b'"  # standard strings: a backslash is itself
    assert path_literal(Path("/x/it's")) == "'/x/it''s'"
    assert qualified_name("s", 't"') == '"s"."t"""'


# ---- no SQL text quotes by hand ----

def _parts(node: ast.AST, modules: dict[str, str]) -> list | None:
    """The pieces of a string expression: str for constant text, the AST node for an interpolated value; None when
    the expression builds no string from pieces."""
    if isinstance(node, ast.JoinedStr):
        out = []
        for v in node.values:
            out += [v.value] if isinstance(v, ast.Constant) else [v]
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _operand(node.left, modules), _operand(node.right, modules)
        return left + right if any(isinstance(p, str) for p in left + right) else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"):
        target = node.func.value
        template = (target.value if isinstance(target, ast.Constant) and isinstance(target.value, str)
                    else modules.get(target.id) if isinstance(target, ast.Name) else None)
        if template is None:
            return None
        out = []
        for text, field, _, conversion in string.Formatter().parse(template):
            out.append(text)
            if field is not None:
                out.append(ast.FormattedValue(value=ast.Name(id=field), conversion=ord(conversion) if conversion
                                              else -1, lineno=node.lineno))
        return out
    return None


def _operand(node: ast.AST, modules: dict[str, str]) -> list:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    return _parts(node, modules) or [node]


def hand_quoting(parts: list) -> list[str]:
    """Interpolated values inside a '...' or "..." of the SQL text, and repr used as quoting."""
    found, quote, text = [], None, "".join(p if isinstance(p, str) else "\0" for p in parts)
    if not SQL_WORDS.search(text) and not HAND_QUOTED_NAME.fullmatch(text):
        return found
    values = iter(p for p in parts if not isinstance(p, str))
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\0":
            value = next(values)
            shown = ast.unparse(value.value) if isinstance(value, ast.FormattedValue) else ast.unparse(value)
            if quote:
                found.append(f"{shown} inside {quote}...{quote}")
            elif isinstance(value, ast.FormattedValue) and value.conversion in (ord("r"), ord("a")):
                found.append(f"{shown} quoted by Python's repr")
        elif quote is None and text.startswith("--", i):
            i = text.find("\n", i)  # a comment may hold an apostrophe
            if i < 0:
                break
        elif quote is None and c in "'\"":
            quote = c
        elif c == quote:
            quote = None
        i += 1
    return found


def violations(root: Path, packages=CHECKED) -> list[str]:
    out: list[tuple[str, int, str]] = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if path == HELPER:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            modules = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                       and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                       for t in n.targets if isinstance(t, ast.Name)}
            seen: set[int] = set()
            for node in ast.walk(tree):
                if id(node) in seen:
                    continue
                parts = _parts(node, modules)
                if parts is None:
                    continue
                seen.update(id(n) for n in ast.walk(node))  # an inner piece of a concatenation is not read again
                out += [(str(path.relative_to(root)), node.lineno, v) for v in hand_quoting(parts)]
    return [f"{path}:{line}: {v}" for path, line, v in sorted(out, key=lambda found: found[:2])]


def test_no_sql_text_quotes_by_hand():
    assert violations(ROOT) == [], "quote through contracts/sql.py (or bind a parameter)"


def test_hand_quoting_is_found(tmp_path):
    """The check itself, on the shapes it must find and the ones it must let through."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "bad.py").write_text('''
TEMPLATE = "select * from read_parquet('{files}')"
def f(con, path, col, name, lab):
    con.execute(f"attach '{path}' as warehouse (read_only)")
    con.execute(f"select {col} from read_parquet({path!r})")
    col = f'"{name}"'
    relation = f'"{name}"."{col}"'
    con.execute("copy t to '" + str(path) + "' (format parquet)")
    sql = TEMPLATE.format(files=path)
    term = (f"CASE WHEN x > 0 THEN format('{{}}: is after "
            f"the period {name}', y) END")
''')
    (tmp_path / "assets" / "good.py").write_text('''
from contracts.sql import path_literal, quote_identifier, quote_literal
MEASURE = """select {columns} from t -- the registry's own records
where x = $truth"""
def f(con, path, col, name, raw):
    con.execute(f"attach {path_literal(path)} as warehouse (read_only)")
    con.execute(f"select {quote_identifier(col)} from read_parquet($path)", {"path": str(path)})
    con.execute(f"select format('{{}}: {{}}', {quote_literal(name)}, '''' || left({raw}, 40) || '''')")
    sql = MEASURE.format(columns=quote_identifier(col))
    print(f"{path}: it's not a delivery from {name}")
''')
    found = violations(tmp_path, ("assets",))
    assert [v.split(": ", 1)[1] for v in found] == [
        "path inside '...'", "path quoted by Python's repr", "name inside \"...\"", "name inside \"...\"",
        "col inside \"...\"", "str(path) inside '...'",
        "files inside '...'", "name inside '...'"], found
    assert all(v.startswith("assets/bad.py:") for v in found)
