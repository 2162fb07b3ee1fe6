"""Template globals and filters: money, fingerprinted static URLs, canonical URLs."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Flask, current_app, request, url_for

from app.money import Money

HTMX_CONFIG = json.dumps(
    {
        "allowEval": False,
        "allowScriptTags": False,
        "selfRequestsOnly": True,
        "includeIndicatorStyles": False,
        "historyCacheSize": 20,
    }
)


@cache
def _fingerprint(static_folder: str, filename: str) -> str:
    digest = hashlib.sha256((Path(static_folder) / filename).read_bytes()).hexdigest()
    return digest[:12]


def static_url(filename: str) -> str:
    """URL of a static file with a content hash, so it can be cached for a year."""
    version = _fingerprint(current_app.static_folder, filename)
    return url_for("static", filename=filename, v=version)


def format_money(value: Money | None) -> str:
    """Jinja filter: `{{ product.price|money }}`."""
    return "" if value is None else value.format()


def absolute_url(endpoint: str, **values) -> str:
    """An absolute URL on the configured SITE_URL (or the request's host)."""
    path = url_for(endpoint, **values)
    base = current_app.config["SITE_URL"] or request.host_url.rstrip("/")
    return base + path


def init_app(app: Flask) -> None:
    """Expose helpers to every template."""
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.globals.update(
        static_url=static_url,
        absolute_url=absolute_url,
        htmx_config=HTMX_CONFIG,
        site_name=app.config["SITE_NAME"],
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
