"""A second world: a sources root for Chengdu (四川省成都市), written by hand directly per ../shared/SOURCES.md.

Nothing here comes from `simulator/` (nor imports it): other enterprises, other divisions (510104 锦江区, 510107
武侯区, 510116 双流区, 510112 龙泉驿区 ...), other parks (成都高新技术产业开发区, 成都经济技术开发区) and the habits of
real departments: a registered name with the division in brackets (华锦（成都）...), traditional characters, a
grid account held by a trade union, a branch (分公司) registered on its own, an enterprise of Beijing whose name
core is a local one's, a late-filed tax row, a legacy taxpayer number whose division starts 51, an organization
code written with a hyphen, a deregistered enterprise whose meter keeps running.

Every record below names its owner by hand: an entity key (`E01` ...) of the registry, or why it has none
(PERSON, INSTITUTION, ELSEWHERE for an enterprise registered in another jurisdiction, SUB_ORG for a body of an
enterprise that is not the enterprise). `expected_links()` collects them into the table
(source_system, source_record_key) -> Expect(pripid or None, reason) that the test holds the pipeline to.

`write(root)` writes every file of the ten departments (S5 is served over HTTP by `HrssServer`, nothing on disk)
and `_truth/source_records.parquet` (ignored by the pipeline as every `_` name, read only to measure it);
`write_parks_file(path)` writes the city's parks file.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlparse

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

# ---------------------------------------------------------------------------------------------------------------
# national codes (SOURCES.md: GB 32100-2015 and GB 11714-1997)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I O S V Z
ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def org_code(body: str) -> str:
    """GB 11714: 8 body characters + check (weights 3 7 9 10 5 8 4 2; 11 - sum mod 11, 10 -> X, 11 -> 0)."""
    assert len(body) == 8, body
    total = sum(ORG_ALPHABET.index(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def uscc(head: str, org_body: str) -> str:
    """GB 32100: authority + category + 6-digit division (`head`, 8 characters), the organization code, and a
    check character over positions 1-17 with weights 3^(i-1) mod 31."""
    assert len(head) == 8, head
    body = head + org_code(org_body)
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


# ---------------------------------------------------------------------------------------------------------------
# reference data of this world

PROVINCE, CITY = "四川省", "成都市"
DIVISIONS = {  # GB/T 2260
    "510104": "锦江区", "510105": "青羊区", "510106": "金牛区", "510107": "武侯区",
    "510108": "成华区", "510112": "龙泉驿区", "510116": "双流区", "510117": "郫都区",
}
HIGH_TECH_ZONE = "成都高新技术产业开发区"
ECONOMIC_ZONE = "成都经济技术开发区"
UNLISTED_PARK_CODE = "TFXQ"  # a registry PARKCODE the parks file does not know: it must show under its code
PARKS_HEADER = ["park_code", "park_name", "division_code", "registry_park_codes", "land_park_names",
                "address_keywords"]
# multi-valued columns separated by ';' (as the seeds' list columns are)
PARKS = [
    ["P510100001", HIGH_TECH_ZONE, "510107", "CDGX", "成都高新区;成都高新技术产业开发区", "高新区"],
    ["P510100002", ECONOMIC_ZONE, "510112", "CDJK", "成都经开区;成都经济技术开发区", "经开区;经济技术开发区"],
]

# why a record has no local enterprise
PERSON, INSTITUTION, ELSEWHERE, SUB_ORG = "person", "institution", "registered elsewhere", "sub-organisation"
NO_OWNER = (PERSON, INSTITUTION, ELSEWHERE, SUB_ORG)


@dataclass(frozen=True)
class Entity:
    """A registry (S1 T_SCZTDJ) entity. `park` is the park it belongs to per the parks file (by PARKCODE, by a
    land parcel's 园区, or by an address keyword), written here by hand as the expected answer."""
    key: str
    pripid: str
    name: str
    division: str                    # REGORG
    uscc_head: str | None            # authority + category + division of its USCC; None: never re-registered
    org_body: str
    enttype: str
    founded: str
    address: str
    industry: str
    capital: float                   # 万元
    parkcode: str | None = None
    park: str | None = None
    regno: str | None = None
    state: str = "1"
    deregistered: str | None = None
    currency: str = "156"

    @property
    def uscc(self) -> str | None:
        return uscc(self.uscc_head, self.org_body) if self.uscc_head else None

    @property
    def org(self) -> str:
        return org_code(self.org_body)


def _d(code: str) -> str:
    return f"{PROVINCE}{CITY}{DIVISIONS[code]}"


ENTITIES = [
    Entity("E01", "5101000000160315", "成都天府星辰科技有限公司", "510107", "91510100", "MA61T7K2", "1100",
           "2016-03-15", "四川省成都市高新区天府大道北段1700号", "6513", 5000, "CDGX", HIGH_TECH_ZONE),
    # its branch, an entity of its own with its own USCC (named after the parent + place + 分公司)
    Entity("E02", "5101160000200701", "成都天府星辰科技有限公司双流分公司", "510116", "91510116", "MA6C8R3N", "1190",
           "2020-07-01", _d("510116") + "西航港街道腾飞一路88号", "6513", 0),
    # the division in brackets after the trade name (字号（行政区划）行业有限公司), Hong Kong capital
    Entity("E03", "5101120000180502", "华锦（成都）生物医药有限公司", "510112", "91510112", "MA62D4H9", "5100",
           "2018-05-02", _d("510112") + "经开区车城东七路18号", "2761", 3000, "CDJK", ECONOMIC_ZONE, currency="344"),
    Entity("E04", "5101080000170920", "成都凤凰硕达电子有限公司", "510108", "91510108", "MA61W5Q8", "1100",
           "2017-09-20", _d("510108") + "二仙桥东三路6号", "3982", 800),
    Entity("E05", "5101040000190311", "成都云帆物流有限公司", "510104", "91510104", "MA6CJ2L4", "1100",
           "2019-03-11", _d("510104") + "东大街下东大街段99号", "5990", 1000),
    Entity("E06", "5101060000190618", "成都蜀道建材有限公司", "510106", "91510106", "MA62K9P1", "1100",
           "2019-06-18", _d("510106") + "金府路666号", "3021", 1200),
    # an old enterprise: legacy registration number, a numeric organization code, and a former name in T_BGXX
    Entity("E07", "5101120000071105", "成都星河智能装备有限公司", "510112", "91510112", "66738521", "1100",
           "2007-11-05", _d("510112") + "龙都南路518号", "3432", 6800, regno="510112000031245"),
    # registered as 有限责任公司; others write 有限公司
    Entity("E08", "5101170000200415", "成都锦程食品有限责任公司", "510117", "91510117", "MA6C3F7T", "1100",
           "2020-04-15", _d("510117") + "德源镇红旗大道北段12号", "1431", 500),
    Entity("E09", "5101000000210108", "成都新峰AI科技有限公司", "510107", "91510100", "MA61X8B5", "1100",
           "2021-01-08", "四川省成都市高新区天府五街200号", "6511", 1000, "CDGX", HIGH_TECH_ZONE),
    Entity("E10", "5101050000180726", "成都蓉欧贸易有限公司", "510105", "91510105", "MA62H6M3", "1100",
           "2018-07-26", _d("510105") + "光华村街55号", "5179", 200),
    Entity("E11", "5101040000030808", "成都锦官纺织有限公司", "510104", "91510104", "74364118", "1100",
           "2003-08-08", _d("510104") + "锦华路一段8号", "1711", 2000, regno="510104000012345"),
    # registered when 双流 was a county (510122): the legacy registration number keeps the old division
    Entity("E12", "5101160000010618", "成都川西精工机械有限公司", "510116", "91510116", "73231907", "1100",
           "2001-06-18", _d("510116") + "西航港大道中四段1号", "3484", 3500, regno="510122000004567"),
    Entity("E13", "5101060000160901", "成都红旗印务有限公司", "510106", "91510106", "MA61N2D6", "1100",
           "2016-09-01", _d("510106") + "蜀汉路168号", "2319", 300, state="3", deregistered="2024-06-30"),
    Entity("E14", "5101070000210301", "成都市武侯区老王面馆", "510107", "92510107", "MA6D4W9K", "9500",
           "2021-03-01", _d("510107") + "玉林北路3号附1号", "6210", 5),
    Entity("E15", "5101170000060320", "成都芙蓉电子材料有限公司", "510117", "91510117", "79781243", "1100",
           "2006-03-20", _d("510117") + "现代工业港北片区港通北二路6号", "3985", 4200, regno="510124000007788"),
    # in the high-tech zone only by its land parcel's 园区
    Entity("E16", "5101160000201111", "成都岷江环保科技有限公司", "510116", "91510116", "MA6CPL81", "1100",
           "2020-11-11", _d("510116") + "九江街道新材料产业功能区1号", "7724", 1500, park=HIGH_TECH_ZONE),
    # in the economic zone only by its address (经开区)
    Entity("E17", "5101120000190909", "成都青城汽车零部件有限公司", "510112", "91510112", "MA62B5E7", "1100",
           "2019-09-09", _d("510112") + "经开区南四路99号", "3670", 2600, park=ECONOMIC_ZONE),
    Entity("E18", "5101050000170505", "成都浣花光电科技有限公司", "510105", "91510105", "MA61R3G4", "1100",
           "2017-05-05", _d("510105") + "蜀辉路288号", "3976", 2000, "CDGX", HIGH_TECH_ZONE),
    Entity("E19", "5101070000180212", "成都西岭医疗器械有限公司", "510107", "91510107", "MA61F9C2", "1100",
           "2018-02-12", _d("510107") + "武科西二路15号", "3581", 1800, "CDGX", HIGH_TECH_ZONE),
    Entity("E20", "5101160000220606", "成都峨眉新材料有限公司", "510116", "91510116", "MA6CQ4H8", "1100",
           "2022-06-06", _d("510116") + "黄甲街道物联大道88号", "3099", 900, UNLISTED_PARK_CODE),
    Entity("E21", "5101080000190101", "成都望江建设工程有限公司", "510108", "91510108", "MA62M7N5", "1100",
           "2019-01-01", _d("510108") + "建设北路二段4号", "4790", 2000),
    # the province, not the city, leads the name
    Entity("E22", "5101040000170303", "四川宽窄文化传媒有限公司", "510104", "91510104", "MA61Y2R6", "1100",
           "2017-03-03", "成都市锦江区红星路三段1号", "8730", 300),
    Entity("E23", "5101070000200808", "成都玉林餐饮管理有限公司", "510107", "91510107", "MA6C9T3W", "1100",
           "2020-08-08", "成都市武侯区玉林南路6号", "6210", 100),
    # never re-registered: a legacy registration number and no USCC
    Entity("E24", "5101040000990615", "成都九眼桥酒业有限公司", "510104", None, "71204567", "1100",
           "1999-06-15", "成都市锦江区九眼桥滨江东路2号", "1512", 600, regno="510104000009876"),
    Entity("E25", "5101160000210505", "成都天鹰无人机科技有限公司", "510116", "91510116", "MA62U8K1", "1100",
           "2021-05-05", _d("510116") + "公兴街道空港四路6号", "3919", 1600),
    Entity("E26", "5101080000160808", "成都川能新能源股份有限公司", "510108", "91510108", "MA61E4J7", "1200",
           "2016-08-08", _d("510108") + "双林路398号", "4416", 20000),
    Entity("E27", "5101060000191010", "成都金沙药业有限公司", "510106", "91510106", "MA6C2N6P", "1100",
           "2019-10-10", _d("510106") + "蜀西路46号", "2720", 2500),
    Entity("E28", "5101000000160120", "成都熊猫软件有限公司", "510107", "91510100", "MA61A5W3", "1100",
           "2016-01-20", "四川省成都市高新区天府三街19号", "6513", 1000, "CDGX", HIGH_TECH_ZONE),
    Entity("E29", "5101050000080110", "成都蜀锦丝绸有限公司", "510105", "91510105", "67432198", "1100",
           "2008-01-10", _d("510105") + "草堂路17号", "1751", 800, regno="510105000015432"),
    Entity("E30", "5101120000220315", "成都龙腾机电有限公司", "510112", "91510112", "MA62G1T9", "1100",
           "2022-03-15", _d("510112") + "经开区成龙大道二段1666号", "3563", 1200, "CDJK", ECONOMIC_ZONE),
    Entity("E31", "5101170000230707", "成都银杏园林绿化有限公司", "510117", "91510117", "MA6CRB52", "1100",
           "2023-07-07", _d("510117") + "犀浦镇国宁西路19号", "0519", 100),
]
E = {e.key: e for e in ENTITIES}
FORMER_NAME_E07 = "成都星河机械厂"

# enterprises registered elsewhere (not in S1) and an institution, with codes of their own jurisdictions
BEIJING_STAR = ("北京天府星辰科技有限公司", uscc("91110108", "MA01C7L3"))   # 海淀区; name core = E01's
CHONGQING_SAIL = ("重庆云帆物流有限公司", uscc("91500112", "MA5U6K2R"))     # 渝北区; name core = E05's
CHONGQING_LEGACY = ("重庆渝新机电有限公司", "500108" + org_code("20345678"))  # 南岸区, legacy taxpayer number
# co-applicant of E15's patent, registered in Shenzhen: known by its name only
SHENZHEN_SUPPLIER = "深圳市鹏芯电子浆料有限公司"
CDUT = ("成都理工大学", uscc("12510000", "45071234"))                      # a public institution (12...)
# the divisions (GB/T 2260) the external enterprises' USCCs name
EXTERNAL_DIVISIONS = {BEIJING_STAR[1]: "海淀区", CHONGQING_SAIL[1]: "渝北区"}

MONTHS = ("2025-01", "2025-02", "2025-03")


class Expect(NamedTuple):
    pripid: str | None
    reason: str  # "local" for a link, else one of NO_OWNER


def _owner(owner: str) -> Expect:
    return Expect(None, owner) if owner in NO_OWNER else Expect(E[owner].pripid, "local")


# ---------------------------------------------------------------------------------------------------------------
# S2 tax: (taxpayer id as written, name as written, owner); monthly rows follow

def _tax_office(division: str) -> str:
    return f"国家税务总局成都市{DIVISIONS[division]}税务局"


LATE_FILER = "E06"  # files January in the March file (所属期 2025-01 in 税收_202503.csv)
SPACED_USCC = " ".join(E["E22"].uscc[i:i + 4] for i in range(0, 18, 4))  # 9151 0104 MA61 Y2R6 0X
LEGACY_E11 = "510104" + E["E11"].org  # 税务登记号: division + organization code; 51 is Sichuan, not an institution
LEGACY_E24 = "510104" + E["E24"].org  # the registry holds no USCC for E24: only the name can tie it


def tax_payers() -> list[tuple[str, str, str]]:
    """Who files, with the id and name the tax office writes. E13 is deregistered and no longer files."""
    rows = []
    for e in ENTITIES:
        if e.key in ("E13", "E11", "E22", "E24"):
            continue
        rows.append((e.uscc, e.name, e.key))
    rows += [
        (LEGACY_E11, E["E11"].name, "E11"),
        (LEGACY_E24, E["E24"].name, "E24"),
        (SPACED_USCC, E["E22"].name, "E22"),
        (BEIJING_STAR[1], BEIJING_STAR[0], ELSEWHERE),       # 跨区域涉税: a Beijing enterprise works here
        (CHONGQING_SAIL[1], CHONGQING_SAIL[0], ELSEWHERE),
        (CHONGQING_LEGACY[1], CHONGQING_LEGACY[0], ELSEWHERE),  # legacy number starting 50 (Chongqing)
    ]
    return rows


def _money(value: float, separators: bool) -> str:
    return f"{value:,.2f}" if separators else f"{value:.2f}"


def tax_rows(month: str) -> list[list[str]]:
    """The rows of 税收_YYYYMM.csv. Periods are written `YYYY-MM` in January and March, `YYYYMM` in February;
    amounts carry thousands separators in January and March; E15's February row is delivered twice."""
    m = int(month[-2:])
    separators = m != 2
    written_period = month if m != 2 else month.replace("-", "")
    rows = []
    for i, (code, name, owner) in enumerate(tax_payers()):
        if owner == LATE_FILER and m == 1:
            continue  # filed late, in March
        if code == BEIJING_STAR[1] and m == 1 or code == CHONGQING_SAIL[1] and m != 1 \
                or code == CHONGQING_LEGACY[1] and m != 3:
            continue
        periods = [written_period] + (["2025-01"] if owner == LATE_FILER and m == 3 else [])
        for period in periods:
            revenue = round((i + 3) * 123457.31 * (1 + m / 10) * (0.5 if period == "2025-01" else 1), 2)
            vat, cit, other = round(revenue * 0.06, 2), round(revenue * 0.012, 2), round(revenue * 0.004, 2)
            if owner == "E25" and m == 3:
                cit = -8888.88  # a legal refund
            total = round(vat + cit + other, 2)
            division = E[owner].division if owner not in NO_OWNER else "510104"
            rows.append([code, name, period, _money(vat, separators), _money(cit, separators),
                         _money(other, separators), _money(total, separators), _money(revenue, separators),
                         _tax_office(division)])
            if owner == "E15" and m == 2:
                rows.append(list(rows[-1]))  # the same row twice
    return rows


TAX_HEADER = ["纳税人识别号", "纳税人名称", "所属期", "增值税", "企业所得税", "其他税费", "税收合计", "销售收入",
              "主管税务机关"]

# ---------------------------------------------------------------------------------------------------------------
# S3 stats, 2024 workbook: (单位代码 as written, 单位详细名称, 行业代码, output, revenue, value added, R&D (千元),
# employees, energy (tce), owner)

STATS_YEAR = "2024"
STATS_ROWS = [
    (E["E01"].uscc, E["E01"].name, "6513", 120000, 118000, 52000, 9800, 420, 310.5, "E01"),
    (E["E03"].uscc, "华锦(成都)生物医药有限公司", "2761", 260000, 251000, 98000, 21000, 610, 4200.0, "E03"),
    (E["E07"].uscc, E["E07"].name, "3432", 180000, 176500, 47000, 6100, 530, 2850.25, "E07"),
    # an old record: the organization code with a hyphen
    (E["E12"].org[:8] + "-" + E["E12"].org[8], E["E12"].name, "3484", 95000, 93000, 24000, 2100, 260, 1480.0, "E12"),
    # and without one
    (E["E15"].org, E["E15"].name, "3985", 70000, 68800, 19000, 3300, 210, 990.0, "E15"),
    (E["E17"].uscc, E["E17"].name, "3670", 150000, 149000, 36000, 4100, 480, 2210.0, "E17"),
    (E["E26"].uscc, E["E26"].name, "4416", 410000, 402000, 160000, 5200, 350, 880.0, "E26"),
    (E["E30"].uscc, E["E30"].name, "3563", 40000, 39000, 9000, 1600, 140, 260.0, "E30"),
]

# ---------------------------------------------------------------------------------------------------------------
# S4 miit: (企业名称 as written, 统一社会信用代码 or "", 认定类型, 级别, 认定年度, 有效期至, owner)

MIIT_ROWS = [
    (E["E01"].name, E["E01"].uscc, '专精特新"小巨人"企业', "国家级", "2024", "2027-06-30", "E01"),
    (E["E09"].name, E["E09"].uscc, "专精特新中小企业", "省级", "2023", "2026-12-31", "E09"),
    ("成都锦程食品有限公司", "", "两化融合贯标企业", "市级", "2022", "", "E08"),  # 有限公司 for 有限责任公司
    ("华锦生物医药有限公司", "", "专精特新中小企业", "省级", "2024", "2027/12/31", "E03"),  # division left out
    (E["E26"].name, E["E26"].uscc, "上市企业", "国家级", "2021", "", "E26"),
    (E["E18"].name, "", "星级上云企业", "市级", "2023", "2025-12-31", "E18"),
    (E["E07"].name, E["E07"].uscc, "省级智能工厂", "省级", "2022", "", "E07"),
]

# ---------------------------------------------------------------------------------------------------------------
# S5 hrss: (dwbh, dwmc, tyshxydm or None, owner, insured headcount in January)

HRSS_ROWS = [
    ("51010000100001", E["E01"].name, E["E01"].uscc, "E01", 402),
    ("51011600100002", E["E02"].name, E["E02"].uscc, "E02", 36),
    ("51010500100003", "成都蓉欧贸易", E["E10"].uscc.lower(), "E10", 18),  # lower-case USCC, short name
    ("51010400100004", E["E05"].name, None, "E05", 64),
    ("51011700100005", "成都锦程食品有限公司", None, "E08", 52),
    ("51010400100006", "四川宽窄文化传媒有限责任公司", None, "E22", 23),  # 有限责任公司 for 有限公司
    ("51010700100007", E["E23"].name, E["E23"].uscc, "E23", 41),
    ("51010600100008", E["E06"].name, E["E06"].uscc, "E06", 27),
    ("51010000100009", E["E28"].name, E["E28"].uscc, "E28", 198),
    ("51010500100010", E["E29"].name, E["E29"].uscc, "E29", 77),
    ("51011200100011", E["E30"].name, E["E30"].uscc, "E30", 66),
    ("51011700100012", E["E31"].name, E["E31"].uscc, "E31", 12),
    ("51011200100013", E["E17"].name, E["E17"].uscc, "E17", 455),
    ("51010700100014", E["E19"].name, E["E19"].uscc, "E19", 133),
    ("51011600100015", E["E25"].name, E["E25"].uscc, "E25", 88),
    ("51010800100016", E["E21"].name, E["E21"].uscc, "E21", 150),
    ("51011200100017", E["E03"].name, E["E03"].uscc, "E03", 590),
]

# ---------------------------------------------------------------------------------------------------------------
# S6 grid: (户号, 户名, 用电地址, 用电类别, 电压等级, owner, kWh in January)

GRID_ROWS = [
    ("0281000101", E["E01"].name, "成都高新区天府大道北段1700号", "大工业", "10kV", "E01", 182000),
    ("0281000102", E["E02"].name, "双流区腾飞一路88号", "一般工商业", "0.4kV", "E02", 21000),
    ("0281000103", "成都鳳凰碩達電子有限公司", "成华区二仙桥东三路6号", "大工业", "10kV", "E04", 96000),  # traditional
    ("0281000104", "成都云帆物流有限公司工会委员会", "锦江区下东大街段99号附1号", "一般工商业", "0.4kV", SUB_ORG, 900),
    ("0281000105", "成都云帆物流有限公司（龙泉仓库）", "龙泉驿区驿都大道8号", "一般工商业", "0.4kV", "E05", 15500),
    ("0281000106", "成都星河智能装备有限公司二厂", "龙泉驿区龙都南路518号2栋", "大工业", "10kV", "E07", 233000),
    ("0281000107", E["E13"].name, "金牛区蜀汉路168号", "一般工商业", "0.4kV", "E13", 4300),  # deregistered 2024-06
    ("0281000108", "李秀英", "武侯区玉林北路3号2单元", "居民", "0.22kV", PERSON, 210),
    ("0281000109", E["E14"].name, "武侯区玉林北路3号附1号", "一般工商业", "0.4kV", "E14", 1800),
    ("0281000110", "成都华锦生物医药有限公司", "龙泉驿区车城东七路18号", "大工业", "10kV", "E03", 410000),
    ("0281000111", "重庆云帆物流有限公司成都分拨中心", "新都区物流大道1号", "一般工商业", "0.4kV", ELSEWHERE, 12000),
    ("0281000112", E["E17"].name, "龙泉驿区南四路99号", "大工业", "10kV", "E17", 300500),
    ("0281000113", E["E20"].name, "双流区物联大道88号", "大工业", "10kV", "E20", 51000),
    ("0281000114", E["E26"].name, "成华区双林路398号", "一般工商业", "0.4kV", "E26", 7600),
    ("0281000115", E["E27"].name, "金牛区蜀西路46号", "大工业", "10kV", "E27", 88000),
    ("0281000116", E["E30"].name, "龙泉驿区成龙大道二段1666号", "大工业", "10kV", "E30", 64000),
    ("0281000117", "成都 锦官纺织 有限公司", "锦江区锦华路一段8号", "大工业", "10kV", "E11", 142000),  # spaces
    # the division in brackets for a name registered with the division first
    ("0281000118", "天鹰（成都）无人机科技有限公司", "双流区空港四路6号", "大工业", "10kV", "E25", 73000),
    # an old account: the former name and a site suffix at once
    ("0281000119", "成都星河机械厂二车间", "龙泉驿区龙都南路518号5栋", "大工业", "10kV", "E07", 98000),
]
GRID_HEADER = ["户号", "户名", "用电地址", "用电类别", "电压等级", "抄表年月", "有功电量", "电费"]

# ---------------------------------------------------------------------------------------------------------------
# S7 eco, 2024: (holder, 3-digit sequence, P/U, dwmc, hylb, cod, nh3n, so2, nox, vocs); the permit number starts
# with the holder's USCC, so the owner is the holder

ECO_YEAR = "2024"
ECO_ROWS = [
    ("E02", "001", "U", E["E02"].name, "软件和信息技术服务业", None, None, None, None, 0.12),  # the branch's own
    ("E07", "001", "P", E["E07"].name, "专用设备制造业", 1.8, 0.21, 0.35, 2.4, 3.6),
    # a number as text
    ("E15", "001", "P", E["E15"].name, "计算机、通信和其他电子设备制造业", "1.25", 0.1, None, 0.8, 5.2),
    ("E27", "002", "P", E["E27"].name, "医药制造业", 6.4, 0.9, 1.1, 1.6, 2.2),
    ("E03", "001", "P", "华锦（成都）生物医药有限公司", "医药制造业", 8.2, 1.1, 0.6, 1.9, 4.1),
]

# ---------------------------------------------------------------------------------------------------------------
# S8 most: (证书编号, 企业名称 as written, 统一社会信用代码 as written, 发证日期, 有效期, 技术领域, owner)

FULL_WIDTH = str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                           "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ")
MOST_ROWS = [
    ("GR202351000123", E["E01"].name, E["E01"].uscc, "2023-10-16", "3", "电子信息", "E01"),
    # full-width letters and a space in the name, a full-width code
    ("GR202451000456", "成都新峰ＡＩ科技 有限公司", E["E09"].uscc.translate(FULL_WIDTH), "2024/12/06", "3", "电子信息",
     "E09"),
    ("GR202251000789", E["E18"].name, "", "2022-11-02", "3", "新材料", "E18"),
    ("GR202351000999", E["E28"].name, E["E28"].uscc, "20231016", "3", "电子信息", "E28"),
    ("GR202451001234", E["E19"].name, E["E19"].uscc, "2024-12-06", "3", "生物与新医药", "E19"),
]

