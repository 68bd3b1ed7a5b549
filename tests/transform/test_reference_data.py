"""Reference data for any jurisdiction: a city's parks file and chains file (LAKEHOUSE_PARKS_FILE,
LAKEHOUSE_CHAINS_FILE) and the full GB/T 2260 table, on a small simulator root the test adapts to a city that writes
its parks differently. Expected park membership is recomputed here from the raw department files (S1 SQLite, S10
GBK CSV) and the parks file, with the pipeline's own links only for which enterprise a parcel belongs to."""
from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from resources.settings import LakehouseSettings

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
SEEDS = DBT_PROJECT / "seeds"

# The city's parks file: one park taking three registry codes (one of them written ' p441900001 ' in S1) and an
# address keyword; one listing its registry codes with a full-width semicolon; one decided by the S10 园区 only (the
# registry writes no PARKCODE for its enterprises here). Every other simulator park code is missing from the file.
PARKS = [
    ["park_code", "park_name", "division_code", "registry_park_codes", "land_park_names", "address_keywords"],
    ["SSL", "松山湖园区", "441900", "P441900001;P441900002;P441900003", "", "松山湖"],
    ["YW01", "义乌经济技术开发区", "330782", "P330782001；P330782002", "", ""],
    ["SX-IC", "绍兴集成电路产业园区", "330602", "", "绍兴集成电路产业园", ""],
]
ADDRESS_KEYWORDS = {"松山湖": "SSL"}
LAND_NAMES = {"绍兴集成电路产业园区": "SX-IC", "绍兴集成电路产业园": "SX-IC"}
REGISTRY_CODES = {"SSL": "SSL", "YW01": "YW01", "SX-IC": "SX-IC", "P441900001": "SSL", "P441900002": "SSL",
                  "P441900003": "SSL", "P330782001": "YW01", "P330782002": "YW01"}
LAND_ONLY_PARK_CODE = "P330602001"  # cleared from S1: its enterprises are placed by their land
CHENGDU_WUHOU, RETIRED_SHAOXING_COUNTY = "510107", "330621"  # 绍兴县, abolished in 2013 (now 柯桥区)

# A chain added by adding rows (one cell with full-width semicolons, one with a trailing ';')
ADDED_CHAIN = [
    ["纺织服装", "upstream", "1", "化学纤维", "28", "化纤"],
    ["纺织服装", "midstream", "2", "纺织印染", "171；175;", "印染"],
    ["纺织服装", "downstream", "3", "服装服饰", "18", "服装;服饰"],
]


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


class City:
    def __init__(self, root: Path, home: Path, parks_file: Path, chains_file: Path, result: dg.ExecuteInProcessResult,
                 wuhou_pripid: str, retired_pripid: str):
        self.root, self.home, self.parks_file, self.chains_file = root, home, parks_file, chains_file
        self.result = result
        self.wuhou_pripid, self.retired_pripid = wuhou_pripid, retired_pripid

    def query(self, sql: str) -> pd.DataFrame:
        con = duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()

    def check(self, asset: str, prefix: str) -> dg.AssetCheckEvaluation:
        found = [e for e in self.result.get_asset_check_evaluations()
                 if e.asset_key.path[-1] == asset and e.check_name.startswith(prefix)]
        assert len(found) == 1, [(e.asset_key.path[-1], e.check_name)
                                 for e in self.result.get_asset_check_evaluations()]
        return found[0]


def _adapt_registry(db: Path) -> tuple[str, str]:
    """The city's registry: no PARKCODE for one park's enterprises, one code written in lower case with spaces,
    one entity registered in 成都市武侯区, one under a retired division code."""
    con = sqlite3.connect(db)
    try:
        con.execute("update T_SCZTDJ set PARKCODE = null where PARKCODE = ?", (LAND_ONLY_PARK_CODE,))
        first = con.execute("select min(PRIPID) from T_SCZTDJ where PARKCODE = 'P441900001'").fetchone()[0]
        con.execute("update T_SCZTDJ set PARKCODE = ' p441900001 ' where PRIPID = ?", (first,))
        outside = [r[0] for r in con.execute(
            "select PRIPID from T_SCZTDJ where PARKCODE is null and REGORG = '320582' order by PRIPID limit 2")]
        con.execute("update T_SCZTDJ set REGORG = ? where PRIPID = ?", (CHENGDU_WUHOU, outside[0]))
        con.execute("update T_SCZTDJ set REGORG = ? where PRIPID = ?", (RETIRED_SHAOXING_COUNTY, outside[1]))
        con.commit()
    finally:
        con.close()
    return outside[0], outside[1]


