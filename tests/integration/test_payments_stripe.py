"""Stripe through its SDK against a local stand-in for its API; webhooks with real signatures."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from app import create_app
from app.money import Money
from app.payments import services
from app.payments.gateways import CheckoutRequest, GatewayError
from app.payments.models import Payment, PaymentStatus
from app.payments.stripe_gateway import StripeGateway
from tests.support.buying import events_named
from tests.support.fixtures import SeparateRequestsClient, settings_for_tests
from tests.support.payments import (
    checkout_session,
    make_order,
    payment_intent,
    start_payment_for,
    stripe_event,
    stripe_signature,
)
from tests.support.stand_in import StandIn, refusing_base_url, serving

API_KEY = "sk_test_51standin"
WEBHOOK_SECRET = "whsec_standin_endpoint_secret"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("handed")
SESSION_RESPONSE = {
    "id": "cs_test_a1",
    "object": "checkout.session",
    "url": "https://checkout.stripe.com/c/pay/cs_test_a1",
    "payment_intent": None,
    "payment_status": "unpaid",
}


@pytest.fixture()
def stripe_api() -> Iterator[StandIn]:
    """A local HTTP server on 127.0.0.1 answering like Stripe's API with the queued answers."""
    with serving() as stand_in:
        yield stand_in


def stripe_gateway(standin: StandIn, **options) -> StripeGateway:
    return StripeGateway(
        API_KEY,
        WEBHOOK_SECRET,
        api_base=standin.base_url,
        max_network_retries=0,
        clock=lambda: NOW,
        **options,
    )


def request(**changes) -> CheckoutRequest:
    values = dict(
        reference="MP-1001",
        amount=Money(2500, "USD"),
        description="2 items from Ada's Shop",
        customer_email="ada@example.com",
        success_url="https://shop.example/checkout/done/MP-1001",
        cancel_url="https://shop.example/cart",
        idempotency_key="pay-MP-1001",
        expires_at=NOW + timedelta(minutes=15),
    )
    return CheckoutRequest(**(values | changes))


def test_a_checkout_session_is_created_with_our_key_amount_and_reference(stripe_api):
    stripe_api.queue_json(200, SESSION_RESPONSE)

    hosted = stripe_gateway(stripe_api).create_session(request())

    assert (hosted.session_id, hosted.redirect_url) == (
        "cs_test_a1",
        "https://checkout.stripe.com/c/pay/cs_test_a1",
    )
    [sent] = stripe_api.received
    assert (sent.method, sent.path) == ("POST", "/v1/checkout/sessions")
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["idempotency-key"] == "pay-MP-1001"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.form() == {
        "mode": "payment",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "2500",
        "line_items[0][price_data][product_data][name]": "2 items from Ada's Shop",
        "client_reference_id": "MP-1001",
        "metadata[reference]": "MP-1001",
        "payment_intent_data[metadata][reference]": "MP-1001",
        "customer_email": "ada@example.com",
        "success_url": "https://shop.example/checkout/done/MP-1001",
        "cancel_url": "https://shop.example/cart",
        "expires_at": str(int((NOW + timedelta(minutes=45)).timestamp())),
    }


def test_a_deadline_inside_stripes_window_is_sent_as_is_and_none_is_left_out(stripe_api):
    stripe_api.queue_json(200, SESSION_RESPONSE)
    stripe_api.queue_json(200, SESSION_RESPONSE)
    gateway = stripe_gateway(stripe_api)

    gateway.create_session(request(expires_at=NOW + timedelta(hours=2)))
    gateway.create_session(request(expires_at=None, customer_email=""))

    first, second = stripe_api.received
    assert first.form()["expires_at"] == str(int((NOW + timedelta(hours=2)).timestamp()))
    assert "expires_at" not in second.form() and "customer_email" not in second.form()


def test_a_refund_names_the_payment_intent_and_carries_our_idempotency_key(stripe_api):
    stripe_api.queue_json(200, {"id": "re_1", "object": "refund", "status": "succeeded"})

    refund_id = stripe_gateway(stripe_api).refund(
        "pi_1", Money(700, "USD"), "refund-MP-1001-cancel", "requested_by_customer"
    )

    assert refund_id == "re_1"
    [sent] = stripe_api.received
    assert (sent.method, sent.path) == ("POST", "/v1/refunds")
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["idempotency-key"] == "refund-MP-1001-cancel"
    assert sent.form() == {
        "payment_intent": "pi_1",
        "amount": "700",
        "metadata[reason]": "requested_by_customer",
    }


def test_stripe_refusing_a_request_is_a_clear_gateway_error(stripe_api):
    invalid = {"error": {"type": "invalid_request_error", "message": "Invalid email address."}}
    stripe_api.queue_json(400, invalid)
    stripe_api.queue_json(401, {"error": {"message": "Invalid API Key."}})
    gateway = stripe_gateway(stripe_api)

    with pytest.raises(GatewayError, match="Stripe could not start the payment: Invalid email"):
        gateway.create_session(request())
    with pytest.raises(GatewayError) as refused:
        gateway.refund("pi_1", Money(700, "USD"), "r1", "x")
    assert (
        str(refused.value)
        == "Stripe could not refund the payment right now. Please try again later."
    )


