"""Template globals and filters: money, static files under hashed names, canonical URLs."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, current_app, has_request_context, request, url_for

from app.money import Money

HTMX_CONFIG = json.dumps(
    {
        "allowEval": False,
        "allowScriptTags": False,
        "selfRequestsOnly": True,
        "includeIndicatorStyles": False,
        "historyCacheSize": 20,
        # New content gets its htmx behaviour in the same task as the swap: with the default 20 ms
        # settle delay a shopper's change made just after a swap (sort right after a facet) was
        # lost, the swapped-in form not listening yet.
        "defaultSettleDelay": 0,
    }
)


YEAR_SECONDS = 365 * 24 * 3600
HASH_LENGTH = 12


@dataclass(frozen=True)
class StaticManifest:
    """Every static file's hashed name (`css/site.css` -> `css/site.0123456789ab.css`) and back.

    Built once at startup from the files' contents: an edited file gets a new name, so a hashed
    name can be cached for a year; the plain names keep working (revalidated on every use).
    """

    hashed: dict[str, str]
    originals: dict[str, str]

    @classmethod
    def of(cls, folder: Path) -> StaticManifest:
        """The manifest of every file under `folder`."""
        hashed = {}
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                hashed[name] = hashed_name(name, path.read_bytes())
        return cls(hashed, {value: key for key, value in hashed.items()})


def hashed_name(name: str, content: bytes) -> str:
    """`name` with the first HASH_LENGTH hex digits of its content's SHA-256 before the suffix."""
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    stem, dot, suffix = name.rpartition(".")
    if not dot or "/" in suffix:
        return f"{name}.{digest}"
    return f"{stem}.{digest}.{suffix}"


def manifest() -> StaticManifest:
    """The running app's static manifest."""
    return current_app.extensions["static_manifest"]


def hash_static_filename(endpoint: str, values: dict) -> None:
    """URL defaults hook: `url_for("static", filename=...)` builds the file's hashed name."""
    if endpoint == "static" and "filename" in values:
        values["filename"] = manifest().hashed.get(values["filename"], values["filename"])


def serve_static(filename: str) -> Response:
    """A static file: by its hashed name cached for a year as immutable, by its plain name
    revalidated on every use."""
    original = manifest().originals.get(filename)
    response = current_app.send_static_file(original or filename)
    if original is None:
        response.cache_control.no_cache = True
        response.cache_control.max_age = None
        response.headers.pop("Expires", None)
    else:
        response.cache_control.public = True
        response.cache_control.max_age = YEAR_SECONDS
        response.cache_control.immutable = True
    return response


def static_url(filename: str) -> str:
    """URL of a static file under its hashed name (built once per script root)."""
    return built_once(("static", filename), lambda: url_for("static", filename=filename))


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
    """An absolute URL on the configured SITE_URL, never on the request's `Host` header."""
    return current_app.config["SITE_URL"] + url_for(endpoint, **values)


def init_app(app: Flask) -> None:
    """Expose helpers to every template; serve static files under hashed names."""
    app.extensions["static_manifest"] = StaticManifest.of(Path(app.static_folder))
    app.url_defaults(hash_static_filename)
    app.view_functions["static"] = serve_static
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
