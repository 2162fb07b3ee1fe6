"""Queue emails: they are rendered and sent by a background job, never inside the request."""

from __future__ import annotations

from app.notifications.messages import EmailRequest
from app.platform.jobs import enqueue


def queue_email(request: EmailRequest) -> None:
    """Send the email in the background (RQ, or in-process after the response)."""
    enqueue("jobs.email.send_email", request.as_dict())
