"""Email jobs: send one email of the email outbox once; hand over again the ones whose time has
come (see app.notifications.dispatch)."""

from __future__ import annotations

import logging

from flask import current_app

from app.database import db
from app.notifications import dispatch
from app.notifications import outbox as mail
from app.notifications.messages import render_email, stable_message_id
from app.notifications.senders import sender_from_config
from jobs.runtime import with_app_context

log = logging.getLogger("marketplace.mail")


@with_app_context
def send_email(email_id: int, attempt: int) -> str:
    """Claim attempt `attempt` at the email, send it with MAIL_SENDER and mark it sent; on
    failure keep the error and schedule the next attempt. Returns the email's state, or "" when
    this attempt was not the one to make (already made, or another job is on it)."""
    session = db.session
    email = mail.claim(
        session,
        email_id,
        attempt,
        lease=dispatch.lease(),
        max_attempts=current_app.config["MAIL_MAX_ATTEMPTS"],
    )
    if email is None:
        return ""
    return _send(session, email, attempt + 1)


def send_first_attempts(email_ids: list[int]) -> int:
    """The first attempt at each of the emails (in the caller's app context): claimed together
    in one statement, then each sent and marked sent on its own, as `send_email` does, so a
    worker that dies leaves at most the one it was sending in doubt. Returns how many were sent."""
    session = db.session
    claimed = mail.claim_first_attempts(session, email_ids, lease=dispatch.lease())
    return sum(_send(session, email, 1) == "sent" for email in claimed)


def _send(session, email, mine: int) -> str:
    """Send a claimed email (attempt `mine`), then mark it sent or record the failure; commits."""
    config = current_app.config
    try:
        message = render_email(
            mail.as_request(email),
            message_id=stable_message_id(email.idempotency_key, config["MAIL_FROM"]),
            key=email.idempotency_key,
        )
        provider_id = sender_from_config(config).send(message)
    except Exception as error:
        state = mail.record_failure(
            session,
            email.id,
            mine,
            f"{error!r}",
            max_attempts=config["MAIL_MAX_ATTEMPTS"],
            first_delay_seconds=config["MAIL_RETRY_SECONDS"],
        )
        session.commit()
        log.warning("email %s attempt %s failed (%s): %r", email.id, mine, state, error)
        return state
    if not mail.mark_sent(session, email.id, mine, provider_id):
        log.warning("email %s: attempt %s sent it after a later one claimed it", email.id, mine)
    session.commit()
    return "sent"


@with_app_context
def relay_emails() -> int:
    """Scheduled: hand over the emails whose retry is due, whose hand-over was lost, or whose
    sender died (its lease ran out). Returns how many were handed."""
    return dispatch.relay_due(db.session)
