"""Names as departments write them: enterprises, persons, institutions, and the ways they drift."""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

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
    "36": ("汽车部件", "车业"), "38": ("光伏科技", "新能源", "电气", "电器"),
    "39": ("电子科技", "电子", "半导体", "光电科技", "微电子"),
    "41": ("日用品", "工艺"), "44": ("能源", "电力"), "48": ("建设工程", "市政工程"), "50": ("装饰工程", "建筑装饰"),
    "51": ("贸易", "商贸", "进出口", "供应链"), "52": ("商贸", "电子商务", "超市"), "54": ("物流", "运输"),
    "59": ("仓储", "供应链管理"), "62": ("餐饮管理", "餐饮"), "64": ("网络科技", "互联网科技"),
    "65": ("信息技术", "软件", "数字科技", "网络科技"), "70": ("置业", "房地产开发"),
    "72": ("企业管理咨询", "商务服务", "人力资源"), "73": ("检测技术", "研究院"),
    "75": ("科技", "技术服务", "科技发展"), "80": ("家政服务", "美容美发"), "81": ("汽车维修", "家电维修"),
}
INDIVIDUAL_SHOP_WORDS = {"52": ("百货商行", "便利店", "日用品店", "服装店"), "62": ("小吃店", "面馆", "餐馆", "快餐店"),
                         "80": ("美发店", "洗衣店", "摄影工作室"), "81": ("汽车维修部", "电器维修部"),
                         "51": ("商行", "经营部")}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建文辉力斌宇浩凯鹏飞晨欣怡子涵梓轩雨婷佳琪俊杰志强"
UNIVERSITIES = (
    ("东莞理工学院", "12441900"), ("浙江大学", "12100000"), ("绍兴文理学院", "12330600"), ("苏州大学", "12100000"),
    ("浙江工业大学", "12330000"), ("华南理工大学", "12100000"), ("松山湖材料实验室", "12441900"),
    ("义乌工商职业技术学院", "12330782"), ("张家港市产业技术研究院", "52320582"),
    ("中国科学院苏州纳米技术与纳米仿生研究所", "12100000"),
)


# The legal forms a company name ends with (企业名称登记管理规定: 行政区划 + 字号 + 行业 + 组织形式).
LEGAL_FORMS = ("有限公司", "股份有限公司", "有限责任公司")
FORM_SWAP = {"有限责任公司": "有限公司", "有限公司": "有限责任公司"}
# Where a name carries its division: first, in brackets after the trade name (字号（行政区划）行业有限公司), in
# brackets between the industry and the legal form (字号行业（行政区划）有限公司, the "middle"), or not at all.
FIRST, AFTER_TRADE, BEFORE_FORM, OMITTED = "first", "after_trade", "before_form", "omitted"
BRACKETED = (AFTER_TRADE, BEFORE_FORM)
# not a registered form: a clerk who moves the division behind the trade name and leaves out its brackets
AFTER_TRADE_BARE = "after_trade_bare"


class NameParts(NamedTuple):
    """A name by its components, so that departments can vary one component and keep the rest."""

    division: str | None
    position: str  # FIRST, AFTER_TRADE, BEFORE_FORM or OMITTED
    trade: str  # 字号 (for shops and cooperatives the town comes with it)
    word: str  # 行业 or 经营特点
    form: str  # 组织形式 ('' for a shop)
    tail: str = ""  # a branch's place + 分公司


def segments(p: NameParts) -> list[str]:
    """The name as its written segments (a space may fall between two of them)."""
    if p.division is None or p.position == OMITTED:
        out = [p.trade, p.word, p.form]
    elif p.position == FIRST:
        out = [p.division, p.trade, p.word, p.form]
    elif p.position == AFTER_TRADE:
        out = [p.trade, f"（{p.division}）", p.word, p.form]
    elif p.position == AFTER_TRADE_BARE:
        out = [p.trade, p.division, p.word, p.form]
    else:
        out = [p.trade, p.word, f"（{p.division}）", p.form]
    return [s for s in (*out, p.tail) if s]


