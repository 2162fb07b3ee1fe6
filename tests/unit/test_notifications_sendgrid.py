"""The SendGrid sender, against a local HTTP stand-in for the v3 Mail Send API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from app.notifications.messages import EmailMessage
from app.notifications.senders import DeliveryError, SendGridSender, sender_from_config
from tests.support.stand_in import StandIn, refusing_base_url, serving

FROM = "Marketplace <no-reply@shop.example>"
MESSAGE = EmailMessage(
    to="ann@example.com",
    subject="Your order #1042",
    text="Hello Ann,\nthanks for your order.",
    html="<p>Hello Ann, thanks for your <strong>order</strong>.</p>",
)


@pytest.fixture()
def stand_in() -> Iterator[StandIn]:
    """A local HTTP server on 127.0.0.1 playing api.sendgrid.com."""
    with serving(status=202) as api:
        yield api


def test_sends_the_message_to_the_mail_send_api(stand_in):
    SendGridSender("SG.test-key", stand_in.base_url, FROM).send(MESSAGE)

    (request,) = stand_in.received
    assert request.method == "POST" and request.path == "/v3/mail/send"
    assert request.headers["authorization"] == "Bearer SG.test-key"
    assert request.headers["content-type"] == "application/json"
    payload = request.json()
    assert payload["from"] == {"name": "Marketplace", "email": "no-reply@shop.example"}
    assert payload["personalizations"] == [{"to": [{"email": "ann@example.com"}]}]
    assert payload["subject"] == "Your order #1042"
    assert payload["content"] == [
        {"type": "text/plain", "value": MESSAGE.text},
        {"type": "text/html", "value": MESSAGE.html},
    ]


def test_the_stable_message_id_and_the_idempotency_key_go_along(stand_in):
    keyed = replace(MESSAGE, message_id="<k1@shop.example>", idempotency_key="order-paid:MP-1")

    SendGridSender("SG.test-key", stand_in.base_url, FROM).send(keyed)

    payload = stand_in.received[0].json()
    assert payload["headers"] == {"Message-ID": "<k1@shop.example>"}
    assert payload["custom_args"] == {"idempotency_key": "order-paid:MP-1"}


@pytest.mark.parametrize("status", [304, 400, 401, 500, 503])
def test_a_non_2xx_answer_raises_so_the_job_retries(stand_in, status):
    stand_in.status, stand_in.body = status, b'{"errors": [{"message": "boom"}]}'

    with pytest.raises(DeliveryError, match=f"HTTP {status}"):
        SendGridSender("SG.test-key", stand_in.base_url, FROM).send(MESSAGE)

    assert len(stand_in.received) == 1


def test_a_server_that_does_not_answer_times_out(stand_in):
    stand_in.hang = True

    with pytest.raises(OSError):
        SendGridSender("SG.test-key", stand_in.base_url, FROM, timeout=0.2).send(MESSAGE)

    assert len(stand_in.wait_for_requests(1)) == 1 and not stand_in.answered.is_set()


def test_a_refused_connection_raises():
    with pytest.raises(OSError):
        SendGridSender("SG.test-key", refusing_base_url(), FROM).send(MESSAGE)


CONFIG = {
    "MAIL_FROM": FROM,
    "MAIL_SENDER": "sendgrid",
    "SENDGRID_API_KEY": "SG.configured",
    "SENDGRID_HOST": "https://sendgrid.internal",
}


def test_mail_sender_sendgrid_builds_the_sender_from_the_config():
    sender = sender_from_config(CONFIG)

    assert sender == SendGridSender("SG.configured", "https://sendgrid.internal", FROM)


def test_mail_sender_sendgrid_needs_an_api_key():
    with pytest.raises(ValueError, match="SENDGRID_API_KEY"):
        sender_from_config({**CONFIG, "SENDGRID_API_KEY": ""})
