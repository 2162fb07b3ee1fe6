"""Security headers, including a Content-Security-Policy htmx works under (no eval, no inline)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request

from app.extensions import csrf

STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


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


def init_app(app: Flask) -> None:
    """Install the header hooks; with Stripe, "Place order" may redirect to its hosted page."""
    targets = (STRIPE_CHECKOUT_ORIGIN,) if app.config.get("STRIPE_SECRET_KEY") else ()
    policy = content_security_policy(targets)
    app.after_request(lambda response: add_security_headers(response, policy))
    if app.config["PRODUCTION"]:
        app.after_request(add_hsts)


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
