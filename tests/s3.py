"""A real S3 API on 127.0.0.1 for tests: moto's server in a process of its own, one bucket, and the environment that
points the lakehouse at it (LAKEHOUSE_LAKE_URL, AWS_ENDPOINT_URL and credentials)."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyarrow.fs as pafs

from resources.settings import environment

BUCKET = "lakehouse-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def s3_server(log: Path) -> Iterator[dict[str, str]]:
    """moto's S3 server with an empty bucket; the environment points the lakehouse at a lake on it (s3://BUCKET/lake)
    until the block ends, and is yielded."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"moto's S3 server did not start: {log.read_text(errors='replace')}")
        env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret",
               "AWS_REGION": "us-east-1", "LAKEHOUSE_LAKE_URL": f"s3://{BUCKET}/lake"}
        pafs.S3FileSystem(endpoint_override=f"127.0.0.1:{port}", scheme="http", region="us-east-1",
                          access_key=env["AWS_ACCESS_KEY_ID"], secret_key=env["AWS_SECRET_ACCESS_KEY"],
                          allow_bucket_creation=True).create_dir(BUCKET)
        with environment(env):
            yield env
    finally:
        server.terminate()
        server.wait(timeout=30)

