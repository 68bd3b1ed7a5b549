"""Names as registration allows (企业名称登记管理规定 2020): once the short 字号 of an industry are taken in an
authority's area, an applicant registers a longer one, so a province of millions never runs out of names."""
from __future__ import annotations

from simulator.geography import REGIONS
from simulator.names import FIRST, NameParts, render
from simulator.population import Population


def test_a_taken_trade_name_is_lengthened_not_exhausted():
    population = Population(seed=1, year=2024)
    division = REGIONS[0].name_prefixes[0]

    def same() -> NameParts:
        return NameParts(division, FIRST, "华鑫", "电子", "有限公司")

    first = population._unique_parts(same, population._registrable)
    assert render(first) == f"{division}华鑫电子有限公司"
    # every further applicant proposes the same 字号: each gets a longer one, all distinct and registrable
    later = [population._unique_parts(same, population._registrable) for _ in range(30)]
    trades = [p.trade for p in later]
    assert all(t.startswith("华鑫") and len(t) > 2 for t in trades)
    assert len(set(trades)) == len(trades)
