"""The Great Expectations suites of the published datasets, generated from their declaration.

    python -m data_quality.suites          # (re)write data_quality/suites/<dataset>.json

The suites are files in the repo (reviewed like code); tests/quality checks they match what this generates.
Columns come from the marts' enforced dbt contracts (the manifest), rules from contracts/published.py.
The row-count bounds are parameters ($PARAMETER), filled at validation time from the current version.
"""
from __future__ import annotations

import json
from pathlib import Path

from contracts.published import PUBLISHED, Published
from contracts.sql import quote_identifier, quote_literal

SUITES_DIR = Path(__file__).resolve().parent / "suites"
MANIFEST = Path(__file__).resolve().parents[1] / "dbt_project" / "target" / "manifest.json"


def contract_columns(model: str, manifest: dict) -> list[str]:
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == model)
    if not node["config"].get("contract", {}).get("enforced"):
        raise ValueError(f"{model}: a published mart needs an enforced contract")
    return list(node["columns"])


def braces_doubled(text: str) -> str:
    """The query is a str.format template ({batch}): a regex quantifier's braces must be doubled."""
    return text.replace("{", "{{").replace("}", "}}")


def expectation(kind: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {}}


def suite(p: Published, manifest: dict) -> dict:
    columns = list(p.columns) or contract_columns(p.model, manifest)
    missing = set(columns) - set(contract_columns(p.model, manifest))
    if missing:
        raise ValueError(f"{p.name}: columns {sorted(missing)} are not in {p.model}'s contract")
    out = [expectation("expect_table_columns_to_match_ordered_list", column_list=columns),
           expectation("expect_table_row_count_to_be_between",
                       min_value={"$PARAMETER": "min_row_count"}, max_value={"$PARAMETER": "max_row_count"})]
    out += [expectation("expect_column_values_to_not_be_null", column=c) for c in p.not_null]
    if len(p.key) == 1:
        out.append(expectation("expect_column_values_to_be_unique", column=p.key[0]))
    else:
        out.append(expectation("expect_compound_columns_to_be_unique", column_list=list(p.key)))
    out += [expectation("expect_column_values_to_be_in_set", column=c, value_set=v) for c, v in p.value_sets.items()]
    out += [expectation("expect_column_values_to_be_between", column=c, min_value=lo, max_value=hi)
            for c, (lo, hi) in p.ranges.items()]
    # GX has no regex for the DuckDB dialect ("Regex is not supported for dialect duckdb"): code formats are
    # checked by a query for the offending rows, run by DuckDB itself
    out += [expectation("unexpected_rows_expectation",
                        unexpected_rows_query="select * from {batch} where " + braces_doubled(
                            f"{quote_identifier(c)} is not null "
                            f"and not regexp_full_match({quote_identifier(c)}, {quote_literal(r)})"),
                        description=f"{c} matches {r}") for c, r in p.patterns.items()]
    out += [expectation("expect_column_values_to_not_be_in_set", column=c, value_set=v, mostly=m)
            for c, (v, m) in p.mostly_not_in.items()]
    return {"name": p.name, "expectations": out,
            "meta": {"generated_by": "python -m data_quality.suites", "grain": p.grain, "mart": p.mart}}


def generate(manifest_path: Path = MANIFEST) -> dict[str, dict]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return {p.name: suite(p, manifest) for p in PUBLISHED}


def main() -> None:
    SUITES_DIR.mkdir(exist_ok=True)
    for name, content in generate().items():
        (SUITES_DIR / f"{name}.json").write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n",
                                                 encoding="utf-8")
        print(f"wrote data_quality/suites/{name}.json ({len(content['expectations'])} expectations)")


if __name__ == "__main__":
    main()
