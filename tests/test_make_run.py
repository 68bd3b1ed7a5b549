"""`make run` runs the code location's jobs and prints a console a person can read.

Both read the session's small `make run` (tests.conftest.small_run: scripts/demo.py in its own process on a
department's copy of the small root): the runs it recorded in its Dagster instance, and what it printed.
"""
from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from assets.landing.plan import deliveries, landing_plan
from resources.settings import instance_dir
from tests.crash.demo_run import summary

pytestmark = pytest.mark.slow

JOBS = ["snapshot_landing", "monthly_landing", "yearly_landing", "build_and_publish"]


def monthly_run(root: Path):
    """The landing plan's run of the months the root delivers (files; the simulated API serves the same months)."""
    return next(r for r in landing_plan(deliveries(root)) if r.partitioning == "monthly")


def test_make_run_runs_the_jobs_of_the_code_location(small_run):
    root, home, _, code, out = small_run
    assert code == 0, summary(out)
    with dg.DagsterInstance.from_config(str(instance_dir(home))) as instance:
        runs = sorted(instance.get_runs(), key=lambda r: instance.get_run_record_by_id(r.run_id).create_timestamp)
        # every run of this home is a `make run`'s (tests/crash/test_kill9.py may have added some): each is a run of a
        # named job, never an ephemeral one; the first `make run` made one run of each job, in the plan's order
        assert {r.job_name for r in runs} <= set(JOBS), [r.job_name for r in runs]
        first = runs[:len(JOBS)]
        assert [r.job_name for r in first] == JOBS
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in first)
        # the months of the landing plan, as one range run of the partitioned job
        planned = monthly_run(root)
        assert len(planned.partitions) > 1 and planned.tags.items() <= first[1].tags.items(), first[1].tags
        # the ground-truth check belongs to the job: it ran in the build_and_publish run
        checks = {e.dagster_event.asset_check_evaluation_data.check_name
                  for e in instance.all_logs(first[-1].run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)}
        assert "links_match_ground_truth" in checks and "rows_conserved" not in checks


def test_make_run_prints_one_line_per_stage_and_the_summary(small_run):
    root, home, _, code, out = small_run
    assert code == 0, summary(out)
    lines = out.splitlines()
    # a line per stage, finished when the stage ends: the job, the landing plan's range, the time
    span = re.escape(monthly_run(root).span)
    assert any(re.fullmatch(rf"monthly_landing {span} \.\.\. [0-9.]+ s, [0-9,]+ rows loaded, .*", line)
               for line in lines), summary(out)
    for job in JOBS:
        assert sum(line.startswith(f"{job} ") for line in lines) == 1, summary(out)
    # one line per service of the 企业码: 政策直达's verdicts of this run
    assert sum(bool(re.fullmatch(r"policies matched: [0-9]+ policies valid in [0-9]{4} x [0-9,]+ enterprises: [0-9,]+ "
                                 r"eligible, [0-9,]+ cannot tell \(a figure missing\), [0-9,]+ not eligible", line))
               for line in lines) == 1, summary(out)
    # 风险预警's: the alerts of every month, and the latest month's by signal
    assert sum(bool(re.fullmatch(r"alerts raised: [0-9,]+ by [0-9]+ rules over [0-9]+ months \([0-9,]+ enterprises\); "
                                 r"[0-9]{4}-[0-9]{2}: [0-9,]+ enterprises \([0-9,]+ high severity\)(: .+)?", line))
               for line in lines) == 1, summary(out)
    # 数字经济's: on the default data, the national table is not loaded, and the line says so
    assert sum(line.startswith("digital-economy enterprises: no classification loaded (LAKEHOUSE_DIGITAL_ECONOMY_FILE")
               for line in lines) == 1, summary(out)
    # 产业链招商's
    assert sum(bool(re.fullmatch(r"chain leads: [0-9,]+ candidates from outside for [0-9,]+ chain nodes [0-9]+ parks "
                                 r"lack or are weak in \([0-9,]+ leads\); evidence: .+", line))
               for line in lines) == 1, summary(out)
    # nothing but those and the summary: no Dagster event line, no dbt log, no progress bar, no warning
    assert len(lines) <= 40, summary(out, 60)
    for noise in (" - dagster - ", "DEBUG", "%|", "Running with dbt", "Done. PASS=", "Warning", "\r"):
        assert noise not in out, f"{noise!r} printed:\n{summary(out, 60)}"
    # which went to the run's log file, whose path the summary gives, with the summary itself
    log = Path(re.search(r"^log \(.*\): (\S+);", out, re.M).group(1))
    assert log.parent == home / "logs" and log.is_file()
    text = log.read_text(encoding="utf-8", errors="replace")
    assert " - dagster - DEBUG - " in text and "RUN_SUCCESS" in text
    assert "every run succeeded and every blocking check passed" in text
