"""The Dagster UI in a real browser: Debian's Chromium, headless, driven by Playwright (no browser download).

`dagster dev` (webserver + daemon) on 127.0.0.1 with this project's instance config; the test looks at the
published layer's asset graph and checks, launches a materialization from the UI and waits for it to succeed.
A screenshot of each step is kept in $LAKEHOUSE_TEST_ARTIFACTS (default: var/test-artifacts).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from tests.crash.demo_run import env_for, prepare_home

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("LAKEHOUSE_TEST_ARTIFACTS", REPO / "var" / "test-artifacts"))



@pytest.fixture(scope="module", autouse=True)
def chromium_installed():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: `make test` installs it (as root: apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory, small_root):
    home = tmp_path_factory.mktemp("ui_home")
    # webserver and daemon start together: the instance storage must exist first (see `make install`)
    dagster_home = prepare_home(home)
    port = free_port()
    # `dagster dev` is told its instance (without DAGSTER_HOME it would use a temporary one)
    env = env_for(home, small_root, DAGSTER_HOME=str(dagster_home), HRSS_API_BASE_URL="http://127.0.0.1:9",
                  HRSS_API_TOKEN="unused")
    log = (home / "dagster-dev.log").open("w")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("dagster")), "dev", "-h", "127.0.0.1", "-p", str(port),
                             "-w", str(REPO / "workspace.yaml")], cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/server_info", timeout=2):
                    break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail(f"dagster dev did not answer: {(home / 'dagster-dev.log').read_text()[-2000:]}")
        yield base, dagster_home
    finally:
        # SIGTERM to `dagster dev` alone, which stops its webserver, daemon and code servers in turn (sent to the
        # whole group at once, they died under it and it waited out its own timeouts: two minutes)
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # a shutdown this slow is the loaded machine's, not what this test is about
            proc.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):  # nothing of the group outlives the module
            os.killpg(proc.pid, 9)
        log.close()


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(60_000)
        yield page
        browser.close()


def test_the_published_layer_and_its_gate_are_in_the_asset_graph(dagster_ui, page):
    base, _ = dagster_ui
    # the graph draws only the nodes in view: tall enough for every published dataset, first to last
    page.set_viewport_size({"width": 1600, "height": 2400})
    page.goto(f"{base}/asset-groups/?expanded=global%40global%3Apublished")  # the lineage, `published` expanded
    for name in ("analytics_duckdb", "chain_leads", "enterprise_profile", "xref_source_record"):
        page.get_by_text(name, exact=False).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "ui-published-graph.png"), full_page=True)
    page.goto(f"{base}/assets/staged/enterprise_profile?view=checks")
    for check in ("great_expectations", "no_personal_data", "upstream_checks_passed"):
        page.get_by_text(check).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "ui-staged-checks.png"), full_page=True)


def test_a_materialization_launched_from_the_ui_completes(dagster_ui, page):
    base, dagster_home = dagster_ui
    page.goto(f"{base}/assets/bronze/miit/recognitions")
    page.locator("button", has_text="Materialize").first.click()
    page.get_by_text("Launched run", exact=False).first.wait_for()
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    deadline = time.time() + 240
    while time.time() < deadline:
        runs = instance.get_runs()
        if runs and runs[0].is_finished:
            break
        time.sleep(2)
    assert runs and runs[0].status == dg.DagsterRunStatus.SUCCESS, runs
    page.goto(f"{base}/runs/{runs[0].run_id}")
    page.get_by_text("Success", exact=False).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "ui-run-succeeded.png"), full_page=True)
