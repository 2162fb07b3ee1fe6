"""The transactional outbox: record domain events with the change, relay them after commit.

`record_event` adds an event row to the caller's transaction. When that transaction commits, its
new events are handed to a `jobs.delivery.deliver_events` job, a drain: it claims undelivered
events from the database (oldest first, rows locked by another drain skipped) and delivers them
until none are left. If the queue cannot take it (Redis down), the rows wait and `relay_pending`
(run on a schedule) queues a drain later. Nothing is lost: the rows, not the queue, say what is
pending.

Nothing is queued twice either: a drain waiting in the queue is named under DRAIN_KEY, and while
it waits a commit queues no other (the drain will find its events); a drain drops the name when
it starts, so what commits after that queues the next one. A drain whose worker died (its RQ job
still "started" until RQ's maintenance) holds nothing up: `relay_pending` looks only for a
waiting drain, and PostgreSQL frees the dead session's row locks when its connection drops.
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
from rq.job import Job
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.database import utcnow
from app.extensions import redis_client
from app.platform.jobs import enqueue, uses_queue
from app.platform.models import OutboxEvent, ProcessedEvent

log = logging.getLogger("marketplace.outbox")

DELIVER_JOB = "jobs.delivery.deliver_events"
PENDING_KEY = "outbox_pending"
KEEP_KEY = "outbox_keep"
DRAIN_KEY = "outbox:drain:queued"
DRAIN_KEY_SECONDS = 300
WAITING_STATUSES = frozenset(("queued", "scheduled", "deferred"))
BATCH_SIZE = 100
RELAY_PAGE = 1000


def record_event(session: Session, name: str, payload: dict) -> OutboxEvent:
    """Add a domain event to the session's transaction; it is relayed once that commits."""
    outbox_event = OutboxEvent(name=name, payload=payload)
    session.add(outbox_event)
    return outbox_event


def relay(event_ids: list[int], force: bool = False) -> bool:
    """Make sure a drain is queued to deliver the events; False (and logged) when the queue is
    unavailable. With RQ, no drain is queued while one is already waiting (unless `force`); one
    a worker took and died with before starting it is not waiting."""
    try:
        if not uses_queue(current_app):
            enqueue(DELIVER_JOB, event_ids)
            return True
        if force or not drain_waiting():
            job_id = f"drain-{event_ids[0] if event_ids else 0}-{secrets.token_hex(4)}"
            redis_client(current_app).set(DRAIN_KEY, job_id, ex=DRAIN_KEY_SECONDS)
            enqueue(DELIVER_JOB, event_ids, job_id=job_id)
    except Exception:
        log.warning("outbox events %s wait for the relay: queue unavailable", event_ids)
        return False
    return True


def drain_started() -> None:
    """Called by a drain as it starts: it is no longer waiting, so the next commit queues one
    (best effort: with Redis down, the name expires)."""
    if uses_queue(current_app):
        try:
            redis_client(current_app).delete(DRAIN_KEY)
        except redis.RedisError as error:
            log.warning("drain: could not drop %s: %r", DRAIN_KEY, error)


def drain_waiting() -> bool:
    """Whether a drain is queued and not started yet (a running one, or one whose worker died,
    does not count: it may not see what was recorded after it claimed its last batch)."""
    if not uses_queue(current_app):
        return False
    job_id = redis_client(current_app).get(DRAIN_KEY)
    if job_id is None:
        return False
    status = redis_client(current_app).hget(Job.key_for(job_id.decode()), "status")
    return status is not None and status.decode() in WAITING_STATUSES


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
            relay(kept[:BATCH_SIZE])


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
    relay(committed[:BATCH_SIZE])


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
    """Queue a drain if events have waited longer than `older_than` and no drain is waiting
    (the queue refused it, Redis lost it, or its worker died); returns how many events it was
    queued for (the first page: the drain takes them all, oldest first), 0 if none."""
    ids = pending_event_ids(session, older_than, limit=BATCH_SIZE)
    if not ids or drain_waiting():
        return 0
    return len(ids) if relay(ids, force=True) else 0


def claim_batch(session: Session, size: int, skip: list[int]) -> list[sa.Row]:
    """Lock up to `size` undelivered events, oldest first, for the caller's transaction; rows
    another drain has locked, and the ids in `skip`, are passed over (SQLite, one writer at a
    time, locks nothing: the handlers' markers keep the work once)."""
    return session.execute(
        sa.select(OutboxEvent.id, OutboxEvent.name, OutboxEvent.payload)
        .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.id.not_in(skip))
        .order_by(OutboxEvent.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    ).all()


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


def claim_all(session: Session, markers: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """`claim` for many (event id, handler) pairs in one statement; returns the pairs claimed
    now (the others have run already)."""
    if not markers:
        return set()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    inserted = session.execute(
        insert(ProcessedEvent)
        .values([{"event_id": e, "handler": h, "processed_at": now} for e, h in sorted(markers)])
        .on_conflict_do_nothing()
        .returning(ProcessedEvent.event_id, ProcessedEvent.handler)
    )
    return {(row.event_id, row.handler) for row in inserted}


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
