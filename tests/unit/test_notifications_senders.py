"""Senders: the file outbox, the console log, SMTP, and choosing one from the config."""

from __future__ import annotations

import email
import email.policy
import logging

import pytest

from app.notifications import senders
from app.notifications.messages import EmailMessage
from app.notifications.senders import ConsoleSender, FileSender, SmtpSender, sender_from_config

FROM = "Marketplace <no-reply@shop.example>"


def message(number: int = 1) -> EmailMessage:
    return EmailMessage(
        to=f"user{number}@example.com",
        subject=f"Subject {number}",
        text=f"Plain body {number}",
        html=f"<p>HTML body {number}</p>",
    )


def test_file_sender_writes_one_rfc5322_file_per_message(tmp_path):
    outbox = tmp_path / "outbox"
    sender = FileSender(outbox, FROM)

    sender.send(message(1))
    sender.send(message(1))
    sender.send(message(2))

    files = sorted(outbox.iterdir())
    assert len(files) == 3 and all(path.suffix == ".eml" for path in files)
    raw = files[-1].read_bytes()
    assert b"\r\n" in raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["To"] == "user2@example.com" and parsed["From"] == FROM
    assert parsed.get_body(("plain",)).get_content().strip() == "Plain body 2"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>HTML body 2</p>"


def test_console_sender_logs_the_message(caplog):
    logger = logging.getLogger("test.console_sender")

    with caplog.at_level(logging.INFO, logger="test.console_sender"):
        ConsoleSender(FROM, logger=logger).send(message(3))

    assert "user3@example.com" in caplog.text
    assert "Subject 3" in caplog.text and "Plain body 3" in caplog.text


class FakeSmtp:
    """Stands in for smtplib.SMTP and records what it was asked to do."""

    sent: list = []
    opened: list = []

    def __init__(self, host, port, timeout):
        FakeSmtp.opened.append((host, port, timeout))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def send_message(self, mime):
        FakeSmtp.sent.append(mime)


def test_smtp_sender_hands_the_message_to_the_server(monkeypatch):
    FakeSmtp.sent, FakeSmtp.opened = [], []
    monkeypatch.setattr(senders.smtplib, "SMTP", FakeSmtp)

    SmtpSender("mail.internal", 2525, FROM).send(message(4))

    assert FakeSmtp.opened == [("mail.internal", 2525, senders.SMTP_TIMEOUT_SECONDS)]
    (mime,) = FakeSmtp.sent
    assert mime["To"] == "user4@example.com"
    assert mime.get_body(("html",)).get_content().strip() == "<p>HTML body 4</p>"


BASE_CONFIG = {
    "MAIL_FROM": FROM,
    "MAIL_OUTBOX_DIR": "/tmp/outbox",
    "SMTP_HOST": "mail.internal",
    "SMTP_PORT": 25,
}


@pytest.mark.parametrize(
    ("name", "kind"),
    [("file", FileSender), ("console", ConsoleSender), ("smtp", SmtpSender)],
)
def test_mail_sender_setting_picks_the_sender(name, kind):
    assert isinstance(sender_from_config({**BASE_CONFIG, "MAIL_SENDER": name}), kind)


def test_file_sender_is_the_default():
    assert isinstance(sender_from_config(BASE_CONFIG), FileSender)


def test_unknown_sender_is_a_configuration_error():
    with pytest.raises(ValueError, match="MAIL_SENDER"):
        sender_from_config({**BASE_CONFIG, "MAIL_SENDER": "pigeon"})
