"""A small sources root written by hand, directly per SOURCES.md, without our simulator.

Other enterprises, other habits: codes with spaces, YYYY/MM/DD dates, a registry with a free-text
SQLite schema (a date as a DATETIME(6) writes it), `YYYY-MM` periods, names with quotes, `=` and SQL keywords.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import xlsxwriter

PRIPIDS = ("HM-0001", "HM-0002", "HM-0003")


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str, bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(header)] + [",".join(str(v) for v in r) for r in rows]
    data = ("\n".join(lines) + "\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def build(root: Path) -> Path:
    (root / "samr").mkdir(parents=True)
    con = sqlite3.connect(root / "samr" / "samr.db")
    # another department's registry: untyped columns, dates as text
    con.executescript("""
        CREATE TABLE T_SCZTDJ (PRIPID, UNISCID, REGNO, ENTNAME, ENTTYPE, LEREP, CERNO, TEL, REGCAP, REGCAPCUR,
                               ESTDATE, REGSTATE, CANDATE, DOM, REGORG, INDUSTRYCO, OPSCOPE, PARKCODE, UPDATE_TIME);
        CREATE TABLE T_BGXX (PRIPID, ALTITEM, ALTBE, ALTAF, ALTDATE);
        CREATE TABLE T_JYYC (PRIPID, UNISCID, ENTNAME, SPECAUSE, ABNTIME, REMDATE);
    """)
    con.executemany("INSERT INTO T_SCZTDJ VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
        ("HM-0001", "91330782MA2JXXXX1Q", None, '义乌市"新星"饰品有限公司', "1100", "李明", "330782199001011234",
         "13800000001", 500, "156", "2019-05-06", "1", None, "浙江省义乌市稠城街道", "330782", "2438", "饰品制造",
         None, "2024-01-02 10:00:00"),
        ("HM-0002", None, "330782000123456", "义乌市SELECT=1贸易商行", "4100", "王芳", "330782198505052345",
         "13800000002", 10.5, "156", "2009/03/01", "3", "2024-06-30 00:00:00.000000", "浙江省义乌市佛堂镇", "330782",
         "51", None, "P-YW-01", "2024-07-01 08:00:00"),
        ("HM-0003", "92330782MA2KYYYY2R", None, "义乌市佛堂小王面馆", "9500", "王五", "330782197001013456",
         "13800000003", 1, "156", "20210101", "1", None, "义乌市佛堂镇", "330782", "6211", None, None,
         "2021-01-01 00:00:00"),
    ])
    con.executemany("INSERT INTO T_BGXX VALUES (?,?,?,?,?)",
                    [("HM-0001", "名称", "义乌市新星饰品厂", '义乌市"新星"饰品有限公司', "2020-01-01")])
    con.executemany("INSERT INTO T_JYYC VALUES (?,?,?,?,?,?)",
                    [("HM-0003", "92330782MA2KYYYY2R", "义乌市佛堂小王面馆", "未按规定公示年报", "2023-07-01", None)])
    con.commit()
    con.close()

    tax_header = ["纳税人识别号", "纳税人名称", "所属期", "增值税", "企业所得税", "其他税费", "税收合计", "销售收入",
                  "主管税务机关"]
    write_csv(root / "tax" / "税收_202406.csv", tax_header, [
        ["9133 0782 MA2J XXXX 1Q", '"义乌市""新星""饰品有限公司"', "2024-06", '"1,200.50"', "-300.00", "20", "920.50",
         "50000", "义乌税务"],
        ["330782123456789", "义乌市SELECT=1贸易商行", "2024-06", "10", "0", "1", "11", "900", "义乌税务"],
        ["330782123456789", "义乌市SELECT=1贸易商行", "2024-06", "10", "0", "1", "11", "900", "义乌税务"],
    ], "gbk")
    stats = root / "stats" / "规上工业企业主要指标_2024.xlsx"
    stats.parent.mkdir(parents=True)
    wb = xlsxwriter.Workbook(str(stats))
    ws = wb.add_worksheet("主要指标")
    ws.merge_range(0, 0, 0, 8, "2024年规模以上工业企业主要经济指标")
    for c, name in enumerate(["单位代码", "单位详细名称", "行业代码"]):
        ws.merge_range(1, c, 2, c, name)
    ws.merge_range(1, 3, 1, 6, "主要经济指标")
    ws.merge_range(1, 7, 1, 8, "其他")
    ws.write_row(2, 3, ["工业总产值", "营业收入", "工业增加值", "研发费用", "从业人员期末人数", "综合能源消费量"])
    ws.merge_range(3, 0, 3, 8, "单位：千元")
    ws.write_row(4, 0, ["MA2JXXXX-1", '义乌市"新星"饰品有限公司', "2438", 30000, 29000.5, 7000, 900, 120, 350.5])
    ws.write_row(5, 0, ["合计", "", "", 30000, 29000.5, 7000, 900, 120, 350.5])
    ws.write(6, 0, "注：本表为手工编制")
    wb.close()
    write_csv(root / "miit" / "企业认定名单.csv",
              ["企业名称", "统一社会信用代码", "认定类型", "级别", "认定年度", "有效期至"], [
        ['义乌市"新星"饰品有限公司'.replace('"', '""').join('""'), "", "专精特新中小企业", "省级", "2023",
         "2026/12/31"],
    ], "utf-8", bom=True)
    write_csv(root / "grid" / "用电量_202406.csv",
              ["户号", "户名", "用电地址", "用电类别", "电压等级", "抄表年月", "有功电量", "电费"], [
        ["0571000001", '义乌市"新星"饰品有限公司二厂'.replace('"', '""').join('""'), "义乌市稠城", "大工业", "10kV",
         "202406", "12000", "7800"],
        ["0571000002", "王五", "义乌市佛堂镇", "居民", "0.22kV", "202406", "210", "121.8"],
    ], "utf-8")
    (root / "eco").mkdir()
    (root / "eco" / "排污许可_2024.jsonl").write_text(json.dumps(
        {"xkzbh": "91330782MA2JXXXX1Q001U", "dwmc": "义乌市新星饰品有限公司", "hylb": "饰品", "year": 2024,
         "cod_t": 0.5, "nh3n_t": None, "so2_t": 0.1, "nox_t": 0.2, "vocs_t": None}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    write_csv(root / "most" / "高新技术企业名单.csv",
              ["证书编号", "企业名称", "统一社会信用代码", "发证日期", "有效期", "技术领域"], [
        ["GR202333001234", '义乌市"新星"饰品有限公司'.replace('"', '""').join('""'), "91330782MA2JXXXX1Q",
         "20231201", "3", "新材料"],
    ], "utf-8")
    (root / "cnipa").mkdir()
    (root / "cnipa" / "patents_2024.jsonl").write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in [
        {"sqh": "CN202410000001.1", "mc": "一种饰品", "lx": "外观设计", "sqr": ['义乌市"新星"饰品有限公司', "张三"],
         "sqrq": "2024-02-03", "sqggr": None, "flzt": "审中"},
    ]) + "\n", encoding="utf-8")
    write_csv(root / "land" / "宗地登记.csv",
              ["宗地编号", "权利人", "权利人证件号", "坐落", "用途", "面积", "权利类型", "园区", "起始日期",
               "终止日期"], [
        ["330782001001GB00001", '义乌市"新星"饰品有限公司'.replace('"', '""').join('""'), "MA2JXXXX-1",
         "义乌市稠城", "工业用地", "6666.7", "出让", "", "2019/06/01", "2069/05/31"],
    ], "gbk")
    (root / "_notes").mkdir()  # not a delivery
    (root / "tax" / ".税收_202407.csv.partial").write_bytes(b"garbage")  # not a delivery either
    return root
