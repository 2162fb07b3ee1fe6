"""Email senders: one interface, chosen by MAIL_SENDER ("file", "console", "smtp" or "sendgrid")."""

from __future__ import annotations

import logging
import os
import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.policy import SMTP
from pathlib import Path
from typing import Protocol

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail

from app.notifications.messages import EmailMessage, to_mime

SMTP_TIMEOUT_SECONDS = 10.0
SENDGRID_TIMEOUT_SECONDS = 10.0


class DeliveryError(RuntimeError):
    """The email service refused or failed the message."""


class Sender(Protocol):
    """Delivers an email or raises (the job that called it retries)."""

    def send(self, message: EmailMessage) -> None:
        """Deliver one message."""


@dataclass
class FileSender:
    """Writes each message as an .eml file in a directory: for development and tests."""

    outbox_dir: Path
    from_address: str

    def send(self, message: EmailMessage) -> None:
        """Write the message to a new, uniquely named file, atomically."""
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.outbox_dir / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        partial = path.with_suffix(".eml.part")
        partial.write_bytes(to_mime(message, self.from_address).as_bytes(policy=SMTP))
        os.replace(partial, path)


@dataclass
class ConsoleSender:
    """Logs each message instead of sending it."""

    from_address: str
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("marketplace.mail"))

    def send(self, message: EmailMessage) -> None:
        """Log the recipient, subject and plain-text body."""
        self.logger.info(
            "email to %s from %s: %s\n\n%s",
            message.to,
            self.from_address,
            message.subject,
            message.text,
        )


@dataclass
class SmtpSender:
    """Sends through an SMTP server (SMTP_HOST, SMTP_PORT)."""

    host: str
    port: int
    from_address: str
    timeout: float = SMTP_TIMEOUT_SECONDS

    def send(self, message: EmailMessage) -> None:
        """Hand the message to the server; connection errors propagate so the job retries."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as connection:
            connection.send_message(to_mime(message, self.from_address))


@dataclass
class SendGridSender:
    """Sends through the SendGrid v3 Mail Send API (SENDGRID_API_KEY, SENDGRID_HOST)."""

    api_key: str
    host: str
    from_address: str
    timeout: float = SENDGRID_TIMEOUT_SECONDS

    def send(self, message: EmailMessage) -> None:
        """POST the message to /v3/mail/send. The SDK's client raises for every non-2xx answer
        (re-raised as DeliveryError); connection errors propagate. Either way the job retries."""
        client = SendGridAPIClient(self.api_key, host=self.host)
        client.client.timeout = self.timeout
        mail = Mail(
            from_email=self.from_address,
            to_emails=message.to,
            subject=message.subject,
            plain_text_content=message.text,
            html_content=message.html,
        )
        try:
            client.send(mail)
        except HTTPError as error:
            raise DeliveryError(
                f"SendGrid refused the email to {message.to}: HTTP {error.status_code} "
                f"{error.body!r}"
            ) from error


def sender_from_config(config: Mapping) -> Sender:
    """The sender MAIL_SENDER names, built from the app config."""
    name = config.get("MAIL_SENDER", "file")
    from_address = config["MAIL_FROM"]
    if name == "file":
        return FileSender(Path(config["MAIL_OUTBOX_DIR"]), from_address)
    if name == "console":
        return ConsoleSender(from_address)
    if name == "smtp":
        return SmtpSender(config["SMTP_HOST"], int(config["SMTP_PORT"]), from_address)
    if name == "sendgrid":
        if not config.get("SENDGRID_API_KEY"):
            raise ValueError("MAIL_SENDER is 'sendgrid' but SENDGRID_API_KEY is not set")
        return SendGridSender(config["SENDGRID_API_KEY"], config["SENDGRID_HOST"], from_address)
    raise ValueError(f"MAIL_SENDER must be 'file', 'console', 'smtp' or 'sendgrid', not {name!r}")
