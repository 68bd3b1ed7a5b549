"""Names as registrations and departments really write them: the forms, their compositions and their rates on a
small root, and a truth that says, per record, how many variations its name carries and which.

The written names are read back from the delivered files (CSV, JSON Lines), not from the simulator's memory.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from zhconv_rs import zhconv

from simulator.drift import division_spellings
from simulator.geography import REGIONS
from simulator.names import (
    AFTER_TRADE,
    BEFORE_FORM,
    FIRST,
    OMITTED,
    VARIATION_KINDS,
    NameParts,
    render,
    vary,
)

SPELLINGS = ("东莞市", "广东省东莞市", "东莞")
TOWNS = ("寮步", "大朗")
HUAXIN = NameParts("东莞市", FIRST, "华鑫", "电子科技", "有限公司")
INSTITUTION_LIKE = re.compile(r"^(1[1-5]|5[0-4])")


def rng(seed: int = 1) -> np.random.Generator:
    return np.random.default_rng(seed)


# ------------------------------------------------------------------------------------- hand-checked names
@pytest.mark.parametrize("parts,name", [
    (HUAXIN, "东莞市华鑫电子科技有限公司"),
    (HUAXIN._replace(division="东莞", position=AFTER_TRADE), "华鑫（东莞）电子科技有限公司"),
    (HUAXIN._replace(division="东莞", position=BEFORE_FORM), "华鑫电子科技（东莞）有限公司"),
    (HUAXIN._replace(division=None, position=OMITTED), "华鑫电子科技有限公司"),
    (HUAXIN._replace(tail="寮步分公司"), "东莞市华鑫电子科技有限公司寮步分公司"),
])
def test_registered_forms(parts, name):
    assert render(parts) == name


@pytest.mark.parametrize("kinds,name", [
    ([], "东莞市华鑫电子科技有限公司"),
    (["division_dropped"], "华鑫电子科技有限公司"),
    (["division_dropped", "legal_form_swapped"], "华鑫电子科技有限责任公司"),
    (["legal_form_swapped", "traditional"], None),  # traditional: checked below
    (["former_name", "division_dropped"], "宏达纺织有限公司"),
    (["site_suffix", "legal_form_swapped"], None),
])
def test_compositions_of_two(kinds, name):
    former = NameParts("东莞市", FIRST, "宏达", "纺织", "有限公司")
    written, done = vary(rng(), HUAXIN, former, kinds, SPELLINGS, TOWNS)
    assert done == tuple(k for k in ("former_name", "division_dropped", "legal_form_swapped", "site_suffix",
                                     "traditional") if k in kinds)
    if name:
        assert written == name
    if "traditional" in kinds:
        assert written != "东莞市华鑫电子科技有限责任公司"
        assert zhconv(written, "zh-hans") == "东莞市华鑫电子科技有限责任公司"
    if "site_suffix" in kinds:
        assert written.startswith("东莞市华鑫电子科技有限责任公司")
        assert len(written) > len("东莞市华鑫电子科技有限责任公司")


def test_three_at_once_in_brackets():
    parts = HUAXIN._replace(division="东莞", position=AFTER_TRADE)
    written, done = vary(rng(3), parts, None, ["legal_form_swapped", "spaces", "full_width"], SPELLINGS, TOWNS)
    assert done == ("legal_form_swapped", "spaces", "full_width")
    assert "(东莞)" in written and ("\u3000" in written or " " in written)
    assert written.replace("\u3000", "").replace(" ", "") == "华鑫(东莞)电子科技有限责任公司"


def test_division_moved_and_respelled():
    moved = Counter()
    for seed in range(60):
        name, done = vary(rng(seed), HUAXIN, None, ["division_moved"], SPELLINGS, TOWNS)
        assert done == ("division_moved",)
        moved[name] += 1
    # behind the trade name (with or, typed carelessly, without brackets) or before the legal form
    assert set(moved) == {"华鑫（东莞）电子科技有限公司", "华鑫东莞电子科技有限公司", "华鑫电子科技（东莞）有限公司"}
    respelled, done = vary(rng(), HUAXIN, None, ["division_respelled"], SPELLINGS, TOWNS)
    assert done == ("division_respelled",)
    assert respelled in ("广东省东莞市华鑫电子科技有限公司", "东莞华鑫电子科技有限公司")
    added, done = vary(rng(), HUAXIN._replace(division=None, position=OMITTED), None, ["division_added"], SPELLINGS,
                       TOWNS)
    assert (added, done) == ("东莞市华鑫电子科技有限公司", ("division_added",))


def test_a_kind_that_changes_nothing_is_not_counted():
    # no brackets and no spaces to widen; no former name to fall back to
    written, done = vary(rng(), HUAXIN, None, ["full_width", "former_name"], SPELLINGS, TOWNS)
    assert (written, done) == ("东莞市华鑫电子科技有限公司", ())


def test_abbreviation_never_leaves_a_bare_trade_name():
    for seed in range(40):
        written, done = vary(rng(seed), HUAXIN, None, ["division_dropped", "abbreviated"], SPELLINGS, TOWNS)
        assert "华鑫电子" in written, written  # without its division the name keeps its industry


# ----------------------------------------------------------------------------------- the generated root
def _csv(path: Path, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding))))[1:]


def written_names(root: Path) -> dict[tuple[str, str], str]:
    """(source, source record key) -> the name as delivered, read from the files."""
    out: dict[tuple[str, str], str] = {}
    for path in sorted((root / "tax").glob("*.csv")):
        for r in _csv(path, "gbk"):
            out[("tax", r[0].strip())] = r[1]
    for path in sorted((root / "grid").glob("*.csv")):
        for r in _csv(path, "utf-8"):
            out[("grid", r[0])] = r[1]
    for r in _csv(root / "land" / "宗地登记.csv", "gbk"):
        out[("land", r[0])] = r[1]
    for r in _csv(root / "most" / "高新技术企业名单.csv", "utf-8"):
        out[("most", r[0])] = r[1]
    for r in list(csv.reader(io.StringIO((root / "miit" / "企业认定名单.csv").read_text(encoding="utf-8-sig"))))[1:]:
        out[("miit", f"{r[2]}|{r[0].strip()}")] = r[0]
    for path in (root / "cnipa").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            o = json.loads(line)
            for pos, name in enumerate(o["sqr"], start=1):
                out[("cnipa", f"{o['sqh']}#{pos}")] = name
    for path in (root / "eco").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            o = json.loads(line)
            out[("eco", o["xkzbh"])] = o["dwmc"]
    return out


@pytest.fixture(scope="module")
def records(small_root: Path) -> list[dict]:
    """Every departmental record of the truth, with its written name and its owner's registered names."""
    enterprises = {r["pripid"]: r for r in pq.read_table(small_root / "_truth" / "enterprises.parquet").to_pylist()}
    names = written_names(small_root)
    out = []
    for r in pq.read_table(small_root / "_truth" / "source_records.parquet").to_pylist():
        key = (r["source_system"], r["source_record_key"])
        if key in names:
            e = enterprises.get(r["pripid"]) or {}
            out.append({**r, "written": names[key], "registered": e.get("name"), "former": e.get("former_name"),
                        "region": e.get("region"),
                        "kinds": [k for k in r["variation_kinds"].split(";") if k]})
    return out


