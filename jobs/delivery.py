"""Deliver outbox events to their handlers (`jobs.events.HANDLERS`); each runs once per event.

A handler runs in its own transaction together with the marker saying it ran (see
`app.platform.outbox.claim`), so a redelivered event (a retry, a relay after Redis came back, two
workers at once) changes nothing twice. The last handler's transaction also marks the event
delivered. To save commits, a job first runs the handlers of up to GROUP_SIZE events in one
transaction (the markers are in it too, so the rule holds); only if that fails does it fall back
to one transaction per handler, which finds and records the failing one.

One job delivers a batch of events, oldest first, in one app context. The events its handlers
record (`OrderPaid` after `PaymentProcessed`) are delivered by the same job right after, and the
emails they queue are sent by it at the end (their first attempt), instead of going through the
queue one job each; if the worker dies first, `relay_pending` and `relay_due` hand them over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from app.database import db
from app.notifications import dispatch
from app.platform import outbox
from app.platform.models import OutboxEvent
from jobs.email import send_email
from jobs.events import HANDLERS
from jobs.runtime import with_app_context

log = logging.getLogger("marketplace.events")

GROUP_SIZE = 20


class DeliveryFailed(RuntimeError):
    """Some events of a batch were not delivered (their handlers raised); RQ retries the job."""


@with_app_context
def deliver_events(event_ids: list[int]) -> int:
    """Deliver a batch of events and the events they cause; returns how many were delivered.

    A failing event does not hold up the rest of the batch: it is counted, logged and kept for
    the job's retry (which skips what was delivered), then raised as DeliveryFailed.
    """
    session = db.session
    delivered = 0
    failed: list[int] = []
    with outbox.kept_for_caller(session) as caused, dispatch.kept_for_caller(session) as emails:
        todo = event_ids
        while todo:
            rows = _undelivered(session, todo)
            delivered += len(rows)
            for start in range(0, len(rows), GROUP_SIZE):
                failed += _deliver_group(session, rows[start : start + GROUP_SIZE])
            todo = list(caused)
            caused.clear()
        while emails:
            send_email(emails.pop(0), 0)
    outbox.release([event_id for event_id in event_ids if event_id not in failed])
    if failed:
        raise DeliveryFailed(f"outbox events {failed} failed; see their last_error")
    return delivered - len(failed)


@with_app_context
def deliver(event_id: int) -> bool:
    """Run every handler of one outbox event that has not run yet, then mark it delivered."""
    session = db.session
    for row in _undelivered(session, [event_id]):
        _run_handlers(session, row)
        return True
    return False


def _undelivered(session, event_ids: list[int]) -> list[sa.Row]:
    """The events among `event_ids` not delivered yet, oldest first, with handlers to run; the
    ones without handlers are marked delivered here and now."""
    rows = session.execute(
        sa.select(OutboxEvent.id, OutboxEvent.name, OutboxEvent.payload)
        .where(OutboxEvent.id.in_(event_ids), OutboxEvent.delivered_at.is_(None))
        .order_by(OutboxEvent.id)
    ).all()
    silent = [row.id for row in rows if not HANDLERS.get(row.name)]
    if silent:
        outbox.mark_delivered(session, *silent)
        session.commit()
    return [row for row in rows if HANDLERS.get(row.name)]


def _deliver_group(session, rows: list[sa.Row]) -> list[int]:
    """Run the handlers of a few events in one transaction with their markers; if anything in it
    fails, roll it all back and deliver the events one handler per transaction instead, which
    records the failure. Returns the ids of the events that failed."""
    try:
        for row in rows:
            for handler in HANDLERS[row.name]:
                if outbox.claim(session, row.id, _name(handler)):
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
            _run_handlers(session, row)
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
    """Scheduled: hand over again the events no job holds (queue was down, worker died)."""
    handed = outbox.relay_pending(db.session, older_than=timedelta(seconds=30))
    db.session.commit()
    return handed
