"""Bad input: a delivery that cannot be read as a whole fails with a message naming the file, the problem and
what was expected, leaving earlier loads intact; row-level problems are quarantined with a reason."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import xlsxwriter

from . import handmade
from .helpers import bronze, check_passed, failure, land, metadata, quarantine

TAX_HEADER = "纳税人识别号,纳税人名称,所属期,增值税,企业所得税,其他税费,税收合计,销售收入,主管税务机关"
GRID_HEADER = "户号,户名,用电地址,用电类别,电压等级,抄表年月,有功电量,电费"
GOOD_TAX = "91330782MA2JXXXX1Q,义乌市新星饰品有限公司,202406,100,20,5,125,1000,义乌税务"


@pytest.fixture()
def root(tmp_path) -> Path:
    return handmade.build(tmp_path / "root")


def put(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_delivery_leaves_earlier_load_intact(tmp_path, root):
    home = tmp_path / "home"
    assert land(["tax_returns"], home, root, partition="2024-06").success
    bronze_file = home / "lake" / "bronze" / "tax" / "returns" / "2024-06.parquet"
    before = digest(bronze_file)
    put(root, "tax/税收_202406.csv", (TAX_HEADER + "\n" + GOOD_TAX + "\n").encode("utf-8"))  # UTF-8, not GBK
    result = land(["tax_returns"], home, root, partition="2024-06")
    message = failure(result)
    assert "税收_202406.csv" in message and "UTF-8" in message and "GBK" in message
    assert digest(bronze_file) == before
    assert not [p for p in bronze_file.parent.iterdir() if p.name.startswith(".")]  # nothing half-written left


def test_gbk_where_utf8_is_declared(tmp_path, root):
    put(root, "grid/用电量_202406.csv", (GRID_HEADER + "\n0571,张三,义乌,居民,0.22kV,202406,1,1\n").encode("gbk"))
    message = failure(land(["grid_consumption"], tmp_path, root, partition="2024-06"))
    assert "用电量_202406.csv" in message and "not valid UTF-8" in message and "expected a UTF-8 file" in message


def test_bytes_that_are_not_gbk_far_into_the_file(tmp_path, root):
    """The gb18030 codec decodes while pyarrow parses; a broken byte past the first block still names its offset."""
    rows = "\n".join([GOOD_TAX] * 5000).encode("gbk")
    put(root, "tax/税收_202406.csv", TAX_HEADER.encode("gbk") + b"\n" + rows + b"\n9133,\x81\x20,202406,1\n")
    message = failure(land(["tax_returns"], tmp_path, root, partition="2024-06"))
    offset = len(TAX_HEADER.encode("gbk")) + 1 + len(rows) + 1 + len(b"9133,")
    assert "税收_202406.csv" in message and f"not valid GBK at byte {offset}" in message


def test_json_lines_that_are_not_utf8(tmp_path, root):
    good = json.dumps({"sqh": "CN1", "sqr": ["甲"], "sqrq": "2024-01-02"}, ensure_ascii=False).encode("utf-8")
    put(root, "cnipa/patents_2024.jsonl", good + b"\n" + good.replace("甲".encode("utf-8"), "甲".encode("gbk")))
    message = failure(land(["cnipa_patents"], tmp_path, root, partition="2024"))
    offset = len(good) + 1 + good.index("甲".encode("utf-8"))
    assert "patents_2024.jsonl" in message and f"not valid UTF-8 at byte {offset}" in message


def test_missing_required_column(tmp_path, root):
    header = TAX_HEADER.replace("纳税人识别号,", "")
    put(root, "tax/税收_202406.csv", (header + "\n义乌,202406,1,1,1,3,10,x\n").encode("gbk"))
    message = failure(land(["tax_returns"], tmp_path, root, partition="2024-06"))
    assert "missing required column(s) 纳税人识别号" in message and "税收_202406.csv" in message


def test_unknown_extra_column_loads_and_is_reported(tmp_path, root):
    put(root, "tax/税收_202406.csv", (TAX_HEADER + ",备注\n" + GOOD_TAX + ",补报\n").encode("gbk"))
    result = land(["tax_returns"], tmp_path, root, partition="2024-06")
    assert result.success and metadata(result, "tax_returns")["unknown_columns"] == "备注"
    assert len(bronze(tmp_path, "tax_returns", "2024-06")) == 1


def test_header_only_file_is_zero_rows(tmp_path, root):
    put(root, "tax/税收_202406.csv", (TAX_HEADER + "\r\n").encode("gbk"))
    result = land(["tax_returns"], tmp_path, root, partition="2024-06")
    assert result.success and check_passed(result)
    assert metadata(result, "tax_returns")["rows_in"] == 0 and bronze(tmp_path, "tax_returns", "2024-06") == []


def test_zero_byte_file(tmp_path, root):
    put(root, "tax/税收_202406.csv", b"")
    message = failure(land(["tax_returns"], tmp_path, root, partition="2024-06"))
    assert "税收_202406.csv" in message and "empty (0 bytes)" in message


def test_row_level_problems_are_quarantined_with_reasons(tmp_path, root):
    lines = [
        TAX_HEADER,
        GOOD_TAX,
        "91330782MA2JXXXX1Q,甲,202406,abc,0,0,0,0,义乌",  # text in a numeric field
        "91330782MA2JXXXX1Q,乙,2025-13,1,0,0,1,1,义乌",  # impossible period
        "91330782MA2JXXXX1Q,丙\x00丁,202406,1,0,0,1,1,义乌",  # NUL byte inside a field
        ",无代码,202406,1,0,0,1,1,义乌",  # required value missing
        "91330782MA2JXXXX1Q,戊,202407,1,0,0,1,1,义乌",  # a July row in the June delivery: not yet reportable
        "91330782MA2JXXXX1Q,己,202406,1,0",  # truncated last line
    ]
    put(root, "tax/税收_202406.csv", "\n".join(lines).encode("gbk"))
    result = land(["tax_returns"], tmp_path, root, partition="2024-06")
    assert result.success and check_passed(result)
    assert len(bronze(tmp_path, "tax_returns", "2024-06")) == 1
    q = {r["source_row"]: r for r in quarantine(tmp_path, "tax_returns", "2024-06")}
    assert set(q) == {3, 4, 5, 6, 7, 8}
    assert "增值税 (vat): 'abc' is not a number" in q[3]["reason"]
    assert "所属期 (tax_period): '2025-13' is not a month" in q[4]["reason"]
    assert "contains a NUL byte" in q[5]["reason"]
    assert "required field 纳税人识别号 (taxpayer_id) is empty" in q[6]["reason"]
    assert "所属期: 2024-07-01 is after the delivery's period 2024-06" in q[7]["reason"]
    assert "different number of fields" in q[8]["reason"] and q[8]["raw_values"].startswith("91330782")
    assert json.loads(q[3]["raw_values"])["增值税"] == "abc"
    assert q[3]["source_record_key"] == "91330782MA2JXXXX1Q" and q[3]["source_file"] == "tax/税收_202406.csv"
    md = metadata(result, "tax_returns")
    assert (md["rows_in"], md["rows_loaded"], md["rows_quarantined"]) == (7, 1, 6)


def test_mixed_line_endings(tmp_path, root):
    other = GOOD_TAX.replace("100", "200").replace("91330782MA2JXXXX1Q", "91330782MA2JYYYY2R")
    data = (TAX_HEADER + "\r\n" + GOOD_TAX + "\n" + other + "\r\n" + GOOD_TAX + "\n")
    put(root, "tax/税收_202406.csv", data.encode("gbk"))
    landed = land(["tax_returns"], tmp_path, root, "2024-06").success
    rows = bronze(tmp_path, "tax_returns", "2024-06") if landed else None
    assert rows is not None and [str(r["vat"]) for r in rows] == ["100.00", "200.00", "100.00"]
    assert [r["_source_row"] for r in rows] == [2, 3, 4]


def test_late_filing_loads_with_both_periods(tmp_path, root):
    late = GOOD_TAX.replace("202406", "202403")
    put(root, "tax/税收_202406.csv", "\n".join([TAX_HEADER, GOOD_TAX, late]).encode("gbk"))
    result = land(["tax_returns"], tmp_path, root, partition="2024-06")
    assert result.success and check_passed(result)
    rows = bronze(tmp_path, "tax_returns", "2024-06")
    assert [(str(r["tax_period"]), r["_delivery_partition"]) for r in rows] == [
        ("2024-06-01", "2024-06"), ("2024-03-01", "2024-06")]


def test_contradicting_duplicates_are_quarantined_both(tmp_path, root):
    copy = GOOD_TAX  # an exact copy loads (staging collapses and counts it)
    other = GOOD_TAX.replace("100", "999")  # the same taxpayer and month with other figures: which one is right?
    third = GOOD_TAX.replace("91330782MA2JXXXX1Q", "91330782MA2JYYYY2R")
    put(root, "tax/税收_202406.csv", "\n".join([TAX_HEADER, GOOD_TAX, copy, third]).encode("gbk"))
    assert land(["tax_returns"], tmp_path, root, partition="2024-06").success
    assert len(bronze(tmp_path, "tax_returns", "2024-06")) == 3
    put(root, "tax/税收_202406.csv", "\n".join([TAX_HEADER, GOOD_TAX, other, third]).encode("gbk"))
    result = land(["tax_returns"], tmp_path, root, partition="2024-06")
    assert result.success and check_passed(result)
    assert [r["_source_row"] for r in bronze(tmp_path, "tax_returns", "2024-06")] == [4]
    q = quarantine(tmp_path, "tax_returns", "2024-06")
    assert [r["source_row"] for r in q] == [2, 3]
    assert all("duplicate 纳税人识别号 + 所属期 91330782MA2JXXXX1Q | 2024-06-01 with different content" in r["reason"]
               and "rows 2, 3" in r["reason"] for r in q)


def test_impossible_values_are_quarantined_by_declared_rules(tmp_path, root):
    header = "户号,户名,用电地址,用电类别,电压等级,抄表年月,有功电量,电费"
    rows = ["A1,甲公司,地址,大工业,10kV,202406,1200.5,800",
            "A2,乙公司,地址,大工业,10kV,202406,-35,800",  # a negative meter reading
            "A3,丙公司,地址,大工业,10kV,202406,0,-12.5"]  # a credit on the bill is legal
    put(root, "grid/用电量_202406.csv", "\n".join([header, *rows]).encode("utf-8"))
    result = land(["grid_consumption"], tmp_path, root, partition="2024-06")
    assert result.success and check_passed(result)
    assert [r["account_number"] for r in bronze(tmp_path, "grid_consumption", "2024-06")] == ["A1", "A3"]
    q = quarantine(tmp_path, "grid_consumption", "2024-06")
    assert [(r["source_row"], r["reason"]) for r in q] == [
        (3, "有功电量 (active_energy): -35.0 is below its minimum 0")]


def test_unrecognised_files_are_warned_by_name(tmp_path, root):
    put(root, "tax/税收_202406.csv", "\n".join([TAX_HEADER, GOOD_TAX]).encode("gbk"))
    put(root, "tax/税收_202413.csv", b"x")
    put(root, "tax/tax_202406.csv", b"x")
    put(root, "tax/_archive/old.csv", b"x")  # `_` names are not deliveries (SOURCES.md): not reported
    result = land(["tax_returns"], tmp_path, root, partition="2024-06")
    assert result.success
    warning = next(c for c in result.get_asset_check_evaluations() if c.check_name == "files_recognised")
    assert not warning.passed and warning.severity.value == "WARN"
    assert "tax/税收_202413.csv: names an impossible period 202413" in warning.description
    assert "tax/tax_202406.csv: matches no delivery name (expected 税收_{period}.csv)" in warning.description
    assert "_archive" not in warning.description


def test_xlsx_renamed_csv(tmp_path, root):
    shutil.copy(root / "stats" / "规上工业企业主要指标_2024.xlsx", root / "tax" / "税收_202406.csv")
    message = failure(land(["tax_returns"], tmp_path, root, partition="2024-06"))
    assert "税收_202406.csv" in message and "Excel workbook" in message and "expected gbk CSV" in message


def workbook(path: Path, sheet: str = "主要指标", units: str = "单位:千元", trailer: list[list] = ()) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    ws.write(0, 0, "标题")
    for c, name in enumerate(["单位代码", "单位详细名称", "行业代码"]):
        ws.merge_range(1, c, 2, c, name)
    ws.write_row(2, 3, ["工业总产值", "营业收入", "工业增加值", "研发费用", "从业人员期末人数", "综合能源消费量"])
    ws.merge_range(3, 0, 3, 8, units)
    ws.write_row(4, 0, ["91330782MA2JXXXX1Q", "甲", "2438", 1, 2, 3, 4, 5, 6])
    for i, row in enumerate(trailer, start=5):
        ws.write_row(i, 0, row)
    wb.close()


def test_total_and_note_rows_in_any_column(tmp_path, root):
    workbook(root / "stats" / "规上工业企业主要指标_2024.xlsx", trailer=[
        ["91330782MA2JYYYY2R", "注塑机械有限公司", "3421", 1, 2, 3, 4, 5, 6],  # a unit whose name begins with 注
        [None, "合 计", None, 2, 4, 6, 8, 10, 12],  # the total written under the name column
        [None, None, "总计", 2, 4, 6, 8, 10, 12],
        ["注：1. 本表为规模以上工业企业。"],
        ["2.从业人员期末人数单位为人,其余为千元。"],  # a note running on to a line of its own
        [None, "注:数据截至年末"],
        ["91330782MA2JZZZZ3T", "丙", "3421", 1, 2, 3, 4, 5, 6],  # a row after the notes is still data, not dropped
    ])
    result = land(["stats_indicators"], tmp_path, root, partition="2024")
    assert result.success and check_passed(result)
    assert [r["unit_name"] for r in bronze(tmp_path, "stats_indicators", "2024")] == ["甲", "注塑机械有限公司", "丙"]
    md = metadata(result, "stats_indicators")
    assert (md["rows_in"], md["rows_loaded"]) == (3, 3)


def test_xlsx_without_the_sheet(tmp_path, root):
    workbook(root / "stats" / "规上工业企业主要指标_2024.xlsx", sheet="Sheet1")
    message = failure(land(["stats_indicators"], tmp_path, root, partition="2024"))
    assert "no sheet named 主要指标" in message and "Sheet1" in message


def test_units_row_that_does_not_say_thousands(tmp_path, root):
    workbook(root / "stats" / "规上工业企业主要指标_2024.xlsx", units="单位:万元")
    message = failure(land(["stats_indicators"], tmp_path, root, partition="2024"))
    assert "units line (row 4)" in message and "万元" in message and "千元" in message


def test_broken_json_line_and_wrong_types(tmp_path, root):
    good = {"xkzbh": "91330782MA2JXXXX1Q001U", "dwmc": "甲", "hylb": "x", "year": 2024, "cod_t": 1.5,
            "nh3n_t": None, "so2_t": 1, "nox_t": 0, "vocs_t": None}
    lines = [json.dumps(good, ensure_ascii=False),
             '{"xkzbh": "91330782MA2JXXXX1Q002U", "dwmc": "乙", "year": 2024, "cod_t": ',  # broken
             json.dumps({**good, "xkzbh": "X3", "cod_t": "很多"}, ensure_ascii=False),  # wrong type
             json.dumps({**good, "xkzbh": "X4", "year": "2024", "cod_t": "2.5"}, ensure_ascii=False),  # numbers as text
             "[1, 2]",
             json.dumps({**good, "xkzbh": "X6", "dwmc": ["甲"]}, ensure_ascii=False)]  # a list where text belongs
    put(root, "eco/排污许可_2024.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))
    result = land(["eco_permits"], tmp_path, root, partition="2024")
    assert result.success and check_passed(result)
    loaded = bronze(tmp_path, "eco_permits", "2024")
    assert [(r["permit_number"], r["year"], r["cod"]) for r in loaded] == [
        ("91330782MA2JXXXX1Q001U", 2024, 1.5), ("X4", 2024, 2.5)]
    q = {r["source_row"]: r["reason"] for r in quarantine(tmp_path, "eco_permits", "2024")}
    assert q[2] == "not valid JSON" and q[5] == "not a JSON object"
    assert "cod_t (cod): '很多' is not a number" in q[3]
    assert "dwmc (holder_name): expected a string, got JSON array" in q[6]


def test_patent_applicants_must_be_a_list_of_strings(tmp_path, root):
    def patent(sqh, sqr, sqrq="2024-01-01"):
        return json.dumps({"sqh": sqh, "mc": "a", "lx": "发明", "sqr": sqr, "sqrq": sqrq, "sqggr": None, "flzt": "x"})

    put(root, "cnipa/patents_2024.jsonl", "\n".join([
        patent("CN1", ["甲"]),
        patent("CN2", "甲"),
        patent("CN3", ["甲", 3]),
        patent("CN4", [], "2024-02-30"),
    ]).encode("utf-8"))
    result = land(["cnipa_patents"], tmp_path, root, partition="2024")
    assert result.success and [r["application_number"] for r in bronze(tmp_path, "cnipa_patents", "2024")] == ["CN1"]
    q = {r["source_record_key"]: r["reason"] for r in quarantine(tmp_path, "cnipa_patents", "2024")}
    assert "expected a list of strings" in q["CN2"] and "expected a list of strings" in q["CN3"]
    assert "required field sqr (applicants) is empty" in q["CN4"] and "'2024-02-30' is not a date" in q["CN4"]


def test_dates_written_as_numbers_and_old_years_load(tmp_path, root):
    put(root, "cnipa/patents_1998.jsonl", json.dumps(
        {"sqh": "CN98", "mc": "a", "lx": "发明", "sqr": ["甲"], "sqrq": 19980203, "sqggr": "1999/05/06", "flzt": "x"},
        ensure_ascii=False).encode("utf-8"))
    result = land(["cnipa_patents"], tmp_path, root, partition="1998")
    assert result.success and check_passed(result)
    [row] = bronze(tmp_path, "cnipa_patents", "1998")
    assert (str(row["filed_on"]), str(row["granted_on"])) == ("1998-02-03", "1999-05-06")


def test_database_unreachable_or_without_the_table(tmp_path, root):
    message = failure(land(["samr_entities"], tmp_path, root,
                           samr_url="postgresql+psycopg2://nobody:secret-pw@127.0.0.1:1/none"))
    assert "S1 database" in message and "OperationalError" in message and "secret-pw" not in message
    import sqlite3

    sqlite3.connect(tmp_path / "other.db").execute("create table unrelated (x)")
    message = failure(land(["samr_entities"], tmp_path, root, samr_url=f"sqlite:///{tmp_path / 'other.db'}"))
    assert "table T_SCZTDJ not found" in message and "unrelated" in message
