"""The dashboard under test: ``akhbar serve`` as a real process on a demo database."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_server import Served

AKHBAR = [sys.executable, "-m", "akhbar"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, built the way a user builds it (`akhbar demo`)."""
    path = tmp_path_factory.mktemp("dashboard") / "akhbar-demo.db"
    subprocess.run(
        [*AKHBAR, "--db", f"sqlite:///{path}", "demo", "--fresh"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return path


@pytest.fixture(scope="session")
def dashboard(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`akhbar serve` on the demo database (default host, a free port)."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*AKHBAR, "--db", f"sqlite:///{demo_db}", "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"akhbar serve did not start:\n{log.read_text()}")
                time.sleep(0.3)
        yield Served(base, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
