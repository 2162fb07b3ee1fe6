"""Payment services: start a payment, apply gateway webhooks, refund; the caller commits.

Orders are known only by id and reference (the order number). A Payment moves past PENDING only on a
verified webhook; every move records a domain event (PaymentProcessed, PaymentFailed,
PaymentRefunded) in the caller's transaction. A declined card is not such a move: the payment page
stays open, the payment stays PENDING with the decline's message, and the shopper tries again.
Gateway calls happen after the row carrying their idempotency key is flushed, so a retry after a
rollback reuses the key and never charges twice.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from redis import Redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import ConfigurationError
from app.extensions import connect_redis
from app.money import Money
from app.payments.builtin_gateway import CardAttempt, TestGateway, TestSession
from app.payments.gateways import CheckoutRequest, EventKind, Gateway, GatewayEvent
from app.payments.models import Payment, PaymentStatus, Refund, WebhookEvent
from app.payments.rules import derived_webhook_secret
from app.payments.stripe_gateway import DEFAULT_API_BASE, StripeGateway
from app.platform.outbox import record_event
from app.platform.templating import absolute_url

log = logging.getLogger("marketplace.payments")

FAILURE_MESSAGE_MAX = 300
REASON_MAX = 120
EVENT_TYPE_MAX = 80
AMOUNT_MISMATCH_MESSAGE = "The amount paid does not match the order total."
ORDER_CLOSED_MESSAGE = "The order was closed before it was paid."
REFUNDABLE = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


class WebhookOutcome(enum.StrEnum):
    """What handling one webhook did."""

    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    FAILED = "failed"
    REJECTED = "rejected"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    REFUND_NOTED = "refund_noted"
    IGNORED = "ignored"
    UNKNOWN_PAYMENT = "unknown_payment"


def gateway_from_config(config: Mapping, redis: Redis | None = None) -> Gateway:
    """StripeGateway when STRIPE_SECRET_KEY is set, else the built-in TestGateway (the default).

    Refuses a production app without Stripe (the test gateway takes test cards as payment) unless
    TEST_GATEWAY_IN_PRODUCTION says that is intended, and Stripe without a webhook secret.
    """
    if config.get("STRIPE_SECRET_KEY"):
        if not config.get("STRIPE_WEBHOOK_SECRET"):
            raise ConfigurationError(
                "STRIPE_WEBHOOK_SECRET must be set with STRIPE_SECRET_KEY: "
                "payments are confirmed by Stripe's signed webhooks."
            )
        return StripeGateway(
            config["STRIPE_SECRET_KEY"],
            config["STRIPE_WEBHOOK_SECRET"],
            api_base=config.get("STRIPE_API_BASE") or DEFAULT_API_BASE,
            timeout_seconds=float(config.get("STRIPE_TIMEOUT_SECONDS", 10)),
        )
    if config.get("PRODUCTION") and not config.get("TEST_GATEWAY_IN_PRODUCTION"):
        raise ConfigurationError(
            "Set STRIPE_SECRET_KEY in production: the built-in test gateway accepts test cards "
            "(set TEST_GATEWAY_IN_PRODUCTION=1 for a demo site where that is intended)."
        )
    secret = config.get("TEST_GATEWAY_WEBHOOK_SECRET") or derived_webhook_secret(
        config["SECRET_KEY"]
    )
    return TestGateway(
        redis or connect_redis(config.get("REDIS_URL", "")),
        secret,
        page_url=builtin_page_url,
    )


def builtin_page_url(session_id: str) -> str:
    """The absolute URL of the built-in test gateway's payment page for a session."""
    return absolute_url("payments.test_checkout", session_id=session_id)


def start_payment(
    session: Session,
    gateway: Gateway,
    *,
    order_id: int,
    reference: str,
    amount: Money,
    email: str,
    description: str,
    success_url: str,
    cancel_url: str,
    expires_at: datetime | None,
) -> Payment:
    """The order's Payment with its hosted page (redirect_url), created on the first call.

    Idempotent: later calls for the same order return the same Payment, whatever its status (the
    caller looks at it), and never open a second charge. Raises GatewayError when the gateway
    cannot open the page; the caller then rolls back, and a retry reuses the idempotency key.
    """
    idempotency_key = f"pay-{reference}"
    existing = _payment_by_key(session, idempotency_key)
    if existing is not None:
        return existing
    payment = Payment(
        order_id=order_id,
        reference=reference,
        provider=gateway.name,
        idempotency_key=idempotency_key,
        amount=amount.amount,
        currency=amount.currency.upper(),
        status=PaymentStatus.PENDING,
    )
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError:
        return _payment_by_key(session, idempotency_key)
    hosted = gateway.create_session(
        CheckoutRequest(
            reference=reference,
            amount=amount,
            description=description,
            customer_email=email,
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=idempotency_key,
            expires_at=expires_at,
        )
    )
    payment.provider_session_id = hosted.session_id
    payment.redirect_url = hosted.redirect_url
    session.flush()
    return payment


