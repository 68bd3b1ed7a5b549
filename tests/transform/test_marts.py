"""The marts against figures computed independently: from the seeds' method, and from the raw sources + truth."""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


def warehouse(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)


def test_mu_efficiency_follows_the_method_in_the_seeds(default_warehouse):
    """Recompute 亩均效益 scores and classes in pandas from the year facts and the method seed."""
    _, home, _ = default_warehouse
    con = warehouse(home)
    mart = con.execute("select * from marts.mart_mu_efficiency").df()
    evaluated = con.execute("""
        select y.*, e.founded_on
        from marts.fct_enterprise_year y join marts.dim_enterprise e using (enterprise_code)
        where e.is_industrial and y.industrial_land_mu > 0
          and (e.deregistered_on is null or e.deregistered_on > make_date(y.fiscal_year, 12, 31))
          and y.fiscal_year in (select fiscal_year from marts.mart_mu_efficiency)""").df()
    con.close()
    method = pd.read_csv(SEEDS / "mu_evaluation_method.csv")
    classes = pd.read_csv(SEEDS / "mu_evaluation_classes.csv")
    assert len(mart) == len(evaluated) > 500

    e = evaluated.copy()
    e["scope"] = np.where(e["operating_revenue_yuan"].notna(), "above_scale", "below_scale")
    e["is_new"] = pd.to_datetime(e["founded_on"]) > pd.to_datetime((e["fiscal_year"] - 2).astype(str) + "-12-31")
    pollutants = ["cod_t", "ammonia_nitrogen_t", "sulfur_dioxide_t", "nitrogen_oxides_t", "vocs_t"]
    emissions = e[pollutants].astype(float).fillna(0).sum(axis=1)
    f = lambda c: e[c].astype(float)  # noqa: E731
    nz = lambda s: s.where(s != 0)  # noqa: E731
    values = pd.DataFrame({
        "tax_per_mu": f("total_tax_yuan") / f("industrial_land_mu"),
        "value_added_per_mu": f("industrial_value_added_yuan") / f("industrial_land_mu"),
        "value_added_per_energy": f("industrial_value_added_yuan") / nz(f("energy_consumption_tce")),
        "value_added_per_emission": f("industrial_value_added_yuan") / nz(emissions),
        "labour_productivity": f("industrial_value_added_yuan") / nz(f("employees_year_end")),
        "rd_intensity": f("rd_expenditure_yuan") / nz(f("operating_revenue_yuan")),
        "tax_per_kwh": f("total_tax_yuan") / nz(f("electricity_kwh")),
    })
    long = (pd.concat([e[["enterprise_code", "fiscal_year", "scope", "is_new"]], values], axis=1)
            .query("not is_new")
            .melt(id_vars=["enterprise_code", "fiscal_year", "scope", "is_new"], var_name="indicator")
            .merge(method, on=["scope", "indicator"]))
    long["benchmark"] = (long.groupby(["fiscal_year", "scope", "indicator"])["value"].transform("mean")
                         * long["benchmark_multiple"])
    long["score"] = (long["value"] / long["benchmark"]).clip(upper=long["score_cap"], lower=0) * long["weight"]
    long["score"] = long["score"].fillna(long.groupby(["fiscal_year", "scope", "indicator"])["score"].transform("mean"))
    totals = long.groupby(["enterprise_code", "fiscal_year", "scope"], as_index=False)["score"].sum()

    got = mart.merge(totals, on=["enterprise_code", "fiscal_year", "scope"], how="left")
    evaluated_rows = got[got["evaluation_class"] != "T"]
    assert np.allclose(evaluated_rows["total_score"].astype(float), evaluated_rows["score"], atol=0.011)
    # T exactly for those founded less than two years before the year's end
    young = set(e.loc[e["is_new"], "enterprise_code"])
    assert set(mart.loc[mart["evaluation_class"] == "T", "enterprise_code"]) == young
    # classes by rank within each year's scope, with the cut-offs of the seed
    for (_, scope), group in evaluated_rows.groupby(["fiscal_year", "scope"]):
        order = group.sort_values(["score", "enterprise_code"], ascending=[False, True]).reset_index(drop=True)
        share = order.index / len(order)
        expected = pd.cut(share, bins=list(classes["rank_share_from"]) + [1.0],
                          labels=list(classes["evaluation_class"]), right=False)
        assert list(order["evaluation_class"]) == list(expected.astype(str)), scope
        counts = order["evaluation_class"].value_counts(normalize=True)
        assert abs(counts["A"] - 0.20) < 0.01 and abs(counts["D"] - 0.05) < 0.01, scope


def test_park_tax_matches_the_raw_returns_of_the_parks_enterprises(default_warehouse):
    """Park KPI tax per month against the raw bronze returns, tied to parks through the simulator's truth."""
    root, home, _ = default_warehouse
    truth = root / "_truth"
    con = warehouse(home)
    expected = con.execute(f"""
        with returns as (
            select distinct taxpayer_id, taxpayer_name, tax_period, vat, corporate_income_tax, other_taxes, total_tax,
                sales_revenue, _source_file
            from read_parquet('{home}/lake/bronze/tax/returns/*.parquet')
        ),
        -- a re-delivered month replaced its partition file at landing; a late filing in a later month's file
        -- counts in its own period
        select e.park as park_code, date_trunc('month', r.tax_period)::date as month_start, sum(r.total_tax) as tax
        from returns r
        join read_parquet('{truth}/source_records.parquet') t
            on t.source_system = 'tax' and t.source_record_key = trim(r.taxpayer_id)
        join read_parquet('{truth}/enterprises.parquet') e using (pripid)
        where e.park is not null
        group by all""").df()
    got = con.execute("select park_code, month_start, total_tax_yuan from marts.mart_park_kpi").df()
    con.close()
    both = expected.merge(got, on=["park_code", "month_start"], how="outer")
    assert len(both) == len(got) and both["tax"].notna().all(), "a park-month on one side only"
    relative = (both["total_tax_yuan"].astype(float) - both["tax"].astype(float)).abs() / both["tax"].astype(float)
    assert relative.max() < 0.005, both.loc[relative.idxmax()]