def test_truth_counts_the_variations_it_names(records):
    assert len(records) > 3000
    for r in records:
        assert r["variations"] == len(r["kinds"]) == r["name_variant"], r
        assert set(r["kinds"]) <= set(VARIATION_KINDS), r
        assert len(set(r["kinds"])) == len(r["kinds"]), r
        if r["owner_kind"] == "local_enterprise":
            # no variation: written exactly as registered; any variation: written otherwise
            assert (r["variations"] == 0) == (r["written"] == r["registered"]), r


def test_each_named_variation_is_visible_in_the_written_name(records):
    seen = Counter()
    for r in records:
        if r["owner_kind"] != "local_enterprise":
            continue
        w, kinds = r["written"], set(r["kinds"])
        plain = zhconv(w, "zh-hans").replace(" ", "").replace("\u3000", "").replace("(", "（").replace(")", "）")
        assert ("traditional" in kinds) == (zhconv(w, "zh-hans") != w), r
        assert ("spaces" in kinds) == (" " in w or "\u3000" in w), r
        if "legal_form_swapped" in kinds and "former_name" not in kinds:
            assert ("有限责任公司" in plain) != ("有限责任公司" in r["registered"]), r
        if "former_name" in kinds:
            ratio = lambda a, b: SequenceMatcher(None, a, b).ratio()  # noqa: E731
            assert ratio(plain, r["former"]) > ratio(plain, r["registered"]), r
        if "site_suffix" in kinds:
            assert re.search(r"(厂|车间|仓库|研发楼|宿舍|厂区）|期）)$", plain), r
        if "division_dropped" in kinds and "公司" in r["registered"]:
            region = next(g for g in REGIONS if g.code == r["region"])
            assert not any(plain.startswith(s) or f"（{s}）" in plain for s in division_spellings(region)), r
        seen.update(kinds)
    assert seen["former_name"] and seen["site_suffix"] and seen["division_dropped"] and seen["legal_form_swapped"]


