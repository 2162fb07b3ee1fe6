"""Email senders: one interface, chosen by MAIL_SENDER ("file", "console" or "smtp")."""

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

from app.notifications.messages import EmailMessage, to_mime

SMTP_TIMEOUT_SECONDS = 10.0


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
    raise ValueError(f"MAIL_SENDER must be 'file', 'console' or 'smtp', not {name!r}")
