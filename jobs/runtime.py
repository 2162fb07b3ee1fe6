"""Give a job an app context: the caller's when there is one, else one app per worker process."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, has_app_context, url_for

from app import create_app

P = ParamSpec("P")
R = TypeVar("R")

_worker_app: dict[str, Flask] = {}


def worker_app() -> Flask:
    """The app of this worker process, created on first use and kept for every later job."""
    if "app" not in _worker_app:
        _worker_app["app"] = create_app()
    return _worker_app["app"]


@contextmanager
def app_context() -> Iterator[Flask]:
    """Reuse the current app context (in-process jobs) or push the worker app's (RQ worker)."""
    if has_app_context():
        yield current_app._get_current_object()
        return
    app = worker_app()
    with app.app_context():
        yield app


def with_app_context(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run the job inside `app_context()`."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with app_context():
            return func(*args, **kwargs)

    return run


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an email, built outside any request on SITE_URL."""
    app = current_app._get_current_object()
    with app.test_request_context(base_url=app.config["SITE_URL"]):
        return url_for(endpoint, _external=True, **values)