def render(p: NameParts) -> str:
    return "".join(segments(p))


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    s = rng.integers(0, len(SURNAMES), n)
    g1 = rng.integers(0, len(GIVEN), n)
    g2 = rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.7
    return [SURNAMES[a] + GIVEN[b] + (GIVEN[c] if t else "") for a, b, c, t in zip(s, g1, g2, two, strict=True)]


def trade_name(rng: np.random.Generator) -> str:
    k = 2 if rng.random() < 0.75 else 3
    return "".join(TRADE_CHARS[i] for i in rng.integers(0, len(TRADE_CHARS), k))


# ------------------------------------------------------------------------------------------ variations
# How a department's copy of a name differs from the registry's. A record carries none, one, or several at once
# (a former name in traditional characters with a space before the legal form, say).
DIVISION_KINDS = ("division_dropped", "division_moved", "division_respelled", "division_added")
VARIATION_KINDS = (*DIVISION_KINDS, "abbreviated", "former_name", "legal_form_swapped", "site_suffix",
                   "traditional", "spaces", "full_width")
# relative frequency of each kind among records that vary, where the kind applies
KIND_WEIGHTS = {"division_dropped": 18, "division_moved": 5, "division_respelled": 6, "division_added": 30,
                "abbreviated": 9, "former_name": 40, "legal_form_swapped": 14, "traditional": 9, "spaces": 10,
                "full_width": 8}
# the order in which they are applied: the structure first, then the characters
APPLY_ORDER = ("former_name", *DIVISION_KINDS, "abbreviated", "legal_form_swapped", "site_suffix", "spaces",
               "traditional", "full_width")
SITE_SUFFIXES = ("二厂", "一分厂", "三厂", "车间", "二车间", "仓库", "成品仓库", "研发楼", "宿舍", "（三期）",
                 "（新厂区）")
SUB_ORGANISATIONS = ("工会委员会", "工会", "党支部", "食堂", "职工食堂", "团委")
IDEOGRAPHIC_SPACE = "\u3000"


class Traditional:
    """Simplified -> traditional with a maintained conversion library (zhconv-rs: MediaWiki's conversion tables),
    not a hand-picked map: the whole name as one system converts it (Taiwan or Hong Kong usage), or only some
    characters, as a name retyped from an old certificate reads. The pipeline does not use this library, so its
    own traditional -> simplified folding is tested against another dictionary than its own."""

    VARIANTS = ("zh-hant", "zh-hant", "zh-tw", "zh-hk")

    def __init__(self):
        from zhconv_rs import zhconv

        self._convert = zhconv
        self._char: dict[str, str] = {}

    def whole(self, text: str, variant: str) -> str:
        return self._convert(text, variant)

    def char(self, ch: str) -> str:
        if ch not in self._char:
            self._char[ch] = self._convert(ch, "zh-hant")
        return self._char[ch]


@lru_cache(maxsize=1)
def traditional() -> Traditional:
    return Traditional()


def _respell(division: str, spellings: tuple[str, ...], rng: np.random.Generator) -> str | None:
    options = [s for s in spellings if s != division]
    return options[int(rng.integers(0, len(options)))] if options else None


ABBREVIATION_WEIGHTS = {"no_form": 0.35, "short_form": 0.35, "no_word": 0.15, "short_word": 0.15}


def _abbreviate(p: NameParts, keep_form: bool, rng: np.random.Generator) -> NameParts:
    """简称 as departments type them: no legal form, 公司 for 有限公司, no industry word, or a shorter one."""
    options = []
    if not keep_form and p.form in LEGAL_FORMS:
        options += ["no_form", "short_form"]
    # without its industry a name keeps its division (东莞市华鑫有限公司): a bare 字号 + 组织形式 identifies nobody
    if p.word and p.form and p.division is not None and p.position != OMITTED:
        options.append("no_word")
    if p.word.endswith("科技") and len(p.word) > 2:
        options.append("short_word")
    if not options:
        return p
    # the legal form is what clerks shorten most; leaving out the industry is rarer
    weights = np.array([ABBREVIATION_WEIGHTS[o] for o in options])
    pick = options[int(rng.choice(len(options), p=weights / weights.sum()))]
    if pick == "no_form":
        return p._replace(form="")
    if pick == "short_form":
        return p._replace(form="股份公司" if p.form == "股份有限公司" else "公司")
    if pick == "no_word":
        return p._replace(word="")
    return p._replace(word=p.word[:-2])


