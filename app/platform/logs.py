"""Structured (JSON) logs that carry the request id."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the current request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = g.get("request_id")
        for key in ("method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def assign_request_id() -> None:
    """Take a sane incoming X-Request-ID or make one."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    valid = 0 < len(incoming) <= 64 and incoming.replace("-", "").isalnum()
    g.request_id = incoming if valid else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def log_request(response: Response) -> Response:
    """Echo the request id and log one access line."""
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    started = g.get("request_started")
    if started is not None:
        logging.getLogger("marketplace.access").info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
    return response


def init_app(app: Flask) -> None:
    """Send JSON logs to stderr and tag each request."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("marketplace", app.logger.name):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
        logger.propagate = False
    if not app.config.get("ACCESS_LOG", True):
        logging.getLogger("marketplace.access").setLevel(logging.WARNING)
    app.before_request(assign_request_id)
    app.after_request(log_request)
