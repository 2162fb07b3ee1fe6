"""Webhook events: Stripe signatures verified (computed here by hand), events mapped to kinds."""

from __future__ import annotations

import json
import time
from functools import partial

import pytest

from app.payments.gateways import (
    EventKind,
    GatewayEvent,
    InvalidSignature,
    MalformedEvent,
    event_from_stripe,
    verified_event,
)
from tests.support.payments import checkout_session, payment_intent, stripe_event, stripe_signature

SECRET = "whsec_unit_test_secret"
NOW = 1_767_225_600  # the clock the verifier reads, frozen: tolerances are tested to the second


sign = partial(stripe_signature, secret=SECRET)
SESSION = checkout_session(id="cs_test_1", payment_intent="pi_1")
INTENT = payment_intent(id="pi_1", last_payment_error={"message": "Your card was declined."})


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch) -> None:
    monkeypatch.setattr(time, "time", lambda: NOW)


def test_a_correctly_signed_event_is_read():
    payload = json.dumps(stripe_event("checkout.session.completed", SESSION)).encode()
    assert verified_event(payload, sign(payload), SECRET)["data"]["object"]["id"] == "cs_test_1"


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(lambda payload: sign(payload, secret="whsec_someone_else"), id="forged"),
        pytest.param(lambda payload: sign(payload, timestamp=NOW - 301), id="stale"),
        pytest.param(lambda payload: sign(payload + b" "), id="tampered"),
        pytest.param(lambda payload: "", id="missing"),
        pytest.param(lambda payload: "v1=abc", id="garbled"),
    ],
)
def test_a_signature_that_does_not_verify_is_refused(header):
    payload = json.dumps(stripe_event("checkout.session.completed", SESSION)).encode()
    with pytest.raises(InvalidSignature):
        verified_event(payload, header(payload), SECRET)


def test_a_signature_at_the_edge_of_the_tolerance_is_accepted():
    payload = json.dumps(stripe_event("checkout.session.completed", SESSION)).encode()
    assert verified_event(payload, sign(payload, timestamp=NOW - 300), SECRET)


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_signed_body_that_is_not_an_event_is_malformed(payload):
    with pytest.raises(MalformedEvent):
        verified_event(payload, sign(payload), SECRET)


def test_checkout_completed_and_paid_is_a_success():
    assert event_from_stripe(stripe_event("checkout.session.completed", SESSION)) == GatewayEvent(
        event_id="evt_1",
        kind=EventKind.SUCCEEDED,
        session_id="cs_test_1",
        payment_id="pi_1",
        reference="MP-1001",
        amount=2500,
        currency="USD",
        message="",
        event_type="checkout.session.completed",
    )


def test_checkout_completed_but_unpaid_waits_for_the_async_result():
    unpaid = {**SESSION, "payment_status": "unpaid", "payment_intent": None}
    assert event_from_stripe(stripe_event("checkout.session.completed", unpaid)).kind == "ignored"
    later = event_from_stripe(stripe_event("checkout.session.async_payment_succeeded", SESSION))
    assert (later.kind, later.session_id, later.amount) == ("succeeded", "cs_test_1", 2500)


@pytest.mark.parametrize(
    ("event_type", "payment_object", "kind", "message"),
    [
        (
            "checkout.session.async_payment_failed",
            SESSION,
            "failed",
            "The payment did not go through.",
        ),
        ("checkout.session.expired", SESSION, "failed", "The payment session expired."),
        ("payment_intent.payment_failed", INTENT, "declined", "Your card was declined."),
        (
            "payment_intent.payment_failed",
            {**INTENT, "last_payment_error": None},
            "declined",
            "The payment did not go through.",
        ),
    ],
)
def test_failures_and_declines_carry_a_message_for_the_shopper(
    event_type, payment_object, kind, message
):
    mapped = event_from_stripe(stripe_event(event_type, payment_object))
    assert (mapped.kind, mapped.message, mapped.reference) == (kind, message, "MP-1001")


def test_a_payment_intent_failure_names_the_intent_not_a_session():
    mapped = event_from_stripe(stripe_event("payment_intent.payment_failed", INTENT))
    assert (mapped.session_id, mapped.payment_id, mapped.amount) == ("", "pi_1", 2500)


def test_a_charge_refund_is_reported_with_the_refunded_amount():
    charge = {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 700, "currency": "usd"}
    mapped = event_from_stripe(stripe_event("charge.refunded", charge))
    assert (mapped.kind, mapped.payment_id, mapped.amount) == ("refunded", "pi_1", 700)


def test_other_event_types_are_ignored():
    mapped = event_from_stripe(stripe_event("customer.created", {"id": "cus_1"}))
    assert (mapped.kind, mapped.event_id, mapped.event_type) == (
        "ignored",
        "evt_1",
        "customer.created",
    )


@pytest.mark.parametrize(
    "broken",
    [
        {"type": "checkout.session.completed", "data": {"object": SESSION}},
        {"id": "evt_1", "type": "checkout.session.completed", "data": {}},
        {"id": "evt_1", "type": "checkout.session.completed", "data": {"object": "cs_1"}},
        stripe_event("checkout.session.completed", {**SESSION, "amount_total": "2500"}),
        stripe_event("checkout.session.completed", {**SESSION, "client_reference_id": 7}),
    ],
)
def test_an_event_missing_what_we_need_is_malformed(broken):
    with pytest.raises(MalformedEvent):
        event_from_stripe(broken)
