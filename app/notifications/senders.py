"""Email senders: one interface, chosen by MAIL_SENDER ("file", "console", "smtp" or "sendgrid")."""

from __future__ import annotations

import logging
import os
import re
import smtplib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.policy import SMTP
from pathlib import Path
from typing import Protocol

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Header, Mail

from app.notifications.messages import EmailMessage, to_mime

SMTP_TIMEOUT_SECONDS = 10.0
SENDGRID_TIMEOUT_SECONDS = 10.0
UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9@._-]")

log = logging.getLogger("marketplace.mail")


class DeliveryError(RuntimeError):
    """The email service refused or failed the message."""


class Sender(Protocol):
    """Delivers an email or raises (the job that called it retries)."""

    def send(self, message: EmailMessage) -> str:
        """Deliver one message; returns the id the provider knows it by."""


@dataclass
class FileSender:
    """Writes each message as an .eml file in a directory: for development and tests.

    The file is named after the Message-ID, and a message is never written twice: sent again
    under the same Message-ID, it is logged and left as it was, as a provider that deduplicates
    by Message-ID would.
    """

    outbox_dir: Path
    from_address: str

    def send(self, message: EmailMessage) -> str:
        """Write the message to its file, atomically; returns its Message-ID."""
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        mime = to_mime(message, self.from_address)
        message_id = mime["Message-ID"]
        path = self.outbox_dir / f"{UNSAFE_IN_FILE_NAME.sub('_', message_id.strip('<>'))}.eml"
        partial = self.outbox_dir / f"{path.name}.{uuid.uuid4().hex[:12]}.part"
        partial.write_bytes(mime.as_bytes(policy=SMTP))
        try:
            os.link(partial, path)
        except FileExistsError:
            log.warning("email %s was written before: not written again", message_id)
        finally:
            partial.unlink()
        return message_id


@dataclass
class ConsoleSender:
    """Logs each message instead of sending it."""

    from_address: str
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("marketplace.mail"))

    def send(self, message: EmailMessage) -> str:
        """Log the recipient, subject and plain-text body; returns the Message-ID (if any)."""
        self.logger.info(
            "email to %s from %s: %s\n\n%s",
            message.to,
            self.from_address,
            message.subject,
            message.text,
        )
        return message.message_id


@dataclass
class SmtpSender:
    """Sends through an SMTP server (SMTP_HOST, SMTP_PORT)."""

    host: str
    port: int
    from_address: str
    timeout: float = SMTP_TIMEOUT_SECONDS

    def send(self, message: EmailMessage) -> str:
        """Hand the message to the server; connection errors propagate so the job retries.
        Returns the Message-ID."""
        mime = to_mime(message, self.from_address)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as connection:
            connection.send_message(mime)
        return mime["Message-ID"]


@dataclass
class SendGridSender:
    """Sends through the SendGrid v3 Mail Send API (SENDGRID_API_KEY, SENDGRID_HOST)."""

    api_key: str
    host: str
    from_address: str
    timeout: float = SENDGRID_TIMEOUT_SECONDS

    def send(self, message: EmailMessage) -> str:
        """POST the message to /v3/mail/send. The SDK's client raises for every non-2xx answer
        (re-raised as DeliveryError); connection errors propagate. Either way the job retries.

        The Mail Send API takes no idempotency key. What it offers is passed instead: the stable
        Message-ID as a header and the email's idempotency key in custom_args (both come back
        in SendGrid's event webhook), so a message sent twice can be recognised as one.
        Returns SendGrid's X-Message-Id."""
        client = SendGridAPIClient(self.api_key, host=self.host)
        client.client.timeout = self.timeout
        mail = Mail(
            from_email=self.from_address,
            to_emails=message.to,
            subject=message.subject,
            plain_text_content=message.text,
            html_content=message.html,
        )
        if message.message_id:
            mail.header = Header("Message-ID", message.message_id)
        if message.idempotency_key:
            mail.custom_arg = CustomArg("idempotency_key", message.idempotency_key)
        try:
            response = client.send(mail)
        except HTTPError as error:
            raise DeliveryError(
                f"SendGrid refused the email to {message.to}: HTTP {error.status_code} "
                f"{error.body!r}"
            ) from error
        return response.headers.get("X-Message-Id", "")


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
