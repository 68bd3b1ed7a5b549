"""Early warnings (风险预警) on the default root's warehouse, against alerts this test raises itself.

Each rule of the shipped alert-rule files is judged here month by month, in Python, from the marts and staging
tables the signals read (fct_enterprise_month, dim_enterprise, the registry's status changes and abnormal list, the
months the grid delivered): every alert of mart_enterprise_alerts, its evidence figures and every count of
mart_park_alerts must agree. Months running are counted by walking the months in order (the mart uses islands of
month numbers). Then, on a copy of the warehouse, a rule file added to the folder adds its alerts and a malformed one
stops the build before dbt (the rule tables are written first: resources/rule_tables.py) with the file and the field
named. The rule files' loader alone: tests/transform/test_alert_rule_files.py.
"""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from contracts.alerts import CLOSED_STATUSES, RULES_DIR, RULES_ENV, SIGNALS, Rule, load
from resources.rule_tables import TABLES
from tests.pipeline import dbt_build, warehouse_frame

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
ALERT_MODELS = ["ref_alert_rules", "mart_enterprise_alerts", "mart_park_alerts"]

ADDED = """\
# a city's own rule: a second, stricter threshold on a signal a shipped rule already watches
id: tax-halved
title: 税收同比腰斩
signal: tax_decline
severity: low
parameters:
  drop_at_least: 0.5
  months_running: 2
"""
MALFORMED = """\
id: malformed-rule
title: 写错的预警
signal: tax_decline
severity: urgent
parameters:
  drop_at_least: 30
  months_running: 3
"""


def query(home: Path, sql: str) -> pd.DataFrame:
    return warehouse_frame(home, sql)