# ---------------------------------------------------------------------------------------------------------------
# S9 cnipa: (sqh, mc, lx, [(applicant as written, owner)], sqrq, sqggr, flzt)

CNIPA_ROWS = {
    "2024": [
        ("CN202410123456.1", "一种基于边缘计算的数据同步方法", "发明",
         [(E["E01"].name, "E01"), ("电子科技大学", INSTITUTION), ("张伟", PERSON)], "2024-03-18", None, "实质审查"),
        ("CN202410234567.8", "一种星载数据压缩装置", "发明",
         [(BEIJING_STAR[0], ELSEWHERE)], "2024-05-09", None, "实质审查"),  # the Beijing namesake of E01
        ("CN202410345678.2", "一种重组蛋白纯化工艺", "发明",
         [("华锦(成都)生物医药有限公司", "E03"), ("四川大学", INSTITUTION)], "2024-06-21", None, "实质审查"),
        ("CN202420456789.3", "一种机械臂夹具", "实用新型",
         [(FORMER_NAME_E07, "E07"), ("王丽", PERSON)], "2024-02-02", "2024-08-30", "授权"),  # the former name
    ],
    "2025": [
        ("CN202530567890.5", "智能音箱外壳", "外观设计",
         [(E["E09"].name, "E09")], "2025-01-15", "2025-06-20", "授权"),
        ("CN202510678901.4", "一种光电探测芯片封装结构", "发明",
         [(E["E18"].name, "E18"), (E["E28"].name, "E28")], "2025-02-27", None, "实质审查"),
        # filed with a supplier in Shenzhen that nothing else here names: named on the patent only
        ("CN202520789012.6", "一种电子浆料搅拌装置", "实用新型",
         [("成都芙蓉电子材料有限责任公司", "E15"), (SHENZHEN_SUPPLIER, ELSEWHERE)], "2025-03-03", None, "审中"),
        # traditional characters, a space and 有限责任公司 for 有限公司, all at once
        ("CN202530890123.7", "丝巾（蜀锦纹样）", "外观设计",
         [("成都 蜀錦絲綢有限責任公司", "E29")], "2025-04-08", None, "审中"),
    ],
}

