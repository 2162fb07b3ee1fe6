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


def message(number: int = 1, message_id: str = "") -> EmailMessage:
    return EmailMessage(
        to=f"user{number}@example.com",
        subject=f"Subject {number}",
        text=f"Plain body {number}",
        html=f"<p>HTML body {number}</p>",
        message_id=message_id,
    )


def parse(path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_file_sender_writes_one_rfc5322_file_per_message(tmp_path):
    outbox = tmp_path / "outbox"
    sender = FileSender(outbox, FROM)

    ids = [sender.send(message(1)), sender.send(message(1)), sender.send(message(2))]

    files = list(outbox.iterdir())
    assert len(files) == 3 and all(path.suffix == ".eml" for path in files)
    assert sorted(parse(path)["Message-ID"] for path in files) == sorted(ids)
    (last,) = [path for path in files if parse(path)["Message-ID"] == ids[-1]]
    raw = last.read_bytes()
    assert b"\r\n" in raw
    parsed = parse(last)
    assert parsed["To"] == "user2@example.com" and parsed["From"] == FROM
    assert parsed.get_body(("plain",)).get_content().strip() == "Plain body 2"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>HTML body 2</p>"


def test_file_sender_writes_a_message_id_once(tmp_path):
    outbox = tmp_path / "outbox"
    sender = FileSender(outbox, FROM)
    again = message(1, message_id="<abc123@shop.example>")

    assert sender.send(again) == "<abc123@shop.example>"
    assert sender.send(again) == "<abc123@shop.example>"

    (written,) = outbox.iterdir()
    assert written.name == "abc123@shop.example.eml"
    assert parse(written)["Message-ID"] == "<abc123@shop.example>"


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
