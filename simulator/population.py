"""The market entities of the jurisdiction, generated a chunk at a time with bounded memory.

Every figure a department later reports is derived from the few latent variables drawn here
(annual revenue, margin, labour productivity, energy intensity), so that tax, electricity, headcount,
output and land come out correlated the way real enterprises are.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np

from . import codes
from .geography import (
    EXTERNAL_REGIONS,
    GENERAL_INDUSTRIES,
    INDIVIDUAL_INDUSTRIES,
    MOVED_IN_FROM,
    REGIONS,
    check_profiles,
    classes_by_division,
    industry_table,
    is_industrial,
)
from .names import (
    AFTER_TRADE,
    BEFORE_FORM,
    FIRST,
    INDIVIDUAL_SHOP_WORDS,
    INDUSTRY_WORDS,
    LEGAL_FORMS,
    OMITTED,
    TRADE_CHARS,
    NameParts,
    person_names,
    render,
    trade_name,
)

USCC_REFORM = np.datetime64("2015-10-01")
CATEGORIES = ("company", "branch", "individual", "sole", "nonco", "coop")
CATEGORY_WEIGHTS = (0.55, 0.03, 0.33, 0.04, 0.03, 0.02)
ENTTYPE = {"individual": "9500", "sole": "4100", "nonco": "2100", "coop": "9100"}
STATUS = ("1", "2", "3", "4", "5")
STATUS_WEIGHTS = (0.82, 0.04, 0.11, 0.02, 0.01)
CURRENCIES = ("156", "840", "344", "978")


@dataclass
class Chunk:
    """Column arrays for the entities of one chunk (index i of every array is one entity)."""

    gid: np.ndarray
    pripid: list[str]
    region: np.ndarray  # index into REGIONS
    park: list[str | None]
    category: list[str]
    enttype: list[str]
    industry: list[str]  # true 4-digit class
    industry_written: list[str]  # as S1 writes it (sometimes only the division)
    est_date: np.ndarray  # datetime64[D]
    status: list[str]
    can_date: np.ndarray  # datetime64[D], NaT unless status 3/4
    uscc: list[str | None]
    uscc_pilot: np.ndarray  # bool: a legal pilot code that fails the check
    org_code: list[str]
    regno: list[str | None]
    name: list[str]
    former_name: list[str | None]
    name_parts: list[NameParts]  # the name by its components (names.render(name_parts[i]) == name[i])
    former_parts: list[NameParts | None]
    tax_division: list[str]  # the division in the entity's legacy taxpayer number
    rename_date: np.ndarray
    dom: list[str]
    lerep: list[str]
    cerno: list[str]
    tel: list[str]
    regcap_wan: np.ndarray
    regcapcur: list[str]
    revenue: np.ndarray  # annual operating revenue in 元, evaluation year
    growth: np.ndarray  # revenue(year) / revenue(year - 1)
    margin: np.ndarray
    productivity: np.ndarray  # revenue per employee, 元
    employees: np.ndarray
    energy_intensity: np.ndarray  # kWh per 元 of revenue
    industrial: np.ndarray
    parent: np.ndarray  # for branches: index of the parent in this chunk, else -1

    def __len__(self) -> int:
        return len(self.gid)


def scrambled(gid: np.ndarray | int, modulus: int, salt: int) -> np.ndarray:
    """A bijection of the index onto [0, modulus): identifiers that are unique but look random."""
    return (np.asarray(gid, dtype=np.int64) * 7_919 + salt) % modulus


def base31(values: np.ndarray, width: int) -> list[str]:
    out = []
    for v in values.tolist():
        chars = []
        for _ in range(width):
            v, r = divmod(v, 31)
            chars.append(codes.USCC_CHARS[r])
        out.append("".join(reversed(chars)))
    return out


def org_codes(gid: np.ndarray, new_style: np.ndarray, salt: int) -> list[str]:
    """GB 11714 codes, nationally unique: digits before the 2015 reform, `MA` + 6 characters after."""
    digits = scrambled(gid, 10**8, salt)
    ma = base31(scrambled(gid, 31**6, salt), 6)
    out = []
    for d, m, new in zip(digits.tolist(), ma, new_style.tolist(), strict=True):
        body = ("MA" + m) if new else f"{d:08d}"
        out.append(body + codes.org_check_char(body))
    return out


PROFILES = {"individual": INDIVIDUAL_INDUSTRIES, "general": GENERAL_INDUSTRIES, "coop": {"01": 1},
            **{p.code: p.industries for r in REGIONS for p in r.parks}}


def pripid_for(seed: int, gid: int) -> str:
    h = hashlib.blake2b(f"{seed}:{gid}".encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def weighted_classes(rng: np.random.Generator, weights: dict[str, float], n: int) -> list[str]:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    picks = rng.choice(len(keys), size=n, p=p / p.sum())
    within = rng.random(n)
    by_div = classes_by_division()
    out = []
    for k, u in zip(picks.tolist(), within.tolist(), strict=True):
        key = keys[k]
        out.append(key if len(key) == 4 else by_div[key][int(u * len(by_div[key]))])
    return out


def random_dates(rng: np.random.Generator, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    span = np.maximum((end - start).astype("timedelta64[D]").astype(np.int64), 0)
    return start + (rng.random(len(span)) * (span + 1)).astype(np.int64).astype("timedelta64[D]")


SHORT_TRIES, LONGER_TRIES = 20, 200


class Population:
    """Generates chunks of market entities; names are unique across the whole run."""

    def __init__(self, seed: int, year: int):
        check_profiles()
        self.seed = seed
        self.year = year
        self.year_end = np.datetime64(f"{year}-12-31")
        self._names: set[str] = set()
        self._longer = np.random.default_rng([seed, 4754])  # the extra characters of longer 字号
        # (字号, 行业) -> the areas of the authorities that registered it: see _registrable
        self._trade_areas: dict[tuple[str, str], list[frozenset[str]]] = {}
        self._region_p = np.array([r.weight for r in REGIONS])
        self._region_p /= self._region_p.sum()

    def rng(self, *salt: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, *salt])

    def _unique_parts(self, make, registrable=None) -> NameParts:
        for attempt in range(SHORT_TRIES + LONGER_TRIES):
            parts = make()
            if attempt >= SHORT_TRIES:
                # where the short 字号 of an industry are taken in the authority's area (a province of millions),
                # applicants register a longer one: a character more for every 50 tries
                extra = 1 + (attempt - SHORT_TRIES) // 50
                parts = parts._replace(trade=parts.trade + "".join(
                    TRADE_CHARS[i] for i in self._longer.integers(0, len(TRADE_CHARS), extra)))
            name = render(parts)
            if name not in self._names and (registrable is None or registrable(parts)):
                self._names.add(name)
                return parts
        raise RuntimeError("name space exhausted")

    @staticmethod
    def _authority_area(parts: NameParts) -> frozenset[str]:
        """The divisions in whose area the authority that registers this name checks it: a name without a division
        nationwide, one with a province's name across the province, one with a city's name across the city's
        districts (绍兴 covers 越城, 柯桥 and 上虞)."""
        if parts.division is None or parts.position == OMITTED:
            return frozenset(r.code for r in REGIONS)
        return frozenset(r.code for r in REGIONS
                         if r.province.startswith(parts.division)
                         or any(p.startswith(parts.division) for p in (*r.name_prefixes, r.short)))

    def _registrable(self, parts: NameParts) -> bool:
        """企业名称登记管理规定 (2020) and its 实施办法 (2023): within one authority's area no two enterprises of an
        industry share a 字号, whatever their legal form or where the division stands (东莞市华鑫电子有限公司 bars
        华鑫电子（东莞）股份有限公司 and 广东华鑫电子有限公司; 张家港华鑫电子有限公司 is another authority's)."""
        area = self._authority_area(parts)
        held = self._trade_areas.get((parts.trade, parts.word), [])
        if any(area & other for other in held):
            return False
        self._trade_areas.setdefault((parts.trade, parts.word), []).append(area)
        return True

    def company_name(self, rng, region, industry: str, category: str) -> NameParts:
        words = INDUSTRY_WORDS.get(industry[:2], ("科技",))
        if category == "company":
            form = LEGAL_FORMS[int(rng.choice(3, p=[0.72, 0.08, 0.20]))]
        elif category == "sole":
            form = str(rng.choice(("厂", "商行", "经营部")))
        elif category == "nonco":
            form = str(rng.choice(("厂", "公司", "总公司")))
        else:
            form = "专业合作社"

        def make() -> NameParts:
            word = words[int(rng.integers(0, len(words)))]
            tn = trade_name(rng)
            if category == "coop":
                town = region.towns[int(rng.integers(0, len(region.towns)))]
                return NameParts(region.name_prefixes[0], FIRST, town + tn, "农业", form)
            style = rng.random()
            if category == "company":
                # the division first (in any of its spellings), in brackets after the trade name or before the
                # legal form, or left out (allowed for enterprises approved without one)
                if style < 0.56:
                    return NameParts(region.name_prefixes[0], FIRST, tn, word, form)
                if style < 0.72:
                    return NameParts(region.name_prefixes[1], FIRST, tn, word, form)
                if style < 0.80:
                    return NameParts(region.name_prefixes[2], FIRST, tn, word, form)
                if style < 0.90:
                    return NameParts(region.short, AFTER_TRADE, tn, word, form)
                if style < 0.95:
                    return NameParts(region.short, BEFORE_FORM, tn, word, form)
                return NameParts(None, OMITTED, tn, word, form)
            if style < 0.62:
                return NameParts(region.name_prefixes[0], FIRST, tn, word, form)
            if style < 0.80:
                return NameParts(region.name_prefixes[1], FIRST, tn, word, form)
            return NameParts(region.name_prefixes[2], FIRST, tn, word, form)

        return self._unique_parts(make, None if category == "coop" else self._registrable)

    def individual_name(self, rng, region, industry: str) -> NameParts:
        words = INDIVIDUAL_SHOP_WORDS.get(industry[:2], ("经营部",))

        def make() -> NameParts:
            town = region.towns[int(rng.integers(0, len(region.towns)))]
            return NameParts(region.name_prefixes[0], FIRST, town + trade_name(rng),
                             words[int(rng.integers(0, len(words)))], "")

        return self._unique_parts(make)

    def chunk(self, index: int, start: int, n: int) -> Chunk:
        rng = self.rng(1, index)
        gid = np.arange(start, start + n, dtype=np.int64)
        region = rng.choice(len(REGIONS), size=n, p=self._region_p)
        category = [CATEGORIES[k] for k in rng.choice(len(CATEGORIES), size=n, p=CATEGORY_WEIGHTS)]
        in_park = rng.random(n)

        park: list[str | None] = []
        profile: list[str] = []  # which industry mix an entity draws from
        park_pick = rng.random(n)
        for i in range(n):
            reg = REGIONS[region[i]]
            if category[i] == "individual":
                park.append(None)
                profile.append("individual")
            elif in_park[i] < reg.park_share and category[i] != "coop":
                p = reg.parks[int(park_pick[i] * len(reg.parks))]
                park.append(p.code)
                profile.append(p.code)
            else:
                park.append(None)
                profile.append("coop" if category[i] == "coop" else "general")
        industry: list[str] = [""] * n
        for key in sorted(set(profile)):
            members = [i for i in range(n) if profile[i] == key]
            for i, code in zip(members, weighted_classes(rng, PROFILES[key], len(members)), strict=True):
                industry[i] = code
        industrial = np.array([is_industrial(c) for c in industry])

        # founding: recent years are denser, as in every registry
        age_years = np.minimum(rng.exponential(7.0, n), 32.0)
        est_date = self.year_end - (age_years * 365.25).astype(np.int64).astype("timedelta64[D]")
        status = [STATUS[k] for k in rng.choice(5, size=n, p=STATUS_WEIGHTS)]
        status = [s if not (e > self.year_end - np.timedelta64(400, "D") and s in "25") else "1"
                  for s, e in zip(status, est_date, strict=True)]
        can_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        closing = np.array([s in ("3", "4") for s in status])
        # a quarter of closures fall in the evaluation year, so the monthly sources see them stop
        recent = closing & (rng.random(n) < 0.25)
        can_date[closing] = random_dates(rng, est_date[closing] + np.timedelta64(180, "D"),
                                         np.full(closing.sum(), self.year_end))
        year_start = np.datetime64(f"{self.year}-01-01")
        can_date[recent] = random_dates(rng, np.maximum(est_date[recent] + 30, year_start),
                                        np.full(recent.sum(), self.year_end - 31))

        old = est_date < USCC_REFORM
        never_reregistered = old & (
            (np.array([s in "235" for s in status]) & (rng.random(n) < 0.3)) | (rng.random(n) < 0.004)
        )
        org = org_codes(gid, ~old, salt=self.seed % 1000)
        uscc: list[str | None] = []
        pilot = old & ~never_reregistered & (rng.random(n) < 0.003)
        for i in range(n):
            if never_reregistered[i]:
                uscc.append(None)
                continue
            cat = category[i]
            authority, kind = ("9", "2") if cat == "individual" else ("9", "3") if cat == "coop" else ("9", "1")
            code = codes.make_uscc(authority, kind, REGIONS[region[i]].code, org[i])
            uscc.append(codes.break_check(code, int(gid[i])) if pilot[i] else code)
        seq = scrambled(gid, 10**8, 31 + self.seed % 997)
        regno = [
            (REGIONS[region[i]].code + f"{seq[i]:08d}") if old[i] else None for i in range(n)
        ]
        regno = [r + codes.regno_check_digit(r) if r else None for r in regno]

        # size: annual operating revenue, 元
        log_median = np.where(industrial, np.log(4.2e6), np.log(2.0e6))
        sigma = np.where(industrial, 1.65, 1.6)
        is_ind = np.array([c == "individual" for c in category])
        log_median = np.where(is_ind, np.log(3.0e5), log_median)
        sigma = np.where(is_ind, 0.9, sigma)
        revenue = np.exp(rng.normal(log_median, sigma))
        margin = np.clip(rng.normal(0.06, 0.07, n), -0.3, 0.35)
        productivity = np.exp(rng.normal(np.where(industrial, np.log(7.0e5), np.log(9.0e5)), 0.35))
        employees = np.maximum(np.round(revenue / productivity), np.where(is_ind, 1, 0)).astype(np.int64)
        employees = np.where(is_ind, np.minimum(employees, 8), employees)
        intensity = np.where(industrial, np.exp(rng.normal(np.log(0.06), 0.6)), np.exp(rng.normal(np.log(0.012), 0.5)))
        growth = np.clip(rng.normal(1.06, 0.15, n), 0.5, 2.0)
        regcap_wan = np.round(np.exp(np.log(revenue / 1e4) + rng.normal(-0.8, 0.9, n)), 2)
        regcap_wan = np.where(is_ind, np.round(np.minimum(regcap_wan, 50), 2), regcap_wan)
        regcapcur = [CURRENCIES[k] for k in rng.choice(4, size=n, p=(0.94, 0.03, 0.02, 0.01))]

        parts: list[NameParts] = []
        parent = np.full(n, -1, dtype=np.int64)
        candidates = [i for i in range(n) if category[i] == "company"]
        for i in range(n):
            reg = REGIONS[region[i]]
            cat = category[i]
            if cat == "branch" and candidates:
                p = candidates[int(rng.integers(0, len(candidates)))]
                if p < i:
                    parent[i] = p
                    industry[i] = industry[p]
                    parts.append(self._unique_parts(lambda p=p, reg=reg: parts[p]._replace(tail=(
                        f"{reg.towns[int(rng.integers(0, len(reg.towns)))]}"
                        f"{'第二' if rng.random() < 0.2 else ''}分公司"))))
                    continue
                category[i] = cat = "company"
            if cat == "individual":
                parts.append(self.individual_name(rng, reg, industry[i]))
            else:
                parts.append(self.company_name(rng, reg, industry[i], cat))
        names = [render(p) for p in parts]
        enttype = []
        for i, cat in enumerate(category):
            if cat == "company":
                enttype.append("1200" if "股份" in names[i] else "1100")
            elif cat == "branch":
                enttype.append("1290" if "股份" in names[int(parent[i])] else "1190")
            else:
                enttype.append(ENTTYPE[cat])
        industrial = np.array([is_industrial(c) for c in industry])

        renamed = np.array([c in ("company", "sole") for c in category]) & (rng.random(n) < 0.08) & (
            est_date < self.year_end - 365)
        former_parts: list[NameParts | None] = []
        for i in range(n):
            if renamed[i]:
                reg = REGIONS[region[i]]
                former_parts.append(self.company_name(rng, reg, industry[i], category[i]))
            else:
                former_parts.append(None)
        former = [render(p) if p else None for p in former_parts]
        # Enterprises that moved here from elsewhere before the 2015 reform: their legacy 税务登记号 still carries
        # the division of the tax office that issued it (Beijing 11, Chongqing 50, Sichuan 51 ...).
        moved_in = old & (rng.random(n) < 0.08)
        origin = rng.integers(0, len(MOVED_IN_FROM), n)
        tax_division = [MOVED_IN_FROM[o] if m else REGIONS[r].code
                        for r, m, o in zip(region.tolist(), moved_in.tolist(), origin.tolist(), strict=True)]
        rename_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        rename_date[renamed] = random_dates(rng, est_date[renamed] + 60, np.full(renamed.sum(), self.year_end - 60))

        lerep = person_names(rng, n)
        birth = self.year_end - (rng.uniform(25, 65, n) * 365.25).astype(np.int64).astype("timedelta64[D]")
        cerno = []
        tel = []
        phone = rng.integers(0, 10**8, n)
        prefix = rng.choice(["13", "15", "17", "18", "19"], n)
        for i in range(n):
            body = REGIONS[region[i]].code + str(birth[i]).replace("-", "") + f"{(gid[i] * 37) % 1000:03d}"
            cerno.append(body + codes.id_number_check(body))
            tel.append(f"{prefix[i]}{phone[i] % 10:01d}{phone[i]:08d}")
        dom = []
        for i in range(n):
            reg = REGIONS[region[i]]
            street = reg.streets[int(rng.integers(0, len(reg.streets)))]
            town = reg.towns[int(rng.integers(0, len(reg.towns)))]
            dom.append(f"{reg.province}{reg.city}{town}{street}{int(rng.integers(1, 400))}号")
        written = [c[:2] if rng.random() < 0.08 else c for c in industry]

        return Chunk(
            gid=gid, pripid=[pripid_for(self.seed, int(g)) for g in gid], region=region, park=park,
            category=category, enttype=enttype, industry=industry, industry_written=written, est_date=est_date,
            status=status, can_date=can_date, uscc=uscc, uscc_pilot=pilot, org_code=org, regno=regno, name=names,
            former_name=former, name_parts=parts, former_parts=former_parts, tax_division=tax_division,
            rename_date=rename_date, dom=dom, lerep=lerep, cerno=cerno, tel=tel,
            regcap_wan=regcap_wan, regcapcur=regcapcur, revenue=revenue, growth=growth, margin=margin,
            productivity=productivity, employees=employees, energy_intensity=intensity, industrial=industrial,
            parent=parent,
        )

    def external(self, index: int, n: int, chunk: Chunk | None = None, locals_end: int = 0) -> dict:
        """Enterprises registered elsewhere that still appear in local tax and patent records. Some carry the
        same trade name, industry and legal form as a local enterprise (only the division differs): a name core
        is not an identity. `locals_end`: the local enterprises' ids are below it."""
        rng = self.rng(2, index)
        # GB 11714 codes are unique nationally: each chunk's externals take 100,000 ids clear of the locals' and
        # below the digits' modulus (10**8), so no external shares a local enterprise's organization code: chunks
        # 0-99 from 90,000,000 up (roots of up to 5M enterprises as before), later ones below 90,000,000, downwards
        base = 90_000_000 + index * 100_000 if index < 100 else 90_000_000 - (index - 99) * 100_000
        if n > 100_000 or base < locals_end:
            raise ValueError(f"external ids: chunk {index} with {n:,} externals would meet the local enterprises' ids "
                             f"(below {locals_end:,})")
        gid = np.arange(n, dtype=np.int64) + base
        org = org_codes(gid, rng.random(n) < 0.6, salt=self.seed % 1000)
        out = {"uscc": [], "legacy": [], "name": [], "parts": [], "twin": [],
               "revenue": np.exp(rng.normal(np.log(2e7), 1.2, n))}
        companies = [i for i in range(len(chunk))
                     if chunk.category[i] == "company" and chunk.name_parts[i].form in LEGAL_FORMS] if chunk else []
        for i in range(n):
            code, city = EXTERNAL_REGIONS[int(rng.integers(0, len(EXTERNAL_REGIONS)))]
            out["uscc"].append(codes.make_uscc("9", "1", code, org[i]))
            out["legacy"].append(code + org[i])
            twin = companies[int(rng.integers(0, len(companies)))] if companies and rng.random() < 0.4 else -1
            if twin >= 0 and REGIONS[chunk.region[twin]].code[:4] == code[:4]:
                twin = -1  # a city that contains the local enterprise's county may stand in its name: not a namesake
            if twin >= 0 and chunk.name_parts[twin].position == OMITTED:
                twin = -1  # a name without a division holds its 字号 in its industry nationwide (_registrable)
            if twin >= 0:
                local = chunk.name_parts[twin]
                position = FIRST if rng.random() < 0.8 else AFTER_TRADE
                make = lambda local=local, city=city, position=position: NameParts(
                    city, position, local.trade, local.word, local.form)
            else:
                words = INDUSTRY_WORDS[("39", "65", "51", "34", "26")[int(rng.integers(0, 5))]]
                make = lambda city=city, words=words: NameParts(
                    city, FIRST, trade_name(rng), words[int(rng.integers(0, len(words)))], "有限公司")
            parts = self._unique_parts(make) if twin < 0 else self._unique_parts_or_none(make)
            if parts is None:  # the twin's name with this city is taken: an ordinary name instead
                twin = -1
                parts = self._unique_parts(
                    lambda city=city: NameParts(city, FIRST, trade_name(rng), "科技", "有限公司"))
            out["parts"].append(parts)
            out["name"].append(render(parts))
            out["twin"].append(chunk.pripid[twin] if twin >= 0 else None)
        return out

    def _unique_parts_or_none(self, make) -> NameParts | None:
        parts = make()
        name = render(parts)
        if name in self._names:
            return None
        self._names.add(name)
        return parts


def industry_name(code: str) -> str:
    return industry_table().get(code, ("", ""))[1]


def to_date(d: np.datetime64) -> dt.date | None:
    return None if np.isnat(d) else d.astype(dt.date)