def test_forms_and_compositions_at_their_rates(records):
    departmental = [r for r in records if r["owner_kind"] == "local_enterprise"]
    careless = [r for r in departmental if r["source_system"] in ("tax", "miit", "land", "cnipa")]
    counts = Counter(min(r["variations"], 3) for r in careless)
    n = len(careless)
    assert 0.62 < counts[0] / n < 0.80, counts  # drawn 70 / 20 / 7 / 3 %
    assert 0.14 < counts[1] / n < 0.28, counts
    assert 0.04 < (counts[2] + counts[3]) / n < 0.16, counts
    assert counts[3] / n > 0.01, counts
    kinds = Counter(k for r in departmental for k in r["kinds"])
    for kind in VARIATION_KINDS:
        assert kinds[kind] >= 10, (kind, kinds)
    pairs = Counter(tuple(sorted(r["kinds"])) for r in departmental if r["variations"] >= 2)
    assert len(pairs) >= 30, pairs  # compositions are many, not a few fixed recipes
    # every careless source carries several at once on some records
    for source in ("tax", "miit", "land", "cnipa", "grid"):
        assert any(r["variations"] >= 2 for r in departmental if r["source_system"] == source), source


def test_registry_writes_the_division_in_every_legal_position(small_root: Path):
    names = [r[0] for r in sqlite3.connect(small_root / "samr" / "samr.db").execute(
        "select ENTNAME from T_SCZTDJ where ENTTYPE in ('1100', '1200')")]
    after_trade = sum(bool(re.match(r"^[^（]{2,3}（[^）]+）", n)) for n in names)
    before_form = sum(bool(re.search(r"（[^）]+）(有限公司|有限责任公司|股份有限公司)$", n)) for n in names)
    omitted = sum(not re.match(r"^(东莞|广东|义乌|浙江|绍兴|上虞|柯桥|张家港|江苏)", n) and "（" not in n
                  for n in names)
    n = len(names)
    assert 0.06 < after_trade / n < 0.15 and 0.02 < before_form / n < 0.09 and 0.02 < omitted / n < 0.09, (
        after_trade, before_form, omitted, n)


def test_holders_that_are_not_the_enterprise(records):
    subs = [r for r in records if r["owner_kind"] == "sub_organisation"]
    assert {r["source_system"] for r in subs} == {"grid", "cnipa"}
    assert all(r["pripid"] is None for r in subs)
    assert all(re.search(r"(工会委员会|工会|党支部|食堂|团委|支部委员会)$", r["written"]) for r in subs)
    # a patent is filed by a trade union, never by a canteen
    assert all(re.search(r"(工会委员会|工会)$", r["written"]) for r in subs if r["source_system"] == "cnipa")


def test_enterprises_registered_elsewhere_share_local_name_cores(records, small_root: Path):
    registered = [r[0] for r in sqlite3.connect(small_root / "samr" / "samr.db").execute(
        "select ENTNAME from T_SCZTDJ")]
    external = [r for r in records if r["owner_kind"] == "external_enterprise"]
    assert all(r["pripid"] is None for r in external)
    twins = [r for r in external if any(name.endswith(r["written"][-8:]) for name in registered)]
    assert len(twins) >= 5
    # tax writes some without their division (then only the code tells them from the local namesake); a patent
    # names its applicant as registered
    assert any("division_dropped" in r["kinds"] for r in twins if r["source_system"] == "tax")
    assert not any(r["kinds"] for r in external if r["source_system"] == "cnipa")
    enterprises = pq.read_table(small_root / "_truth" / "enterprises.parquet").to_pylist()
    local_by_core = {e["name"][-8:]: e["region"] for e in enterprises}
    # a namesake's city never contains the local enterprise's county (苏州 holds 张家港): that would be the same name
    for r in twins:
        region = local_by_core.get(r["written"][-8:])
        if region and r["source_system"] == "tax" and len(r["source_record_key"]) == 18:
            assert r["source_record_key"][2:6] != region[:4], r


def test_legacy_taxpayer_numbers_from_divisions_that_look_like_institutions(small_root: Path):
    t = pq.read_table(small_root / "_truth" / "source_records.parquet").to_pylist()
    legacy = [r for r in t if r["source_system"] == "tax" and r["code_variant"] == "legacy"]
    local = [r for r in legacy if r["owner_kind"] == "local_enterprise"]
    assert any(INSTITUTION_LIKE.match(r["source_record_key"]) for r in local)
    assert all(len(r["source_record_key"]) == 15 for r in legacy)


def test_late_filings(small_root: Path):
    late = total = 0
    for path in sorted((small_root / "tax").glob("*.csv")):
        ym = path.stem.split("_")[1]
        for r in _csv(path, "gbk"):
            period = r[2].replace("-", "")
            assert period <= ym, (path.name, r)
            late += period < ym
            total += 1
    assert 0 < late < total * 0.01
