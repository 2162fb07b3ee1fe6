"""The send job's steps on an email row: claim it, then mark it sent or schedule its retry.

Every step names the attempt it belongs to (the row's attempt count when the job was handed
it), so a stale or duplicated job finds nothing to do: of two jobs for one email, only the one
whose claim moved the row from pending to sending may send it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.database import utcnow
from app.notifications.messages import EmailRequest
from app.notifications.models import EmailState, OutboxEmail

ERROR_MAX = 2000


def claim(
    session: Session, email_id: int, attempt: int, *, lease: timedelta, max_attempts: int
) -> OutboxEmail | None:
    """Move the email from pending to sending for `lease`, atomically, and commit; None when this
    attempt is not (or no longer) the one to make. An email whose attempts are used up is marked
    failed. The email returned is detached, as it was when claimed."""
    now = utcnow()
    mine = (
        OutboxEmail.id == email_id,
        OutboxEmail.state == EmailState.PENDING,
        OutboxEmail.attempts == attempt,
    )
    if attempt >= max_attempts:
        session.execute(
            sa.update(OutboxEmail)
            .where(*mine)
            .values(state=EmailState.FAILED, last_error="no attempts left: a sender died")
        )
        session.commit()
        return None
    email = session.scalar(
        sa.update(OutboxEmail)
        .where(*mine)
        .values(state=EmailState.SENDING, attempts=attempt + 1, next_attempt_at=now + lease)
        .returning(OutboxEmail)
    )
    if email is not None:
        session.expunge(email)  # kept as claimed: the commit does not expire it
    session.commit()
    return email


def claim_first_attempts(
    session: Session, email_ids: list[int], *, lease: timedelta
) -> list[OutboxEmail]:
    """`claim` for the first attempt at many emails in one statement, committed; returns the
    ones this caller may send (detached, as claimed), in id order."""
    claimed = session.scalars(
        sa.update(OutboxEmail)
        .where(
            OutboxEmail.id.in_(email_ids),
            OutboxEmail.state == EmailState.PENDING,
            OutboxEmail.attempts == 0,
        )
        .values(state=EmailState.SENDING, attempts=1, next_attempt_at=utcnow() + lease)
        .returning(OutboxEmail)
    ).all()
    for email in claimed:
        session.expunge(email)
    session.commit()
    return sorted(claimed, key=lambda email: email.id)


def as_request(email: OutboxEmail) -> EmailRequest:
    """What to render for the email."""
    return EmailRequest(
        template=email.template,
        to=email.recipient,
        subject=email.subject,
        context=dict(email.context),
    )


def mark_sent(session: Session, email_id: int, attempt: int, provider_message_id: str) -> bool:
    """Record that the attempt `attempt` (the claim's count) delivered the email. It still counts
    when the relay has handed the email over again meanwhile, as long as no later attempt has
    claimed it; False when one has (the email then goes out twice)."""
    marked = session.execute(
        sa.update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.attempts == attempt,
            OutboxEmail.state.in_((EmailState.SENDING, EmailState.PENDING)),
        )
        .values(
            state=EmailState.SENT,
            sent_at=utcnow(),
            provider_message_id=provider_message_id[:255],
            last_error="",
        )
    )
    return marked.rowcount == 1


def retry_delay(attempt: int, first_delay_seconds: int) -> timedelta:
    """Exponential backoff: the first delay after the first failure, doubling after each."""
    return timedelta(seconds=first_delay_seconds * 2 ** (attempt - 1))


def record_failure(
    session: Session,
    email_id: int,
    attempt: int,
    error: str,
    *,
    max_attempts: int,
    first_delay_seconds: int,
    now: datetime | None = None,
) -> str:
    """Keep the error; schedule the next attempt with backoff, or give up after the last one.
    Returns the email's new state."""
    now = now or utcnow()
    if attempt >= max_attempts:
        values = {"state": EmailState.FAILED}
    else:
        values = {
            "state": EmailState.PENDING,
            "next_attempt_at": now + retry_delay(attempt, first_delay_seconds),
        }
    session.execute(
        sa.update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.attempts == attempt,
            OutboxEmail.state == EmailState.SENDING,
        )
        .values(last_error=error[:ERROR_MAX], **values)
    )
    return values["state"]
