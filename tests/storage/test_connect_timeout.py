"""A PostgreSQL that accepts connections but never answers: commands give up with one line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from akhbar.settings import load_settings
from akhbar.storage import make_engine


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on loopback that accepts every connection and never says a word."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            accepted.append(conn)  # kept open, never read from or written to

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()


@pytest.mark.slow  # waits for the connect timeout
def test_stats_against_a_silent_server_fails_with_one_line(silent_server: int) -> None:
    env = {**os.environ, "AKHBAR_DATABASE_CONNECT_TIMEOUT": "2"}
    env.pop("AKHBAR_DATABASE_URL", None)
    url = f"postgresql://postgres@127.0.0.1:{silent_server}/x"
    done = subprocess.run(
        [sys.executable, "-m", "akhbar", "--db", url, "stats"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,  # without a connect timeout the command hangs for minutes
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "connection timeout expired" in lines[0]
    assert "127.0.0.1" in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_connect_timeout_setting_reaches_the_engine(silent_server: int) -> None:
    settings = load_settings(
        database_url=f"postgresql://postgres@127.0.0.1:{silent_server}/x",
        database_connect_timeout=3,
    )
    engine = make_engine(settings.database_url, connect_timeout=settings.database_connect_timeout)
    try:
        with pytest.raises(Exception, match="connection timeout expired"):
            engine.connect()
    finally:
        engine.dispose()


def test_connect_timeout_below_psycopgs_minimum_is_refused() -> None:
    from akhbar.settings import InvalidSettings

    with pytest.raises(InvalidSettings, match="AKHBAR_DATABASE_CONNECT_TIMEOUT"):
        load_settings(database_connect_timeout=1)