def handle_webhook(session: Session, gateway: Gateway, payload: bytes, signature: str) -> str:
    """Verify a gateway webhook and apply it to its Payment once; returns a WebhookOutcome.

    Raises InvalidSignature or MalformedEvent (the view answers 400). A replayed event id is
    "duplicate" and changes nothing; a decline only notes its message on the pending payment; a
    failure or decline after success (out of order) changes nothing; a success for another amount
    or currency is not taken as payment (PaymentFailed instead).
    """
    event = gateway.parse_webhook(payload, signature)
    if event.kind == EventKind.IGNORED:
        return WebhookOutcome.IGNORED
    payment = _payment_for_event(session, gateway.name, event)
    if payment is None:
        log.warning(
            "%s webhook %s (%s) names no known payment (reference %r)",
            gateway.name,
            event.event_id,
            event.event_type,
            event.reference,
        )
        return WebhookOutcome.UNKNOWN_PAYMENT
    if not _first_delivery(session, gateway.name, event):
        return WebhookOutcome.DUPLICATE
    if event.kind == EventKind.SUCCEEDED:
        return _apply_success(session, payment, event)
    if event.kind == EventKind.DECLINED:
        return _note_decline(session, payment, event.message)
    if event.kind == EventKind.FAILED:
        if payment.status != PaymentStatus.PENDING:
            return WebhookOutcome.UNCHANGED
        _fail(session, payment, event.message)
        return WebhookOutcome.FAILED
    log.info(
        "%s reports %s refunded on payment %s (refunds are recorded when we make them)",
        gateway.name,
        Money(event.amount, payment.currency),
        payment.id,
    )
    return WebhookOutcome.REFUND_NOTED


