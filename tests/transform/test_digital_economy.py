"""数字经济 figures per park and year, against figures this test computes itself.

The national table (数字经济及其核心产业统计分类(2021) mapped to GB/T 4754-2017) is not shipped (seeds/README.md): on
the default build the mart says so. Then, on a copy of the warehouse, a classification file written here (a test
fixture naming classes the default data has, one of them starred; not the national table) is loaded through
LAKEHOUSE_DIGITAL_ECONOMY_FILE, and every park-year's counts and sums must be those computed here from dim_enterprise,
fct_enterprise_year and fct_enterprise_month. A file naming a class GB/T 4754-2017 lacks fails the build.
"""
from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.pipeline import dbt_build, warehouse_frame

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
MODELS = ["digital_economy_core", "ref_digital_economy_classes", "mart_digital_economy"]
HEADER = ["category_code", "category_name", "middle_code", "middle_name", "small_code", "small_name",
          "industry_code", "industry_name", "partial"]


def query(home: Path, sql: str) -> pd.DataFrame:
    return warehouse_frame(home, sql)


def build(home: Path, classification: Path | None) -> subprocess.CompletedProcess:
    return dbt_build(home, MODELS, {"LAKEHOUSE_DIGITAL_ECONOMY_FILE": str(classification) if classification else None})


def write_classification(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_without_the_national_table_every_park_year_says_it_is_missing(default_warehouse):
    _, home, _ = default_warehouse
    got = query(home, "select * from marts.mart_digital_economy")
    parks = query(home, "select count(*) as n from marts.dim_park")["n"][0]
    years = query(home, "select distinct fiscal_year from marts.fct_enterprise_year union "
                        "select distinct year(month_start) from marts.fct_enterprise_month")
    assert len(got) == parks * len(years) > 0
    assert not got["classification_loaded"].any() and (got["core_enterprises"] == 0).all()


def expected(home: Path, classes: dict[str, tuple[str, bool]]) -> dict:
    """{(park, year): figures} computed here."""
    enterprises = query(home, "select enterprise_code, park_code, industry_code, founded_on, deregistered_on "
                              "from marts.dim_enterprise where not is_external and park_code is not null")
    enterprises = enterprises[enterprises["industry_code"].isin(classes)]
    yearly = query(home, "select enterprise_code, fiscal_year, operating_revenue_yuan, gross_industrial_output_yuan "
                         "from marts.fct_enterprise_year").set_index(["enterprise_code", "fiscal_year"])
    monthly = query(home, "select enterprise_code, year(month_start) as fiscal_year, sum(sales_revenue_yuan) as sales,"
                          " sum(total_tax_yuan) as tax from marts.fct_enterprise_month group by all") \
        .set_index(["enterprise_code", "fiscal_year"])
    years = set(yearly.index.get_level_values(1)) | set(monthly.index.get_level_values(1))
    out = {}
    for year in years:
        for e in enterprises.itertuples():
            if (not pd.isna(e.founded_on) and e.founded_on.year > year) or \
                    (not pd.isna(e.deregistered_on) and e.deregistered_on.year < year):
                continue
            category, partial = classes[e.industry_code]
            f = out.setdefault((e.park_code, year), {"core": 0, "in_part": 0, "manufacturing": 0, "revenue": [],
                                                     "output": [], "tax": [], "tax_in_part": []})
            f["core"] += 1
            f["in_part"] += partial
            f["manufacturing"] += category == "01"
            y = yearly.loc[(e.enterprise_code, year)] if (e.enterprise_code, year) in yearly.index else None
            m = monthly.loc[(e.enterprise_code, year)] if (e.enterprise_code, year) in monthly.index else None
            if y is not None:
                f["revenue"].append(y["operating_revenue_yuan"])
                f["output"].append(y["gross_industrial_output_yuan"])
            if m is not None:
                f["tax"].append(m["tax"])
                if partial:
                    f["tax_in_part"].append(m["tax"])
    return out


def total(values: list) -> float | None:
    known = [v for v in values if not pd.isna(v)]
    return sum(known) if known else None


@pytest.mark.slow
def test_a_loaded_classification_gives_the_figures_computed_here(default_warehouse, tmp_path):
    _, home, _ = default_warehouse
    copy = tmp_path / "home"
    copy.mkdir()
    shutil.copyfile(home / "warehouse.duckdb", copy / "warehouse.duckdb")
    # the park enterprises' commonest classes in divisions 39 (electronics) and 65 (software, IT services)
    common = query(home, """
        select e.industry_code, i.name, count(*) as n
        from marts.dim_enterprise e join reference.gbt4754_2017 i on i.code = e.industry_code
        where e.park_code is not null and (e.industry_code like '39%' or e.industry_code like '65%')
        group by all order by n desc, e.industry_code limit 4""")
    assert len(common) == 4
    rows, classes = [], {}
    for k, r in enumerate(common.itertuples()):
        category = "01" if r.industry_code.startswith("39") else "03"
        partial = k == 1  # one starred class: it counts in part
        classes[r.industry_code] = (category, partial)
        rows.append({"category_code": category, "category_name": "测试大类", "middle_code": f"{category}01",
                     "middle_name": "测试中类", "small_code": f"{category}01{k:02d}", "small_name": r.name,
                     "industry_code": r.industry_code, "industry_name": r.name,
                     "partial": "*" if partial else ""})
    done = build(copy, write_classification(tmp_path / "digital_economy.csv", rows))
    assert done.returncode == 0, done.stdout[-3000:]
    want = expected(copy, classes)
    got = query(copy, "select * from marts.mart_digital_economy").set_index(["park_code", "fiscal_year"])
    assert got["classification_loaded"].all()
    assert got[got["core_enterprises"] > 0].index.tolist() != []
    for (park, year), row in got.iterrows():
        f = want.get((park, year))
        if f is None:
            assert row["core_enterprises"] == 0, (park, year)
            continue
        assert (row["core_enterprises"], row["core_enterprises_in_part"], row["product_manufacturing_enterprises"]) \
            == (f["core"], f["in_part"], f["manufacturing"]), (park, year)
        for column, values in (("operating_revenue_yuan", f["revenue"]), ("gross_output_yuan", f["output"]),
                               ("tax_yuan", f["tax"]), ("tax_yuan_in_part", f["tax_in_part"])):
            value = total(values)
            assert (None if pd.isna(row[column]) else row[column]) == (None if value is None
                                                                        else pytest.approx(value)), (park, column)
    assert sum(f["core"] for f in want.values()) == got["core_enterprises"].sum()

    # a class GB/T 4754-2017 does not have, and a star written as "maybe": the build fails, naming the tests
    rows[0] = {**rows[0], "industry_code": "3999"}
    rows[2] = {**rows[2], "partial": "maybe"}
    done = build(copy, write_classification(tmp_path / "digital_economy.csv", rows))
    assert done.returncode != 0
    assert "relationships_ref_digital_economy_classes_industry_code" in done.stdout, done.stdout[-3000:]
    assert "not_null_ref_digital_economy_classes_is_partial" in done.stdout
    assert "SKIP relation marts.mart_digital_economy " in done.stdout