def month_add(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return month_add(month, 1) - dt.timedelta(days=1)


def _date(v):
    return None if v is None or pd.isna(v) else pd.Timestamp(v).date()


def _number(v):
    return None if v is None or pd.isna(v) else float(v)


class Facts:
    """What the signals read, by this test's own queries."""

    def __init__(self, home: Path):
        enterprises = query(home, "select enterprise_code, pripid, section_code, registration_status, deregistered_on,"
                                  " park_code from marts.dim_enterprise where not is_external")
        self.enterprises = enterprises.set_index("enterprise_code").to_dict("index")
        monthly = query(home, "select enterprise_code, month_start, total_tax_yuan, sales_revenue_yuan, "
                              "electricity_kwh, insured_headcount from marts.fct_enterprise_month")
        monthly["month_start"] = [d.date() for d in pd.to_datetime(monthly["month_start"])]
        self.months = sorted(set(monthly["month_start"]))
        monthly = monthly[monthly["enterprise_code"].isin(self.enterprises)]
        self.figures = {(r["enterprise_code"], r["month_start"]): r for r in monthly.to_dict("records")}
        self.grid_months = {d.date() for d in pd.to_datetime(
            query(home, "select distinct period from staging.stg_grid__consumption")["period"])}
        changes = query(home, "select pripid, max(changed_on) as changed_on from staging.stg_samr__changes "
                              "where changed_item = '登记状态' group by pripid")
        self.status_changed = {r.pripid: _date(r.changed_on) for r in changes.itertuples()}
        self.abnormal = query(home, "select pripid, listed_on, removed_on, reason "
                                    "from staging.stg_samr__abnormal_operations").to_dict("records")

    def value(self, code: str, month: dt.date, column: str):
        row = self.figures.get((code, month))
        return None if row is None else _number(row[column])


def year_on_year_falls(facts: Facts, column: str, drop: float, floor: float = 0.0) -> dict:
    """{(enterprise, month): (now, a year earlier)} where both are known, the earlier above `floor` and > 0, and now
    is down at least `drop`."""
    out = {}
    for (code, month) in facts.figures:
        now, before = facts.value(code, month, column), facts.value(code, month_add(month, -12), column)
        if now is not None and before is not None and before > 0 and before > floor and now <= before * (1 - drop):
            out[(code, month)] = (now, before)
    return out


def with_months_running(facts: Facts, holds: set) -> dict:
    """{(enterprise, month): months the condition has held, this one included}, walking the months in order."""
    running, out = {}, {}
    for month in facts.months:
        previous = month_add(month, -1)
        for code in {c for c, m in holds if m == month}:
            running[(code, month)] = running.get((code, previous), 0) + 1
            out[(code, month)] = running[(code, month)]
    return out


def expected_alerts(facts: Facts, rules: list[Rule]) -> dict:
    """{(rule, enterprise, month): {evidence column: value}} of every rule, raised here."""
    alerts = {}
    for rule in rules:
        p = rule.parameters
        if rule.signal == "tax_decline":
            falls = year_on_year_falls(facts, "total_tax_yuan", p["drop_at_least"], p["min_prior_year_tax_yuan"])
            for (code, month), run in with_months_running(facts, set(falls)).items():
                if run >= p["months_running"]:
                    alerts[(rule.id, code, month)] = {"months_running": run, "tax_yuan": falls[(code, month)][0],
                                                      "tax_prior_year_yuan": falls[(code, month)][1]}
        elif rule.signal == "power_and_headcount_falling":
            power = year_on_year_falls(facts, "electricity_kwh", p["electricity_drop_at_least"])
            staff = year_on_year_falls(facts, "insured_headcount", p["headcount_drop_at_least"])
            for (code, month), run in with_months_running(facts, set(power) & set(staff)).items():
                if run >= p["months_running"]:
                    alerts[(rule.id, code, month)] = {
                        "months_running": run, "electricity_kwh": power[(code, month)][0],
                        "electricity_prior_year_kwh": power[(code, month)][1],
                        "insured_headcount": staff[(code, month)][0],
                        "insured_headcount_prior_year": staff[(code, month)][1]}
        elif rule.signal == "sales_without_power":
            holds = set()
            for (code, month), row in facts.figures.items():
                sales, kwh = _number(row["sales_revenue_yuan"]), _number(row["electricity_kwh"]) or 0.0
                section = facts.enterprises[code]["section_code"]
                if (month in facts.grid_months and sales is not None and sales >= p["min_sales_yuan"]
                        and kwh <= p["max_electricity_kwh"] and (not p["sections"] or section in p["sections"])):
                    holds.add((code, month))
            for (code, month), run in with_months_running(facts, holds).items():
                if run >= p["months_running"]:
                    alerts[(rule.id, code, month)] = {"months_running": run,
                                                      "sales_revenue_yuan": facts.value(code, month,
                                                                                        "sales_revenue_yuan")}
        elif rule.signal == "closed_but_active":
            statuses = {CLOSED_STATUSES[s] for s in p["statuses"]}
            for (code, month), row in facts.figures.items():
                e = facts.enterprises[code]
                if e["registration_status"] not in statuses:
                    continue
                closed_on = _date(e["deregistered_on"]) or facts.status_changed.get(e["pripid"])
                after = (month == facts.months[-1] if closed_on is None
                         else month >= month_add(closed_on.replace(day=1), p["grace_months"] + 1))
                kwh, insured = _number(row["electricity_kwh"]), _number(row["insured_headcount"])
                active = ((kwh is not None and kwh >= p["min_electricity_kwh"])
                          or (insured is not None and insured >= p["min_insured_headcount"]))
                if after and active:
                    alerts[(rule.id, code, month)] = {"closed_on": closed_on, "electricity_kwh": kwh,
                                                      "insured_headcount": insured}
        elif rule.signal == "newly_abnormal":
            by_pripid = {e["pripid"]: code for code, e in facts.enterprises.items()}
            for a in facts.abnormal:
                code, listed, removed = by_pripid.get(a["pripid"]), _date(a["listed_on"]), _date(a["removed_on"])
                if code is None or listed is None:
                    continue
                for month in facts.months:
                    if (month_add(month, 1 - p["within_months"]) <= listed <= month_end(month)
                            and (removed is None or removed > month_end(month))):
                        alerts[(rule.id, code, month)] = {"abnormal_listed_on": listed}
    return alerts


def built_alerts(home: Path) -> dict:
    rows = query(home, "select * from marts.mart_enterprise_alerts")
    return {(r["rule_id"], r["enterprise_code"], _date(r["month_start"])): r for r in rows.to_dict("records")}


def assert_same_alerts(got: dict, want: dict) -> None:
    missing, extra = sorted(set(want) - set(got))[:10], sorted(set(got) - set(want))[:10]
    assert (missing, extra) == ([], []), f"raised here, not by the mart: {missing}; by the mart only: {extra}"
    for key, evidence in want.items():
        row = got[key]
        for column, value in evidence.items():
            have = _date(row[column]) if isinstance(value, dt.date) else _number(row[column])
            assert have == (pytest.approx(value, rel=1e-9) if isinstance(value, float) else value), (key, column)


def test_every_alert_of_the_shipped_rules_is_the_one_raised_from_the_marts(default_warehouse):
    _, home, _ = default_warehouse
    facts = Facts(home)
    rules = load(RULES_DIR)
    want = expected_alerts(facts, rules)
    got = built_alerts(home)
    assert_same_alerts(got, want)
    # the default data shows every signal (the simulator models a business's trend, closures whose accounts stay
    # open, factories that stop producing and listings), in its latest months too
    by_signal = pd.Series([got[k]["signal"] for k in got]).value_counts()
    assert set(by_signal.index) == {s.name for s in SIGNALS}, by_signal
    latest = {got[k]["signal"] for k in got if k[2] == facts.months[-1]}
    assert {"tax_decline", "power_and_headcount_falling", "sales_without_power"} <= latest, latest
    # year-on-year alerts only where the year-earlier month landed: 15 months, the last three judged
    judged = {m for m in facts.months if month_add(m, -12) in facts.months}
    assert len(judged) == 3
    assert {k[2] for k in got if got[k]["signal"] == "tax_decline"} <= judged
    # evidence as a sentence, with the figures
    row = next(got[k] for k in sorted(got) if got[k]["signal"] == "tax_decline")
    assert f"{row['months_running']} months running" in row["evidence"] and " 元 a year earlier (" in row["evidence"]


def test_the_park_summary_counts_the_alerts_of_each_park_and_month(default_warehouse):
    _, home, _ = default_warehouse
    facts = Facts(home)
    alerts = built_alerts(home)
    rules = {r.id: r for r in load(RULES_DIR)}
    parks = set(query(home, "select park_code from marts.dim_park")["park_code"])
    summary = query(home, "select * from marts.mart_park_alerts")
    summary["month_start"] = [_date(d) for d in summary["month_start"]]
    assert len(summary) == len(parks) * len(facts.months)
    assert set(summary["park_code"]) == parks
    for row in summary.to_dict("records"):
        here = [(rule, code) for (rule, code, month) in alerts
                if month == row["month_start"] and facts.enterprises[code]["park_code"] == row["park_code"]]
        assert row["alerts"] == len(here)
        assert row["enterprises_alerted"] == len({code for _, code in here})
        assert row["enterprises_alerted_high"] == len({c for r, c in here if rules[r].severity == "high"})
        for signal in SIGNALS:
            assert row[f"{signal.name}_enterprises"] == len({c for r, c in here if rules[r].signal == signal.name})
        assert row["year_on_year_judged"] == (month_add(row["month_start"], -12) in facts.months)
        assert row["enterprises"] == sum(e["park_code"] == row["park_code"] for e in facts.enterprises.values())
    assert summary["enterprises_alerted"].sum() > 0


@pytest.fixture(scope="module")
def alert_home(default_warehouse, tmp_path_factory) -> Path:
    """A copy of the default warehouse for the alert models to be rebuilt in (the shared one stays as it is)."""
    _, home, _ = default_warehouse
    copy = tmp_path_factory.mktemp("alert_home")
    shutil.copyfile(home / "warehouse.duckdb", copy / "warehouse.duckdb")
    return copy


def dbt_build_alerts(home: Path, folder: Path) -> subprocess.CompletedProcess:
    """dbt build of the alert models and their tests on `home`, with the rule files of `folder`."""
    return dbt_build(home, ALERT_MODELS, {RULES_ENV: str(folder)})


@pytest.mark.slow
def test_adding_a_rule_file_adds_its_alerts_and_a_malformed_one_stops_the_build(default_warehouse, alert_home,
                                                                                tmp_path):
    _, home, _ = default_warehouse
    folder = tmp_path / "alert_rules"
    shutil.copytree(RULES_DIR, folder)
    (folder / "tax_halved.yaml").write_text(ADDED, encoding="utf-8")
    done = dbt_build_alerts(alert_home, folder)
    assert done.returncode == 0, done.stdout[-3000:]
    got, before = built_alerts(alert_home), built_alerts(home)
    assert_same_alerts(got, expected_alerts(Facts(alert_home), load(folder)))
    added = {k for k in got if k[0] == "tax-halved"}
    assert added and {k for k in got if k[0] != "tax-halved"} == set(before)
    # two months running is enough for it: it raises enterprise-months the shipped rule (three) does not
    assert {(c, m) for _, c, m in added} - {(c, m) for r, c, m in before if r == "tax-decline"}

    # a malformed file stops the build before dbt (the rule tables are written first), naming the file and fields:
    # dbt never starts, and the alerts built before, the rule tables in the lake and dbt's run results stay as they were
    (folder / "malformed.yaml").write_text(MALFORMED, encoding="utf-8")
    rule_table = alert_home / "lake" / TABLES["alert_rules"]
    run_results = alert_home / "dbt-target" / "run_results.json"
    before_table, before_results = rule_table.read_bytes(), run_results.stat().st_mtime_ns
    done = dbt_build_alerts(alert_home, folder)
    assert done.returncode == 1
    assert "malformed.yaml: severity: expected one of high, medium, low, got the text 'urgent'" in done.stderr
    assert "malformed.yaml: parameters.drop_at_least: expected a share between 0 and 1 (0.3 for 30%), got the " \
           "number 30" in done.stderr, done.stdout[-3000:]
    assert rule_table.read_bytes() == before_table and run_results.stat().st_mtime_ns == before_results
    assert set(built_alerts(alert_home)) == set(got)
