"""The transactional outbox: record domain events with the change, relay them after commit.

`record_event` adds an event row to the caller's transaction. When that transaction commits, its
new events are handed together to one `jobs.delivery.deliver_events` job; if the queue cannot take
them (Redis down), the rows wait and `relay_pending` (run on a schedule) hands them over later.
Nothing is lost.

Nothing is queued twice either: each event handed to RQ gets a lease, a Redis key naming its job,
and `relay_pending` hands over again only the events whose job is no longer queued, running or
waiting for a retry (it finished without delivering them, failed for good, or Redis lost it).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import redis
import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.database import utcnow
from app.extensions import redis_client
from app.platform.jobs import enqueue, live_jobs, uses_queue
from app.platform.models import OutboxEvent, ProcessedEvent

log = logging.getLogger("marketplace.outbox")

DELIVER_JOB = "jobs.delivery.deliver_events"
PENDING_KEY = "outbox_pending"
KEEP_KEY = "outbox_keep"
LEASE_PREFIX = "outbox:lease:"
LEASE_SECONDS = 7 * 24 * 3600
BATCH_SIZE = 100
RELAY_PAGE = 1000


def record_event(session: Session, name: str, payload: dict) -> OutboxEvent:
    """Add a domain event to the session's transaction; it is relayed once that commits."""
    outbox_event = OutboxEvent(name=name, payload=payload)
    session.add(outbox_event)
    return outbox_event


def relay(event_ids: list[int]) -> bool:
    """Hand events to one deliver job; False (and logged) when the queue is unavailable.

    With RQ, each event's lease names the job before it is queued, so the relay leaves it alone.
    """
    try:
        if uses_queue(current_app):
            job_id = f"deliver-{event_ids[0]}-{secrets.token_hex(4)}"
            _lease(event_ids, job_id)
            enqueue(DELIVER_JOB, event_ids, job_id=job_id)
        else:
            enqueue(DELIVER_JOB, event_ids)
    except Exception:
        log.warning("outbox events %s wait for the relay: queue unavailable", event_ids)
        return False
    return True


def _lease(event_ids: list[int], job_id: str) -> None:
    with redis_client(current_app).pipeline(transaction=False) as pipe:
        for event_id in event_ids:
            pipe.set(f"{LEASE_PREFIX}{event_id}", job_id, ex=LEASE_SECONDS)
        pipe.execute()


def release(event_ids: list[int]) -> None:
    """Drop the leases of delivered events (they are no longer pending, the keys only take room;
    if Redis is down they simply expire)."""
    if event_ids and uses_queue(current_app):
        keys = [f"{LEASE_PREFIX}{event_id}" for event_id in event_ids]
        try:
            redis_client(current_app).delete(*keys)
        except redis.RedisError as error:
            log.warning("leases of delivered events %s left to expire: %r", event_ids, error)


def queued(event_ids: list[int]) -> set[int]:
    """Those of the events whose deliver job is still queued, running or waiting for a retry."""
    if not event_ids or not uses_queue(current_app):
        return set()
    keys = [f"{LEASE_PREFIX}{event_id}" for event_id in event_ids]
    jobs = [job.decode() if job else None for job in redis_client(current_app).mget(keys)]
    live = live_jobs(current_app, {job for job in jobs if job})
    return {event_id for event_id, job in zip(event_ids, jobs, strict=True) if job in live}


@contextmanager
def kept_for_caller(session: Session) -> Iterator[list[int]]:
    """Events the session commits inside the block are not relayed but appended to the yielded
    list, for the caller to deliver itself; whatever it leaves there is relayed at the end."""
    kept: list[int] = []
    session.info[KEEP_KEY] = kept
    try:
        yield kept
    finally:
        session.info.pop(KEEP_KEY, None)
        if kept:
            relay(kept)


def _after_flush(session: Session, _context) -> None:
    flushed = [obj.id for obj in session.new if isinstance(obj, OutboxEvent)]
    if flushed:
        session.info.setdefault(PENDING_KEY, []).extend(flushed)


def _after_commit(session: Session) -> None:
    committed = session.info.pop(PENDING_KEY, [])
    if not committed:
        return
    if KEEP_KEY in session.info:
        session.info[KEEP_KEY].extend(committed)
        return
    for start in range(0, len(committed), BATCH_SIZE):
        relay(committed[start : start + BATCH_SIZE])


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


def install() -> None:
    """Relay recorded events after every commit of every session (done once per process)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def pending_event_ids(
    session: Session, older_than: timedelta, after: int = 0, limit: int = RELAY_PAGE
) -> list[int]:
    """Undelivered events recorded more than `older_than` ago (with ids above `after`), oldest
    first."""
    cutoff = utcnow() - older_than
    return list(
        session.scalars(
            sa.select(OutboxEvent.id)
            .where(
                OutboxEvent.delivered_at.is_(None),
                OutboxEvent.created_at < cutoff,
                OutboxEvent.id > after,
            )
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
    )


def relay_pending(session: Session, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Hand the stale undelivered events that no job holds to the queue again, in batches;
    returns how many were handed. Stops at the first batch the queue refuses."""
    handed = 0
    after = 0
    while ids := pending_event_ids(session, older_than, after):
        after = ids[-1]
        waiting = queued(ids)
        stranded = [event_id for event_id in ids if event_id not in waiting]
        for start in range(0, len(stranded), BATCH_SIZE):
            batch = stranded[start : start + BATCH_SIZE]
            if not relay(batch):
                return handed
            handed += len(batch)
    return handed


def claim(session: Session, event_id: int, handler: str) -> bool:
    """Mark `handler` as having processed the event, in the caller's transaction.

    False when it already has: the caller then skips the handler. Two concurrent deliveries
    serialise on the marker's primary key (the second waits for the first to commit, then
    inserts nothing), so only one of them applies the event.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(ProcessedEvent)
        .values(event_id=event_id, handler=handler, processed_at=utcnow())
        .on_conflict_do_nothing()
        .returning(ProcessedEvent.event_id)
    )
    return inserted.first() is not None


def mark_delivered(session: Session, *event_ids: int, at: datetime | None = None) -> None:
    """Record that every handler of the events has run."""
    session.execute(
        sa.update(OutboxEvent)
        .where(OutboxEvent.id.in_(event_ids))
        .values(delivered_at=at or utcnow(), last_error="")
    )


def mark_failed(session: Session, event_id: int, error: str) -> None:
    """Count a failed delivery attempt and keep the error for the admin job monitor."""
    session.execute(
        sa.update(OutboxEvent)
        .where(OutboxEvent.id == event_id)
        .values(attempts=OutboxEvent.attempts + 1, last_error=error[:2000])
    )