@pytest.fixture(scope="module")
def city(small_root: Path, tmp_path_factory) -> City:
    from tests.pipeline import build_warehouse, land_everything

    root = tmp_path_factory.mktemp("city_root") / "sources"
    shutil.copytree(small_root, root)
    wuhou, retired = _adapt_registry(root / "samr" / "samr.db")
    reference = tmp_path_factory.mktemp("city_reference")
    parks_file = _write_csv(reference / "parks.csv", PARKS)
    with (SEEDS / "industrial_chains.csv").open(encoding="utf-8") as f:
        chains = list(csv.reader(f))
    chains_file = _write_csv(reference / "chains.csv", chains + ADDED_CHAIN)
    home = tmp_path_factory.mktemp("city_home")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LAKEHOUSE_PARKS_FILE", str(parks_file))
        env.setenv("LAKEHOUSE_CHAINS_FILE", str(chains_file))
        assert all(r.success for r in land_everything(root, home))
        result = build_warehouse(root, home)
    assert result.success, [e.step_key for e in result.get_step_failure_events()]
    return City(root, home, parks_file, chains_file, result, wuhou, retired)


def _expected_membership(city: City) -> pd.DataFrame:
    """Each registry entity's park by the rules of docs/reference_data.md, from the raw files: S1 PARKCODE, then the
    S10 园区 of its parcels (largest area), then a keyword in its registered address (longest)."""
    con = sqlite3.connect(city.root / "samr" / "samr.db")
    s1 = pd.read_sql("select PRIPID as pripid, PARKCODE as parkcode, DOM as address from T_SCZTDJ", con)
    con.close()
    codes = city.query("select pripid, enterprise_code from marts.dim_enterprise where pripid is not null")
    s1 = s1.merge(codes, on="pripid")
    s1["code_key"] = s1["parkcode"].str.strip().str.upper()

    land = pd.read_csv(next((city.root / "land").glob("*.csv")), encoding="gbk", dtype=str)
    land["source_record_key"] = land["宗地编号"].str.strip()
    land["area"] = land["面积"].str.replace(",", "").astype(float)
    land = land.drop_duplicates()
    links = city.query("select source_record_key, enterprise_code from marts.xref_source_record "
                       "where source_system = 'land' and enterprise_code is not null")
    land = land.merge(links, on="source_record_key")
    land["park_code"] = land["园区"].str.strip().map(LAND_NAMES)
    by_area = land.dropna(subset=["park_code"]).groupby(["enterprise_code", "park_code"], as_index=False)["area"].sum()
    top = by_area[by_area["area"] == by_area.groupby("enterprise_code")["area"].transform("max")]
    top = top.groupby("enterprise_code").filter(lambda g: len(g) == 1).set_index("enterprise_code")["park_code"]

    rows = []
    for e in s1.itertuples():  # a few thousand entities: readability over speed in the oracle
        if isinstance(e.code_key, str) and e.code_key:
            rows.append((e.enterprise_code, REGISTRY_CODES.get(e.code_key, e.code_key), "registry_park_code"))
        elif e.enterprise_code in top.index:
            rows.append((e.enterprise_code, top[e.enterprise_code], "land_park_name"))
        else:
            hits = [(len(k), p) for k, p in ADDRESS_KEYWORDS.items() if k in (e.address or "")]
            longest = [p for n, p in hits if n == max(hits)[0]] if hits else []
            if len(set(longest)) == 1:
                rows.append((e.enterprise_code, longest[0], "address_keyword"))
    return pd.DataFrame(rows, columns=["enterprise_code", "park_code", "membership_rule"])


