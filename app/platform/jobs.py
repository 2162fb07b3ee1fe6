"""Background job dispatch: RQ when REDIS_URL is set, otherwise in-process after the response."""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, current_app, g, has_request_context
from rq import Queue, Retry
from rq.job import Job, JobStatus

from app.extensions import redis_client

log = logging.getLogger("marketplace.jobs")

DEFAULT_QUEUE = "default"
RETRY_INTERVALS = (10, 60, 300)
LIVE_STATUSES = frozenset(
    status.value
    for status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
)


def resolve(func: str | Callable[..., Any]) -> Callable[..., Any]:
    """A job given by dotted path (`"jobs.email.send_email"`) or as the function itself."""
    if callable(func):
        return func
    module_name, _, name = func.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def enqueue(
    func: str | Callable[..., Any],
    *args: Any,
    queue: str = DEFAULT_QUEUE,
    retries: int = 3,
    job_id: str | None = None,
):
    """Run `func(*args)` in the background; arguments must be plain data (ids, dicts).

    Contexts name jobs by dotted path: the `app` packages never import `jobs/`, which imports them.
    `job_id` names the RQ job (see `live_jobs`); in-process jobs have no id.
    """
    app = current_app._get_current_object()
    if uses_queue(app):
        rq_queue = Queue(queue, connection=redis_client(app))
        retry = Retry(max=retries, interval=list(RETRY_INTERVALS[:retries])) if retries else None
        return rq_queue.enqueue(func, *args, job_id=job_id, retry=retry)
    if has_request_context():
        g.setdefault("pending_jobs", []).append((resolve(func), args))
        return None
    run_inline(app, resolve(func), args)
    return None


def uses_queue(app: Flask) -> bool:
    """Whether jobs go to RQ queues (REDIS_URL set) rather than running in this process."""
    return bool(app.config["REDIS_URL"]) and not app.config.get("JOBS_INLINE")


def live_jobs(app: Flask, job_ids: set[str]) -> set[str]:
    """Those of the RQ jobs that are still to run: queued, running, or waiting for a retry.

    A job that finished, failed for good, or is gone (Redis lost it) is not live.
    """
    ids = sorted(job_ids)
    with redis_client(app).pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hget(Job.key_for(job_id), "status")
        statuses = pipe.execute()
    return {
        job_id
        for job_id, status in zip(ids, statuses, strict=True)
        if status is not None and status.decode() in LIVE_STATUSES
    }


def run_inline(app: Flask, func: Callable[..., Any], args: tuple, attempt: int = 0) -> None:
    """Run one job in its own app context; a failure is logged, never raised to the caller, and
    the job is tried again later on a timer thread (as RQ retries) while JOB_RETRY_SECONDS lists
    another delay."""
    with app.app_context():
        try:
            func(*args)
        except Exception:
            name = getattr(func, "__name__", func)
            delays = app.config.get("JOB_RETRY_SECONDS", RETRY_INTERVALS)
            if attempt >= len(delays):
                log.exception("in-process job %s failed; no retries left", name)
                return
            log.exception("in-process job %s failed; retrying in %s s", name, delays[attempt])
            retry = threading.Timer(delays[attempt], run_inline, (app, func, args, attempt + 1))
            retry.daemon = True
            retry.start()


def run_pending_jobs(response):
    """After the request: run the jobs it queued once the response has been sent (once, even if
    the response is closed twice)."""
    pending = g.pop("pending_jobs", None)
    if pending:
        app = current_app._get_current_object()

        def drain() -> None:
            while pending:
                func, args = pending.pop(0)
                run_inline(app, func, args)

        response.call_on_close(drain)
    return response


def close_when_sent(wsgi_app: Callable) -> Callable:
    """Close each response (running the jobs queued "after the response") once its last chunk is
    written: werkzeug's server skips close() when the browser resets the connection after
    reading a response, as Chromium does after some redirects, and those jobs would be lost."""

    def serve(environ, start_response) -> Iterator[bytes]:
        body = wsgi_app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    return serve


def init_app(app: Flask) -> None:
    """Install the after-request hook that drains in-process jobs (and make sure it runs)."""
    app.after_request(run_pending_jobs)
    if not uses_queue(app):
        app.wsgi_app = close_when_sent(app.wsgi_app)


PERIODIC_JOBS = (
    ("jobs.delivery.relay_pending", 30),
    ("jobs.email.relay_emails", 30),
    ("jobs.events.release_expired_reservations", 60),
)


def start_periodic_jobs(app: Flask) -> list[threading.Thread]:
    """Embedded mode (no Redis): run the scheduled jobs on daemon timer threads in this process.

    With REDIS_URL set, `python -m jobs.scheduler` queues them for the workers instead.
    """
    threads = []
    for name, interval in PERIODIC_JOBS:
        thread = threading.Thread(
            target=_every, args=(app, resolve(name), interval), name=name, daemon=True
        )
        thread.start()
        threads.append(thread)
    return threads


def _every(app: Flask, func: Callable[..., Any], interval: int) -> None:
    no_retries = len(app.config.get("JOB_RETRY_SECONDS", RETRY_INTERVALS))
    while True:
        time.sleep(interval)
        run_inline(app, func, (), attempt=no_retries)
