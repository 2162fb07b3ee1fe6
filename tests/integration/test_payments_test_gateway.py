"""The built-in test gateway through the browser: its hosted page, and the webhook endpoints."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.database import utcnow
from app.extensions import redis_client
from app.money import Money
from app.payments import services
from app.payments.gateways import CheckoutRequest
from app.payments.models import Payment, PaymentStatus
from tests.support.buying import events_named
from tests.support.payments import make_order, start_payment_for

pytestmark = pytest.mark.usefixtures("handed")
SUCCESS_URL = "http://localhost/checkout/done/MP-1001"
CANCEL_URL = "http://localhost/cart"
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/40", "cvc": "123", "name": "Ada"}


@dataclass
class Checkout:
    payment_id: int
    session_id: str
    page: str


def gateway_for(app):
    with app.test_request_context("/"):
        return services.gateway_from_config(app.config, redis_client(app))


@pytest.fixture()
def checkout(app, database) -> Checkout:
    """An order of $25.00 waiting on the test gateway's page."""
    with app.test_request_context("/"):
        payment = start_payment_for(
            database,
            gateway_for(app),
            make_order(database),
            description="2 items from Ada's Shop",
            success_url=SUCCESS_URL,
            cancel_url=CANCEL_URL,
        )
    database.commit()
    return Checkout(payment.id, payment.provider_session_id, urlsplit(payment.redirect_url).path)


def payment_status(database, payment_id: int) -> str:
    return database.get(Payment, payment_id, populate_existing=True).status


def test_the_page_shows_the_amount_labelled_card_fields_and_a_way_back(client, checkout):
    response = client.get(checkout.page)
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "<h1" in html and "Pay $25.00" in html
    assert "2 items from Ada&#39;s Shop" in html and "ada@example.com" in html
    for field, label, autocomplete in [
        ("card_number", "Card number", "cc-number"),
        ("expiry", "Expiry date (MM/YY)", "cc-exp"),
        ("cvc", "Security code (CVC)", "cc-csc"),
        ("name", "Name on card", "cc-name"),
    ]:
        assert f'<label for="{field}">{label}</label>' in html
        assert f'autocomplete="{autocomplete}"' in html
    assert f'href="{CANCEL_URL}"' in html
    assert "4242 4242 4242 4242" in html and "4000 0000 0000 0002" in html
    assert '<meta name="robots" content="noindex">' in html


def test_the_test_card_pays_and_returns_to_the_store(client, database, checkout, handed):
    response = client.post(checkout.page, data=CARD)

    assert response.status_code == 303
    assert response.headers["Location"] == SUCCESS_URL
    assert payment_status(database, checkout.payment_id) == PaymentStatus.SUCCEEDED
    [processed] = events_named("PaymentProcessed")
    assert processed.payload["payment_id"] == checkout.payment_id
    assert handed == [processed.id]


def test_a_paid_page_sends_the_shopper_on_and_never_charges_twice(client, database, checkout):
    client.post(checkout.page, data=CARD)

    assert client.get(checkout.page).headers["Location"] == SUCCESS_URL
    again = client.post(checkout.page, data=CARD)
    assert (again.status_code, again.headers["Location"]) == (303, SUCCESS_URL)
    assert len(events_named("PaymentProcessed")) == 1


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("4000 0000 0000 0002", "Your card was declined."),
        ("4000 0000 0000 9995", "Your card has insufficient funds."),
    ],
)
def test_a_declined_card_redirects_to_the_page_which_says_why_and_another_card_may_be_tried(
    client, database, checkout, number, message
):
    response = client.post(checkout.page, data={**CARD, "card_number": number})

    assert response.status_code == 303
    assert response.headers["Location"] == checkout.page
    page = client.get(checkout.page)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert message in html and 'role="alert"' in html
    assert f'<a href="{CANCEL_URL}">go back to the store</a>' in html
    payment = database.get(Payment, checkout.payment_id, populate_existing=True)
    assert (payment.status, payment.failure_message) == (PaymentStatus.PENDING, message)
    assert events_named("PaymentFailed") == []

    retry = client.post(checkout.page, data=CARD)
    assert retry.headers["Location"] == SUCCESS_URL
    assert payment_status(database, checkout.payment_id) == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"card_number": "4242 4242 4242 4241"}, "That card number is not valid."),
        ({"card_number": "5555 5555 5555 4444"}, "only accepts its test cards"),
        ({"card_number": "4242 abcd"}, "Enter the card number using digits only."),
        ({"card_number": ""}, "Enter the card number."),
        ({"expiry": "01/20"}, "This card has expired."),
        ({"expiry": "2030-01"}, "Enter the expiry date as MM/YY"),
        ({"cvc": "12"}, "Enter the 3 or 4 digit security code."),
        ({"name": ""}, "Enter the name on the card."),
    ],
)
def test_card_details_are_checked_with_clear_messages(client, database, checkout, change, message):
    response = client.post(checkout.page, data={**CARD, **change})
    html = response.get_data(as_text=True)

    assert response.status_code == 422
    assert message in html
    assert 'aria-invalid="true"' in html
    assert payment_status(database, checkout.payment_id) == PaymentStatus.PENDING
    assert events_named("PaymentFailed") == []