@pytest.mark.slow
def test_park_membership_follows_the_parks_file_rules_in_order(city):
    expected = _expected_membership(city).sort_values("enterprise_code").reset_index(drop=True)
    got = city.query("select m.enterprise_code, m.park_code, m.membership_rule from marts.enterprise_park_membership m "
                     "join marts.dim_enterprise e using (enterprise_code) where e.pripid is not null "
                     "order by enterprise_code")
    # every rule decided some enterprises here, else this test proves nothing about it
    counts = got["membership_rule"].value_counts()
    assert counts["registry_park_code"] > 100 and counts["land_park_name"] > 5 and counts["address_keyword"] > 5, counts
    pd.testing.assert_frame_equal(got, expected)
    # the PARKCODE written ' p441900001 ' is the SSL park's; an address keyword never overrides a PARKCODE
    assert set(got.loc[got["membership_rule"] == "address_keyword", "park_code"]) == {"SSL"}
    # the golden record carries the same park and says which rule placed it
    differ = city.query("""
        select e.enterprise_code from marts.dim_enterprise e
        left join marts.enterprise_park_membership m using (enterprise_code)
        where e.park_code is distinct from m.park_code or e.park_rule is distinct from m.membership_rule""")
    assert differ.empty, differ


@pytest.mark.slow
def test_parks_come_from_the_city_file_and_unlisted_codes_show_under_their_code(city):
    parks = city.query("select * from marts.dim_park order by park_code").set_index("park_code")
    listed = {row[0]: row for row in PARKS[1:]}
    for code, row in listed.items():
        assert parks.loc[code, "park_name"] == row[1] and parks.loc[code, "in_parks_file"]
        assert parks.loc[code, "parks_file"] == str(city.parks_file)
    assert parks.loc["SSL", "division_name"] == "东莞市" and parks.loc["SX-IC", "city_name"] == "绍兴市"
    con = sqlite3.connect(city.root / "samr" / "samr.db")
    used = {r[0].strip().upper() for r in con.execute("select PARKCODE from T_SCZTDJ where PARKCODE is not null")}
    con.close()
    unlisted = used - set(REGISTRY_CODES)
    assert len(unlisted) >= 8 and LAND_ONLY_PARK_CODE not in unlisted
    assert set(parks.index[~parks["in_parks_file"].astype(bool)]) == unlisted
    assert parks.loc[sorted(unlisted), "park_name"].isna().all()
    # ... and a warning (not an error) says so: the build went on
    check = city.check("dim_park", "listed_in_reference")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["dagster_dbt/failed_row_count"].value == len(unlisted)
    assert all(code in check.metadata["failing_rows"].value for code in unlisted)  # named in the UI, not only counted
    # S10 园区 of parks the file lacks (柯桥经济技术开发区 ...) are named by a warning too
    land_check = city.check("ref_park_rules", "park_names_in_land_listed")
    assert not land_check.passed and land_check.severity == dg.AssetCheckSeverity.WARN

    kpi = city.query("select distinct park_code, park_name from marts.mart_park_kpi")
    assert set(kpi["park_code"]) <= set(parks.index)
    named = kpi[kpi["park_code"].isin(listed)]
    assert set(named["park_code"]) == set(listed) and named["park_name"].notna().all()
    # the park KPIs count the enterprises membership placed, land- and address-decided ones included
    counts = city.query("""
        select k.park_code, k.market_entities,
            (select count(*) from marts.dim_enterprise e where e.park_code = k.park_code
               and e.founded_on <= last_day(k.month_start)
               and (e.deregistered_on is null or e.deregistered_on > last_day(k.month_start))) as members
        from marts.mart_park_kpi k where k.park_code in ('SSL', 'SX-IC')""")
    assert len(counts) > 0 and (counts["market_entities"] == counts["members"]).all()