def test_closing_a_payment_page_expires_its_checkout_session(stripe_api):
    stripe_api.queue_json(200, {**SESSION_RESPONSE, "status": "expired"})
    not_open = {
        "error": {
            "type": "invalid_request_error",
            "message": 'Only Checkout Sessions with a status in ["open"] can be expired.',
        }
    }
    stripe_api.queue_json(400, not_open)
    stripe_api.queue_json(500, {"error": {"type": "api_error", "message": "Oops."}})
    gateway = stripe_gateway(stripe_api)

    gateway.expire_session("cs_test_a1")
    gateway.expire_session("cs_test_a1")
    with pytest.raises(GatewayError, match="Stripe could not close the payment page"):
        gateway.expire_session("cs_test_a1")

    sent = stripe_api.received
    assert [(each.method, each.path) for each in sent] == [
        ("POST", "/v1/checkout/sessions/cs_test_a1/expire")
    ] * 3
    assert sent[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_an_unreachable_stripe_is_a_clear_gateway_error():
    gateway = StripeGateway(
        API_KEY, WEBHOOK_SECRET, api_base=refusing_base_url(), max_network_retries=0
    )
    with pytest.raises(GatewayError, match="We could not reach Stripe"):
        gateway.create_session(request())


def test_start_payment_through_the_configured_stripe_charges_once(app, database, stripe_api):
    stripe_api.queue_json(200, SESSION_RESPONSE)
    config = {
        **app.config,
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api.base_url,
    }
    gateway = services.gateway_from_config(config)
    order = make_order(database)

    payment = start_payment_for(database, gateway, order)
    database.commit()
    again = start_payment_for(database, gateway, order)

    assert again.id == payment.id
    assert (payment.provider, payment.provider_session_id, payment.redirect_url) == (
        "stripe",
        "cs_test_a1",
        "https://checkout.stripe.com/c/pay/cs_test_a1",
    )
    assert len(stripe_api.received) == 1


def test_a_gateway_error_leaves_no_payment_after_the_callers_rollback(database, stripe_api):
    stripe_api.queue_json(500, {"error": {"type": "api_error", "message": "down"}})
    order = make_order(database)
    database.commit()

    with pytest.raises(GatewayError):
        start_payment_for(database, stripe_gateway(stripe_api), order, expires_at=None)
    database.rollback()
    assert services.payment_for_order(database, order.id) is None


# Webhooks through the Flask app configured for Stripe.


@pytest.fixture(scope="module")
def stripe_app(app, backing_services, tmp_path_factory):
    """The app with Stripe configured (its API is never called by the webhook endpoint)."""
    instance = tmp_path_factory.mktemp("stripe-instance")
    settings = settings_for_tests(
        backing_services,
        instance,
        STRIPE_SECRET_KEY=API_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE="http://127.0.0.1:9",
    )
    stripe_app = create_app(settings)
    stripe_app.test_client_class = SeparateRequestsClient
    return stripe_app


@pytest.fixture()
def webhook(stripe_app, database):
    """Post a payload to the Stripe endpoint with a Stripe-Signature header."""
    client = stripe_app.test_client()

    def post(payload: bytes, signature: str):
        return client.post(
            "/payments/webhooks/stripe",
            data=payload,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        )

    return post


@pytest.fixture()
def pending(database) -> Payment:
    """An order's pending Stripe payment, as start_payment leaves it."""
    order = make_order(database)
    payment = Payment(
        order_id=order.id,
        reference=order.number,
        provider="stripe",
        provider_session_id="cs_test_a1",
        redirect_url=SESSION_RESPONSE["url"],
        idempotency_key="pay-MP-1001",
        amount=2500,
        currency="USD",
    )
    database.add(payment)
    database.commit()
    return payment


sign = partial(stripe_signature, secret=WEBHOOK_SECRET)


def event_payload(event_id: str, event_type: str, **changes) -> bytes:
    """A Stripe event about the pending payment's session (or its intent), as sent."""
    if event_type.startswith("payment_intent."):
        payment_object = payment_intent(**changes)
    else:
        payment_object = checkout_session(**changes)
    return json.dumps(stripe_event(event_type, payment_object, event_id)).encode()


def current(database, payment: Payment) -> Payment:
    return database.get(Payment, payment.id, populate_existing=True)


def test_a_signed_completed_session_marks_the_payment_paid(database, webhook, pending, handed):
    payload = event_payload("evt_1", "checkout.session.completed")

    response = webhook(payload, sign(payload))

    assert (response.status_code, response.get_json()["outcome"]) == (200, "succeeded")
    payment = current(database, pending)
    assert (payment.status, payment.provider_payment_id) == ("succeeded", "pi_3abc")
    [processed] = events_named("PaymentProcessed")
    assert processed.payload["reference"] == "MP-1001"
    assert handed == [processed.id]


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(lambda payload: sign(payload, secret="whsec_wrong"), id="forged"),
        pytest.param(lambda payload: sign(payload, timestamp=int(time.time()) - 301), id="stale"),
        pytest.param(lambda payload: "", id="missing"),
    ],
)
def test_forged_stale_or_unsigned_events_are_refused(database, webhook, pending, signature):
    payload = event_payload("evt_1", "checkout.session.completed")

    response = webhook(payload, signature(payload))

    assert response.status_code == 400
    assert current(database, pending).status == PaymentStatus.PENDING
    assert events_named("PaymentProcessed") == []


