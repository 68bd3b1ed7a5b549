"""Measure traditional -> simplified libraries for enterprise names: `python -m reference.compare_converters`.

Needs the candidates installed (`pip install opencc opencc-purepy zhconv hanziconv`). For each library:
- map: how many characters it converts one by one (what SQL translate() can use);
- corpus: the names of every GB/T 2260 division and GB/T 4754 industry (the words enterprise names are made
  of), written in traditional by two independent converters (OpenCC s2t/s2tw/s2hk and zhconv zh-tw/zh-hk), must
  come back to the simplified original, character by character;
- sample: reference.converter_sample (hand-written), by the library's own convert() and by its character map;
- speed of convert() on names.
"""
from __future__ import annotations

import csv
import time
from pathlib import Path

from reference.converter_sample import SAMPLE

ROOT = Path(__file__).resolve().parent.parent
GENERATED = "opencc, t2s + HK/TW variants (reference.hanzi, shipped)"
CJK = [chr(c) for c in range(0x3400, 0xA000)] + [chr(c) for c in range(0xF900, 0xFB00)]


def converters() -> dict:
    out = {}
    try:
        import opencc
        cc = opencc.OpenCC("t2s")
        out["opencc (t2s)"] = cc.convert
        out[GENERATED] = cc.convert
    except ImportError:
        pass
    try:
        from opencc_purepy import OpenCC as PureCC
        pure = PureCC("t2s")
        out["opencc-purepy (t2s)"] = pure.convert
    except ImportError:
        pass
    try:
        import zhconv
        out["zhconv (zh-cn)"] = lambda s: zhconv.convert(s, "zh-cn")
    except ImportError:
        pass
    try:
        from hanziconv import HanziConv
        out["hanziconv"] = HanziConv.toSimplified
    except ImportError:
        pass
    return out


def char_map(convert) -> dict[str, str]:
    pairs = {}
    for ch in CJK:
        out = convert(ch)
        if len(out) == 1 and out != ch:
            pairs[ch] = out
    return pairs


def corpus() -> list[str]:
    texts = set()
    with (ROOT / "dbt_project/seeds/gbt2260_divisions.csv").open(encoding="utf-8") as f:
        texts |= {r["division_name"] for r in csv.DictReader(f)}
    with (ROOT / "dbt_project/seeds/gbt4754_2017.csv").open(encoding="utf-8") as f:
        texts |= {r["name"] for r in csv.DictReader(f)}
    return sorted(texts)


def traditional_forms(texts: list[str]) -> list[tuple[str, str]]:
    import opencc
    import zhconv
    writers = [opencc.OpenCC(c).convert for c in ("s2t", "s2tw", "s2hk")]
    writers += [lambda s, v=v: zhconv.convert(s, v) for v in ("zh-tw", "zh-hk")]
    pairs = {(w(t), t) for t in texts for w in writers}
    # same length only: 互联网 -> 網際網路 (Taiwan's vocabulary) is another word, not another way to write it
    return sorted((t, s) for t, s in pairs if t != s and len(t) == len(s))


def main() -> None:
    cands = converters()
    forms = traditional_forms(corpus())
    print(f"Corpus: {len(forms)} traditional forms of {len(corpus())} division and industry names.\n")
    print("| library | characters in map | corpus: same key | corpus: exact "
          "| sample by convert() | sample by char map | names/s |")
    print("|---|---|---|---|---|---|---|")
    names = [t for t, _ in SAMPLE] * 200
    notes = []
    for label, convert in cands.items():
        if label == GENERATED:
            from reference.hanzi import character_map
            mapping = character_map()
        else:
            mapping = char_map(convert)
        table = str.maketrans(mapping)
        corpus_ok = sum(t.translate(table) == s for t, s in forms)
        corpus_key = sum(t.translate(table) == s.translate(table) for t, s in forms)
        sample_convert = sum(convert(t) == s for t, s in SAMPLE)
        sample_map = sum(t.translate(table) == s for t, s in SAMPLE)
        started = time.perf_counter()
        for n in names:
            convert(n)
        rate = len(names) / (time.perf_counter() - started)
        print(f"| {label} | {len(mapping):,} | {corpus_key}/{len(forms)} | {corpus_ok}/{len(forms)} "
              f"| {sample_convert}/{len(SAMPLE)} | {sample_map}/{len(SAMPLE)} | {rate:,.0f} |")
        notes += [f"- {label}: {t} -> {t.translate(table)} by the character map (registry: {s})"
                  for t, s in SAMPLE if t.translate(table) != s]
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