def test_the_security_code_is_never_written_back_into_the_page(client, checkout):
    html = client.post(checkout.page, data={**CARD, "cvc": "9876", "name": ""}).get_data(
        as_text=True
    )
    assert "9876" not in html


@pytest.mark.parametrize("session_id", ["tcs_doesnotexist0000000000", "not-a-session"])
def test_an_unknown_page_is_404_with_a_link_back(client, session_id):
    response = client.get(f"/payments/test/{session_id}")
    assert response.status_code == 404
    assert "Back to the store" in response.get_data(as_text=True)


def test_an_expired_page_is_410_with_a_link_back_to_the_store(app, client, database):
    with app.test_request_context("/"):
        hosted = gateway_for(app).create_session(
            CheckoutRequest(
                reference="MP-1002",
                amount=Money(900, "USD"),
                description="",
                customer_email="ada@example.com",
                success_url=SUCCESS_URL,
                cancel_url=CANCEL_URL,
                idempotency_key="pay-MP-1002",
                expires_at=utcnow() - timedelta(minutes=1),
            )
        )
    page = urlsplit(hosted.redirect_url).path

    for response in (client.get(page), client.post(page, data=CARD)):
        assert response.status_code == 410
        assert f'href="{CANCEL_URL}"' in response.get_data(as_text=True)


def test_the_page_form_needs_its_csrf_token_but_the_webhook_does_not(
    app, client, database, checkout, monkeypatch
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(checkout.page, data=CARD).status_code == 400
    assert payment_status(database, checkout.payment_id) == PaymentStatus.PENDING

    attempt = gateway_for(app).attempt_payment(checkout.session_id, "4242424242424242")
    response = client.post(
        "/payments/webhooks/test",
        data=attempt.payload,
        headers={"Stripe-Signature": attempt.signature, "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert payment_status(database, checkout.payment_id) == PaymentStatus.SUCCEEDED


def test_the_webhook_endpoint_answers_200_for_processed_and_duplicate_events(
    app, client, database, checkout
):
    attempt = gateway_for(app).attempt_payment(checkout.session_id, "4242424242424242")
    headers = {"Stripe-Signature": attempt.signature}

    first = client.post("/payments/webhooks/test", data=attempt.payload, headers=headers)
    replay = client.post("/payments/webhooks/test", data=attempt.payload, headers=headers)

    assert (first.status_code, first.get_json()["outcome"]) == (200, "succeeded")
    assert (replay.status_code, replay.get_json()["outcome"]) == (200, "duplicate")
    assert len(events_named("PaymentProcessed")) == 1


def test_the_webhook_endpoint_refuses_forged_and_malformed_bodies(app, client, database, checkout):
    gateway = gateway_for(app)
    attempt = gateway.attempt_payment(checkout.session_id, "4242424242424242")
    tampered = attempt.payload.replace(b'"amount_total":2500', b'"amount_total":1')
    not_json = b"{not json"

    for payload, signature in [
        (tampered, attempt.signature),
        (attempt.payload, ""),
        (not_json, gateway.signature(not_json)),
        (json.dumps({"data": {}}).encode(), gateway.signature(json.dumps({"data": {}}).encode())),
    ]:
        response = client.post(
            "/payments/webhooks/test", data=payload, headers={"Stripe-Signature": signature}
        )
        assert response.status_code == 400
    assert payment_status(database, checkout.payment_id) == PaymentStatus.PENDING


def test_stripe_endpoints_do_not_exist_without_stripe(client):
    assert client.post("/payments/webhooks/stripe", data=b"{}").status_code == 404
    assert client.get("/payments/webhooks/test").status_code == 405


def test_only_one_payment_row_per_order_whatever_happens_on_the_page(client, database, checkout):
    client.post(checkout.page, data={**CARD, "card_number": "4000 0000 0000 0002"})
    client.post(checkout.page, data=CARD)
    client.post(checkout.page, data=CARD)
    assert database.scalar(sa.select(sa.func.count(Payment.id))) == 1
