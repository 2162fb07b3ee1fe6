"""Email jobs."""

from __future__ import annotations

from flask import current_app

from app.notifications.messages import EmailRequest, render_email
from app.notifications.senders import sender_from_config
from jobs.runtime import with_app_context


@with_app_context
def send_email(message: dict) -> None:
    """Render the requested email (`EmailRequest.as_dict()`) and send it with MAIL_SENDER."""
    email = render_email(EmailRequest.from_dict(message))
    sender_from_config(current_app.config).send(email)
