"""Template globals and filters: money, fingerprinted static URLs, canonical URLs."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, url_for

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

    def build() -> str:
        version = _fingerprint(current_app.static_folder, filename)
        return url_for("static", filename=filename, v=version)

    return built_once(("static", filename), build)


def link(endpoint: str) -> str:
    """`url_for(endpoint)` for a page that takes no arguments (home, search, register...)."""
    return built_once(("link", endpoint), lambda: url_for(endpoint))


def built_once(key: tuple[str, str], build: Callable[[], str]) -> str:
    """A URL built once per script root: every page links the same few (and listings fill
    dozens into the same route)."""
    script_root = request.script_root if has_request_context() else None
    known = current_app.extensions.setdefault("built_urls", {})
    url = known.get((script_root, *key))
    if url is None:
        url = known[(script_root, *key)] = build()
    return url


SLUG = re.compile(r"[a-z0-9-]+")


def slug_url(endpoint: str, slug: str) -> str:
    """`url_for(endpoint, slug=slug)`, for pages that link dozens of slugs (see `slug_urls`)."""
    return slug_urls(endpoint)(slug)


def slug_urls(endpoint: str) -> Callable[[str], str]:
    """`url_of(slug)` for `endpoint`: its route is built once (per script root) with a placeholder
    and each slug filled in; a value that is not a plain slug goes through `url_for` (and its
    escaping)."""
    pattern = built_once(("slug", endpoint), lambda: url_for(endpoint, slug="~slug~"))

    def url_of(slug: str) -> str:
        if SLUG.fullmatch(slug):
            return pattern.replace("~slug~", slug)
        return url_for(endpoint, slug=slug)

    return url_of


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
        link=link,
        absolute_url=absolute_url,
        htmx_config=HTMX_CONFIG,
        site_name=app.config["SITE_NAME"],
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