def test_a_replayed_event_is_a_duplicate_without_a_second_domain_event(database, webhook, pending):
    payload = event_payload("evt_1", "checkout.session.completed")

    first = webhook(payload, sign(payload))
    replay = webhook(payload, sign(payload))

    assert first.get_json()["outcome"] == "succeeded"
    assert (replay.status_code, replay.get_json()["outcome"]) == (200, "duplicate")
    assert len(events_named("PaymentProcessed")) == 1


def test_a_failure_delivered_after_the_success_changes_nothing(database, webhook, pending):
    paid = event_payload("evt_paid", "checkout.session.completed")
    failed = event_payload("evt_failed", "payment_intent.payment_failed")

    webhook(paid, sign(paid))
    late = webhook(failed, sign(failed))

    assert (late.status_code, late.get_json()["outcome"]) == (200, "unchanged")
    assert current(database, pending).status == PaymentStatus.SUCCEEDED
    assert events_named("PaymentFailed") == []


def test_a_declined_payment_intent_keeps_the_session_open_with_stripes_message(
    database, webhook, pending
):
    declined = event_payload("evt_declined", "payment_intent.payment_failed")
    paid = event_payload("evt_paid", "checkout.session.completed")

    assert webhook(declined, sign(declined)).get_json()["outcome"] == "declined"

    payment = current(database, pending)
    assert (payment.status, payment.failure_message) == (
        "pending",
        "Your card has insufficient funds.",
    )
    assert events_named("PaymentFailed") == []
    assert webhook(paid, sign(paid)).get_json()["outcome"] == "succeeded"
    assert current(database, pending).status == PaymentStatus.SUCCEEDED
    assert len(events_named("PaymentProcessed")) == 1


def test_an_expired_session_fails_the_payment(database, webhook, pending):
    expired = event_payload("evt_expired", "checkout.session.expired", payment_status="unpaid")

    assert webhook(expired, sign(expired)).get_json()["outcome"] == "failed"
    payment = current(database, pending)
    assert (payment.status, payment.failure_message) == ("failed", "The payment session expired.")
    [event] = events_named("PaymentFailed")
    assert event.payload == {
        "order_id": payment.order_id,
        "reference": "MP-1001",
        "payment_id": payment.id,
        "amount": 2500,
        "currency": "USD",
        "message": "The payment session expired.",
    }


def test_a_delayed_payment_succeeds_on_its_async_event(database, webhook, pending):
    unpaid = event_payload("evt_1", "checkout.session.completed", payment_status="unpaid")
    later = event_payload("evt_2", "checkout.session.async_payment_succeeded")

    assert webhook(unpaid, sign(unpaid)).get_json()["outcome"] == "ignored"
    assert current(database, pending).status == PaymentStatus.PENDING
    assert webhook(later, sign(later)).get_json()["outcome"] == "succeeded"
    assert current(database, pending).status == PaymentStatus.SUCCEEDED


def test_a_paid_session_for_another_amount_is_not_accepted(database, webhook, pending):
    wrong = event_payload("evt_1", "checkout.session.completed", amount_total=2400)

    assert webhook(wrong, sign(wrong)).get_json()["outcome"] == "rejected"
    assert current(database, pending).status == PaymentStatus.FAILED
    assert events_named("PaymentProcessed") == []
    assert len(events_named("PaymentFailed")) == 1


def test_other_types_and_malformed_bodies(database, webhook, pending):
    other = event_payload("evt_1", "customer.created")
    garbage = b"{not json"

    assert webhook(other, sign(other)).status_code == 200
    assert webhook(garbage, sign(garbage)).status_code == 400
    assert current(database, pending).status == PaymentStatus.PENDING


def test_the_test_gateway_page_does_not_exist_when_stripe_is_configured(stripe_app, database):
    client = stripe_app.test_client()
    assert client.get("/payments/test/tcs_aaaaaaaaaaaaaaaaaaaaaaaa").status_code == 404
    assert client.post("/payments/webhooks/test", data=b"{}").status_code == 404