# ---------------------------------------------------------------------------------------------------------------
# S10 land: (宗地编号, 权利人, 权利人证件号, 坐落, 用途, 面积 m², 权利类型, 园区, 起始日期, 终止日期, owner)

LAND_ROWS = [
    ("510112003001GB00021", FORMER_NAME_E07, "", "龙泉驿区龙都南路518号", "工业用地", "33350.5", "出让", "",
     "2008/03/01", "2058/02/28", "E07"),
    ("510116102003GB00045", E["E16"].name, E["E16"].uscc, "双流区九江街道新材料产业功能区1号", "工业用地", "20000",
     "出让", "成都高新区", "2021-01-15", "2071-01-14", "E16"),
    ("510112003002GB00033", "华锦（成都）生物医药有限公司", "", "龙泉驿区车城东七路18号", "工业用地", "46667",
     "出让", ECONOMIC_ZONE, "2018-09-01", "2068-08-31", "E03"),
    ("510106004001GB00008", CDUT[0], CDUT[1], "成华区二仙桥东三路1号", "科教用地", "1200000", "划拨", "",
     "1990-01-01", "", INSTITUTION),
    ("510107011002GB00112", BEIJING_STAR[0], BEIJING_STAR[1], "武侯区天府大道北段966号", "商服用地", "3500",
     "出让", "", "2022-04-01", "2062-03-31", ELSEWHERE),
    ("510116102004GB00019", E["E12"].name, E["E12"].org[:8] + "-" + E["E12"].org[8], "双流区西航港大道中四段1号",
     "工业用地", "26680", "出让", "", "2002/01/10", "2052/01/09", "E12"),
    ("510112003005GB00077", E["E17"].name, E["E17"].uscc, "龙泉驿区南四路99号", "工业用地", "40001.2", "出让", "",
     "2019-12-01", "2069-11-30", "E17"),
    ("510116102006GB00031", E["E20"].name, E["E20"].uscc, "双流区物联大道88号", "仓储用地", "8000", "租赁", "",
     "2022-08-01", "2032-07-31", "E20"),
]
LAND_HEADER = ["宗地编号", "权利人", "权利人证件号", "坐落", "用途", "面积", "权利类型", "园区", "起始日期", "终止日期"]


