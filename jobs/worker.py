"""`python -m jobs.worker`: an RQ worker (with its scheduler) that builds the app once, up front.

Jobs run in the worker process itself (RQ's SimpleWorker), not in a work horse forked per job:
the jobs are short (a batch of outbox events, an email), and forking for each one, then opening a
fresh database connection in the child, cost more than the jobs. The worker keeps its app, its
connection pool and its imported modules from one job to the next; a job that fails is retried
by RQ as usual. Run several workers for parallelism.

Redis going away does not end the process: RQ's work loop gives up, and this one logs, waits for
Redis with a growing delay (1 s doubling to 30 s, a log line per try) and starts it again.
SIGTERM or SIGINT is a warm shutdown: the job being run finishes, then the process exits 0 (a
second signal stops at once, as in RQ).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import time
from collections.abc import Iterator

import redis
from rq import SimpleWorker
from rq.exceptions import StopRequested

from app.extensions import redis_client
from app.platform.jobs import DEFAULT_QUEUE
from jobs.runtime import worker_app

log = logging.getLogger("marketplace.worker")

REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError)
FIRST_DELAY_SECONDS = 1.0
LONGEST_DELAY_SECONDS = 30.0


class Worker(SimpleWorker):
    """RQ's SimpleWorker that remembers a shutdown request, so the reconnect loop ends too."""

    stopping = False

    def request_stop(self, signum, frame):
        self.stopping = True
        super().request_stop(signum, frame)

    def teardown(self):
        """RQ's teardown; when Redis is gone (the worker's death cannot be recorded), at least
        stop the pubsub thread, which would otherwise keep reconnecting beside the next worker."""
        try:
            super().teardown()
        except REDIS_ERRORS:
            if self.pubsub_thread:
                self.pubsub_thread.stop()
            raise


def delays() -> Iterator[float]:
    """Seconds to wait before each try: 1, 2, 4, ... up to 30, then 30 for ever."""
    delay = FIRST_DELAY_SECONDS
    while True:
        yield delay
        delay = min(delay * 2, LONGEST_DELAY_SECONDS)


def wait_for_redis(connection: redis.Redis, what: str) -> None:
    """Return once Redis answers; until then log and wait, longer after each failed try."""
    for delay in delays():
        try:
            connection.ping()
            return
        except REDIS_ERRORS as error:
            log.warning("%s: Redis unavailable (%s); trying again in %.0f s", what, error, delay)
            time.sleep(delay)


def stop_now(signum, frame) -> None:
    """Signal handler outside RQ's work loop (nothing is running): stop at once."""
    raise StopRequested()


def install_stop_handlers() -> None:
    signal.signal(signal.SIGTERM, stop_now)
    signal.signal(signal.SIGINT, stop_now)


def serve(connection: redis.Redis, queues: list[str], log_level: str) -> None:
    """Run RQ's work loop until a shutdown is requested, again after each Redis outage."""
    while True:
        install_stop_handlers()
        wait_for_redis(connection, "worker")
        worker = Worker(queues, connection=connection)
        try:
            worker.work(with_scheduler=True, logging_level=log_level)
        except REDIS_ERRORS as error:
            log.warning("worker: lost Redis (%s)", error)
        if worker.stopping:
            return
        log.warning("worker: RQ's work loop ended without a shutdown request; starting it again")


def main(queues: list[str]) -> None:
    """Serve the given queues (the default queue when none are named) until stopped."""
    app = worker_app()
    if not app.config["REDIS_URL"]:
        sys.exit("REDIS_URL is not set: jobs then run inside the web process; no worker is needed.")
    with contextlib.suppress(StopRequested):
        serve(redis_client(app), queues or [DEFAULT_QUEUE], app.config["LOG_LEVEL"])
    log.info("worker: stopped")


if __name__ == "__main__":
    main(sys.argv[1:])
