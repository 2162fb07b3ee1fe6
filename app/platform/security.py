"""Security headers, including a Content-Security-Policy htmx works under (no eval, no inline)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.extensions import csrf

STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
SERVER_HEADER = "marketplace"
LARGEST_ID = 2**31 - 1
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def content_security_policy(form_targets: tuple[str, ...] = ()) -> str:
    """The policy; `form_targets` are other origins a form may post (and so redirect) to."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            " ".join(["form-action 'self'", *form_targets]),
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()


def add_security_headers(response: Response, policy: str = CONTENT_SECURITY_POLICY) -> Response:
    """Set CSP and the other hardening headers on every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def keep_private(response: Response) -> Response:
    """For personal pages whose URLs may carry tokens or keys: never cached, never indexed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def add_hsts(response: Response) -> Response:
    """Strict-Transport-Security, only sent in production (behind TLS)."""
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def name_no_software(response: Response) -> Response:
    """A `Server` header that names no software or version (see the README on gunicorn's own)."""
    response.headers["Server"] = SERVER_HEADER
    return response


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that matches only ids a PostgreSQL integer column holds: a larger number in a
    URL is a 404, never an "integer out of range" error from the database."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=LARGEST_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def bound_url_integers(app: Flask) -> None:
    """Install the bounded `int` converter; call it before any route is registered."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def has_nul(values) -> bool:
    """Whether any of the strings holds a NUL character (no database column can store one)."""
    return any("\x00" in value for value in values)


def refuse_unusable_values() -> None:
    """A 400 for a NUL byte anywhere in the path, the query string or a form value; a 413 for a
    form value over MAX_FORM_MEMORY_SIZE bytes in any encoding (werkzeug checks multipart
    fields only), so no page ever echoes a huge value back."""
    form_values = list(request.form.values()) if request.mimetype in FORM_TYPES else []
    if has_nul([request.path]) or has_nul(request.args.values()) or has_nul(form_values):
        abort(400, description="The request contains a character we cannot accept.")
    largest = request.max_form_memory_size
    if largest is not None and any(len(value) > largest for value in form_values):
        abort(413)


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client address (and scheme) from the
    X-Forwarded-For (and -Proto) entry the nearest trusted proxy added; with 0 they are ignored."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def init_app(app: Flask) -> None:
    """Install the header hooks; with Stripe, "Place order" may redirect to its hosted page."""
    targets = (STRIPE_CHECKOUT_ORIGIN,) if app.config.get("STRIPE_SECRET_KEY") else ()
    policy = content_security_policy(targets)
    app.after_request(lambda response: add_security_headers(response, policy))
    app.after_request(name_no_software)
    if app.config["PRODUCTION"]:
        app.after_request(add_hsts)
    app.before_request(refuse_unusable_values)
    trust_proxies(app)


def same_origin(origin: str | None, referer: str | None, host_url: str) -> bool:
    """Whether a state-changing request comes from our own pages (OWASP's origin check).

    Browsers send `Origin` on every cross-site POST (as "null" from opaque origins), so a
    cross-site form post always names another origin here. A request with neither header did not
    come from another site's page in a modern browser, so it is allowed.
    """
    own = urlsplit(host_url)
    claimed = origin if origin is not None else referer
    if claimed is None:
        return True
    parts = urlsplit(claimed)
    return (parts.scheme, parts.netloc) == (own.scheme, own.netloc)


def origin_checked(view: Callable) -> Callable:
    """CSRF protection without a token: for forms on cacheable pages (no session needed).

    The view is exempt from the token check and answers 403 to a post from another site.
    """

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if not same_origin(
            request.headers.get("Origin"), request.headers.get("Referer"), request.host_url
        ):
            abort(403, description="This form can only be sent from our own pages.")
        return view(*args, **kwargs)

    return csrf.exempt(checked)
