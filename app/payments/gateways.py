"""The payment gateway interface: what checkout asks of a provider and what a provider tells us.

Both gateways (Stripe and the built-in test gateway) speak Stripe's webhook format, so one function
turns a verified Stripe-shaped event into a `GatewayEvent`. As on Stripe Checkout, a declined card
is one attempt (DECLINED): the payment page stays open for another card. Only the session's end
(expired, or an asynchronous payment that failed) fails a payment (FAILED).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import stripe

from app.money import Money

SIGNATURE_TOLERANCE_SECONDS = 300
PAYMENT_FAILED_MESSAGE = "The payment did not go through."
SESSION_EXPIRED_MESSAGE = "The payment session expired."


class EventKind(enum.StrEnum):
    """What a gateway event means for a payment."""

    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    FAILED = "failed"
    REFUNDED = "refunded"
    IGNORED = "ignored"


@dataclass(frozen=True)
class CheckoutRequest:
    """Everything a hosted payment page needs to charge one order."""

    reference: str
    amount: Money
    description: str
    customer_email: str
    success_url: str
    cancel_url: str
    idempotency_key: str
    expires_at: datetime | None


@dataclass(frozen=True)
class HostedSession:
    """The provider's payment session and the page the shopper is sent to."""

    session_id: str
    redirect_url: str


@dataclass(frozen=True)
class GatewayEvent:
    """A verified webhook event, reduced to what a payment needs."""

    event_id: str
    kind: str
    session_id: str
    payment_id: str
    reference: str
    amount: int
    currency: str
    message: str
    event_type: str = ""


class InvalidSignature(Exception):
    """The webhook's signature is missing, forged or too old: it is not from the gateway."""


class MalformedEvent(Exception):
    """The webhook body is not an event we can read (bad JSON, missing fields)."""


class GatewayError(Exception):
    """The gateway could not be reached or rejected a call; the message is fit to show."""


class Gateway(Protocol):
    """A payment provider with a hosted payment page, refunds and signed webhooks."""

    name: str

    def create_session(self, request: CheckoutRequest) -> HostedSession:
        """Open a hosted payment page for the request (idempotent by its key)."""
        ...

    def refund(self, payment_id: str, amount: Money, idempotency_key: str, reason: str) -> str:
        """Give money back on a captured payment; returns the provider's refund id."""
        ...

    def expire_session(self, session_id: str) -> None:
        """Close a hosted page so it can no longer be paid; nothing when it is closed already
        (paid, or expired: its webhook says which)."""
        ...

    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        """Verify a webhook's signature and read its event."""
        ...


def verified_event(payload: bytes, signature: str, secret: str) -> dict[str, Any]:
    """Check a Stripe-Signature header (HMAC-SHA256, 5 minutes' tolerance); the event as data."""
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as error:
        raise InvalidSignature(str(error)) from error
    except (ValueError, AttributeError) as error:
        raise MalformedEvent("The webhook body is not a JSON event.") from error
    return event.to_dict()


def event_from_stripe(event: Mapping[str, Any]) -> GatewayEvent:
    """Map a Stripe-shaped event onto a `GatewayEvent`; unknown types become IGNORED."""
    event_id = event.get("id")
    event_type = event.get("type")
    data = event.get("data")
    payment_object = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise MalformedEvent("The event has no id or type.")
    if not isinstance(payment_object, Mapping):
        raise MalformedEvent("The event has no data object.")
    kind, message = _classify(event_type, payment_object)
    if kind == EventKind.IGNORED:
        return GatewayEvent(event_id, kind, "", "", "", 0, "", "", event_type)
    if event_type.startswith("checkout.session."):
        session_id = _text(payment_object, "id")
        payment_id = _object_id(payment_object.get("payment_intent"))
        amount = _amount(payment_object, "amount_total")
    elif event_type.startswith("payment_intent."):
        session_id, payment_id = "", _text(payment_object, "id")
        amount = _amount(payment_object, "amount")
    else:
        session_id = ""
        payment_id = _object_id(payment_object.get("payment_intent"))
        amount = _amount(payment_object, "amount_refunded")
    metadata = payment_object.get("metadata")
    reference = _text(payment_object, "client_reference_id") or (
        _text(metadata, "reference") if isinstance(metadata, Mapping) else ""
    )
    return GatewayEvent(
        event_id=event_id,
        kind=kind,
        session_id=session_id,
        payment_id=payment_id,
        reference=reference,
        amount=amount,
        currency=_text(payment_object, "currency").upper(),
        message=message,
        event_type=event_type,
    )


def _classify(event_type: str, payment_object: Mapping[str, Any]) -> tuple[EventKind, str]:
    if event_type == "checkout.session.completed":
        paid = payment_object.get("payment_status") == "paid"
        return (EventKind.SUCCEEDED if paid else EventKind.IGNORED), ""
    if event_type == "checkout.session.async_payment_succeeded":
        return EventKind.SUCCEEDED, ""
    if event_type == "checkout.session.async_payment_failed":
        return EventKind.FAILED, PAYMENT_FAILED_MESSAGE
    if event_type == "checkout.session.expired":
        return EventKind.FAILED, SESSION_EXPIRED_MESSAGE
    if event_type == "payment_intent.payment_failed":
        error = payment_object.get("last_payment_error")
        message = _text(error, "message") if isinstance(error, Mapping) else ""
        return EventKind.DECLINED, message or PAYMENT_FAILED_MESSAGE
    if event_type == "charge.refunded":
        return EventKind.REFUNDED, ""
    return EventKind.IGNORED, ""


def _text(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedEvent(f"The event's {key} is not text.")
    return value


def _object_id(value: Any) -> str:
    """An id field that Stripe sends as a string, or as the object itself when expanded."""
    if isinstance(value, Mapping):
        return _text(value, "id")
    if value is None or isinstance(value, str):
        return value or ""
    raise MalformedEvent("The event names its payment in an unknown form.")


def _amount(values: Mapping[str, Any], key: str) -> int:
    value = values.get(key)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedEvent(f"The event's {key} is not a whole number.")
    return value
