"""The worker and the scheduler outlive Redis outages and stop gracefully on SIGTERM.

They run as real processes (`python -m jobs.worker`, `python -m jobs.scheduler`) on the run's
database and a private redis-server, which the tests kill and restart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from rq import Queue
from rq.job import Job, JobStatus

from app.platform import outbox
from app.platform.jobs import DEFAULT_QUEUE, PERIODIC_JOBS
from app.platform.models import OutboxEvent
from jobs.scheduler import job_id as scheduled_job_id
from tests.support.processes import RedisServer, redis_server, wait_for

ROOT = Path(__file__).resolve().parents[2]
HOLD_JOB = "tests.support.jobs.hold_until_released"
STOP_DEADLINE_SECONDS = 60


class Process:
    """A job process of the test's own, its output in a file the test can read."""

    def __init__(self, module: str, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("w") as output:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", module],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text()

    def running_until(self, check, what: str, deadline_seconds: float = 60) -> None:
        """Wait for `check()`, failing at once if the process exits meanwhile."""
        wait_for(lambda: self.popen.poll() is not None or check(), what, deadline_seconds)
        assert self.popen.poll() is None, f"{self.log.name} exited:\n{self.output()[-3000:]}"

    def terminate(self) -> int:
        """SIGTERM, then the exit status."""
        self.popen.send_signal(signal.SIGTERM)
        return self.exit_status()

    def exit_status(self) -> int:
        """The status once the process exits; a test failure showing its output if it does not."""
        try:
            return self.popen.wait(timeout=STOP_DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.log.name} did not exit:\n{self.output()[-3000:]}")

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


@contextmanager
def job_processes(app, server: RedisServer, tmp_path: Path, *modules: str) -> Iterator[list]:
    """The named job modules running on the test database and the private Redis."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": server.url,
        "SECRET_KEY": "test-secret-key",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    started = [Process(module, env, tmp_path / f"{module}.log") for module in modules]
    try:
        yield started
    finally:
        for process in started:
            process.kill()


def queue(server: RedisServer) -> Queue:
    return Queue(DEFAULT_QUEUE, connection=redis.Redis.from_url(server.url))


def hold_job(server: RedisServer, folder: Path) -> Job:
    """Queue a job that runs until `folder/release` exists; returns once it has started."""
    folder.mkdir()
    job = queue(server).enqueue(HOLD_JOB, str(folder))
    wait_for((folder / "started").exists, "the held job to start")
    return job


def delivered(database, event_id: int) -> bool:
    database.commit()
    return database.scalar(
        sa.select(OutboxEvent.delivered_at.is_not(None)).where(OutboxEvent.id == event_id)
    )


def test_worker_and_scheduler_carry_on_after_redis_crashes(app, database, handed, tmp_path):
    event = outbox.record_event(database, "Something", {})
    database.commit()
    with (
        redis_server(tmp_path) as server,
        job_processes(app, server, tmp_path, "jobs.worker", "jobs.scheduler") as processes,
    ):
        worker, scheduler = processes
        held = tmp_path / "held"
        hold_job(server, held)
        server.kill()
        (held / "release").touch()
        worker.running_until((held / "done").exists, "the held job to finish without Redis")
        for process in processes:
            process.running_until(
                lambda process=process: "Redis unavailable" in process.output(),
                f"{process.log.name} to notice that Redis is gone",
            )

        server.start()
        queue(server).enqueue("jobs.delivery.deliver_events", [event.id])
        worker.running_until(lambda: delivered(database, event.id), "the event's delivery")
        restarted = redis.Redis.from_url(server.url)
        for name, every_seconds in PERIODIC_JOBS:
            scheduler.running_until(
                lambda name=name: restarted.exists(Job.key_for(scheduled_job_id(name))),
                f"the scheduler to queue {name} again",
                deadline_seconds=2 * every_seconds + 60,
            )
        assert [process.terminate() for process in processes] == [0, 0]


def test_sigterm_lets_the_running_job_finish(app, database, tmp_path):
    with (
        redis_server(tmp_path) as server,
        job_processes(app, server, tmp_path, "jobs.worker") as (worker,),
    ):
        held = tmp_path / "held"
        job = hold_job(server, held)
        worker.popen.send_signal(signal.SIGTERM)
        worker.running_until(lambda: "warm shut down requested" in worker.output(), "SIGTERM")
        (held / "release").touch()

        assert worker.exit_status() == 0
        assert (held / "done").exists()
        assert job.get_status(refresh=True) == JobStatus.FINISHED
