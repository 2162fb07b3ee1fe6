"""`python -m jobs.worker`: an RQ worker (with its scheduler) that builds the app once, up front.

RQ forks a work horse per job; creating the app in the parent means each child inherits it ready
instead of building it again. The parent opens no database connection, so none is shared.
"""

from __future__ import annotations

import sys

from rq import Worker

from app.extensions import redis_client
from app.platform.jobs import DEFAULT_QUEUE
from jobs.runtime import worker_app


def main(queues: list[str]) -> None:
    """Serve the given queues (the default queue when none are named) until stopped."""
    app = worker_app()
    if not app.config["REDIS_URL"]:
        sys.exit("REDIS_URL is not set: jobs then run inside the web process; no worker is needed.")
    worker = Worker(queues or [DEFAULT_QUEUE], connection=redis_client(app))
    worker.work(with_scheduler=True)


if __name__ == "__main__":
    main(sys.argv[1:])
