"""Payments on the web: the built-in test gateway's hosted page and the gateways' webhooks."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from app.database import db
from app.extensions import csrf, limiter, redis_client
from app.payments import services
from app.payments.builtin_gateway import SessionExpired, SessionNotFound, TestGateway
from app.payments.forms import CardForm
from app.payments.gateways import Gateway, InvalidSignature, MalformedEvent
from app.payments.rules import TEST_CARDS

log = logging.getLogger("marketplace.payments")

bp = Blueprint("payments", __name__, url_prefix="/payments")

INVALID_SUBMISSION = 422
CARD_ATTEMPT_LIMIT = "20 per minute;100 per hour"
WEBHOOK_LIMIT = "6000 per minute"
UNAVAILABLE = {
    404: (
        "Payment page not found",
        "We could not find this payment page. Go back to the store and check out again.",
    ),
    410: (
        "This payment page has expired",
        "The time to pay for this order ran out. Go back to the store and check out again.",
    ),
}


@bp.after_request
def forbid_caching(response: Response) -> Response:
    """Payment pages and webhook answers are never stored by any cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def current_gateway() -> Gateway:
    """The app's configured gateway, built once per app."""
    gateway = current_app.extensions.get("payments_gateway")
    if gateway is None:
        gateway = services.gateway_from_config(current_app.config, redis_client(current_app))
        current_app.extensions["payments_gateway"] = gateway
    return gateway


def builtin_gateway() -> TestGateway:
    """The built-in test gateway; its pages do not exist when Stripe is configured."""
    gateway = current_gateway()
    if not isinstance(gateway, TestGateway):
        abort(404)
    return gateway


def unavailable(code: int, back_url: str | None = None):
    """The page for an unknown (404) or expired (410) payment session, with a way back."""
    title, message = UNAVAILABLE[code]
    page = render_template(
        "payments/unavailable.html", code=code, title=title, message=message, back_url=back_url
    )
    return page, code


@bp.route("/test/<session_id>", methods=["GET", "POST"])
@limiter.limit(CARD_ATTEMPT_LIMIT, methods=["POST"])
def test_checkout(session_id: str):
    """The test gateway's hosted page: pay with a test card, or cancel back to the store.

    Post/redirect/get: a paid attempt goes on to the store, a declined one back to this page,
    which shows why (so Back never offers to send the card form again).
    """
    gateway = builtin_gateway()
    form = CardForm()
    try:
        checkout = services.builtin_checkout(gateway, session_id)
        if checkout.paid and request.method == "GET":
            return redirect(checkout.success_url, 303)
        if form.validate_on_submit():
            attempt = services.pay_builtin_checkout(
                db.session, gateway, session_id, form.card_number.data
            )
            db.session.commit()
            if attempt.paid:
                return redirect(checkout.success_url, 303)
            return redirect(url_for("payments.test_checkout", session_id=session_id), 303)
    except SessionNotFound:
        return unavailable(404)
    except SessionExpired as expired:
        return unavailable(410, expired.session.cancel_url)
    page = render_template(
        "payments/test_gateway.html",
        checkout=checkout,
        form=form,
        declined=checkout.last_error,
        test_cards=TEST_CARDS,
    )
    return page, INVALID_SUBMISSION if form.is_submitted() else 200


@bp.post("/webhooks/stripe")
@csrf.exempt
@limiter.limit(WEBHOOK_LIMIT)
def stripe_webhook():
    """Stripe's signed events (set this URL as the endpoint in Stripe's dashboard)."""
    return receive_webhook("stripe")


@bp.post("/webhooks/test")
@csrf.exempt
@limiter.limit(WEBHOOK_LIMIT)
def test_webhook():
    """The built-in test gateway's signed events (Stripe's format and signature)."""
    return receive_webhook("test")


def receive_webhook(provider: str):
    """Verify and apply one webhook for the configured gateway: 400 when it is not genuine."""
    gateway = current_gateway()
    if gateway.name != provider:
        abort(404)
    try:
        outcome = services.handle_webhook(
            db.session,
            gateway,
            request.get_data(),
            request.headers.get("Stripe-Signature", ""),
        )
    except (InvalidSignature, MalformedEvent) as error:
        db.session.rollback()
        log.warning("%s webhook refused: %s", provider, error)
        return jsonify(error=str(error)), 400
    db.session.commit()
    return jsonify(received=True, outcome=outcome)
