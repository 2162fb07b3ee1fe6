"""Queue emails in the email outbox: a row in the caller's transaction, sent after it commits.

`queue_email` adds the email to the session's transaction, so an event handler's emails commit
with its "already processed" marker and a request's email with its change (a rollback leaves
none). Once the transaction commits, each new email is handed to the `jobs.email.send_email` job
under an RQ job id made of the email id and its attempt count. If the queue cannot take it
(Redis down, or lost its jobs), the row waits and `relay_due`, run on a schedule, hands it over
again once its lease has run out, unless that job is still queued: one attempt is never queued
twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.database import utcnow
from app.notifications.messages import EmailRequest
from app.notifications.models import EmailState, OutboxEmail
from app.platform.jobs import enqueue, live_jobs, uses_queue

log = logging.getLogger("marketplace.mail")

SEND_JOB = "jobs.email.send_email"
PENDING_KEY = "email_outbox_pending"
KEEP_KEY = "email_outbox_keep"
WAITING = (EmailState.PENDING, EmailState.SENDING)


def queue_email(session: Session, request: EmailRequest, *, key: str) -> OutboxEmail | None:
    """Add the email to the session's transaction; it is sent once that commits.

    `key` names what the email announces ("order-confirmed:MP-1001"): a second email under the
    same key is not queued (None is returned), so a repeated call never sends twice. One
    `INSERT ... ON CONFLICT DO NOTHING`, no savepoint: a handler queueing emails costs one
    statement each.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    email = session.scalar(
        insert(OutboxEmail)
        .values(
            idempotency_key=key,
            recipient=request.to,
            template=request.template,
            subject=request.subject,
            context=request.context,
            next_attempt_at=utcnow() + lease(),
        )
        .on_conflict_do_nothing(index_elements=[OutboxEmail.idempotency_key])
        .returning(OutboxEmail)
    )
    if email is not None:
        session.info.setdefault(PENDING_KEY, []).append(email.id)
    return email


def lease() -> timedelta:
    """How long an email handed to the queue, or being sent, is left alone by the relay."""
    return timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])


def send_job_id(email_id: int, attempt: int) -> str:
    """The RQ job id of one attempt at one email."""
    return f"email-{email_id}-{attempt}"


def hand_over(email_id: int, attempt: int) -> bool:
    """Hand one email to the send job; False (and logged) when the queue is unavailable."""
    try:
        enqueue(SEND_JOB, email_id, attempt, job_id=send_job_id(email_id, attempt), retries=0)
    except Exception:
        log.warning("email %s waits for the relay: queue unavailable", email_id)
        return False
    return True


def relay_due(session: Session, now: datetime | None = None, limit: int = 500) -> int:
    """Hand over again every email whose time has come: a retry that is due, a hand-over that
    was lost with the queue, a send whose worker died. Returns how many were handed."""
    now = now or utcnow()
    due = (
        sa.select(OutboxEmail.id)
        .where(OutboxEmail.state.in_(WAITING), OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    handed = session.execute(
        sa.update(OutboxEmail)
        .where(OutboxEmail.id.in_(due.scalar_subquery()))
        .values(state=EmailState.PENDING, next_attempt_at=now + lease())
        .returning(OutboxEmail.id, OutboxEmail.attempts)
    ).all()
    session.commit()
    return sum(hand_over(email_id, attempt) for email_id, attempt in _not_queued(handed))


def _not_queued(handed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    app = current_app._get_current_object()
    if not handed or not uses_queue(app):
        return handed
    queued = live_jobs(app, {send_job_id(*email) for email in handed})
    return [email for email in handed if send_job_id(*email) not in queued]


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: the emails are not committed yet
    committed = session.info.pop(PENDING_KEY, [])
    if KEEP_KEY in session.info:
        session.info[KEEP_KEY].extend(committed)
        return
    for email_id in committed:
        hand_over(email_id, 0)


@contextmanager
def kept_for_caller(session: Session) -> Iterator[list[int]]:
    """Emails the session commits inside the block are not handed to the queue but appended to
    the yielded list, for the caller to send (their first attempt) itself; whatever it leaves
    there is handed over at the end. A caller that dies first leaves them to `relay_due`."""
    kept: list[int] = []
    session.info[KEEP_KEY] = kept
    try:
        yield kept
    finally:
        session.info.pop(KEEP_KEY, None)
        for email_id in kept:
            hand_over(email_id, 0)


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


def install() -> None:
    """Hand queued emails over after every commit of every session (done once per process)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)
