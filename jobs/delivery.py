"""Deliver outbox events to their handlers (`jobs.events.HANDLERS`); each runs once per event.

A handler runs in a transaction together with the marker saying it ran (see
`app.platform.outbox.claim`), so a redelivered event (a retry, a relay after Redis came back, two
workers at once) changes nothing twice.

`deliver_events` is a drain: it claims a batch of undelivered events from the database (oldest
first, `FOR UPDATE SKIP LOCKED`, so two drains never take the same rows), runs all their
handlers with their markers in one transaction, marks them delivered and commits, then sends the
emails they queued (their first attempt) and claims the next batch, until none are left. The
events its handlers record (`OrderPaid` after `PaymentProcessed`) are found by a later batch.
Only if a batch's transaction fails does it fall back to one transaction per handler, which
finds and records the failing one. While a batch is full it asks for another drain, so an idle
worker joins in; after DRAIN_SECONDS it stops and leaves the rest to that one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.database import db
from app.notifications import dispatch
from app.platform import outbox
from app.platform.jobs import uses_queue
from app.platform.models import OutboxEvent
from jobs.email import send_first_attempts
from jobs.events import HANDLERS
from jobs.runtime import with_app_context

log = logging.getLogger("marketplace.events")

GROUP_SIZE = 50
DRAIN_SECONDS = 60.0


class DeliveryFailed(RuntimeError):
    """Some events were not delivered (their handlers raised); RQ retries the job."""


@with_app_context
def deliver_events(event_ids: list[int]) -> int:
    """Drain the outbox; returns how many events were delivered. `event_ids` (the events whose
    commit queued this drain) only name the job: it delivers whatever is pending.

    A failing event does not hold up the rest: it is counted, logged and left undelivered for
    the job's retry, then raised as DeliveryFailed.
    """
    outbox.drain_started()
    session = db.session
    delivered = 0
    failed: list[int] = []
    stop_at = time.monotonic() + DRAIN_SECONDS
    with outbox.kept_for_caller(session) as caused, dispatch.kept_for_caller(session) as emails:
        while rows := outbox.claim_batch(session, GROUP_SIZE, failed):
            if len(rows) == GROUP_SIZE and uses_queue(current_app):
                outbox.relay([rows[-1].id])  # more to do: a waiting drain lets a worker join
            failed += _deliver_group(session, rows)
            delivered += len(rows)
            caused.clear()
            if emails:
                send_first_attempts(emails)
                emails.clear()
            if time.monotonic() > stop_at:
                caused.append(rows[-1].id)  # relayed on the way out: the next drain goes on
                break
    if failed:
        raise DeliveryFailed(f"outbox events {failed} failed; see their last_error")
    return delivered - len(failed)


@with_app_context
def deliver(event_id: int) -> bool:
    """Run every handler of one outbox event that has not run yet, then mark it delivered."""
    session = db.session
    row = session.execute(
        sa.select(OutboxEvent.id, OutboxEvent.name, OutboxEvent.payload).where(
            OutboxEvent.id == event_id, OutboxEvent.delivered_at.is_(None)
        )
    ).first()
    if row is None:
        return False
    if HANDLERS.get(row.name):
        _run_handlers(session, row)
    else:
        outbox.mark_delivered(session, row.id)
        session.commit()
    return True


def _deliver_group(session, rows: list[sa.Row]) -> list[int]:
    """Run the handlers of the claimed events in the claim's transaction with their markers and
    mark them delivered; if anything in it fails, roll it all back and deliver the events one
    handler per transaction instead, which records the failure. Returns the ids that failed."""
    try:
        todo = [(row, handler) for row in rows for handler in HANDLERS.get(row.name, ())]
        claimed = outbox.claim_all(session, [(row.id, _name(handler)) for row, handler in todo])
        for row, handler in todo:
            if (row.id, _name(handler)) in claimed:
                handler(session, dict(row.payload))
        outbox.mark_delivered(session, *(row.id for row in rows))
        session.commit()
    except Exception:
        session.rollback()
    else:
        return []
    failed = []
    for row in rows:
        try:
            deliver(row.id)
        except Exception:
            failed.append(row.id)
    return failed


def _name(handler: Callable) -> str:
    return f"{handler.__module__}.{handler.__name__}"


def _run_handlers(session, row: sa.Row) -> None:
    handlers = HANDLERS[row.name]
    for number, handler in enumerate(handlers, start=1):
        _run_once(session, row.id, handler, dict(row.payload), last=number == len(handlers))


def _run_once(session, event_id: int, handler: Callable, payload: dict, last: bool) -> None:
    handler_name = _name(handler)
    try:
        if outbox.claim(session, event_id, handler_name):
            handler(session, payload)
        if last:
            outbox.mark_delivered(session, event_id)
        session.commit()
    except Exception as error:
        session.rollback()
        outbox.mark_failed(session, event_id, f"{handler_name}: {error!r}")
        session.commit()
        log.exception("handler %s failed on event %s", handler_name, event_id)
        raise


@with_app_context
def relay_pending() -> int:
    """Scheduled: queue a drain for events that waited 30 s with none waiting (the queue was
    down, Redis lost the job, its worker died)."""
    handed = outbox.relay_pending(db.session, older_than=timedelta(seconds=30))
    db.session.commit()
    return handed
