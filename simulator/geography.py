"""Where our users are: the regions (GB/T 2260 codes), their parks and the industries they host."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

INDUSTRY_CSV = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "gbt4754_2017.csv"


@dataclass(frozen=True)
class Park:
    code: str
    name: str
    # GB/T 4754 divisions (2 digits) or classes (4 digits) the park attracts, with weights
    industries: dict[str, float]


@dataclass(frozen=True)
class Region:
    code: str  # GB/T 2260 county-level division
    province_code: str  # 2 digits, used in high-tech certificate numbers
    province: str
    city: str  # as written in a full address
    name_prefixes: tuple[str, ...]  # how enterprise names start
    short: str  # a city name that enterprise names may drop or keep
    towns: tuple[str, ...]  # for branches, grid sites and addresses
    streets: tuple[str, ...]
    tax_office: str
    weight: float
    park_share: float  # share of the region's entities located in one of its parks
    parks: tuple[Park, ...] = field(default_factory=tuple)


REGIONS: tuple[Region, ...] = (
    Region(
        "441900", "44", "广东省", "东莞市", ("东莞市", "东莞", "广东"), "东莞",
        ("松山湖", "寮步", "大朗", "大岭山", "石龙", "长安", "塘厦"),
        ("工业东路", "工业西路", "科技九路", "新城大道", "研发五路", "创新路", "总部二路", "阿里山路"),
        "国家税务总局东莞市税务局松山湖税务分局", 0.34, 0.8,
        (
            Park("P441900001", "松山湖高新技术产业开发区",
                 {"39": 30, "3976": 8, "3974": 5, "65": 12, "6520": 6, "35": 8, "34": 6, "38": 6, "75": 10, "72": 6,
                  "51": 6}),
            Park("P441900002", "松山湖国际机器人产业基地",
                 {"34": 25, "35": 20, "3562": 10, "39": 15, "65": 10, "75": 12, "72": 4, "51": 4}),
            Park("P441900003", "松山湖生物技术产业基地",
                 {"27": 30, "2710": 8, "3581": 12, "35": 8, "73": 12, "75": 14, "51": 8, "72": 8}),
        ),
    ),
    Region(
        "330782", "33", "浙江省", "义乌市", ("义乌市", "义乌", "浙江"), "义乌",
        ("稠城", "佛堂", "苏溪", "廿三里", "后宅", "北苑", "稠江"),
        ("工人北路", "宗泽路", "商城大道", "春晗路", "雪峰西路", "丹溪北路", "西城路", "诚信大道"),
        "国家税务总局义乌市税务局", 0.20, 0.45,
        (
            Park("P330782001", "义乌经济技术开发区",
                 {"18": 16, "1811": 6, "24": 12, "2452": 6, "2438": 5, "41": 10, "17": 8, "22": 6, "29": 6, "51": 15,
                  "52": 5, "59": 5}),
            Park("P330782002", "义乌信息光电高新技术产业园区",
                 {"38": 18, "3825": 20, "3841": 8, "39": 14, "3976": 10, "34": 6, "75": 10, "51": 8}),
            Park("P330782003", "义乌综合保税区",
                 {"51": 40, "59": 20, "5292": 15, "52": 10, "72": 10, "18": 5}),
        ),
    ),
    Region(
        "330602", "33", "浙江省", "绍兴市越城区", ("绍兴市", "绍兴", "浙江"), "绍兴",
        ("越城", "皋埠", "马山", "孙端", "斗门", "灵芝"),
        ("中兴北路", "迪荡路", "二环北路", "越东路", "袍江路", "世纪街"),
        "国家税务总局绍兴市越城区税务局", 0.08, 0.5,
        (
            Park("P330602001", "绍兴集成电路产业园",
                 {"3973": 20, "3974": 8, "3562": 8, "6520": 10, "39": 22, "30": 6, "26": 6, "75": 12, "51": 8}),
        ),
    ),
    Region(
        "330603", "33", "浙江省", "绍兴市柯桥区", ("绍兴市柯桥区", "绍兴", "浙江"), "柯桥",
        ("柯桥", "柯岩", "华舍", "杨汛桥", "钱清", "齐贤", "安昌"),
        ("金柯桥大道", "鉴湖路", "笛扬路", "湖西路", "兴越路", "华齐路"),
        "国家税务总局绍兴市柯桥区税务局", 0.10, 0.55,
        (
            Park("P330603001", "柯桥经济技术开发区",
                 {"17": 34, "1713": 10, "1751": 8, "18": 12, "28": 8, "26": 6, "2641": 4, "34": 6, "51": 12}),
            Park("P330603002", "中国轻纺城",
                 {"51": 50, "17": 15, "18": 10, "52": 10, "72": 8, "59": 7}),
        ),
    ),
    Region(
        "330604", "33", "浙江省", "绍兴市上虞区", ("绍兴市上虞区", "上虞", "浙江"), "上虞",
        ("百官", "曹娥", "道墟", "东关", "崧厦", "沥海"),
        ("人民西路", "市民大道", "经济开发区纬三路", "舜江西路", "江扬路"),
        "国家税务总局绍兴市上虞区税务局", 0.08, 0.5,
        (
            Park("P330604001", "杭州湾上虞经济技术开发区",
                 {"26": 30, "2614": 10, "2641": 6, "27": 18, "2710": 8, "30": 10, "29": 8, "3841": 5, "51": 5}),
        ),
    ),
    Region(
        "320582", "32", "江苏省", "张家港市", ("张家港市", "张家港", "江苏"), "张家港",
        ("杨舍", "金港", "锦丰", "塘桥", "凤凰", "乐余", "南丰", "大新"),
        ("沙洲西路", "国泰北路", "长安南路", "港城大道", "人民东路", "暨阳湖路", "华昌路"),
        "国家税务总局张家港市税务局", 0.20, 0.55,
        (
            Park("P320582001", "张家港经济技术开发区",
                 {"31": 14, "3130": 8, "26": 12, "34": 10, "38": 8, "3825": 6, "36": 6, "3670": 6, "33": 8, "51": 10}),
            Park("P320582002", "沙洲湖科创园", {"65": 25, "6513": 10, "75": 25, "73": 10, "72": 15, "39": 8, "51": 7}),
            Park("P320582003", "软件园", {"65": 45, "6513": 20, "64": 12, "6520": 8, "75": 15}),
            Park("P320582004", "电商园", {"5292": 40, "52": 20, "51": 20, "59": 10, "72": 10}),
            Park("P320582005", "纳米产业园",
                 {"30": 18, "2641": 8, "26": 14, "39": 20, "3976": 8, "38": 10, "73": 12, "75": 10}),
            Park("P320582006", "华夏科技园",
                 {"38": 16, "3825": 16, "34": 16, "35": 10, "3831": 6, "39": 12, "75": 14, "51": 10}),
        ),
    ),
)

# Enterprises outside any park, and individual businesses, follow the local economy at large.
GENERAL_INDUSTRIES = {
    "51": 15, "52": 16, "62": 5, "72": 8, "75": 6, "65": 4, "70": 2, "48": 2, "50": 3, "59": 2,
    "54": 3, "80": 3, "81": 2, "64": 1, "44": 0.3, "13": 1.2, "17": 2.4, "18": 2.4, "19": 1,
    "22": 1, "24": 1.2, "26": 1.5, "27": 0.8, "29": 1.5, "30": 1.2, "31": 0.6, "33": 2.4,
    "34": 2.4, "35": 1.5, "38": 2, "39": 3, "41": 1,
}
INDIVIDUAL_INDUSTRIES = {"52": 45, "62": 25, "80": 15, "81": 8, "51": 7}

# Regions outside the jurisdiction whose enterprises still show up in tax and patents.
EXTERNAL_REGIONS = (
    ("310115", "上海"), ("440300", "深圳"), ("330106", "杭州"), ("320505", "苏州"), ("110108", "北京"),
    ("440106", "广州"), ("330212", "宁波"), ("320114", "南京"), ("500112", "重庆"), ("510107", "成都"),
    ("120116", "天津"), ("130104", "石家庄"),
)
# Divisions whose codes start like a GB 32100 authority character of institutions (1 机构编制, 5 民政): a legacy
# taxpayer number issued there (Beijing 11, Tianjin 12, Hebei 13, Shanxi 14, Inner Mongolia 15, Chongqing 50,
# Sichuan 51, Guizhou 52, Yunnan 53, Tibet 54) is still an enterprise's number, and elsewhere ones for contrast.
MOVED_IN_FROM = ("110105", "120101", "130102", "140105", "150102", "500103", "510104", "520102", "530102", "540102",
                 "310104", "420106", "610113", "370102")


@lru_cache(maxsize=1)
def industry_table() -> dict[str, tuple[str, str]]:
    """code -> (section, name) for every GB/T 4754-2017 code of every level."""
    with INDUSTRY_CSV.open(encoding="utf-8") as fh:
        return {row["code"]: (row["section"], row["name"]) for row in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def classes_by_division() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for code in industry_table():
        if len(code) == 4 and code.isdigit():
            out.setdefault(code[:2], []).append(code)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def is_industrial(class_code: str) -> bool:
    """Sections B, C, D: the scope of 规上工业 statistics and of 亩均 evaluation."""
    return industry_table()[class_code[:2]][0] in ("B", "C", "D")


def check_profiles() -> None:
    """Every industry a park or the local economy draws from is a real GB/T 4754-2017 code."""
    classes = {c for cs in classes_by_division().values() for c in cs}
    profiles = [GENERAL_INDUSTRIES, INDIVIDUAL_INDUSTRIES] + [p.industries for r in REGIONS for p in r.parks]
    for profile in profiles:
        for code in profile:
            if (len(code) == 4 and code not in classes) or (len(code) == 2 and code not in classes_by_division()):
                raise ValueError(f"industry profile uses {code}, which is not a GB/T 4754-2017 class or division")
