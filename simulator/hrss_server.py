"""S5: the social-insurance bureau's HTTP JSON API (SOURCES.md), serving a generated root's `_hrss_api/`.

Bound to 127.0.0.1. Implements auth (401), unknown periods (404), page_size limits (400), rate limiting
(429 + Retry-After) and injected transient failures (500/503) at a given rate.
"""
from __future__ import annotations

import json
import random
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyarrow.parquet as pq

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_PAGE_SIZE = 1000


class HrssApi:
    def __init__(self, root: Path, token: str, fail_rate: float = 0.0, rate_limit: float = 200.0, seed: int = 0):
        self.dir = Path(root) / "_hrss_api"
        self.token = token
        self.fail_rate = fail_rate
        self.rate_limit = rate_limit  # requests per second before 429
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._tables: dict[str, object] = {}
        self._window: list[float] = []
        self.requests = 0
        self.served_records = 0

    def periods(self) -> list[str]:
        return sorted(p.stem.removeprefix("employers_") for p in self.dir.glob("employers_*.parquet"))

    def table(self, period: str):
        with self._lock:
            if period not in self._tables:
                self._tables[period] = pq.read_table(self.dir / f"employers_{period}.parquet")
            return self._tables[period]

    def admit(self) -> tuple[int, dict] | None:
        """Rate limit and injected failures; None means: serve the request."""
        with self._lock:
            self.requests += 1
            now = time.monotonic()
            self._window = [t for t in self._window if now - t < 1.0]
            if len(self._window) >= self.rate_limit:
                return 429, {"Retry-After": "1"}
            self._window.append(now)
            if self.fail_rate and self._random.random() < self.fail_rate:
                return (500 if self._random.random() < 0.5 else 503), {}
        return None


def make_handler(api: HrssApi):
    class Handler(BaseHTTPRequestHandler):
        server_version = "hrss-sim/1.0"

        def log_message(self, fmt, *args):  # quiet: tests and make run read their own output
            pass

        def _send(self, status: int, body: dict, headers: dict | None = None):
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.headers.get("Authorization") != f"Bearer {api.token}":
                return self._send(401, {"error": "unauthorized"})
            refused = api.admit()
            if refused:
                status, headers = refused
                return self._send(status, {"error": "too many requests" if status == 429 else "server error"}, headers)
            url = urlparse(self.path)
            query = parse_qs(url.query)
            if url.path == "/api/v1/periods":
                return self._send(200, {"periods": api.periods()})
            if url.path != "/api/v1/employers":
                return self._send(404, {"error": "not found"})
            period = query.get("period", [""])[0]
            if not PERIOD.match(period) or period not in api.periods():
                return self._send(404, {"error": f"unknown period {period!r}"})
            try:
                page = int(query.get("page", ["1"])[0])
                size = int(query.get("page_size", ["100"])[0])
            except ValueError:
                return self._send(400, {"error": "page and page_size must be integers"})
            if size > MAX_PAGE_SIZE or size < 1 or page < 1:
                return self._send(400, {"error": f"page >= 1 and 1 <= page_size <= {MAX_PAGE_SIZE}"})
            table = api.table(period)
            total = table.num_rows
            pages = (total + size - 1) // size
            data = table.slice((page - 1) * size, size).to_pylist() if page <= pages else []
            with api._lock:
                api.served_records += len(data)
            return self._send(200, {"period": period, "page": page, "page_size": size, "total": total,
                                    "total_pages": pages, "data": data})

    return Handler


def make_server(root: Path, token: str, port: int = 0, host: str = "127.0.0.1", fail_rate: float = 0.0,
                rate_limit: float = 200.0, seed: int = 0) -> tuple[ThreadingHTTPServer, HrssApi]:
    api = HrssApi(root, token, fail_rate, rate_limit, seed)
    server = ThreadingHTTPServer((host, port), make_handler(api))
    server.daemon_threads = True
    return server, api
