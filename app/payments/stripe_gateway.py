"""Stripe through its official SDK: hosted Checkout Sessions, refunds and signed webhooks.

Card data is typed on Stripe's page, never on ours. Every write carries our idempotency key, so a
retried request (by the SDK, or by us after a rollback) never charges or refunds twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import stripe

from app.database import utcnow
from app.money import Money
from app.payments.gateways import (
    CheckoutRequest,
    GatewayError,
    GatewayEvent,
    HostedSession,
    event_from_stripe,
    verified_event,
)
from app.payments.rules import stripe_expiry

log = logging.getLogger("marketplace.payments")

DEFAULT_API_BASE = "https://api.stripe.com"
PRODUCT_NAME_MAX = 250
METADATA_VALUE_MAX = 500


class StripeGateway:
    """The Gateway for Stripe (API keys sk_..., webhook secret whsec_...)."""

    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        timeout_seconds: float = 10.0,
        max_network_retries: int = 2,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base},
            http_client=stripe.RequestsClient(timeout=timeout_seconds),
            max_network_retries=max_network_retries,
        )
        self._webhook_secret = webhook_secret
        self._clock = clock

    def create_session(self, request: CheckoutRequest) -> HostedSession:
        """A hosted Checkout Session for the order total, tagged with the order's reference."""
        params: dict = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.amount.currency.lower(),
                        "unit_amount": request.amount.amount,
                        "product_data": {
                            "name": (request.description or request.reference)[:PRODUCT_NAME_MAX]
                        },
                    },
                }
            ],
            "client_reference_id": request.reference,
            "metadata": {"reference": request.reference},
            "payment_intent_data": {"metadata": {"reference": request.reference}},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        if request.expires_at is not None:
            params["expires_at"] = int(stripe_expiry(request.expires_at, self._clock()).timestamp())
        try:
            session = self._client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        except stripe.StripeError as error:
            raise _gateway_error("start the payment", error) from error
        if not session.url:
            raise GatewayError("Stripe did not return a payment page. Please try again.")
        return HostedSession(session_id=session.id, redirect_url=session.url)

    def refund(self, payment_id: str, amount: Money, idempotency_key: str, reason: str) -> str:
        """Refund part or all of a PaymentIntent; our reason rides along as metadata."""
        if not payment_id:
            raise GatewayError("This payment has no Stripe payment to refund.")
        try:
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": payment_id,
                    "amount": amount.amount,
                    "metadata": {"reason": reason[:METADATA_VALUE_MAX]},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise _gateway_error("refund the payment", error) from error
        return refund.id

    def expire_session(self, session_id: str) -> None:
        """Expire an open Checkout Session; Stripe refuses one that is no longer open (complete
        or expired already), which is what we wanted."""
        try:
            self._client.v1.checkout.sessions.expire(session_id)
        except stripe.InvalidRequestError as error:
            log.info("stripe session %s was not open to expire: %s", session_id, error.user_message)
        except stripe.StripeError as error:
            raise _gateway_error("close the payment page", error) from error

    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        """Verify the Stripe-Signature header with our endpoint secret and read the event."""
        return event_from_stripe(verified_event(payload, signature, self._webhook_secret))


def _gateway_error(action: str, error: stripe.StripeError) -> GatewayError:
    """A clear message for the shopper or admin; the details go to the log."""
    log.warning(
        "stripe could not %s: %s (status %s, request %s)",
        action,
        error.user_message or str(error),
        error.http_status,
        error.request_id,
    )
    if isinstance(error, stripe.APIConnectionError):
        return GatewayError(f"We could not reach Stripe to {action}. Please try again in a moment.")
    if isinstance(error, stripe.InvalidRequestError | stripe.CardError | stripe.IdempotencyError):
        return GatewayError(f"Stripe could not {action}: {error.user_message}")
    return GatewayError(f"Stripe could not {action} right now. Please try again later.")