def vary(rng: np.random.Generator, parts: NameParts, former: NameParts | None, kinds: list[str],
         spellings: tuple[str, ...], towns: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The name with `kinds` applied, and the kinds that really changed it (a kind that happens to change
    nothing, traditional characters on a name that has none, say, is not counted)."""
    chosen = set(kinds)
    p = parts
    done: list[str] = []
    text = render(p)
    for kind in APPLY_ORDER:
        if kind not in chosen:
            continue
        before = text
        if kind == "former_name" and former is not None:
            p = former
        elif kind == "division_dropped" and p.division is not None:
            p = p._replace(position=OMITTED, division=None)
        elif kind == "division_moved" and p.division is not None and p.position != OMITTED:
            others = [x for x in (FIRST, AFTER_TRADE, BEFORE_FORM) if x != p.position]
            to = others[int(rng.integers(0, len(others)))]
            if to == AFTER_TRADE and rng.random() < 0.25:
                to = AFTER_TRADE_BARE
            # in brackets a division is written as its short name, first as its full name
            division = spellings[0] if to == FIRST else spellings[-1]
            p = p._replace(position=to, division=division)
        elif kind == "division_respelled" and p.division is not None and p.position != OMITTED:
            to = _respell(p.division, spellings, rng)
            if to:
                p = p._replace(division=to)
        elif kind == "division_added" and (p.division is None or p.position == OMITTED):
            p = p._replace(position=FIRST, division=spellings[0])
        elif kind == "abbreviated":
            p = _abbreviate(p, "legal_form_swapped" in chosen, rng)
        elif kind == "legal_form_swapped" and p.form in FORM_SWAP:
            p = p._replace(form=FORM_SWAP[p.form])
        elif kind == "site_suffix":
            u = rng.random()
            if u < 0.25:
                suffix = f"（{towns[int(rng.integers(0, len(towns)))]}厂区）"
            else:
                suffix = SITE_SUFFIXES[int(rng.integers(0, len(SITE_SUFFIXES)))]
            p = p._replace(tail=p.tail + suffix)
        if kind in ("spaces", "traditional", "full_width"):
            if kind == "spaces":
                segs = segments(p)
                if len(segs) > 1:
                    gaps = rng.random(len(segs) - 1) < 0.4
                    gaps[int(rng.integers(0, len(gaps)))] = True
                    text = segs[0] + "".join((" " if g else "") + s
                                             for g, s in zip(gaps.tolist(), segs[1:], strict=True))
            elif kind == "traditional":
                conv = traditional()
                if rng.random() < 0.6:
                    text = conv.whole(text, conv.VARIANTS[int(rng.integers(0, len(conv.VARIANTS)))])
                else:
                    mixed = rng.random(len(text)) < 0.5
                    text = "".join(conv.char(ch) if m else ch for ch, m in zip(text, mixed.tolist(), strict=True))
            else:
                flipped = text.translate(_WIDTH_FLIP)
                text = flipped
        else:
            text = render(p)
        if text != before:
            done.append(kind)
    return text, tuple(done)


_WIDTH_FLIP = str.maketrans({"（": "(", "）": ")", "(": "（", ")": "）", " ": IDEOGRAPHIC_SPACE,
                             IDEOGRAPHIC_SPACE: " "})


def sub_organisation(rng: np.random.Generator, enterprise_name: str) -> str:
    """A body inside an enterprise that holds accounts and files applications in its own name, yet is not the
    enterprise and is not in the market-entity registry (a trade union, a party branch, a canteen)."""
    if rng.random() < 0.15:
        return f"中共{enterprise_name}支部委员会"
    return enterprise_name + SUB_ORGANISATIONS[int(rng.integers(0, len(SUB_ORGANISATIONS)))]
