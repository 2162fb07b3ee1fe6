"""The built-in test gateway: a local hosted payment page that behaves like Stripe Checkout.

Sessions live in Redis. Paying on the page produces a Stripe-shaped event, signed exactly like a
Stripe webhook with this install's secret, and the payment is confirmed by feeding that event to the
same webhook handler Stripe's events go through. Only the test cards in `rules.TEST_CARDS` work.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
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
from app.payments.rules import TEST_CARDS_BY_NUMBER, TestCard

log = logging.getLogger("marketplace.payments")

PREFIX = "payments:test"
DEFAULT_LIFETIME = timedelta(hours=24)
# An unpaid session is kept a day past its expiry (to tell "expired" from "unknown"); a paid one
# long enough to be refunded.
UNPAID_RETENTION = timedelta(days=1)
PAID_RETENTION = timedelta(days=180)
SESSION_ID_PATTERN = re.compile(r"^tcs_[A-Za-z0-9_-]{16,64}$")


class SessionNotFound(LookupError):
    """No test payment session has this id."""


class SessionExpired(Exception):
    """The session's deadline passed before it was paid."""

    def __init__(self, session: TestSession) -> None:
        super().__init__(session.session_id)
        self.session = session


@dataclass(frozen=True)
class TestSession:
    """One hosted payment page, as the shopper sees it."""

    __test__ = False

    session_id: str
    payment_id: str
    reference: str
    amount: Money
    description: str
    customer_email: str
    success_url: str
    cancel_url: str
    expires_at: datetime
    paid: bool
    last_error: str = ""


@dataclass(frozen=True)
class CardAttempt:
    """The result of paying on the page, and the signed webhook that reports it."""

    paid: bool
    message: str
    payload: bytes
    signature: str


