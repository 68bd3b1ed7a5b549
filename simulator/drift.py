"""How department copies of codes and names drift from the registry, at realistic rates."""
from __future__ import annotations

from bisect import bisect
from itertools import accumulate

import numpy as np

from . import codes
from .names import drift_name

# exact, lower case, spaced, full-width, typo (fails the check), legacy code
CODE_VARIANTS = ("exact", "lower", "spaced", "fullwidth", "typo", "legacy")
CODE_P = (0.895, 0.03, 0.02, 0.02, 0.01, 0.025)
# exact, bracket width, spaces, traditional, city prefix dropped, legal-form swap, former name
NAME_P = (0.74, 0.04, 0.03, 0.03, 0.06, 0.05, 0.05)


def pick(rng: np.random.Generator, cumulative: list[float]) -> int:
    """Index drawn with the probabilities whose running sum is `cumulative` (cheaper than rng.choice per row)."""
    return min(bisect(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


def cumulative(p) -> list[float]:
    return list(accumulate(p))


CODE_CUM = cumulative(CODE_P)
NAME_CUM = cumulative(NAME_P)


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


def written_name(rng: np.random.Generator, name: str, former: str | None, prefixes: tuple[str, ...],
                 p: tuple[float, ...] = NAME_P) -> tuple[str, int]:
    kind = pick(rng, NAME_CUM if p is NAME_P else cumulative(p))
    if kind == 6 and not former:
        kind = 0
    return drift_name(name, kind, former, prefixes), kind
