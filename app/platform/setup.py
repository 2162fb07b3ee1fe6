"""Install every platform concern on the app."""

from __future__ import annotations

from flask import Flask

from app.platform import errors, jobs, logs, outbox, security, templating


def init_app(app: Flask) -> None:
    """Logging, headers, errors, template helpers and in-process jobs."""
    logs.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    jobs.init_app(app)
    outbox.install()
