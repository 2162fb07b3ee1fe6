"""Email messages: what to send, rendered from `templates/email/<name>.txt` and `.html`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import render_template

TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class EmailMessage:
    """One email to one recipient, with a plain-text and an HTML body."""

    to: str
    subject: str
    text: str
    html: str
    message_id: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True)
class EmailRequest:
    """What a send-email job is given: a template name and plain-data context, no objects."""

    template: str
    to: str
    subject: str
    context: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not TEMPLATE_NAME.match(self.template):
            raise ValueError(f"not an email template name: {self.template!r}")

    def as_dict(self) -> dict:
        """The job argument: a plain dict that survives pickling and JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> EmailRequest:
        """Rebuild the request a job was given."""
        return cls(
            template=data["template"],
            to=data["to"],
            subject=data["subject"],
            context=dict(data.get("context") or {}),
        )


def render_email(request: EmailRequest, message_id: str = "", key: str = "") -> EmailMessage:
    """Render both bodies of the requested email (needs an app context, not a request)."""
    context = {**request.context, "subject": request.subject}
    return EmailMessage(
        to=request.to,
        subject=request.subject,
        text=render_template(f"email/{request.template}.txt", **context),
        html=render_template(f"email/{request.template}.html", **context),
        message_id=message_id,
        idempotency_key=key,
    )


def sender_domain(from_address: str) -> str | None:
    """The domain of the From address, for Message-IDs."""
    return parseaddr(from_address)[1].rpartition("@")[2] or None


def stable_message_id(key: str, from_address: str) -> str:
    """The Message-ID of the email queued under `key`: the same on every attempt, so a message
    sent again can be recognised as the same one."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{sender_domain(from_address) or 'localhost'}>"


def to_mime(message: EmailMessage, from_address: str) -> MimeMessage:
    """The RFC 5322 message: headers, a text/plain part and its text/html alternative."""
    mime = MimeMessage()
    mime["From"] = from_address
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(usegmt=True)
    mime["Message-ID"] = message.message_id or make_msgid(domain=sender_domain(from_address))
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    return mime