# ---------------------------------------------------------------------------------------------------------------
# the expected links

def expected_links() -> dict[tuple[str, str], Expect]:
    """(source_system, source_record_key) -> Expect, for every record of the root, as SOURCES.md keys them."""
    out: dict[tuple[str, str], Expect] = {}

    def put(system: str, key: str, expect: Expect) -> None:
        key = key.strip()
        assert out.get((system, key), expect) == expect, f"{system} {key}: two owners"
        out[(system, key)] = expect

    for e in ENTITIES:
        put("samr", e.pripid, Expect(e.pripid, "local"))
    for code, _, owner in tax_payers():
        put("tax", code, _owner(owner))
    for row in STATS_ROWS:
        put("stats", row[0], _owner(row[-1]))
    for name, _, kind, *_, owner in MIIT_ROWS:
        put("miit", f"{kind}|{name}", _owner(owner))
    for dwbh, *_, owner, _ in HRSS_ROWS:
        put("hrss", dwbh, _owner(owner))
    for account, *_, owner, _ in GRID_ROWS:
        put("grid", account, _owner(owner))
    for holder, seq, letter, *_ in ECO_ROWS:
        put("eco", E[holder].uscc + seq + letter, _owner(holder))
    for cert, *_, owner in MOST_ROWS:
        put("most", cert, _owner(owner))
    for rows in CNIPA_ROWS.values():
        for sqh, _, _, applicants, *_ in rows:
            for position, (_, owner) in enumerate(applicants, start=1):
                put("cnipa", f"{sqh}#{position}", _owner(owner))
    for parcel, *_, owner in LAND_ROWS:
        put("land", parcel, _owner(owner))
    return out


