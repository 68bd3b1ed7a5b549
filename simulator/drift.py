"""How department copies of codes and names drift from the registry, at realistic rates."""
from __future__ import annotations

from bisect import bisect
from itertools import accumulate

import numpy as np

from . import codes
from .geography import REGIONS
from .names import BRACKETED, DIVISION_KINDS, FORM_SWAP, KIND_WEIGHTS, OMITTED, vary

# exact, lower case, spaced, full-width, typo (fails the check), legacy code
CODE_VARIANTS = ("exact", "lower", "spaced", "fullwidth", "typo", "legacy")
CODE_P = (0.895, 0.03, 0.02, 0.02, 0.01, 0.025)
# How many name variations a record carries at once (0, 1, 2, 3): departments that type names from paper or
# from the holder's word vary them more than those whose register is kept in step with the market registry.
VARIATION_COUNT_P = {"careless": (0.70, 0.20, 0.07, 0.03), "light": (0.86, 0.10, 0.03, 0.01)}


def pick(rng: np.random.Generator, cumulative: list[float]) -> int:
    """Index drawn with the probabilities whose running sum is `cumulative` (cheaper than rng.choice per row)."""
    return min(bisect(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


def cumulative(p) -> list[float]:
    return list(accumulate(p))


CODE_CUM = cumulative(CODE_P)
COUNT_CUM = {k: cumulative(p) for k, p in VARIATION_COUNT_P.items()}


def written_code(rng: np.random.Generator, uscc: str | None, legacy: str | None, pilot: bool,
                 legacy_rate_boost: float = 0.0) -> tuple[str | None, str]:
    """The code as a department writes it, and which variant that is."""
    if uscc is None:
        return (legacy, "legacy") if legacy else (None, "missing")
    if legacy_rate_boost or not legacy or pilot:
        p = list(CODE_P)
        p[5] = p[5] + legacy_rate_boost if legacy else 0.0
        if pilot:
            p[4] = 0.0  # a pilot code is written as registered
        k = CODE_VARIANTS[pick(rng, cumulative(p))]
    else:
        k = CODE_VARIANTS[pick(rng, CODE_CUM)]
    if k == "exact":
        return uscc, k
    if k == "lower":
        return uscc.lower(), k
    if k == "spaced":
        return f"{uscc[:6]} {uscc[6:12]} {uscc[12:]}", k
    if k == "fullwidth":
        return codes.to_full_width(uscc), k
    if k == "typo":
        if rng.random() < 0.5:
            return codes.break_check(uscc, int(rng.integers(0, 29))), k
        pos = int(rng.integers(8, 16))  # inside the embedded organization code
        c = codes.USCC_CHARS[(codes.USCC_VALUE[uscc[pos]] + 1 + int(rng.integers(0, 9))) % 10]
        broken = uscc[:pos] + c + uscc[pos + 1:]
        return (broken, k) if not codes.is_valid_uscc(broken) else (codes.break_check(uscc, 3), k)
    return legacy, "legacy"


def variation_kinds(rng: np.random.Generator, parts, former, n: int, site: bool = False) -> list[str]:
    """`n` distinct kinds of variation that apply to this name (at most one about the division)."""
    kinds = ["site_suffix"] if site else []
    candidates = dict(KIND_WEIGHTS)
    if parts.division is None or parts.position == OMITTED:
        for k in ("division_dropped", "division_moved", "division_respelled"):
            candidates.pop(k)
    else:
        candidates.pop("division_added")
    if former is None:
        candidates.pop("former_name")
    if parts.form not in FORM_SWAP:
        candidates.pop("legal_form_swapped")
    while len(kinds) < n and candidates:
        if "full_width" in candidates and parts.position not in BRACKETED and "spaces" not in kinds and not site:
            weights = {k: w for k, w in candidates.items() if k != "full_width"}
        else:
            weights = candidates
        if not weights:
            break
        names = list(weights)
        k = names[pick(rng, cumulative([weights[x] for x in names]))]
        kinds.append(k)
        for drop in (DIVISION_KINDS if k in DIVISION_KINDS else (k,)):
            candidates.pop(drop, None)
    return kinds


def written_name(rng: np.random.Generator, c, i: int, profile: str = "careless", site: bool = False,
                 encoding: str | None = None) -> tuple[str, tuple[str, ...]]:
    """Entity `i` of chunk `c`'s name as a department writes it, and the variations it carries. `site`: the
    record is one of the enterprise's sites (a meter, a plant's permit), named with a site suffix."""
    n = pick(rng, COUNT_CUM[profile])
    if site:
        n = max(n, 1)
    region = REGIONS[c.region[i]]
    kinds = variation_kinds(rng, c.name_parts[i], c.former_parts[i], n, site)
    if not kinds:
        return c.name[i], ()
    name, done = vary(rng, c.name_parts[i], c.former_parts[i], kinds, division_spellings(region), region.towns)
    if encoding and "traditional" in done:
        try:
            name.encode(encoding)
        except UnicodeEncodeError:  # a GBK system cannot hold that character: it keeps the simplified one
            name, done = vary(rng, c.name_parts[i], c.former_parts[i], [k for k in kinds if k != "traditional"],
                              division_spellings(region), region.towns)
    return name, done


def division_spellings(region) -> tuple[str, ...]:
    """How a name writes its division: the registered form first, the short form (used in brackets) last."""
    full, province = region.name_prefixes[0], region.province
    out = [full, province + full, *region.name_prefixes[1:2], region.short]
    return tuple(dict.fromkeys(out))
