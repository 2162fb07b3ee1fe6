"""Payment services on the built-in test gateway: start once, apply webhooks once, refund once."""

from __future__ import annotations

import json
from functools import partial
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import redis_client
from app.money import Money
from app.payments import services
from app.payments.builtin_gateway import SessionExpired
from app.payments.gateways import GatewayError, InvalidSignature
from app.payments.models import Payment, PaymentStatus, Refund, WebhookEvent
from tests.support.buying import events_named
from tests.support.payments import (
    VISA,
    checkout_session,
    make_order,
    payment_intent,
    start_payment_for,
    stripe_event,
)

DECLINED = "4000000000000002"


class CountingGateway:
    """The real test gateway, counting the calls that reach it."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.name = gateway.name
        self.calls: list[str] = []

    def create_session(self, request):
        self.calls.append("create_session")
        return self.gateway.create_session(request)

    def refund(self, payment_id, amount, idempotency_key, reason):
        self.calls.append("refund")
        return self.gateway.refund(payment_id, amount, idempotency_key, reason)

    def expire_session(self, session_id):
        self.calls.append("expire_session")
        return self.gateway.expire_session(session_id)

    def parse_webhook(self, payload, signature):
        return self.gateway.parse_webhook(payload, signature)


@pytest.fixture()
def gateway(app, database, handed):
    """The configured (test) gateway, with a request context to build its page URLs."""
    with app.test_request_context("/"):
        yield CountingGateway(services.gateway_from_config(app.config, redis_client(app)))


def paid_order(session, gateway, number="MP-1001", total=2500) -> Payment:
    payment = start_payment_for(session, gateway, make_order(session, number, total))
    attempt = gateway.gateway.attempt_payment(payment.provider_session_id, VISA)
    services.handle_webhook(session, gateway, attempt.payload, attempt.signature)
    session.commit()
    return payment


def signed(gateway, event_type: str, payment_object: dict, event_id: str) -> tuple[bytes, str]:
    payload = json.dumps(stripe_event(event_type, payment_object, event_id)).encode()
    return payload, gateway.gateway.signature(payload)


def test_start_payment_opens_one_hosted_page_per_order(database, gateway):
    order = make_order(database)
    payment = start_payment_for(database, gateway, order)
    database.commit()

    assert (payment.status, payment.provider, payment.idempotency_key) == (
        PaymentStatus.PENDING,
        "test",
        "pay-MP-1001",
    )
    assert (payment.amount, payment.currency, payment.order_id) == (2500, "USD", order.id)
    assert payment.provider_session_id.startswith("tcs_")
    assert payment.redirect_url == f"http://localhost/payments/test/{payment.provider_session_id}"

    again = start_payment_for(database, gateway, order)
    assert again.id == payment.id
    assert again.redirect_url == payment.redirect_url
    assert gateway.calls == ["create_session"]
    assert database.scalar(sa.select(sa.func.count(Payment.id))) == 1


def test_a_retry_after_a_rollback_reuses_the_gateway_session(database, gateway):
    order = make_order(database)
    database.commit()
    first = start_payment_for(database, gateway, order).provider_session_id
    database.rollback()

    second = start_payment_for(database, gateway, order)
    assert second.provider_session_id == first
    assert gateway.calls == ["create_session", "create_session"]


def test_paying_with_the_test_card_confirms_through_the_signed_webhook(database, gateway, handed):
    payment = start_payment_for(database, gateway, make_order(database))
    database.commit()
    attempt = gateway.gateway.attempt_payment(payment.provider_session_id, VISA)

    outcome = services.handle_webhook(database, gateway, attempt.payload, attempt.signature)
    database.commit()

    assert (outcome, attempt.paid) == ("succeeded", True)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_payment_id == "tpi_" + payment.provider_session_id.removeprefix("tcs_")
    [processed] = events_named("PaymentProcessed")
    assert processed.payload == {
        "order_id": payment.order_id,
        "reference": "MP-1001",
        "payment_id": payment.id,
        "amount": 2500,
        "currency": "USD",
        "message": "",
    }
    assert handed == [processed.id]


def test_a_replayed_webhook_is_a_duplicate_and_changes_nothing(database, gateway):
    payment = start_payment_for(database, gateway, make_order(database))
    attempt = gateway.gateway.attempt_payment(payment.provider_session_id, VISA)
    services.handle_webhook(database, gateway, attempt.payload, attempt.signature)
    database.commit()

    outcome = services.handle_webhook(database, gateway, attempt.payload, attempt.signature)
    database.commit()

    assert outcome == "duplicate"
    assert len(events_named("PaymentProcessed")) == 1
    assert database.scalar(sa.select(sa.func.count(WebhookEvent.id))) == 1


def test_paying_a_paid_session_again_redelivers_the_same_event(database, gateway):
    payment = start_payment_for(database, gateway, make_order(database))
    first = gateway.gateway.attempt_payment(payment.provider_session_id, VISA)
    again = gateway.gateway.attempt_payment(payment.provider_session_id, DECLINED)

    assert again.paid and again.payload == first.payload
    assert services.handle_webhook(database, gateway, first.payload, first.signature) == "succeeded"
    assert services.handle_webhook(database, gateway, again.payload, again.signature) == "duplicate"


def test_a_decline_keeps_the_payment_open_and_a_later_success_pays(database, gateway):
    payment = start_payment_for(database, gateway, make_order(database))
    declined = gateway.gateway.attempt_payment(payment.provider_session_id, DECLINED)

    assert services.handle_webhook(database, gateway, declined.payload, declined.signature) == (
        "declined"
    )
    assert (payment.status, payment.failure_message) == ("pending", "Your card was declined.")
    assert events_named("PaymentFailed") == []
    page = gateway.gateway.session(payment.provider_session_id)
    assert (page.paid, page.last_error) == (False, "Your card was declined.")

    paid = gateway.gateway.attempt_payment(payment.provider_session_id, VISA)
    assert services.handle_webhook(database, gateway, paid.payload, paid.signature) == "succeeded"
    assert (payment.status, payment.failure_message) == ("succeeded", "")
    assert len(events_named("PaymentProcessed")) == 1


def test_a_failure_arriving_after_the_success_changes_nothing(database, gateway):
    payment = paid_order(database, gateway)
    late_failure = signed(
        gateway,
        "payment_intent.payment_failed",
        payment_intent(id=payment.provider_payment_id),
        "evt_late_failure",
    )

    assert services.handle_webhook(database, gateway, *late_failure) == "unchanged"
    assert payment.status == PaymentStatus.SUCCEEDED
    assert events_named("PaymentFailed") == []


def test_a_success_for_another_amount_is_not_taken_as_payment(database, gateway):
    payment = start_payment_for(database, gateway, make_order(database))
    short = signed(
        gateway,
        "checkout.session.completed",
        checkout_session(id=payment.provider_session_id, payment_intent="tpi_x", amount_total=100),
        "evt_short",
    )

    assert services.handle_webhook(database, gateway, *short) == "rejected"
    assert payment.status == PaymentStatus.FAILED
    assert events_named("PaymentProcessed") == []
    [failed] = events_named("PaymentFailed")
    assert failed.payload["message"] == "The amount paid does not match the order total."


def test_events_for_unknown_payments_and_other_types_change_nothing(database, gateway):
    start_payment_for(database, gateway, make_order(database))
    unknown = signed(
        gateway,
        "checkout.session.completed",
        {"id": "tcs_nobody", "amount_total": 2500, "currency": "usd", "payment_status": "paid"},
        "evt_unknown",
    )
    other = signed(gateway, "customer.created", {"id": "cus_1"}, "evt_other")

    assert services.handle_webhook(database, gateway, *unknown) == "unknown_payment"
    assert services.handle_webhook(database, gateway, *other) == "ignored"
    assert database.scalar(sa.select(sa.func.count(WebhookEvent.id))) == 0
    assert events_named("PaymentProcessed") == []


def test_a_forged_webhook_is_refused(database, gateway):
    payload, _ = signed(gateway, "customer.created", {"id": "cus_1"}, "evt_forged")
    with pytest.raises(InvalidSignature):
        services.handle_webhook(database, gateway, payload, "t=1,v1=" + "0" * 64)


def test_no_refund_without_a_succeeded_payment(database, gateway):
    order = make_order(database)
    refund = dict(amount=100, reason="requested_by_customer", idempotency_key="refund-1")
    assert services.refund_payment(database, gateway, order_id=order.id, **refund) is None
    start_payment_for(database, gateway, order)
    assert services.refund_payment(database, gateway, order_id=order.id, **refund) is None
    assert gateway.calls == ["create_session"]


def test_refunds_are_idempotent_and_never_exceed_the_payment(database, gateway, handed):
    payment = paid_order(database, gateway)
    refund = partial(services.refund_payment, database, gateway, order_id=payment.order_id)

    first = refund(amount=500, reason="damaged", idempotency_key="r1")
    database.commit()
    assert (first.amount, first.status, first.reason) == (500, "succeeded", "damaged")
    assert first.provider_refund_id.startswith("tgr_")
    assert (payment.refunded_amount, payment.status) == (500, PaymentStatus.PARTIALLY_REFUNDED)
    [refunded] = events_named("PaymentRefunded")
    assert refunded.payload == {
        "order_id": payment.order_id,
        "reference": "MP-1001",
        "payment_id": payment.id,
        "amount": 500,
        "currency": "USD",
        "refund_id": first.id,
    }

    replay = refund(amount=500, reason="damaged", idempotency_key="r1")
    assert replay.id == first.id
    assert gateway.calls == ["create_session", "refund"]

    rest = refund(amount=5000, reason="cancel", idempotency_key="r2")
    database.commit()
    assert rest.amount == 2000
    assert (payment.refunded_amount, payment.status) == (2500, PaymentStatus.REFUNDED)
    assert [e.payload["amount"] for e in events_named("PaymentRefunded")] == [500, 2000]

    nothing_left = refund(amount=1, reason="again", idempotency_key="r3")
    assert nothing_left is None
    assert gateway.calls == ["create_session", "refund", "refund"]
    assert database.scalar(sa.select(sa.func.sum(Refund.amount))) == 2500


def test_the_test_gateway_itself_caps_refunds_and_repeats_a_known_key(database, gateway):
    payment = paid_order(database, gateway)
    test_gateway = gateway.gateway
    usd = Money(1500, "USD")

    first = test_gateway.refund(payment.provider_payment_id, usd, "k1", "partial")
    assert test_gateway.refund(payment.provider_payment_id, usd, "k1", "partial") == first
    with pytest.raises(GatewayError, match="more than what remains"):
        test_gateway.refund(payment.provider_payment_id, usd, "k2", "too much")
    assert test_gateway.refund(payment.provider_payment_id, Money(1000, "USD"), "k3", "rest")
    with pytest.raises(GatewayError, match="no captured payment"):
        test_gateway.refund("tpi_unknown_payment_id", usd, "k4", "unknown")


def test_a_refund_the_gateway_refuses_raises_and_leaves_nothing_after_rollback(database, gateway):
    order = make_order(database)
    database.add(
        Payment(
            order_id=order.id,
            reference=order.number,
            provider="test",
            provider_payment_id="tpi_never_captured_here",
            idempotency_key="pay-MP-1001",
            amount=2500,
            currency="USD",
            status=PaymentStatus.SUCCEEDED,
        )
    )
    database.commit()

    with pytest.raises(GatewayError):
        services.refund_payment(
            database, gateway, order_id=order.id, amount=100, reason="x", idempotency_key="r1"
        )
    database.rollback()
    assert database.scalar(sa.select(sa.func.count(Refund.id))) == 0
    assert events_named("PaymentRefunded") == []


def test_closing_a_payment_closes_its_page_and_fails_it_once(database, gateway):
    payment = start_payment_for(database, gateway, make_order(database))
    database.commit()

    assert services.close_payment(database, gateway, payment.order_id)
    database.commit()

    with pytest.raises(SessionExpired):
        gateway.gateway.session(payment.provider_session_id)
    assert (payment.status, payment.failure_message) == (
        PaymentStatus.FAILED,
        "The order was closed before it was paid.",
    )
    assert len(events_named("PaymentFailed")) == 1
    assert not services.close_payment(database, gateway, payment.order_id)
    assert len(events_named("PaymentFailed")) == 1
    assert gateway.calls == ["create_session", "expire_session"]


def test_a_paid_payment_is_not_closed(database, gateway):
    payment = paid_order(database, gateway)

    assert not services.close_payment(database, gateway, payment.order_id)
    gateway.gateway.expire_session(payment.provider_session_id)

    assert payment.status == PaymentStatus.SUCCEEDED
    assert gateway.gateway.session(payment.provider_session_id).paid
    assert events_named("PaymentFailed") == []


def test_payment_for_order(database, gateway):
    order = make_order(database)
    assert services.payment_for_order(database, order.id) is None
    payment = start_payment_for(database, gateway, order)
    assert services.payment_for_order(database, order.id) is payment


def test_the_page_url_is_built_on_the_site_url_when_one_is_set(app, database, handed, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_URL", "https://shop.example")
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["shop.example", "internal"])
    with app.test_request_context("/", base_url="http://internal:8000"):
        test_gateway = services.gateway_from_config(app.config, redis_client(app))
        payment = start_payment_for(database, test_gateway, make_order(database))
    url = urlsplit(payment.redirect_url)
    assert (url.scheme, url.netloc) == ("https", "shop.example")