def hrss_records(period: str) -> list[dict]:
    """S5's records of a period, as the API serves them (headcount moves a little month to month)."""
    m = int(period[-2:])
    return [{"dwbh": dwbh, "dwmc": name, "tyshxydm": code, "cbrs": heads + m - 1,
             "jfjs": f"{(heads + m - 1) * 6512.5:.2f}", "gxsj": f"{period}-25T10:{i:02d}:00+08:00"}
            for i, (dwbh, name, code, _, heads) in enumerate(HRSS_ROWS)]


# ---------------------------------------------------------------------------------------------------------------
# writers: each department's files, as that department writes them

def _csv_bytes(header: list[str], rows: list[list], encoding: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # Windows exports
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_samr(root: Path) -> None:
    path = root / "samr" / "samr.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE T_SCZTDJ (PRIPID varchar(36) PRIMARY KEY, UNISCID varchar(18), REGNO varchar(15),
            ENTNAME varchar(200), ENTTYPE varchar(4), LEREP varchar(50), CERNO varchar(18), TEL varchar(30),
            REGCAP decimal(18, 4), REGCAPCUR varchar(3), ESTDATE date, REGSTATE varchar(1), CANDATE date,
            DOM varchar(300), REGORG varchar(6), INDUSTRYCO varchar(4), OPSCOPE text, PARKCODE varchar(20),
            UPDATE_TIME timestamp);
        CREATE TABLE T_BGXX (PRIPID varchar(36), ALTITEM varchar(20), ALTBE text, ALTAF text, ALTDATE date);
        CREATE TABLE T_JYYC (PRIPID varchar(36), UNISCID varchar(18), ENTNAME varchar(200), SPECAUSE text,
            ABNTIME date, REMDATE date);
    """)
    people = ["陈建国", "刘芳", "杨帆", "赵敏", "黄磊", "周杰", "吴静", "徐涛"]
    rows = []
    for i, e in enumerate(ENTITIES):
        birth = f"19{70 + i % 25:02d}{1 + i % 12:02d}{10 + i % 18:02d}"
        rows.append((e.pripid, e.uscc, e.regno, e.name, e.enttype, people[i % len(people)],
                     f"{e.division}{birth}{i:03d}{i % 10}", f"138{i:08d}", e.capital, e.currency, e.founded,
                     e.state, e.deregistered, e.address, e.division, e.industry, "详见章程", e.parkcode,
                     f"2025-0{1 + i % 9}-1{i % 10} 09:30:00"))
    con.executemany(f"INSERT INTO T_SCZTDJ VALUES ({','.join('?' * 19)})", rows)
    con.executemany("INSERT INTO T_BGXX VALUES (?,?,?,?,?)", [
        (E["E07"].pripid, "名称", FORMER_NAME_E07, E["E07"].name, "2021-05-10"),
        (E["E08"].pripid, "住所", _d("510117") + "德源镇大禹东路1号", E["E08"].address, "2022-09-01"),
        (E["E13"].pripid, "登记状态", "1", "3", "2024-06-30"),
    ])
    con.executemany("INSERT INTO T_JYYC VALUES (?,?,?,?,?,?)", [
        (E["E20"].pripid, E["E20"].uscc, E["E20"].name, "未按规定期限公示年度报告", "2025-07-15", None),
        (E["E23"].pripid, E["E23"].uscc, E["E23"].name, "通过登记的住所或者经营场所无法联系", "2023-07-01",
         "2024-02-20"),
    ])
    con.commit()
    con.close()


def write_tax(root: Path) -> None:
    for month in MONTHS:
        _write(root / "tax" / f"税收_{month.replace('-', '')}.csv", _csv_bytes(TAX_HEADER, tax_rows(month), "gbk"))


def write_stats(root: Path) -> None:
    path = root / "stats" / f"规上工业企业主要指标_{STATS_YEAR}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("主要指标")
    ws.merge_range(0, 0, 0, 8, f"{STATS_YEAR}年成都市规模以上工业企业主要经济指标")
    for c, name in enumerate(["单位代码", "单位详细名称", "行业代码"]):
        ws.merge_range(1, c, 2, c, name)
    ws.merge_range(1, 3, 1, 6, "主要经济指标")
    ws.merge_range(1, 7, 1, 8, "人员及能耗")
    ws.write_row(2, 3, ["工业总产值", "营业收入", "工业增加值", "研发费用", "从业人员期末人数(人)",
                        "综合能源消费量(吨标准煤)"])
    ws.merge_range(3, 0, 3, 8, "单位:千元")
    for r, row in enumerate(STATS_ROWS, start=4):
        ws.write_row(r, 0, list(row[:-1]))
    total_row = 4 + len(STATS_ROWS)
    # the total is written in the name column, as many statistics offices do
    ws.write_row(total_row, 0, ["", "合计", ""] + [sum(row[c] for row in STATS_ROWS) for c in range(3, 9)])
    ws.write(total_row + 1, 0, "注:1.本表统计范围为年主营业务收入2000万元及以上的工业法人单位。")
    ws.write(total_row + 2, 0, "2.从业人员期末人数单位为人,综合能源消费量单位为吨标准煤。")
    wb.close()


def write_miit(root: Path) -> None:
    header = ["企业名称", "统一社会信用代码", "认定类型", "级别", "认定年度", "有效期至"]
    _write(root / "miit" / "企业认定名单.csv",
           b"\xef\xbb\xbf" + _csv_bytes(header, [list(r[:-1]) for r in MIIT_ROWS], "utf-8"))


def write_grid(root: Path) -> None:
    for month in MONTHS:
        m = int(month[-2:])
        rows = []
        for account, holder, address, category, voltage, _, kwh in GRID_ROWS:
            energy = round(kwh * (1 + (m - 1) * 0.05))
            price = {"大工业": 0.62, "一般工商业": 0.68, "居民": 0.5224, "农业": 0.49}[category]
            rows.append([account, holder, address, category, voltage, month.replace("-", ""), str(energy),
                         f"{energy * price:.2f}"])
        _write(root / "grid" / f"用电量_{month.replace('-', '')}.csv", _csv_bytes(GRID_HEADER, rows, "utf-8"))


def write_eco(root: Path) -> None:
    lines = []
    for holder, seq, letter, name, industry, cod, nh3n, so2, nox, vocs in ECO_ROWS:
        lines.append(json.dumps({"xkzbh": E[holder].uscc + seq + letter, "dwmc": name, "hylb": industry,
                                 "year": int(ECO_YEAR), "cod_t": cod, "nh3n_t": nh3n, "so2_t": so2, "nox_t": nox,
                                 "vocs_t": vocs}, ensure_ascii=False))
    _write(root / "eco" / f"排污许可_{ECO_YEAR}.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))


def write_most(root: Path) -> None:
    header = ["证书编号", "企业名称", "统一社会信用代码", "发证日期", "有效期", "技术领域"]
    _write(root / "most" / "高新技术企业名单.csv", _csv_bytes(header, [list(r[:-1]) for r in MOST_ROWS], "utf-8"))


def write_cnipa(root: Path) -> None:
    for year, rows in CNIPA_ROWS.items():
        lines = [json.dumps({"sqh": sqh, "mc": title, "lx": kind, "sqr": [name for name, _ in applicants],
                             "sqrq": filed, "sqggr": granted, "flzt": status}, ensure_ascii=False)
                 for sqh, title, kind, applicants, filed, granted, status in rows]
        _write(root / "cnipa" / f"patents_{year}.jsonl", ("\n".join(lines) + "\n").encode("utf-8"))


def write_land(root: Path) -> None:
    _write(root / "land" / "宗地登记.csv", _csv_bytes(LAND_HEADER, [list(r[:-1]) for r in LAND_ROWS], "gbk"))


def write_truth(root: Path) -> None:
    """`_truth/source_records.parquet` as a measuring tool reads it (never the pipeline)."""
    kinds = {"local": "local_enterprise", ELSEWHERE: "external_enterprise", PERSON: "person",
             INSTITUTION: "institution", SUB_ORG: "sub_organisation"}
    links = sorted(expected_links().items())
    table = pa.table({
        "source_system": [s for (s, _), _ in links],
        "source_record_key": [k for (_, k), _ in links],
        "pripid": [x.pripid for _, x in links],
        "owner_kind": [kinds[x.reason] for _, x in links],
    })
    (root / "_truth").mkdir(parents=True, exist_ok=True)
    pq.write_table(table, root / "_truth" / "source_records.parquet")


def write(root: Path) -> Path:
    """Every department's files of this world under `root` (S5 is served by HrssServer, not written)."""
    for writer in (write_samr, write_tax, write_stats, write_miit, write_grid, write_eco, write_most, write_cnipa,
                   write_land, write_truth):
        writer(root)
    return root


