"""Private servers for fault tests: a redis-server and a PostgreSQL cluster of the test's own, on
spare ports.

Fault tests stop, kill and restart these; the shared services on 5432 and 6379 are never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from tests.support.services import in_ci

START_DEADLINE_SECONDS = 60


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, what: str, deadline_seconds: float = START_DEADLINE_SECONDS) -> None:
    """Poll `check()` until it is true; fail the test (naming `what`) past a generous deadline.

    The deadline only stops a broken test from hanging: a healthy run never gets near it.
    """
    deadline = time.monotonic() + deadline_seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@dataclass
class RedisServer:
    """A redis-server process of the test's own; `stop`/`kill`/`start` simulate outages."""

    directory: Path
    appendonly: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server on the same port and directory; returns once it answers."""
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                executable,
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--dir", str(self.directory),
                "--save", "",
                "--appendonly", "yes" if self.appendonly else "no",
                "--appendfsync", "always",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, f"redis-server on port {self.port}")

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed beyond what the server already wrote."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        """SIGTERM: a clean shutdown."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait()
            self.process = None


@contextmanager
def redis_server(directory: Path, appendonly: bool = False) -> Iterator[RedisServer]:
    """A running private redis-server, killed when the block ends."""
    server = RedisServer(directory=directory, appendonly=appendonly)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def postgres_binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory (with initdb and pg_ctl), or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda path: int(path.parts[-3])
    )
    return found[-1].parent if found else None


needs_postgres_binaries = pytest.mark.skipif(
    postgres_binaries() is None and not in_ci(),
    reason="needs PostgreSQL's initdb and pg_ctl under /usr/lib/postgresql/*/bin",
)
"""Mark tests that start a private PostgreSQL: skipped where it is not installed, except in CI."""


def as_postgres_user(command: list[str]) -> list[str]:
    """`command` run by the `postgres` OS user when we are root (PostgreSQL refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class PostgresServer:
    """A PostgreSQL cluster of the test's own (trust authentication, user `postgres`);
    `stop`/`start`/`restart` simulate outages. Its socket and log live in its data directory."""

    directory: Path
    port: int = field(default_factory=free_port)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def pg_ctl(self, *arguments: str) -> None:
        """Run pg_ctl on this cluster and wait for it; fail the test, with the log, if it fails."""
        binaries = postgres_binaries()
        if binaries is None:
            pytest.fail("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl)")
        command = [str(binaries / "pg_ctl"), "--pgdata", str(self.data), "--wait", *arguments]
        finished = subprocess.run(as_postgres_user(command), capture_output=True, text=True)
        if finished.returncode != 0:
            log = self.directory / "server.log"
            pytest.fail(
                f"pg_ctl {arguments[0]} failed: {finished.stderr}\n"
                f"{log.read_text() if log.exists() else ''}"
            )

    def initialise(self) -> None:
        """Create the cluster (initdb), owned by the user that will run it."""
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        options = "--auth=trust --username=postgres --encoding=UTF8 --no-locale --no-sync"
        self.pg_ctl("init", "--options", options)

    def start(self) -> None:
        """Start (or restart) the server on the same port and data; returns once it accepts."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c full_page_writes=off"
        )
        self.pg_ctl("start", "--options", options, "--log", str(self.directory / "server.log"))

    def stop(self, mode: str = "fast") -> None:
        """Shut down: `fast` ends every session, `immediate` is a crash (recovery on start)."""
        self.pg_ctl("stop", "--mode", mode)

    def restart(self) -> None:
        """Stop (fast) and start again: every open connection is ended by the server."""
        self.stop()
        self.start()


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A running private PostgreSQL cluster in a fresh directory, removed when the block ends.

    The directory is made under the system's temporary folder, not pytest's: the `postgres` user
    must be able to reach it.
    """
    server = PostgresServer(directory=Path(tempfile.mkdtemp(prefix="marketplace-postgres-")))
    try:
        server.initialise()
        server.start()
        yield server
    finally:
        if (server.data / "postmaster.pid").exists():
            server.stop("immediate")
        shutil.rmtree(server.directory)
