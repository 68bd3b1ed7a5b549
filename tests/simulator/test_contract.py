"""Every generated file conforms to SOURCES.md; the truth covers every source record key.

These tests read the files the way any consumer of the contract would (their own parsing, not the
simulator's code), so a drift between the simulator and SOURCES.md fails here.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import unicodedata
from collections import defaultdict
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest

from simulator import codes
from tests import duck

TAX_HEADER = ["纳税人识别号", "纳税人名称", "所属期", "增值税", "企业所得税", "其他税费", "税收合计", "销售收入",
              "主管税务机关"]
GRID_HEADER = ["户号", "户名", "用电地址", "用电类别", "电压等级", "抄表年月", "有功电量", "电费"]
MIIT_HEADER = ["企业名称", "统一社会信用代码", "认定类型", "级别", "认定年度", "有效期至"]
MOST_HEADER = ["证书编号", "企业名称", "统一社会信用代码", "发证日期", "有效期", "技术领域"]
LAND_HEADER = ["宗地编号", "权利人", "权利人证件号", "坐落", "用途", "面积", "权利类型", "园区", "起始日期", "终止日期"]
STATS_COLUMNS = ["单位代码", "单位详细名称", "行业代码", "工业总产值", "营业收入", "工业增加值", "研发费用",
                 "从业人员期末人数", "综合能源消费量"]
DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{4}/\d{2}/\d{2}|\d{8})$")


def read_csv(path: Path, encoding: str) -> list[list[str]]:
    raw = path.read_bytes()
    text = raw.decode(encoding)  # strict: a wrong encoding raises
    return list(csv.reader(io.StringIO(text)))


def normalize_code(code: str) -> str:
    return unicodedata.normalize("NFKC", code).replace(" ", "").upper()


def truth(root: Path) -> dict[str, dict[str, tuple]]:
    t = pq.read_table(root / "_truth" / "source_records.parquet").to_pylist()
    out: dict[str, dict[str, tuple]] = defaultdict(dict)
    for r in t:
        assert r["source_record_key"] not in out[r["source_system"]], "truth has a key twice"
        out[r["source_system"]][r["source_record_key"]] = (r["pripid"], r["owner_kind"], r["code_variant"])
    return out


def test_layout(small_root: Path):
    assert (small_root / "samr" / "samr.db").is_file()
    assert (small_root / "hrss").is_dir() and not any((small_root / "hrss").iterdir())
    assert sorted(p.name for p in (small_root / "tax").iterdir()) == [f"税收_2025{m:02d}.csv" for m in (10, 11, 12)]
    assert sorted(p.name for p in (small_root / "grid").iterdir()) == [f"用电量_2025{m:02d}.csv" for m in (10, 11, 12)]
    assert sorted(p.name for p in (small_root / "stats").iterdir()) == [
        "规上工业企业主要指标_2024.xlsx", "规上工业企业主要指标_2025.xlsx"]
    assert (small_root / "miit" / "企业认定名单.csv").is_file()
    assert (small_root / "most" / "高新技术企业名单.csv").is_file()
    assert sorted(p.name for p in (small_root / "eco").iterdir()) == ["排污许可_2024.jsonl", "排污许可_2025.jsonl"]
    assert sorted(p.name for p in (small_root / "cnipa").iterdir()) == [
        f"patents_{y}.jsonl" for y in (2023, 2024, 2025)]
    assert (small_root / "land" / "宗地登记.csv").is_file()


def test_tax_files(small_root: Path):
    periods, separators, refunds, suspects, keys = set(), 0, 0, 0, set()
    for path in sorted((small_root / "tax").glob("*.csv")):
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")  # really GBK, not UTF-8 that happens to decode
        rows = read_csv(path, "gbk")
        assert rows[0] == TAX_HEADER
        ym = path.stem.split("_")[1]
        for row in rows[1:]:
            assert len(row) == 9
            # its own month, or an earlier one for a return filed late
            assert re.fullmatch(r"\d{4}-?\d{2}", row[2]) and row[2].replace("-", "") <= ym
            periods.add(row[2])
            amounts = [float(v.replace(",", "")) for v in row[3:8]]
            separators += any("," in v for v in row[3:8])
            refunds += amounts[1] < 0
            suspects += abs(amounts[3] - sum(amounts[:3])) > 1
            keys.add(row[0].strip())
    assert any("-" in p for p in periods) and any("-" not in p for p in periods)
    assert separators > 0 and suspects > 0
    assert keys == set(truth(small_root)["tax"])


def test_tax_codes_fail_the_check_exactly_when_meant_to(small_root: Path):
    enterprises = {r["pripid"]: r for r in pq.read_table(small_root / "_truth" / "enterprises.parquet").to_pylist()}
    seen = defaultdict(int)
    for key, (pripid, kind, variant) in truth(small_root)["tax"].items():
        code = normalize_code(key)
        seen[variant] += 1
        if variant == "legacy":
            assert len(code) == 15 and codes.is_valid_org_code(code[6:])
        elif variant == "typo":
            assert not codes.is_valid_uscc(code)
        elif kind == "local_enterprise" and enterprises[pripid]["uscc_pilot"]:
            assert not codes.is_valid_uscc(code) and code == enterprises[pripid]["uscc"]
        else:
            assert codes.is_valid_uscc(code), (key, variant)
    assert {"exact", "lower", "spaced", "fullwidth", "typo", "legacy"} <= set(seen)


def test_registry(small_root: Path):
    con = sqlite3.connect(small_root / "samr" / "samr.db")
    rows = con.execute("select PRIPID, UNISCID, REGNO, ENTNAME, ENTTYPE, ESTDATE, REGSTATE, CANDATE, REGORG,"
                       " INDUSTRYCO, PARKCODE, REGCAPCUR from T_SCZTDJ").fetchall()
    enterprises = {r["pripid"]: r for r in pq.read_table(small_root / "_truth" / "enterprises.parquet").to_pylist()}
    assert len(rows) == len(enterprises) == 1500
    industries = {line.split(",")[1] for line in (Path(__file__).parents[2] / "dbt_project" / "seeds" /
                                                  "gbt4754_2017.csv").read_text(encoding="utf-8").splitlines()[1:]}
    names = set()
    for pripid, uscc, regno, name, enttype, est, state, can, regorg, industry, _park, cur in rows:
        assert len(pripid) == 36
        assert (regno is None) == (est >= "2015-10-01"), (est, regno)
        if regno:
            assert len(regno) == 15 and regno.isdigit()
        assert (can is not None) == (state in ("3", "4"))
        assert state in "12345" and cur in ("156", "840", "344", "978")
        assert industry in industries and len(industry) in (2, 4)
        if uscc:
            assert uscc[2:8] == regorg
            assert codes.is_valid_uscc(uscc) != enterprises[pripid]["uscc_pilot"]
            assert codes.is_valid_org_code(uscc[8:17])
            if enttype == "9500":
                assert uscc.startswith("92")
        if enttype in ("1190", "1290"):
            assert name.endswith("分公司") and uscc != None  # noqa: E711 - a branch has a USCC of its own
        assert name not in names
        names.add(name)
    changes = con.execute("select count(*), count(distinct PRIPID) from T_BGXX where ALTITEM = '名称'").fetchone()
    assert changes[0] > 0
    assert con.execute("select count(*) from T_JYYC").fetchone()[0] > 0
    assert con.execute("select count(*) from T_SCZTDJ where UNISCID is null").fetchone()[0] > 0


def test_stats_workbook_layout(small_root: Path):
    for path in sorted((small_root / "stats").glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == ["主要指标"]
        ws = wb["主要指标"]
        merged = {str(r) for r in ws.merged_cells.ranges}
        assert "年规模以上工业企业" in ws["A1"].value
        for col in "ABC":  # no group: named in row 2, merged down into row 3
            assert f"{col}2:{col}3" in merged
        assert ws["A4"].value == "单位:千元" and "A4:I4" in merged
        header = [ws.cell(2, c).value for c in range(1, 4)] + [ws.cell(3, c).value for c in range(4, 10)]
        assert [h.split("(")[0] for h in header] == STATS_COLUMNS
        data = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
        total_at = next(i for i, r in enumerate(data) if r[0] == "合计")
        assert total_at > 0 and all(str(r[0]).startswith("注") for r in data[total_at + 1:])
        for r in data[:total_at]:
            assert r[3] > 0 and r[4] >= 20_000  # 千元: main revenue of at least 20 million 元
            assert isinstance(r[7], int)
        assert abs(data[total_at][4] - sum(r[4] for r in data[:total_at])) < 1


def test_utf8_lists(small_root: Path):
    raw = (small_root / "miit" / "企业认定名单.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = read_csv(small_root / "miit" / "企业认定名单.csv", "utf-8-sig")
    assert rows[0] == MIIT_HEADER
    blank = sum(1 for r in rows[1:] if not r[1])
    assert 0.2 < blank / (len(rows) - 1) < 0.5  # "blank in about a third of rows"
    assert {f"{r[2]}|{r[0].strip()}" for r in rows[1:]} == set(truth(small_root)["miit"])
    rows = read_csv(small_root / "most" / "高新技术企业名单.csv", "utf-8")
    assert rows[0] == MOST_HEADER
    for r in rows[1:]:
        assert re.match(r"^GR\d{4}(32|33|44)\d{6}$", r[0]) and DATE.match(r[3]) and r[4] == "3"
    assert {r[0] for r in rows[1:]} == set(truth(small_root)["most"])
    rows = read_csv(small_root / "land" / "宗地登记.csv", "gbk")
    assert rows[0] == LAND_HEADER
    assert {r[4] for r in rows[1:]} <= {"工业用地", "仓储用地", "商服用地", "科教用地"}
    assert {r[0] for r in rows[1:]} == set(truth(small_root)["land"])


def test_grid_files(small_root: Path):
    keys = set()
    for path in sorted((small_root / "grid").glob("*.csv")):
        rows = read_csv(path, "utf-8")
        assert rows[0] == GRID_HEADER
        ym = path.stem.split("_")[1]
        for r in rows[1:]:
            assert r[5] == ym and r[3] in ("大工业", "一般工商业", "居民", "农业") and int(r[6]) >= 0
            keys.add(r[0])
    assert keys == set(truth(small_root)["grid"])
    kinds = {v[1] for v in truth(small_root)["grid"].values()}
    assert kinds == {"local_enterprise", "person", "sub_organisation"}


def test_json_lines(small_root: Path):
    eco_keys, cnipa_keys = set(), set()
    for path in (small_root / "eco").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            o = json.loads(line)
            assert set(o) == {"xkzbh", "dwmc", "hylb", "year", "cod_t", "nh3n_t", "so2_t", "nox_t", "vocs_t"}
            assert re.match(r"^[0-9A-Z]{18}\d{3}[PU]$", o["xkzbh"]) and o["year"] == int(path.stem[-4:])
            eco_keys.add(o["xkzbh"])
    for path in (small_root / "cnipa").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            o = json.loads(line)
            assert set(o) == {"sqh", "mc", "lx", "sqr", "sqrq", "sqggr", "flzt"}
            assert re.match(r"^CN\d{12}\.[\dX]$", o["sqh"]) and o["lx"] in ("发明", "实用新型", "外观设计")
            assert o["sqrq"].startswith(path.stem[-4:])
            cnipa_keys |= {f"{o['sqh']}#{k}" for k in range(1, len(o["sqr"]) + 1)}
    assert eco_keys == set(truth(small_root)["eco"])
    assert cnipa_keys == set(truth(small_root)["cnipa"])
    assert {v[1] for v in truth(small_root)["cnipa"].values()} == {
        "local_enterprise", "external_enterprise", "person", "institution", "sub_organisation"}


def test_truth_covers_stats_hrss_and_samr(small_root: Path):
    t = truth(small_root)
    stats_keys = set()
    for path in (small_root / "stats").glob("*.xlsx"):
        ws = openpyxl.load_workbook(path)["主要指标"]
        for row in ws.iter_rows(min_row=5, values_only=True):
            if row[0] == "合计":
                break
            stats_keys.add(str(row[0]).strip())
    assert stats_keys == set(t["stats"])
    hrss = duck.query(f"select distinct dwbh from read_parquet('{small_root}/_hrss_api/*.parquet')")
    assert {r[0] for r in hrss} == set(t["hrss"])
    pripids = {r[0] for r in sqlite3.connect(small_root / "samr" / "samr.db").execute("select PRIPID from T_SCZTDJ")}
    assert pripids == set(t["samr"])


def test_economically_coherent(small_root: Path):
    """Bigger enterprises pay more tax and use more power; about 1 in 25 entities is above designated size."""
    t = pq.read_table(small_root / "_truth" / "source_records.parquet")
    tax_rows = []
    for path in (small_root / "tax").glob("*.csv"):
        tax_rows += [(r[0].strip(), float(r[6].replace(",", ""))) for r in read_csv(path, "gbk")[1:]]
    grid_rows = []
    for path in (small_root / "grid").glob("*.csv"):
        grid_rows += [(r[0], float(r[6])) for r in read_csv(path, "utf-8")[1:]]
    con = duckdb.connect()
    con.register("t", t)
    con.execute("create table tax(k varchar, v double)")
    con.executemany("insert into tax values (?, ?)", tax_rows)
    con.execute("create table grid(k varchar, v double)")
    con.executemany("insert into grid values (?, ?)", grid_rows)
    rho = con.execute("""
        with tx as (select pripid, sum(v) v from tax join t on t.source_system='tax' and t.source_record_key=tax.k
                    where pripid is not null group by 1),
             gr as (select pripid, sum(v) v from grid join t on t.source_system='grid' and t.source_record_key=grid.k
                    where pripid is not null group by 1),
             r as (select rank() over (order by tx.v) a, rank() over (order by gr.v) b from tx join gr using (pripid))
        select corr(a, b) from r""").fetchone()[0]
    assert rho > 0.5
    above = con.execute(
        """select count(distinct source_record_key) from t where source_system = 'stats'""").fetchone()[0]
    assert 0.025 < above / 1500 < 0.08
