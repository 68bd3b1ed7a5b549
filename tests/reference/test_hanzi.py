"""Traditional -> simplified: the generated SQL map is OpenCC's, and name_key folds traditional names in DuckDB."""
from __future__ import annotations

import duckdb
import pytest

from reference import build, hanzi
from reference.converter_sample import SAMPLE

# a phrase OpenCC converts as a phrase (傢俱 -> 家具) but not character by character (俱 stays 俱)
PHRASE_LEVEL = {"臺山市傢俱廠"}


@pytest.fixture(scope="module")
def pairs() -> dict[str, str]:
    return hanzi.character_map()


def test_generated_macro_in_sync_with_opencc(pairs):
    assert build.HANZI_MACRO.read_text(encoding="utf-8") == hanzi.sql_macro(pairs), (
        "dbt_project/macros/generated_traditional_simplified.sql differs from OpenCC: run `python -m reference.build`")


def test_character_map_converts_the_hand_written_sample(pairs):
    table = str.maketrans(pairs)
    wrong = [(t, t.translate(table), s) for t, s in SAMPLE if t not in PHRASE_LEVEL and t.translate(table) != s]
    assert not wrong


def test_character_map_keeps_characters_that_are_also_simplified(pairs):
    # 著 (著名), 台, 里 are simplified characters too; HK/TW variants go to their simplified form
    assert "著" not in pairs and "台" not in pairs and "里" not in pairs
    assert pairs["衞"] == "卫" and pairs["綫"] == "线" and pairs["裡"] == "里" and pairs["臺"] == "台"


def test_name_key_folds_as_departments_write(compiled_name_key):
    """The dbt macro, compiled, run in DuckDB on the sample and on the other ways a name is written."""
    con = duckdb.connect()
    rows = [(t, s) for t, s in SAMPLE if t not in PHRASE_LEVEL] + [
        ("東莞市 華興電子 有限責任公司", "东莞市华兴电子有限公司"),
        ("华兴（东莞）电子有限公司", "华兴东莞电子有限公司"),
        ("ＡＢＣ電子(東莞)股份有限公司", "abc电子东莞股份公司"),
    ]
    con.execute("create table names(written varchar, registered varchar)")
    con.executemany("insert into names values (?, ?)", rows)
    got = con.execute(f"select written, {compiled_name_key('written')}, {compiled_name_key('registered')} "
                      "from names").fetchall()
    assert [(w, a) for w, a, b in got if a != b] == []
    empty = compiled_name_key(chr(39) * 2)
    assert con.execute(f"select {compiled_name_key('null')}, {empty}").fetchone() == (None, None)
