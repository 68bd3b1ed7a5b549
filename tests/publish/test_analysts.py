"""docs/analysts.md: every example query runs against the published analytics.duckdb, read-only."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb

DOC = Path(__file__).resolve().parents[2] / "docs" / "analysts.md"


def queries() -> list[str]:
    return [q for q in re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)]


def test_the_example_questions_run_on_the_published_database(default_published):
    _, home = default_published
    assert len(queries()) == 21
    con = duckdb.connect(str(home / "published" / "analytics.duckdb"), read_only=True)
    try:
        answered = [len(con.execute(q).fetchall()) for q in queries()]
    finally:
        con.close()
    # every question has an answer on the default data (a gap list may legitimately be empty elsewhere)
    assert all(n > 0 for i, n in enumerate(answered) if i != 2), answered


def test_an_open_analyst_session_survives_a_publication(default_published):
    """The database is replaced by a rename: an open read-only session keeps working, a new one sees the new file."""
    from assets.publish import store

    _, home = default_published
    path = home / "published" / "analytics.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    try:
        before = con.execute("select count(*) from enterprise_profile").fetchone()[0]
        inode = path.stat().st_ino
        store.build_analytics(home / "published")
        assert path.stat().st_ino != inode
        assert con.execute("select count(*) from enterprise_profile").fetchone()[0] == before
    finally:
        con.close()
    with duckdb.connect(str(path), read_only=True) as fresh:
        assert fresh.execute("select count(*) from enterprise_profile").fetchone()[0] == before
