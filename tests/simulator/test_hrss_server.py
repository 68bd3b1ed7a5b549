"""The simulated HRSS API answers per SOURCES.md, over real HTTP on 127.0.0.1."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

from simulator.hrss_server import make_server


@pytest.fixture()
def api(small_root: Path):
    started = []

    def start(**kw):
        server, state = make_server(small_root, "s3cret", **kw)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", state

    yield start
    for s in started:
        s.shutdown()
        s.server_close()


AUTH = {"Authorization": "Bearer s3cret"}


def test_auth(api):
    base, _ = api()
    assert httpx.get(f"{base}/api/v1/periods").status_code == 401
    assert httpx.get(f"{base}/api/v1/periods", headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = httpx.get(f"{base}/api/v1/periods", headers=AUTH)
    assert r.status_code == 200 and r.json() == {"periods": ["2025-10", "2025-11", "2025-12"]}


def test_paging_returns_every_record_once(api, small_root: Path):
    base, _ = api()
    expected = pq.read_table(small_root / "_hrss_api" / "employers_2025-11.parquet").to_pylist()
    got, page = [], 1
    while True:
        body = httpx.get(f"{base}/api/v1/employers", params={"period": "2025-11", "page": page, "page_size": 97},
                         headers=AUTH).json()
        assert body["period"] == "2025-11" and body["page"] == page and body["page_size"] == 97
        assert body["total"] == len(expected) and body["total_pages"] == -(-len(expected) // 97)
        if not body["data"]:
            break
        got += body["data"]
        page += 1
    assert page == body["total_pages"] + 1  # the page past the end answers 200 with no data
    assert got == expected
    assert set(got[0]) == {"dwbh", "dwmc", "tyshxydm", "cbrs", "jfjs", "gxsj"}
    assert isinstance(got[0]["cbrs"], int) and isinstance(got[0]["jfjs"], str) and got[0]["gxsj"].endswith("+08:00")


def test_defaults_and_errors(api):
    base, _ = api()
    body = httpx.get(f"{base}/api/v1/employers", params={"period": "2025-10"}, headers=AUTH).json()
    assert body["page"] == 1 and body["page_size"] == 100 and len(body["data"]) == min(100, body["total"])
    for bad in ("2025-13", "2024-01", "202510", ""):
        assert httpx.get(f"{base}/api/v1/employers", params={"period": bad}, headers=AUTH).status_code == 404
    r = httpx.get(f"{base}/api/v1/employers", params={"period": "2025-10", "page_size": 1001}, headers=AUTH)
    assert r.status_code == 400
    assert httpx.get(f"{base}/api/v1/employers", params={"period": "2025-10", "page_size": 1000},
                     headers=AUTH).status_code == 200


def test_rate_limit_answers_429_with_retry_after(api):
    base, _ = api(rate_limit=5)
    statuses = [httpx.get(f"{base}/api/v1/periods", headers=AUTH) for _ in range(12)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and all(int(r.headers["Retry-After"]) >= 1 for r in limited)
    time.sleep(1.1)
    assert httpx.get(f"{base}/api/v1/periods", headers=AUTH).status_code == 200


def test_injected_failures_succeed_on_retry(api):
    base, state = api(fail_rate=0.5, seed=3)
    codes = [httpx.get(f"{base}/api/v1/periods", headers=AUTH).status_code for _ in range(40)]
    assert {500, 503} <= set(codes) and 200 in codes
    assert set(codes) <= {200, 500, 503}


def test_cli_binds_loopback_and_stops_on_sigterm(small_root: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "serve-hrss", "--root", str(small_root), "--port",
                             str(port)], env={**os.environ, "HRSS_API_TOKEN": "from-env"}, stdout=subprocess.PIPE)
    try:
        assert "127.0.0.1" in proc.stdout.readline().decode()
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/periods", headers={"Authorization": "Bearer from-env"})
        assert r.status_code == 200
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        assert [line.split()[3] for line in listening.splitlines()] == [f"127.0.0.1:{port}"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