def refund_payment(
    session: Session,
    gateway: Gateway,
    *,
    order_id: int,
    amount: int,
    reason: str,
    idempotency_key: str,
) -> Refund | None:
    """Give `amount` (minor units, capped at what remains) back on the order's payment.

    None when the order has no succeeded payment or nothing of it is left to refund. Idempotent by
    key: a second call returns the first Refund without calling the gateway again. Raises
    GatewayError when the gateway refuses; the caller rolls back.
    """
    if amount <= 0:
        raise ValueError("A refund must be a positive amount.")
    payment = session.scalar(
        sa.select(Payment)
        .where(Payment.order_id == order_id, Payment.status.in_(REFUNDABLE))
        .order_by(Payment.id.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment is None:
        return None
    existing = session.scalar(sa.select(Refund).where(Refund.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    refundable = min(amount, payment.amount - payment.refunded_amount)
    if refundable <= 0:
        return None
    refund = Refund(
        payment_id=payment.id,
        idempotency_key=idempotency_key,
        amount=refundable,
        reason=reason[:REASON_MAX],
        status="pending",
    )
    session.add(refund)
    session.flush()
    refund.provider_refund_id = gateway.refund(
        payment.provider_payment_id,
        Money(refundable, payment.currency),
        idempotency_key,
        reason,
    )
    refund.status = "succeeded"
    payment.refunded_amount += refundable
    payment.status = (
        PaymentStatus.REFUNDED
        if payment.refunded_amount >= payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    record_event(
        session,
        "PaymentRefunded",
        {
            "order_id": payment.order_id,
            "reference": payment.reference,
            "payment_id": payment.id,
            "amount": refundable,
            "currency": payment.currency,
            "refund_id": refund.id,
        },
    )
    session.flush()
    return refund


def close_payment(session: Session, gateway: Gateway, order_id: int) -> bool:
    """The order closed unpaid (cancelled, or its hold ran out): close its payment page too, so
    no money comes for it later. False when there was no open payment.

    The payment fails (PaymentFailed, which changes nothing on the closed order). A payment made
    in the moment before still arrives by its webhook: a success after a failure counts.
    """
    payment = session.scalar(
        sa.select(Payment)
        .where(Payment.order_id == order_id, Payment.status == PaymentStatus.PENDING)
        .order_by(Payment.id.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment is None:
        return False
    if payment.provider_session_id:
        gateway.expire_session(payment.provider_session_id)
    _fail(session, payment, ORDER_CLOSED_MESSAGE)
    return True


def payment_for_order(session: Session, order_id: int) -> Payment | None:
    """The order's latest payment, or None when none was started."""
    return session.scalar(
        sa.select(Payment).where(Payment.order_id == order_id).order_by(Payment.id.desc()).limit(1)
    )


def builtin_checkout(gateway: TestGateway, session_id: str) -> TestSession:
    """The built-in gateway's payment page; SessionNotFound or SessionExpired when there is none."""
    return gateway.session(session_id)


def pay_builtin_checkout(
    session: Session, gateway: TestGateway, session_id: str, card_number: str
) -> CardAttempt:
    """Pay on the built-in gateway's page with a test card, confirmed through its signed webhook."""
    attempt = gateway.attempt_payment(session_id, card_number)
    handle_webhook(session, gateway, attempt.payload, attempt.signature)
    return attempt


def _payment_by_key(session: Session, idempotency_key: str) -> Payment | None:
    return session.scalar(sa.select(Payment).where(Payment.idempotency_key == idempotency_key))


def _payment_for_event(session: Session, provider: str, event: GatewayEvent) -> Payment | None:
    """The payment an event is about (locked): by session id, else payment id, else reference."""
    for column, value in (
        (Payment.provider_session_id, event.session_id),
        (Payment.provider_payment_id, event.payment_id),
        (Payment.reference, event.reference),
    ):
        if not value:
            continue
        payment = session.scalar(
            sa.select(Payment)
            .where(Payment.provider == provider, column == value)
            .order_by(Payment.id.desc())
            .limit(1)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if payment is not None:
            return payment
    return None


def _first_delivery(session: Session, provider: str, event: GatewayEvent) -> bool:
    """Remember the event id; False when it was seen before (a replay or a retry)."""
    try:
        with session.begin_nested():
            session.add(
                WebhookEvent(
                    provider=provider,
                    event_id=event.event_id,
                    event_type=(event.event_type or event.kind)[:EVENT_TYPE_MAX],
                )
            )
    except IntegrityError:
        return False
    return True


def _apply_success(session: Session, payment: Payment, event: GatewayEvent) -> WebhookOutcome:
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        return WebhookOutcome.UNCHANGED
    if (event.amount, event.currency) != (payment.amount, payment.currency):
        log.error(
            "payment %s (%s) reported paid with %s %s, expected %s %s: not accepted",
            payment.id,
            payment.reference,
            event.amount,
            event.currency,
            payment.amount,
            payment.currency,
        )
        _fail(session, payment, AMOUNT_MISMATCH_MESSAGE)
        return WebhookOutcome.REJECTED
    payment.status = PaymentStatus.SUCCEEDED
    payment.provider_payment_id = event.payment_id or payment.provider_payment_id
    payment.failure_message = ""
    record_event(session, "PaymentProcessed", _event_payload(payment, ""))
    session.flush()
    return WebhookOutcome.SUCCEEDED


def _note_decline(session: Session, payment: Payment, message: str) -> WebhookOutcome:
    """One attempt was declined: the payment stays open for another card, with the reason."""
    if payment.status != PaymentStatus.PENDING:
        return WebhookOutcome.UNCHANGED
    payment.failure_message = message[:FAILURE_MESSAGE_MAX]
    session.flush()
    return WebhookOutcome.DECLINED


def _fail(session: Session, payment: Payment, message: str) -> None:
    payment.status = PaymentStatus.FAILED
    payment.failure_message = message[:FAILURE_MESSAGE_MAX]
    record_event(session, "PaymentFailed", _event_payload(payment, payment.failure_message))
    session.flush()


def _event_payload(payment: Payment, message: str) -> dict:
    return {
        "order_id": payment.order_id,
        "reference": payment.reference,
        "payment_id": payment.id,
        "amount": payment.amount,
        "currency": payment.currency,
        "message": message,
    }