@pytest.mark.slow
def test_regions_have_names_for_any_division_of_the_country(city):
    e = city.query("select pripid, division_code, division_name, city_name, province_name from marts.dim_enterprise "
                   "where pripid is not null").set_index("pripid")
    assert e.loc[city.wuhou_pripid].tolist() == [CHENGDU_WUHOU, "武侯区", "成都市", "四川省"]
    # a code the table lacks still appears, its city and province from its prefix, and a warning names it
    retired = e.loc[city.retired_pripid]
    assert retired["division_code"] == RETIRED_SHAOXING_COUNTY and pd.isna(retired["division_name"])
    assert (retired["city_name"], retired["province_name"]) == ("绍兴市", "浙江省")
    regions = city.query("select * from marts.dim_region").set_index("division_code")
    assert not regions.loc[RETIRED_SHAOXING_COUNTY, "in_gbt2260"]
    check = city.check("dim_region", "listed_in_reference")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    # every division of the table is there with its names, whoever uses it
    table = pd.read_csv(SEEDS / "gbt2260_divisions.csv", dtype=str)
    assert set(table["division_code"]) <= set(regions.index)
    listed = regions[regions["in_gbt2260"].astype(bool)]
    assert listed["division_name"].notna().all() and listed["province_name"].notna().all()
    assert regions.loc["110105", ["division_name", "city_name", "province_name"]].tolist() == [
        "朝阳区", "北京市", "北京市"]
    # every registry entity whose division is in the table has all three names
    known = e[e["division_code"].isin(table["division_code"])]
    assert len(known) > 1000 and known[["division_name", "province_name"]].notna().all().all()


@pytest.mark.slow
def test_an_added_chain_is_mapped_from_the_chains_file(city):
    chain = city.query("select * from marts.mart_industry_chain where chain = '纺织服装'")
    assert set(chain["node"]) == {"化学纤维", "纺织印染", "服装服饰"}
    enterprises = city.query("select enterprise_code, enterprise_name, industry_code from marts.dim_enterprise "
                             "where not is_external and is_operating and entity_type_code <> '9500'")
    for _, segment, _, node, codes, keywords in ADDED_CHAIN:
        prefixes = [c.strip() for c in codes.replace("；", ";").split(";") if c.strip()]
        words = [k.strip() for k in keywords.split(";") if k.strip()]
        # map calls each lambda at once; the defaults bind this node's lists explicitly all the same (B023)
        in_industry = enterprises["industry_code"].fillna("").map(
            lambda c, prefixes=prefixes: any(c.startswith(p) for p in prefixes))
        named = enterprises["enterprise_name"].map(lambda n, words=words: any(w in n for w in words))
        members = enterprises[in_industry | named]
        got = chain[(chain["node"] == node) & chain["enterprise_code"].notna()]
        assert set(got["enterprise_code"]) == set(members["enterprise_code"]), node
        assert (chain.loc[chain["node"] == node, "segment"] == segment).all()
    assert len(chain[chain["enterprise_code"].notna()]) > 20  # the simulator's Shaoxing textiles are on it
    # the default chains are all still there
    default = pd.read_csv(SEEDS / "industrial_chains.csv", dtype=str)
    got_nodes = city.query("select distinct chain, node from marts.mart_industry_chain")
    assert set(zip(default["chain"], default["node"], strict=True)) <= set(
        zip(got_nodes["chain"], got_nodes["node"], strict=True))


def _dbt_run_parks(city: City, parks_file: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **LakehouseSettings(home=str(city.home)).dbt_environment(),
           "LAKEHOUSE_PARKS_FILE": parks_file, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = city.home / "dbt-target-bad-file"
    return subprocess.run([str(Path(sys.executable).with_name("dbt")), "run", "-s", "ref_parks", "--target-path",
                           str(target), "--log-path", str(target)], cwd=DBT_PROJECT, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_a_bad_parks_file_fails_naming_the_file_and_what_was_expected(city, tmp_path):
    lacking = _write_csv(tmp_path / "parks_without_names.csv",
                         [["park_code", "division_code", "registry_park_codes", "land_park_names", "address_keywords"],
                          ["X1", "510107", "", "", ""]])
    out = _dbt_run_parks(city, str(lacking))
    assert out.returncode != 0
    assert f"LAKEHOUSE_PARKS_FILE={lacking}: the header lacks park_name" in out.stdout, out.stdout[-3000:]
    out = _dbt_run_parks(city, "parks.csv")
    assert out.returncode != 0 and "expected an absolute path" in out.stdout, out.stdout[-3000:]
    # the earlier build's parks are intact: a failed model leaves its table as it was
    assert set(city.query("select park_code from reference.ref_parks")["park_code"]) == {r[0] for r in PARKS[1:]}
