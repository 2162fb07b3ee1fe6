"""Email messages: what to send, rendered from `templates/email/<name>.txt` and `.html`."""

from __future__ import annotations

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


def render_email(request: EmailRequest) -> EmailMessage:
    """Render both bodies of the requested email (needs an app context, not a request)."""
    context = {**request.context, "subject": request.subject}
    return EmailMessage(
        to=request.to,
        subject=request.subject,
        text=render_template(f"email/{request.template}.txt", **context),
        html=render_template(f"email/{request.template}.html", **context),
    )


def to_mime(message: EmailMessage, from_address: str) -> MimeMessage:
    """The RFC 5322 message: headers, a text/plain part and its text/html alternative."""
    mime = MimeMessage()
    mime["From"] = from_address
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(usegmt=True)
    sender_domain = parseaddr(from_address)[1].rpartition("@")[2] or None
    mime["Message-ID"] = make_msgid(domain=sender_domain)
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    return mime
