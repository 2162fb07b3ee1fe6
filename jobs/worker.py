"""`python -m jobs.worker`: an RQ worker (with its scheduler) that builds the app once, up front.

Jobs run in the worker process itself (RQ's SimpleWorker), not in a work horse forked per job:
the jobs are short (an outbox event, an email), and forking for each one, then opening a fresh
database connection in the child, cost more than the jobs. The worker keeps its app, its
connection pool and its imported modules from one job to the next; a job that fails is retried
by RQ as usual. Run several workers for parallelism.
"""

from __future__ import annotations

import sys

from rq import SimpleWorker

from app.extensions import redis_client
from app.platform.jobs import DEFAULT_QUEUE
from jobs.runtime import worker_app


def main(queues: list[str]) -> None:
    """Serve the given queues (the default queue when none are named) until stopped."""
    app = worker_app()
    if not app.config["REDIS_URL"]:
        sys.exit("REDIS_URL is not set: jobs then run inside the web process; no worker is needed.")
    worker = SimpleWorker(queues or [DEFAULT_QUEUE], connection=redis_client(app))
    worker.work(with_scheduler=True)


if __name__ == "__main__":
    main(sys.argv[1:])
