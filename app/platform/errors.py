"""Error pages in the site's style; htmx requests get a small fragment instead."""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime

from flask import Flask, Response, g, render_template
from flask_wtf.csrf import CSRFError
from htmx_flask import request
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError, TooManyRequests

from app.database import db
from app.extensions import limiter

DEFAULT_RETRY_SECONDS = 60
UNKNOWN_HOST = "This site is not served under that host name.\n"

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Forbidden", "You do not have access to this page."),
    404: ("Page not found", "We could not find that page. It may have moved or never existed."),
    405: ("Method not allowed", "That action is not available here."),
    413: ("Too large", "The upload is larger than we accept."),
    429: ("Too many requests", "You are going a little fast. Please wait a moment and try again."),
    500: ("Something went wrong", "We hit an unexpected error. It has been logged."),
}


def render_error(code: int, detail: str | None = None):
    """Render the error page (or its fragment for htmx) with the given status."""
    title, message = MESSAGES.get(code, ("Error", "Something went wrong."))
    template = "errors/_error.html" if request.htmx else "errors/error.html"
    return render_template(template, code=code, title=title, message=detail or message), code


def handle_http_error(error: HTTPException):
    """Any werkzeug HTTP error becomes our page."""
    if error.code is None or error.code < 400:
        return error
    return render_error(error.code)


def handle_unknown_host(error: SecurityError) -> Response:
    """A request for a host name not in TRUSTED_HOSTS: a plain 400. No page in the site's style,
    since building its links would need the very host that was refused."""
    return Response(UNKNOWN_HOST, 400, mimetype="text/plain")


def retry_after_seconds(error: TooManyRequests) -> int:
    """How long the client should wait: what the refusing code said, else when the limit that
    was broken resets."""
    when = error.retry_after
    if isinstance(when, datetime):
        return max(1, round(when.timestamp() - time.time()))
    if when is not None:
        return max(1, int(when))
    breached = limiter.current_limit
    if breached is None:
        return DEFAULT_RETRY_SECONDS
    return max(1, math.ceil(breached.window.reset_time - time.time()))


def handle_too_many_requests(error: TooManyRequests):
    """The 429 page, with `Retry-After` in seconds."""
    body, code = render_error(TooManyRequests.code)
    return body, code, {"Retry-After": str(retry_after_seconds(error))}


def handle_csrf_error(error: CSRFError):
    """A missing or stale CSRF token: a clear 400, never a silent failure."""
    return render_error(400, "Your form expired or was sent from elsewhere. Reload and try again.")


def handle_unexpected_error(error: InternalServerError):
    """An unhandled exception: roll back, drop queued jobs, log it, and show the 500 page."""
    db.session.rollback()
    g.pop("pending_jobs", None)
    original = error.original_exception or error
    logging.getLogger("marketplace").error(
        "unhandled error", exc_info=(type(original), original, original.__traceback__)
    )
    return render_error(InternalServerError.code)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(SecurityError, handle_unknown_host)
    app.register_error_handler(TooManyRequests, handle_too_many_requests)
    app.register_error_handler(InternalServerError, handle_unexpected_error)
    app.register_error_handler(HTTPException, handle_http_error)
