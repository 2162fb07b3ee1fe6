"""Email messages: job payloads and the RFC 5322 message built from a message."""

from __future__ import annotations

import email
import email.policy
import pickle

import pytest

from app.notifications.messages import EmailMessage, EmailRequest, to_mime

MESSAGE = EmailMessage(
    to="ann@example.com",
    subject="Reset your password",
    text="Hello Ann,\nfollow the link.",
    html="<p>Hello Ann, <a href='https://shop.example/r'>follow the link</a>.</p>",
)


def test_request_survives_the_round_trip_a_job_argument_makes():
    request = EmailRequest("password_reset", "ann@example.com", "Reset", {"name": "Ann"})

    payload = pickle.loads(pickle.dumps(request.as_dict()))

    assert payload == {
        "template": "password_reset",
        "to": "ann@example.com",
        "subject": "Reset",
        "context": {"name": "Ann"},
    }
    assert EmailRequest.from_dict(payload) == request


@pytest.mark.parametrize("name", ["../secret", "password_reset.html", "", "Password"])
def test_template_names_are_plain_identifiers(name):
    with pytest.raises(ValueError, match="template"):
        EmailRequest(name, "ann@example.com", "Reset")


def test_mime_message_has_headers_and_a_text_and_an_html_part():
    mime = to_mime(MESSAGE, "Marketplace <no-reply@shop.example>")

    parsed = email.message_from_bytes(mime.as_bytes(), policy=email.policy.default)
    assert parsed["To"] == "ann@example.com"
    assert parsed["From"] == "Marketplace <no-reply@shop.example>"
    assert parsed["Subject"] == "Reset your password"
    assert parsed["Date"] and parsed["Message-ID"].endswith("@shop.example>")
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content().strip() == MESSAGE.text
    assert "follow the link</a>" in parsed.get_body(("html",)).get_content()
