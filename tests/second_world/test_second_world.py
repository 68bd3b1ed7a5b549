"""A second world (Chengdu, written by hand per SOURCES.md, see world.py) through landing -> resolution -> marts ->
gate -> publication, held to the links its author wrote down."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from contracts.published import PUBLISHED
from resources.systems import HrssApi
from tests import duck
from tests.landing.helpers import BY_NAME

from . import world
from .pipeline import checksums, run

PARKS_ENV = "LAKEHOUSE_PARKS_FILE"


@dataclass
class Outcome:
    root: Path
    home: Path
    before: dict[str, str]
    after: dict[str, str]
    landed: list[dg.ExecuteInProcessResult]
    published: dg.ExecuteInProcessResult
    xref: dict[tuple[str, str], dict]      # (source_system, source_record_key) -> row of marts.xref_source_record
    pripid_of: dict[str, str]              # enterprise_code -> PRIPID, through the registry's own records
    codes_of: dict[str, set[str]]          # PRIPID -> its enterprise codes (one, unless two entities share)

    def failures(self, result: dg.ExecuteInProcessResult) -> list[str]:
        """Each failed step with its error, as the UI would show it."""
        out = []
        for event in result.get_step_failure_events():
            error = event.step_failure_data.error
            out.append(f"{event.step_key}: {error.message.strip() if error else ''}"
                       f"{' <- ' + error.cause.message.strip() if error and error.cause else ''}")
        return out

    def owner(self, key: tuple[str, str]) -> str | None:
        code = self.xref[key]["enterprise_code"] if key in self.xref else None
        return self.pripid_of.get(code) if code else None

    def describe(self, key: tuple[str, str]) -> str:
        row = self.xref.get(key)
        if row is None:
            return "no xref row"
        code = row["enterprise_code"]
        who = self.pripid_of.get(code, "an external code" if code else "no code")
        name = next((e.key + " " + e.name for e in world.ENTITIES if e.pripid == who), who)
        return f"{row['match_rule']} ({row['match_score']}) -> {name}"

    def sql(self, query: str) -> list[tuple]:
        con = duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> Outcome:
    base = tmp_path_factory.mktemp("second_world")
    root = world.write(base / "sources")
    parks = world.write_parks_file(base / "city" / "parks.csv")
    home = base / "home"
    home.mkdir()
    before = checksums(root)
    with pytest.MonkeyPatch.context() as env, world.HrssServer() as server:
        env.setenv(PARKS_ENV, str(parks))  # the city's parks file, as an operator configures it
        landed, published = run(root, home, HrssApi(base_url=server.base_url, token=server.token))
    after = checksums(root)
    xref, pripid_of, codes_of = {}, {}, {}
    warehouse = home / "warehouse.duckdb"
    if warehouse.exists():
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            cursor = con.execute("select source_system, source_record_key, enterprise_code, match_rule, "
                                 "cast(match_score as double) from marts.xref_source_record")
            for system, key, code, rule, score in cursor.fetchall():
                xref[(system, key)] = {"enterprise_code": code, "match_rule": rule, "match_score": score}
        except duckdb.CatalogException:
            pass  # the build failed before the mart: every test below says so
        finally:
            con.close()
    for (system, key), row in xref.items():
        if system == "samr" and row["enterprise_code"]:
            pripid_of[row["enterprise_code"]] = key
            codes_of.setdefault(key, set()).add(row["enterprise_code"])
    return Outcome(root, home, before, after, landed, published, xref, pripid_of, codes_of)


# ---------------------------------------------------------------------------------------------------------------
# the world itself (fast: no pipeline)

def test_the_world_writes_valid_national_codes():
    assert world.uscc("91350100", "M000100Y") == "91350100M000100Y43"  # a published example of GB 32100
    assert world.org_code("12345678") == "123456788"
    for e in world.ENTITIES:
        assert e.uscc is None or world.uscc_is_valid(e.uscc), e.key
        assert e.uscc is None or e.uscc[8:17] == e.org
    for _, code in (world.BEIJING_STAR, world.CHONGQING_SAIL, world.CDUT):
        assert world.uscc_is_valid(code)
    assert len({e.pripid for e in world.ENTITIES}) == len(world.ENTITIES)
    assert len({e.uscc for e in world.ENTITIES if e.uscc}) == len([e for e in world.ENTITIES if e.uscc])


def test_every_written_record_has_an_expectation(tmp_path):
    """The expected table covers the root: the keys written to disk (and served) are exactly those it lists."""
    expected = world.expected_links()
    assert {s for s, _ in expected} == {"samr", "tax", "stats", "miit", "hrss", "grid", "eco", "most", "cnipa",
                                         "land"}
    reasons = {x.reason for x in expected.values()}
    assert reasons == {"local", world.PERSON, world.INSTITUTION, world.ELSEWHERE, world.SUB_ORG}
    root = world.write(tmp_path / "root")
    tax_keys = {line.split(",")[0].strip() for month in world.MONTHS
                for line in (root / "tax" / f"税收_{month.replace('-', '')}.csv").read_bytes()
                .decode("gbk").splitlines()[1:]}
    assert tax_keys == {k for s, k in expected if s == "tax"}
    late = [r for r in world.tax_rows("2025-03") if r[2] == "2025-01"]
    assert len(late) == 1 and late[0][0] == world.E[world.LATE_FILER].uscc


def test_the_worlds_hrss_server_keeps_the_contract():
    with world.HrssServer(token="t") as server:
        def get(path: str, token: str | None = "t") -> tuple[int, dict]:
            request = urllib.request.Request(server.base_url + path,
                                             headers={"Authorization": f"Bearer {token}"} if token else {})
            try:
                with urllib.request.urlopen(request) as resp:
                    return resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())

        assert get("/api/v1/periods", token=None)[0] == 401
        assert get("/api/v1/periods", token="wrong")[0] == 401
        assert get("/api/v1/periods") == (200, {"periods": list(world.MONTHS)})
        assert get("/api/v1/employers?period=2024-13")[0] == 404
        assert get("/api/v1/employers?period=2024-12")[0] == 404
        assert get("/api/v1/employers?period=2025-01&page_size=1001")[0] == 400
        status, first = get("/api/v1/employers?period=2025-01&page_size=5")
        assert status == 200 and first["total"] == len(world.HRSS_ROWS) and first["total_pages"] == 4
        pages = [get(f"/api/v1/employers?period=2025-01&page_size=5&page={n}")[1]["data"] for n in range(1, 6)]
        assert pages[-1] == [] and [r["dwbh"] for p in pages for r in p] == [r[0] for r in world.HRSS_ROWS]
        assert get("/api/v1/employers?period=2025-02")[1]["page_size"] == 100  # the defaults


# ---------------------------------------------------------------------------------------------------------------
# the pipeline on it

@pytest.mark.slow
def test_the_sources_root_is_never_touched(outcome):
    assert outcome.after == outcome.before


@pytest.mark.slow
def test_every_delivery_lands_and_rows_are_conserved(outcome):
    for result in outcome.landed:
        assert result.success, f"landing failed: {outcome.failures(result)}"
        failed = [(e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations()
                  if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
        assert not failed, failed
    lake = outcome.home / "lake"
    wrong = {}
    for (name, partition), rows_in in world.data_rows().items():
        ds = BY_NAME[name]
        counted = 0
        for layer in ("bronze", "quarantine"):
            path = lake / layer / ds.source / ds.name / f"{partition}.parquet"
            if path.exists():
                counted += duck.scalar(f"select count(*) from read_parquet('{path}')")
        if counted != rows_in:
            wrong[(name, partition)] = (rows_in, counted)
    assert not wrong, f"data rows written -> loaded + quarantined: {wrong}"


@pytest.mark.slow
def test_the_late_filed_row_lands_with_its_own_period(outcome):
    ds = BY_NAME["tax_returns"]
    lake = outcome.home / "lake"
    late = world.E[world.LATE_FILER]
    rows = duck.query(f"""
        select _source_file, cast(tax_period as varchar)
        from read_parquet('{lake / 'bronze' / ds.source / ds.name / '*.parquet'}', union_by_name => true)
        where replace(taxpayer_id, ' ', '') = '{late.uscc}'
        order by 1, 2""")
    assert ("tax/税收_202503.csv", "2025-01-01") in rows, rows
    assert ("tax/税收_202503.csv", "2025-03-01") in rows, rows
    quarantined = outcome.home / "lake" / "quarantine" / ds.source / ds.name / "2025-03.parquet"
    if quarantined.exists():
        assert duck.scalar(f"select count(*) from read_parquet('{quarantined}')") == 0
    # and the month it belongs to carries it: January's tax is the late row's (E06 filed nothing else for it)
    january = next(r for r in world.tax_rows("2025-03") if r[2] == "2025-01")
    code = next(iter(outcome.codes_of.get(late.pripid, {None})))
    assert code, "E06 has no enterprise code"
    tax = outcome.sql(f"select total_tax_yuan from marts.fct_enterprise_month "
                      f"where enterprise_code = '{code}' and month_start = date '2025-01-01'")
    assert tax and float(tax[0][0]) == pytest.approx(float(january[6].replace(",", "")))


@pytest.mark.slow
def test_every_source_record_is_in_the_cross_reference(outcome):
    expected = set(world.expected_links())
    assert outcome.xref, "marts.xref_source_record was not built"
    assert set(outcome.xref) - expected == set(), "records the world never wrote"
    assert expected - set(outcome.xref) == set(), "records of the world that have no xref row"


@pytest.mark.slow
def test_every_expected_link(outcome):
    misses = []
    for key, want in sorted(world.expected_links().items()):
        if want.pripid is not None and outcome.owner(key) != want.pripid:
            owner = next(e.key + " " + e.name for e in world.ENTITIES if e.pripid == want.pripid)
            misses.append(f"{key}: expected {owner}; got {outcome.describe(key)}")
    assert not misses, f"{len(misses)} expected links missing:\n" + "\n".join(misses)


@pytest.mark.slow
def test_no_wrong_merge(outcome):
    """No record is linked to a registry entity other than its own: records without a local owner (persons,
    institutions, enterprises registered elsewhere, sub-organisations) are linked to none."""
    wrong = []
    for key, want in sorted(world.expected_links().items()):
        got = outcome.owner(key)
        if got is not None and got != want.pripid:
            wrong.append(f"{key} ({want.reason}): {outcome.describe(key)}")
    assert not wrong, f"{len(wrong)} wrong merges:\n" + "\n".join(wrong)


@pytest.mark.slow
def test_no_two_registry_entities_share_a_code(outcome):
    codes = [row["enterprise_code"] for (system, _), row in outcome.xref.items() if system == "samr"]
    assert len(codes) == len(world.ENTITIES) and None not in codes
    assert len(set(codes)) == len(codes), {p: c for p, c in outcome.codes_of.items() if len(c) > 1}


@pytest.mark.slow
def test_no_enterprise_registered_elsewhere_is_linked_to_a_local_one(outcome):
    linked = {key: outcome.describe(key) for key, want in world.expected_links().items()
              if want.reason == world.ELSEWHERE and outcome.owner(key) is not None}
    assert not linked, linked


@pytest.mark.slow
def test_the_reason_a_record_has_no_enterprise_is_its_own(outcome):
    """Persons and institutions are named so in the cross-reference; enterprises are never called either (a legacy
    taxpayer number starting 50 or 51 begins with a division code, Chongqing or Sichuan, not an institution's)."""
    wrong = {}
    for key, want in world.expected_links().items():
        rule = outcome.xref.get(key, {}).get("match_rule")
        if want.reason == world.PERSON and rule != "unlinked:person" \
                or want.reason == world.INSTITUTION and rule != "unlinked:institution" \
                or want.reason in ("local", world.ELSEWHERE) and rule in ("unlinked:person", "unlinked:institution"):
            wrong[key] = f"{want.reason}: {rule}"
    assert not wrong, wrong


@pytest.mark.slow
def test_persons_institutions_and_sub_organisations_have_no_enterprise_code(outcome):
    coded = {key: outcome.describe(key) for key, want in world.expected_links().items()
             if want.reason in (world.PERSON, world.INSTITUTION, world.SUB_ORG)
             and key in outcome.xref and outcome.xref[key]["enterprise_code"] is not None}
    assert not coded, coded


@pytest.mark.slow
def test_the_gate_passes_and_the_extracts_are_published(outcome):
    result = outcome.published
    assert result.success, f"build_and_publish failed: {outcome.failures(result)}"
    checks = [(e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations()
              if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    assert not checks, checks
    published = outcome.home / "published"
    for dataset in PUBLISHED:
        files = list((published / dataset.name / "current").glob("*.parquet"))
        assert files, f"{dataset.name}: nothing published"
        assert (published / dataset.name / "current" / "_manifest.json").exists()
    assert (published / "analytics.duckdb").exists()


def _profile(outcome: Outcome) -> dict[str, dict]:
    """The published enterprise profile of each registry entity, by PRIPID."""
    path = outcome.home / "published" / "enterprise_profile" / "current" / "*.parquet"
    assert list(path.parent.glob(path.name)), "enterprise_profile was not published"
    table = duck.records(f"select * from read_parquet('{path}')")
    return {outcome.pripid_of[r["enterprise_code"]]: r for r in table if r["enterprise_code"] in outcome.pripid_of}


@pytest.mark.slow
def test_region_names_of_this_province(outcome):
    regions = {code: (name, city, province) for code, name, city, province in outcome.sql(
        "select division_code, division_name, city_name, province_name from marts.dim_region")}
    missing = {code: regions.get(code) for code, name in world.DIVISIONS.items()
               if regions.get(code) != (name, world.CITY, world.PROVINCE)}
    assert not missing, f"dim_region, expected (name, 成都市, 四川省): {missing}"
    profile = _profile(outcome)
    wrong = {e.key: profile.get(e.pripid, {}).get("division_name") for e in world.ENTITIES
             if profile.get(e.pripid, {}).get("division_name") != world.DIVISIONS[e.division]}
    assert not wrong, f"published profile division_name: {wrong}"
    # enterprises registered elsewhere are published under the division their USCC names
    path = outcome.home / "published" / "enterprise_profile" / "current" / "*.parquet"
    external = dict(duck.query(f"select uscc, division_name from read_parquet('{path}') where is_external"))
    assert {code: external.get(code) for code in world.EXTERNAL_DIVISIONS} == world.EXTERNAL_DIVISIONS


@pytest.mark.slow
def test_parks_of_this_city(outcome):
    parks = dict(outcome.sql("select park_code, park_name from marts.dim_park"))
    names = set(parks.values())
    assert {world.HIGH_TECH_ZONE, world.ECONOMIC_ZONE} <= names, f"dim_park: {parks}"
    # a registry park code the parks file does not know shows under its code
    assert world.UNLISTED_PARK_CODE in parks, f"dim_park: {parks}"
    profile = _profile(outcome)
    wrong = {e.key: (e.park, profile.get(e.pripid, {}).get("park_name")) for e in world.ENTITIES
             if profile.get(e.pripid, {}).get("park_name") != e.park}
    assert not wrong, f"published profile park_name (expected, got): {wrong}"



@pytest.mark.slow
def test_each_park_of_this_city_sees_only_its_own(outcome):
    """The per-park extracts on this root: each entity of the world in its park's folder only (its park as this
    root's files say), external enterprises in no_park, every dataset's rows over all parks its whole extract; the
    first version's change set is every row, added."""
    from assets.publish import changes, store
    from assets.publish.parks import NO_PARK, parks_root

    published = outcome.home / "published"
    code_of_park = {name: code for code, name in outcome.sql("select park_code, park_name from marts.dim_park")}
    profile = _profile(outcome)
    parks = {d.name: d for d in parks_root(published).iterdir() if not d.name.startswith(".")}
    held = {park: set(pq.read_table(root / "dim_enterprise" / "current").column("enterprise_code").to_pylist())
            for park, root in parks.items()}
    wrong = {}
    for e in world.ENTITIES:
        code = profile.get(e.pripid, {}).get("enterprise_code")
        where = {park for park, codes in held.items() if code in codes}
        # a registry park code the parks file does not know is a park of its own, under that code
        expected = code_of_park.get(e.park, NO_PARK) if e.park else (
            e.parkcode if e.parkcode == world.UNLISTED_PARK_CODE else NO_PARK)
        if where != {expected}:
            wrong[e.key] = (expected, sorted(where))
    assert not wrong, f"entity: (expected park, parks holding it): {wrong}"
    external = {r[0] for r in duck.query(
        f"select enterprise_code from read_parquet('{published}/dim_enterprise/current/*.parquet') where is_external")}
    assert external and external <= held[NO_PARK]
    version = store.current_version(published, "dim_enterprise")
    for p in PUBLISHED:
        whole = pq.read_table(published / p.name / "current").num_rows
        assert sum(pq.read_table(root / p.name / "current").num_rows for root in parks.values()) == whole, p.name
        first = changes.change_sets(published, p.name)
        assert [(m["from_version"], m["to_version"], m["counts"]["added"]) for m in first] == [(None, version, whole)]


@pytest.mark.slow
def test_policies_are_matched_on_this_root_too(outcome):
    """政策直达 on another province's root, published like every other dataset, against what this root's files say.
    Its S3 holds one year (2024): whether a manufacturer of that list was 规上 the year before is a figure nobody
    reported, so the first-time-规上 reward cannot tell for them, and names the missing figure. The R&D subsidy goes to
    the manufacturers of the list whose R&D is at least 1 million 元 and 3% of revenue, the high-tech reward to the
    holders of a certificate (all valid, all paying tax here); Chengdu is neither Zhejiang (the 亩均 A-class rebate)
    nor Songshan Lake (its 专精特新 reward)."""
    key_of = {e.pripid: e.key for e in world.ENTITIES}
    decided: dict[str, dict[str, tuple]] = {}
    for policy, code, verdict, reasons in outcome.sql(
            "select policy_id, enterprise_code, verdict, reasons from marts.mart_policy_match"):
        decided.setdefault(policy, {})[key_of.get(outcome.pripid_of.get(code), code)] = (verdict, reasons)
    local = outcome.sql("select count(*) from marts.dim_enterprise where not is_external")[0][0]
    assert {policy: len(verdicts) for policy, verdicts in decided.items()} == {
        "first-time-above-scale-reward": local, "high-tech-enterprise-reward": local,
        "mu-class-a-land-tax-rebate": local, "rd-expense-subsidy": local, "srdi-enterprise-reward": local}
    not_rejected = {policy: {k: v for k, v in verdicts.items() if v[0] != "not_eligible"}
                    for policy, verdicts in decided.items()}
    # S3 rows: (code, name, industry, output, revenue, value added, R&D (千元), employees, energy, owner)
    manufacturers = {row[-1]: row for row in world.STATS_ROWS if 13 <= int(row[2][:2]) <= 43}
    assert not_rejected["first-time-above-scale-reward"] == {
        key: ("cannot_tell", "上一年度不在规上名录（首次升规） (no figure)") for key in manufacturers}
    assert not_rejected["rd-expense-subsidy"] == {
        key: ("eligible", None) for key, row in manufacturers.items() if row[6] * 1000 >= 1_000_000
        and row[6] / row[4] >= 0.03}
    assert not_rejected["high-tech-enterprise-reward"] == {row[-1]: ("eligible", None) for row in world.MOST_ROWS}
    assert not_rejected["mu-class-a-land-tax-rebate"] == {} and not_rejected["srdi-enterprise-reward"] == {}
    # and published through the gate (test_the_gate_passes_and_the_extracts_are_published): the same verdicts
    path = outcome.home / "published" / "policy_match" / "current" / "*.parquet"
    assert duck.scalar(f"select count(*) from read_parquet('{path}')") == 5 * local


@pytest.mark.slow
def test_early_warnings_on_this_root_are_what_its_files_say(outcome):
    """风险预警 on another province's root. Its months are January to March 2025, with no year before: the
    year-on-year signals are judged in no month (park_alerts says so) and raise nothing. 红旗印务 (E13) was
    deregistered in June 2024 (S1, and its status change), yet its meter runs every month: closed_but_active. A
    manufacturer (GB/T 4754 divisions 13-43) that files tax with no meter of its own declares sales without power, from
    its second month. The abnormal list's entries fall outside these months: nothing new on it."""
    months = [f"{m}-01" for m in world.MONTHS]
    grid_owners = {row[5] for row in world.GRID_ROWS}
    filers = {owner for _, _, owner in world.tax_payers()}
    unpowered = {e.key for e in world.ENTITIES if 13 <= int(e.industry[:2]) <= 43 and e.state == "1"
                 and e.key in filers and e.key not in grid_owners}
    e13_kwh = next(row[6] for row in world.GRID_ROWS if row[5] == "E13")
    key_of = {e.pripid: e.key for e in world.ENTITIES}
    raised = {(rule, key_of.get(outcome.pripid_of.get(code), code), str(month)): (kwh, closed_on)
              for rule, code, month, kwh, closed_on in outcome.sql(
                  "select rule_id, enterprise_code, month_start, electricity_kwh, closed_on "
                  "from marts.mart_enterprise_alerts")}
    assert unpowered, "the hand-written root has a manufacturer without a meter"
    want = {("closed-but-active", "E13", month): (round(e13_kwh * (1 + k * 0.05)), world.E["E13"].deregistered)
            for k, month in enumerate(months)}
    want |= {("sales-without-power", key, month): (0.0, None) for key in unpowered for month in months[1:]}
    assert {k: (v[0], v[1] and str(v[1])) for k, v in raised.items()} == want
    judged = outcome.sql("select distinct year_on_year_judged from marts.mart_park_alerts")
    assert judged == [(False,)]
    # published through the gate like every dataset (test_the_gate_passes_and_the_extracts_are_published)
    path = outcome.home / "published" / "enterprise_alerts" / "current" / "*.parquet"
    assert duck.scalar(f"select count(*) from read_parquet('{path}')") == len(want)


@pytest.mark.slow
def test_chain_leads_on_this_root_are_what_its_files_say(outcome):
    """产业链招商 on another province's root. 芙蓉电子材料 (E15, GB/T 4754 3985) is on the chain nodes its class
    belongs to, and in no park: every park lacks those nodes or is weak in them. Its patent names a co-applicant from
    Shenzhen that nothing else here knows: that is the lead for each of them, by name, with the patent as evidence.
    The enterprises registered elsewhere that pay tax or hold land here (Beijing, Chongqing) fit no chain node."""
    import csv

    chains = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "industrial_chains.csv"
    nodes = {(row["chain"], row["node"]) for row in csv.DictReader(chains.open(encoding="utf-8"))
             if any(world.E["E15"].industry.startswith(c) for c in row["industry_codes"].split(";") if c)}
    parks = {row[0] for row in outcome.sql("select park_code from marts.dim_park")}
    leads = outcome.sql("select park_code, chain, node, gap_kind, lead_rank, candidate_name, candidate_code, "
                        "joint_patents, local_partners, evidence from marts.mart_chain_leads")
    assert {(park, chain, node) for park, chain, node, *_ in leads} == {(p, c, n) for p in parks for c, n in nodes}
    # 峨眉新材料 (E20, 3099) is on the silicon node, in the park its PARKCODE names: that park is weak there, not empty
    members = {(park, chain, node) for park, chain, node in outcome.sql(
        "select park_code, chain, node from marts.mart_industry_chain where not is_gap and park_code is not null")}
    assert (world.UNLISTED_PARK_CODE, "光伏", "硅料及硅片") in members
    for park, chain, node, gap, rank, name, code, patents, partners, evidence in leads:
        want_gap = "weak" if (park, chain, node) in members else "lacks"
        assert (gap, rank, name, code, patents, partners) == (want_gap, 1, world.SHENZHEN_SUPPLIER, None, 1,
                                                              world.E["E15"].name)
        assert evidence == f"1 patent(s) with {world.E['E15'].name} (0 invention)"
    path = outcome.home / "published" / "chain_leads" / "current" / "*.parquet"
    assert duck.scalar(f"select count(*) from read_parquet('{path}')") == len(leads) == len(parks) * len(nodes)
