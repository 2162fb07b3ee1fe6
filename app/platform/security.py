"""Security headers, including a Content-Security-Policy htmx works under (no eval, no inline)."""

from __future__ import annotations

from flask import Flask, Response

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