def write_parks_file(path: Path) -> Path:
    _write(path, _csv_bytes(PARKS_HEADER, PARKS, "utf-8"))
    return path


def data_rows() -> dict[tuple[str, str], int]:
    """(landed dataset name, partition) -> the data rows its delivery holds (for rows-in = loaded + quarantined)."""
    counts = {("samr_entities", "snapshot"): len(ENTITIES), ("samr_changes", "snapshot"): 3,
              ("samr_abnormal_operations", "snapshot"): 2, ("stats_indicators", STATS_YEAR): len(STATS_ROWS),
              ("miit_recognitions", "snapshot"): len(MIIT_ROWS), ("eco_permits", ECO_YEAR): len(ECO_ROWS),
              ("most_certificates", "snapshot"): len(MOST_ROWS), ("land_parcels", "snapshot"): len(LAND_ROWS)}
    for month in MONTHS:
        counts[("tax_returns", month)] = len(tax_rows(month))
        counts[("grid_consumption", month)] = len(GRID_ROWS)
        counts[("hrss_employers", month)] = len(HRSS_ROWS)
    for year, rows in CNIPA_ROWS.items():
        counts[("cnipa_patents", year)] = len(rows)
    return counts


# ---------------------------------------------------------------------------------------------------------------
# S5: the social-insurance API, per SOURCES.md (periods, paged employers, bearer token, 401/404/400)

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class HrssServer:
    """This world's S5 on 127.0.0.1 (an ephemeral port), in a thread: `with HrssServer() as api: api.base_url`."""

    def __init__(self, token: str = "chengdu-s5-token", periods: tuple[str, ...] = MONTHS, port: int = 0):
        self.token = token
        self.periods = periods
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802 - the http.server API
                api.requests.append(self.path)
                if self.headers.get("Authorization") != f"Bearer {api.token}":
                    return self._send(401, {"error": "unauthorized"})
                url = urlparse(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                if url.path == "/api/v1/periods":
                    return self._send(200, {"periods": list(api.periods)})
                if url.path != "/api/v1/employers":
                    return self._send(404, {"error": "not found"})
                period = query.get("period", "")
                if not PERIOD.match(period) or period not in api.periods:
                    return self._send(404, {"error": f"unknown period {period!r}"})
                try:
                    page, size = int(query.get("page", "1")), int(query.get("page_size", "100"))
                except ValueError:
                    return self._send(400, {"error": "page and page_size are integers"})
                if page < 1 or not 1 <= size <= 1000:
                    return self._send(400, {"error": "page >= 1 and 1 <= page_size <= 1000"})
                records = hrss_records(period)
                pages = -(-len(records) // size)
                return self._send(200, {"period": period, "page": page, "page_size": size, "total": len(records),
                                        "total_pages": pages, "data": records[(page - 1) * size:page * size]})

        return Handler

    def __enter__(self) -> HrssServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def main(argv: list[str] | None = None) -> None:
    """`write DIR [--parks FILE]`, or `serve --port N --token T` (S5 for `make run` on a written root)."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m tests.second_world.world")
    commands = parser.add_subparsers(dest="command", required=True)
    w = commands.add_parser("write", help="write the sources root (and optionally the parks file)")
    w.add_argument("root", type=Path)
    w.add_argument("--parks", type=Path)
    s = commands.add_parser("serve", help="serve S5 on 127.0.0.1 until interrupted")
    s.add_argument("--port", type=int, default=8766)
    s.add_argument("--token", default="chengdu-s5-token")
    args = parser.parse_args(argv)
    if args.command == "write":
        print(write(args.root))
        if args.parks:
            print(write_parks_file(args.parks))
        return
    server = HrssServer(token=args.token, port=args.port)
    with server:
        print(f"S5 at {server.base_url} (token from --token); Ctrl-C stops it", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
