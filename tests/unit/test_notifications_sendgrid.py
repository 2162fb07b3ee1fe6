"""The SendGrid sender, against a local HTTP stand-in for the v3 Mail Send API."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.notifications.messages import EmailMessage
from app.notifications.senders import DeliveryError, SendGridSender, sender_from_config

FROM = "Marketplace <no-reply@shop.example>"
MESSAGE = EmailMessage(
    to="ann@example.com",
    subject="Your order #1042",
    text="Hello Ann,\nthanks for your order.",
    html="<p>Hello Ann, thanks for your <strong>order</strong>.</p>",
)


def lowercase(headers) -> dict[str, str]:
    """Header names are case-insensitive: keep them lower-case."""
    return {name.lower(): value for name, value in headers.items()}


@dataclass
class Received:
    """One request the stand-in was sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class SendGridStandIn:
    """Answers every request with `status` and records what it was sent."""

    base_url: str = ""
    status: int = 202
    hang: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    received: list[Received] = field(default_factory=list)


@pytest.fixture()
def stand_in() -> Iterator[SendGridStandIn]:
    """A local HTTP server on 127.0.0.1 playing api.sendgrid.com."""
    state = SendGridStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.received.append(
                Received("POST", self.path, lowercase(self.headers), self.rfile.read(length))
            )
            if state.hang:
                state.release.wait()
                return
            body = b"" if state.status == 202 else b'{"errors": [{"message": "boom"}]}'
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


def test_sends_the_message_to_the_mail_send_api(stand_in):
    SendGridSender("SG.test-key", stand_in.base_url, FROM).send(MESSAGE)

    (request,) = stand_in.received
    assert request.method == "POST" and request.path == "/v3/mail/send"
    assert request.headers["authorization"] == "Bearer SG.test-key"
    assert request.headers["content-type"] == "application/json"
    payload = json.loads(request.body)
    assert payload["from"] == {"name": "Marketplace", "email": "no-reply@shop.example"}
    assert payload["personalizations"] == [{"to": [{"email": "ann@example.com"}]}]
    assert payload["subject"] == "Your order #1042"
    assert payload["content"] == [
        {"type": "text/plain", "value": MESSAGE.text},
        {"type": "text/html", "value": MESSAGE.html},
    ]


@pytest.mark.parametrize("status", [304, 400, 401, 500, 503])
def test_a_non_2xx_answer_raises_so_the_job_retries(stand_in, status):
    stand_in.status = status

    with pytest.raises(DeliveryError, match=f"HTTP {status}"):
        SendGridSender("SG.test-key", stand_in.base_url, FROM).send(MESSAGE)

    assert len(stand_in.received) == 1


def test_a_server_that_does_not_answer_times_out(stand_in):
    stand_in.hang = True

    with pytest.raises(OSError):
        SendGridSender("SG.test-key", stand_in.base_url, FROM, timeout=0.2).send(MESSAGE)

    assert len(stand_in.received) == 1 and not stand_in.release.is_set()


def test_a_refused_connection_raises():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(OSError):
        SendGridSender("SG.test-key", f"http://127.0.0.1:{closed_port}", FROM).send(MESSAGE)


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
