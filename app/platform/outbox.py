"""The transactional outbox: record domain events with the change, relay them after commit.

`record_event` adds an event row to the caller's transaction. When that transaction commits, each
new event is handed to the `jobs.events.deliver` job; if the queue cannot take it (Redis down), the
row waits and `relay_pending` (run on a schedule) hands it over later. Nothing is lost.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.database import utcnow
from app.platform.jobs import enqueue
from app.platform.models import OutboxEvent, ProcessedEvent

log = logging.getLogger("marketplace.outbox")

DELIVER_JOB = "jobs.events.deliver"
PENDING_KEY = "outbox_pending"


def record_event(session: Session, name: str, payload: dict) -> OutboxEvent:
    """Add a domain event to the session's transaction; it is relayed once that commits."""
    outbox_event = OutboxEvent(name=name, payload=payload)
    session.add(outbox_event)
    return outbox_event


def relay(event_id: int) -> bool:
    """Hand one event to the deliver job; False (and logged) when the queue is unavailable."""
    try:
        enqueue(DELIVER_JOB, event_id)
    except Exception:
        log.warning("outbox event %s waits for the relay: queue unavailable", event_id)
        return False
    return True


def _after_flush(session: Session, _context) -> None:
    flushed = [obj.id for obj in session.new if isinstance(obj, OutboxEvent)]
    if flushed:
        session.info.setdefault(PENDING_KEY, []).extend(flushed)


def _after_commit(session: Session) -> None:
    for event_id in session.info.pop(PENDING_KEY, []):
        relay(event_id)


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


def install() -> None:
    """Relay recorded events after every commit of every session (done once per process)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def pending_event_ids(session: Session, older_than: timedelta, limit: int = 500) -> list[int]:
    """Undelivered events recorded more than `older_than` ago, oldest first."""
    cutoff = utcnow() - older_than
    return list(
        session.scalars(
            sa.select(OutboxEvent.id)
            .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.created_at < cutoff)
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
    )


def relay_pending(session: Session, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Hand every stale undelivered event to the queue again; returns how many were handed."""
    return sum(relay(event_id) for event_id in pending_event_ids(session, older_than))


def claim(session: Session, event_id: int, handler: str) -> bool:
    """Mark `handler` as having processed the event, in the caller's transaction.

    False when it already has: the caller then skips the handler. Two concurrent deliveries
    serialise on the marker's primary key, so only one of them applies the event.
    """
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, handler=handler))
    except IntegrityError:
        return False
    return True


def mark_delivered(session: Session, event_id: int, at: datetime | None = None) -> None:
    """Record that every handler of the event has run."""
    session.execute(
        sa.update(OutboxEvent)
        .where(OutboxEvent.id == event_id)
        .values(delivered_at=at or utcnow(), last_error="")
    )


def mark_failed(session: Session, event_id: int, error: str) -> None:
    """Count a failed delivery attempt and keep the error for the admin job monitor."""
    session.execute(
        sa.update(OutboxEvent)
        .where(OutboxEvent.id == event_id)
        .values(attempts=OutboxEvent.attempts + 1, last_error=error[:2000])
    )
