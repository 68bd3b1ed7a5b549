"""Names as departments write them: enterprises, persons, institutions, and the ways they drift."""
from __future__ import annotations

import numpy as np

TRADE_CHARS = (
    "华鑫宏达盛泰恒丰瑞祥源通利天海宇信诚鼎立德远博创新星光明晨辉金银泽佳美嘉联合众兴旺隆昌顺"
    "安康久益正中国际东方南北汇聚精锐凯越腾飞卓尔领航智慧科亿万千百峰岭云帆翔鹏骏程志远豪杰睿哲"
    "晟昊旭晶灿烁铭钧锦绣江川溪洋湖湾港城邦台宁和谐永春秋荣耀铂钻晟嘉禾润浩瀚弘毅朗逸"
)
INDUSTRY_WORDS = {
    "13": ("食品", "农产品加工"), "17": ("纺织", "印染", "织造", "家纺"), "18": ("服饰", "服装", "制衣"),
    "19": ("鞋业", "皮具"), "22": ("纸业", "包装"), "24": ("工艺品", "玩具", "饰品", "文具"),
    "26": ("化工", "新材料", "精细化工"), "27": ("生物医药", "制药", "药业"), "28": ("化纤", "新材料"),
    "29": ("塑胶", "橡塑", "塑业"), "30": ("新材料", "纳米材料", "陶瓷"), "31": ("钢铁", "特钢", "金属制品"),
    "33": ("五金", "金属制品", "模具"), "34": ("机械", "智能装备", "精密机械"), "35": ("智能装备", "医疗器械", "设备"),
    "36": ("汽车部件", "车业"), "38": ("光伏科技", "新能源", "电气", "电器"), "39": ("电子科技", "电子", "半导体", "光电科技", "微电子"),
    "41": ("日用品", "工艺"), "44": ("能源", "电力"), "48": ("建设工程", "市政工程"), "50": ("装饰工程", "建筑装饰"),
    "51": ("贸易", "商贸", "进出口", "供应链"), "52": ("商贸", "电子商务", "超市"), "54": ("物流", "运输"),
    "59": ("仓储", "供应链管理"), "62": ("餐饮管理", "餐饮"), "64": ("网络科技", "互联网科技"),
    "65": ("信息技术", "软件", "数字科技", "网络科技"), "70": ("置业", "房地产开发"), "72": ("企业管理咨询", "商务服务", "人力资源"),
    "73": ("检测技术", "研究院"), "75": ("科技", "技术服务", "科技发展"), "80": ("家政服务", "美容美发"), "81": ("汽车维修", "家电维修"),
}
INDIVIDUAL_SHOP_WORDS = {"52": ("百货商行", "便利店", "日用品店", "服装店"), "62": ("小吃店", "面馆", "餐馆", "快餐店"),
                         "80": ("美发店", "洗衣店", "摄影工作室"), "81": ("汽车维修部", "电器维修部"), "51": ("商行", "经营部")}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建文辉力斌宇浩凯鹏飞晨欣怡子涵梓轩雨婷佳琪俊杰志强"
UNIVERSITIES = (
    ("东莞理工学院", "12441900"), ("浙江大学", "12100000"), ("绍兴文理学院", "12330600"), ("苏州大学", "12100000"),
    ("浙江工业大学", "12330000"), ("华南理工大学", "12100000"), ("松山湖材料实验室", "12441900"),
    ("义乌工商职业技术学院", "12330782"), ("张家港市产业技术研究院", "52320582"), ("中国科学院苏州纳米技术与纳米仿生研究所", "12100000"),
)

# The legal forms a company name ends with, and the variant other departments swap in.
LEGAL_FORMS = ("有限公司", "股份有限公司", "有限责任公司")
FORM_SWAP = {"有限责任公司": "有限公司", "有限公司": "有限责任公司"}

# Simplified -> traditional for characters that occur in our names: some departments' legacy systems
# still hold names typed in traditional characters.
TRADITIONAL = str.maketrans({
    "东": "東", "电": "電", "业": "業", "纺": "紡", "织": "織", "贸": "貿", "机": "機", "门": "門",
    "广": "廣", "兴": "興", "绍": "紹", "张": "張", "乌": "烏", "义": "義", "龙": "龍", "发": "發",
    "华": "華", "国": "國", "实": "實", "网": "網", "络": "絡", "设": "設", "备": "備", "药": "藥",
    "医": "醫", "装": "裝", "饰": "飾", "产": "產", "宁": "寧", "达": "達", "丰": "豐", "汇": "匯",
    "体": "體", "导": "導", "术": "術", "进": "進", "鑫": "鑫", "红": "紅", "顺": "順", "联": "聯",
    "众": "眾", "旺": "旺", "隆": "隆", "锦": "錦", "绣": "繡", "银": "銀", "辉": "輝", "宏": "宏",
    "鹏": "鵬", "骏": "駿", "飞": "飛", "云": "雲", "亿": "億", "万": "萬", "汤": "湯", "湾": "灣",
    "际": "際", "计": "計", "讯": "訊", "车": "車", "钢": "鋼", "铁": "鐵", "属": "屬", "制": "製",
    "团": "團", "务": "務", "责": "責", "任": "任", "限": "限", "司": "司", "气": "氣", "阳": "陽",
})
FULL_WIDTH_BRACKETS = str.maketrans({"(": "（", ")": "）"})
HALF_WIDTH_BRACKETS = str.maketrans({"（": "(", "）": ")"})


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    s = rng.integers(0, len(SURNAMES), n)
    g1 = rng.integers(0, len(GIVEN), n)
    g2 = rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.7
    return [SURNAMES[a] + GIVEN[b] + (GIVEN[c] if t else "") for a, b, c, t in zip(s, g1, g2, two)]


def trade_name(rng: np.random.Generator) -> str:
    k = 2 if rng.random() < 0.75 else 3
    return "".join(TRADE_CHARS[i] for i in rng.integers(0, len(TRADE_CHARS), k))


def drift_name(name: str, kind: int, former: str | None, city_prefixes: tuple[str, ...]) -> str:
    """One of the ways a department's copy of a name differs from the registry's.

    kind: 0 exact, 1 bracket width flipped, 2 spaces, 3 traditional characters, 4 city prefix dropped,
    5 legal-form swap, 6 former name (when the enterprise was renamed).
    """
    if kind == 1:
        flipped = name.translate(FULL_WIDTH_BRACKETS)
        return flipped if flipped != name else name.translate(HALF_WIDTH_BRACKETS)
    if kind == 2:
        for form in LEGAL_FORMS[::-1]:
            if name.endswith(form) and len(name) > len(form) + 2:
                return name[: -len(form)] + " " + form
        return name[:2] + " " + name[2:]
    if kind == 3:
        return name.translate(TRADITIONAL)
    if kind == 4:
        for prefix in sorted(city_prefixes, key=len, reverse=True):
            if name.startswith(prefix) and len(name) > len(prefix) + 5:
                return name[len(prefix):]
        return name
    if kind == 5:
        for form, other in FORM_SWAP.items():
            if name.endswith(form) and not name.endswith("股份" + form):
                return name[: -len(form)] + other
        return name
    if kind == 6 and former:
        return former
    return name
