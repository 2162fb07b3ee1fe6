"""The app under gunicorn with the repository's gunicorn.conf.py, as the README runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from app import PROJECT_ROOT
from tests.support.processes import free_port, wait_for
from tests.support.waiting import HANG_GUARD_SECONDS


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except OSError:
        return False


@pytest.fixture()
def gunicorn_url(tmp_path: Path):
    port = free_port()
    environ = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "REDIS_URL": "",
        "SECRET_KEY": "gunicorn-test",
        "ACCESS_LOG": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=PROJECT_ROOT,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        wait_for(lambda: answers(url) or server.poll() is not None, "gunicorn to answer")
        assert server.poll() is None, "gunicorn exited"
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_sends_one_server_header_naming_no_software(gunicorn_url):
    with urllib.request.urlopen(gunicorn_url, timeout=HANG_GUARD_SECONDS) as response:
        servers = response.headers.get_all("Server")

    assert servers == ["marketplace"]
