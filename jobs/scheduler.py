"""`python -m jobs.scheduler`: queues the scheduled jobs on time for the workers to run.

Run one beside the workers when REDIS_URL is set (without Redis the web process runs the same
jobs on timer threads). The schedule is `app.platform.jobs.PERIODIC_JOBS`: the outbox relay every
30 s, the reservation expiry every 60 s. Each scheduled job has a fixed RQ job id and is not
queued again while the previous run is still queued or running, so a busy worker never finds a
pile of copies.

Redis going away does not end the process: it logs, waits for Redis with a growing delay and
carries on. SIGTERM or SIGINT stops it at once (it runs no job itself) with exit status 0.
"""

from __future__ import annotations

import contextlib
import sys
import time

from flask import Flask
from rq.exceptions import StopRequested

from app.extensions import redis_client
from app.platform.jobs import PERIODIC_JOBS, enqueue, live_jobs
from jobs.runtime import worker_app
from jobs.worker import REDIS_ERRORS, install_stop_handlers, log, wait_for_redis

LOOK_SECONDS = 5.0


def job_id(name: str) -> str:
    """The RQ job id of a scheduled job: one run of it at a time."""
    return "scheduled-" + name.replace(".", "_")


def queue_unless_live(app: Flask, name: str) -> None:
    """Queue one run of the scheduled job, unless the last one is still queued or running."""
    if not live_jobs(app, {job_id(name)}):
        enqueue(name, job_id=job_id(name), retries=0)


def run(app: Flask) -> None:
    """Queue every scheduled job when it falls due, until stopped; between runs, look at Redis
    every few seconds, so an outage is logged when it starts."""
    connection = redis_client(app)
    intervals = dict(PERIODIC_JOBS)
    due = dict.fromkeys(intervals, time.monotonic())
    while True:
        try:
            for name, at in due.items():
                if at <= time.monotonic():
                    queue_unless_live(app, name)
                    due[name] = time.monotonic() + intervals[name]
            time.sleep(max(0.0, min(min(due.values()) - time.monotonic(), LOOK_SECONDS)))
            connection.ping()
        except REDIS_ERRORS as error:
            log.warning("scheduler: lost Redis (%s)", error)
            wait_for_redis(connection, "scheduler")


def main() -> None:
    app = worker_app()
    if not app.config["REDIS_URL"]:
        sys.exit("REDIS_URL is not set: the web process runs the scheduled jobs itself.")
    install_stop_handlers()
    with contextlib.suppress(StopRequested), app.app_context():
        run(app)
    log.info("scheduler: stopped")


if __name__ == "__main__":
    main()