class TestGateway:
    """The Gateway used when no Stripe key is configured (development, tests, demos)."""

    __test__ = False
    name = "test"

    def __init__(
        self,
        redis_connection: redis.Redis,
        webhook_secret: str,
        page_url: Callable[[str], str],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._redis = redis_connection
        self._webhook_secret = webhook_secret
        self._page_url = page_url
        self._clock = clock

    def create_session(self, request: CheckoutRequest) -> HostedSession:
        """Keep the session in Redis; the same idempotency key always gives the same session."""
        idempotency_key = f"{PREFIX}:idempotency:{request.idempotency_key}"
        existing = self._redis.get(idempotency_key)
        if existing is not None:
            return self._hosted(existing.decode())
        token = secrets.token_urlsafe(18)
        session_id = f"tcs_{token}"
        now = self._clock()
        expires_at = request.expires_at or now + DEFAULT_LIFETIME
        record = {
            "payment_id": f"tpi_{token}",
            "reference": request.reference,
            "amount": request.amount.amount,
            "currency": request.amount.currency,
            "description": request.description,
            "customer_email": request.customer_email,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": expires_at.isoformat(),
        }
        keep = max(expires_at - now, timedelta(0)) + UNPAID_RETENTION
        self._redis.set(_session_key(session_id), json.dumps(record), ex=keep)
        if not self._redis.set(idempotency_key, session_id, ex=keep, nx=True):
            self._redis.delete(_session_key(session_id))
            return self._hosted(self._redis.get(idempotency_key).decode())
        return self._hosted(session_id)

    def session(self, session_id: str) -> TestSession:
        """The session behind a page; SessionNotFound, or SessionExpired when unpaid and late."""
        record = self._record(session_id)
        if record is None:
            raise SessionNotFound(session_id)
        session = TestSession(
            session_id=session_id,
            payment_id=record["payment_id"],
            reference=record["reference"],
            amount=Money(record["amount"], record["currency"]),
            description=record["description"],
            customer_email=record["customer_email"],
            success_url=record["success_url"],
            cancel_url=record["cancel_url"],
            expires_at=datetime.fromisoformat(record["expires_at"]),
            paid=bool(self._redis.exists(_paid_key(session_id))),
            last_error=(self._redis.get(_declined_key(session_id)) or b"").decode(),
        )
        if not session.paid and self._clock() >= session.expires_at:
            raise SessionExpired(session)
        return session

    def attempt_payment(self, session_id: str, card_number: str) -> CardAttempt:
        """Pay with a test card. A decline leaves the session open and its message on the page
        (as Stripe keeps the PaymentIntent's last error); a paid session answers with its original
        (re-signed) event, as Stripe retries a webhook: delivering it again is harmless."""
        session = self.session(session_id)
        card = TEST_CARDS_BY_NUMBER[card_number]
        if not session.paid and card.decline_message:
            keep = max(session.expires_at - self._clock(), timedelta(0)) + UNPAID_RETENTION
            self._redis.set(_declined_key(session_id), card.decline_message, ex=keep)
            payload = self._event("payment_intent.payment_failed", _declined(session, card))
            return CardAttempt(False, card.decline_message, payload, self.signature(payload))
        if not session.paid:
            payload = self._event("checkout.session.completed", _completed(session))
            if self._redis.set(_paid_key(session_id), payload, ex=PAID_RETENTION, nx=True):
                self._redis.expire(_session_key(session_id), PAID_RETENTION)
        payload = self._redis.get(_paid_key(session_id))
        return CardAttempt(True, "", payload, self.signature(payload))

    def expire_session(self, session_id: str) -> None:
        """Move an unpaid session's deadline to now: its page says it has expired."""
        record = self._record(session_id)
        if record is None or self._redis.exists(_paid_key(session_id)):
            return
        now = self._clock()
        if datetime.fromisoformat(record["expires_at"]) <= now:
            return
        record["expires_at"] = now.isoformat()
        self._redis.set(_session_key(session_id), json.dumps(record), ex=UNPAID_RETENTION)

    def refund(self, payment_id: str, amount: Money, idempotency_key: str, reason: str) -> str:
        """Record a refund in Redis (capped at what was paid); the same key gives the same id."""
        refund_key = f"{PREFIX}:refund:{idempotency_key}"
        existing = self._redis.get(refund_key)
        if existing is not None:
            return json.loads(existing)["id"]
        session_id = "tcs_" + payment_id.removeprefix("tpi_")
        record = self._record(session_id) if payment_id.startswith("tpi_") else None
        if record is None or not self._redis.exists(_paid_key(session_id)):
            raise GatewayError("The test gateway has no captured payment to refund.")
        if amount.currency != record["currency"] or amount.amount <= 0:
            raise GatewayError("A refund must be a positive amount in the payment's currency.")
        refund = {"id": f"tgr_{secrets.token_urlsafe(12)}", "payment_id": payment_id}
        refund |= {"amount": amount.amount, "currency": amount.currency, "reason": reason}
        if not self._redis.set(refund_key, json.dumps(refund), ex=PAID_RETENTION, nx=True):
            return json.loads(self._redis.get(refund_key))["id"]
        refunded_key = f"{PREFIX}:refunded:{session_id}"
        if self._redis.incrby(refunded_key, amount.amount) > record["amount"]:
            self._redis.decrby(refunded_key, amount.amount)
            self._redis.delete(refund_key)
            raise GatewayError("The refund is more than what remains of the payment.")
        self._redis.expire(refunded_key, PAID_RETENTION)
        log.info("test gateway refunded %s on %s (%s)", amount, payment_id, reason)
        return refund["id"]

    def parse_webhook(self, payload: bytes, signature: str) -> GatewayEvent:
        """Verify a webhook signed with this install's test secret and read the event."""
        return event_from_stripe(verified_event(payload, signature, self._webhook_secret))

    def signature(self, payload: bytes) -> str:
        """A Stripe-Signature header for the payload (t=..., v1=HMAC-SHA256), as Stripe signs."""
        return stripe.WebhookSignature.generate_signature_header(
            payload.decode(), self._webhook_secret, timestamp=int(self._clock().timestamp())
        )

    def _hosted(self, session_id: str) -> HostedSession:
        return HostedSession(session_id=session_id, redirect_url=self._page_url(session_id))

    def _record(self, session_id: str) -> dict | None:
        if not SESSION_ID_PATTERN.match(session_id):
            return None
        raw = self._redis.get(_session_key(session_id))
        return None if raw is None else json.loads(raw)

    def _event(self, event_type: str, payment_object: dict) -> bytes:
        event = {
            "id": f"evt_test_{secrets.token_hex(12)}",
            "object": "event",
            "type": event_type,
            "created": int(self._clock().timestamp()),
            "livemode": False,
            "data": {"object": payment_object},
        }
        return json.dumps(event, separators=(",", ":")).encode()


def _session_key(session_id: str) -> str:
    return f"{PREFIX}:session:{session_id}"


def _paid_key(session_id: str) -> str:
    return f"{PREFIX}:paid:{session_id}"


def _declined_key(session_id: str) -> str:
    return f"{PREFIX}:declined:{session_id}"


def _completed(session: TestSession) -> dict:
    """A Checkout Session object as Stripe sends it with checkout.session.completed."""
    return {
        "id": session.session_id,
        "object": "checkout.session",
        "payment_intent": session.payment_id,
        "client_reference_id": session.reference,
        "metadata": {"reference": session.reference},
        "amount_total": session.amount.amount,
        "currency": session.amount.currency.lower(),
        "customer_email": session.customer_email,
        "payment_status": "paid",
        "status": "complete",
    }


def _declined(session: TestSession, card: TestCard) -> dict:
    """A PaymentIntent object as Stripe sends it with payment_intent.payment_failed."""
    return {
        "id": session.payment_id,
        "object": "payment_intent",
        "amount": session.amount.amount,
        "currency": session.amount.currency.lower(),
        "metadata": {"reference": session.reference},
        "status": "requires_payment_method",
        "last_payment_error": {
            "type": "card_error",
            "code": "card_declined",
            "message": card.decline_message,
        },
    }
