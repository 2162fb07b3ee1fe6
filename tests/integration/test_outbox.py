"""The transactional outbox: events commit with the change, are relayed after commit, never lost."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.platform import outbox
from app.platform.models import OutboxEvent, ProcessedEvent


def test_events_are_relayed_only_after_commit(database, handed):
    event = outbox.record_event(database, "Something", {"n": 1})
    database.flush()
    assert handed == []
    database.commit()
    assert handed == [event.id]


def test_rolled_back_events_vanish_and_are_never_relayed(database, handed):
    outbox.record_event(database, "Something", {"n": 1})
    database.flush()
    database.rollback()
    database.commit()
    assert handed == []
    assert database.scalar(sa.select(sa.func.count(OutboxEvent.id))) == 0


def test_an_event_the_queue_refused_waits_for_the_relay(database, monkeypatch):
    def queue_down(job, event_ids, **options):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(outbox, "enqueue", queue_down)
    event = outbox.record_event(database, "Something", {"n": 1})
    database.commit()
    assert database.get(OutboxEvent, event.id).delivered_at is None

    handed: list[int] = []
    monkeypatch.setattr(
        outbox, "enqueue", lambda job, event_ids, **options: handed.extend(event_ids)
    )
    assert outbox.relay_pending(database, older_than=timedelta(seconds=30)) == 0
    assert outbox.relay_pending(database, older_than=timedelta(seconds=-1)) == 1
    assert handed == [event.id]


def test_a_handler_claims_an_event_once(database, handed):
    event = outbox.record_event(database, "Something", {})
    database.commit()

    assert outbox.claim(database, event.id, "jobs.x.handler")
    database.commit()
    assert not outbox.claim(database, event.id, "jobs.x.handler")
    assert outbox.claim(database, event.id, "jobs.x.other")
    database.commit()
    assert database.scalar(sa.select(sa.func.count()).select_from(ProcessedEvent)) == 2


def test_delivered_and_failed_events_are_recorded(database, handed):
    event = outbox.record_event(database, "Something", {})
    database.commit()
    outbox.mark_failed(database, event.id, "boom")
    database.commit()
    failed = database.get(OutboxEvent, event.id, populate_existing=True)
    assert (failed.attempts, failed.last_error) == (1, "boom")
    outbox.mark_delivered(database, event.id)
    database.commit()
    assert database.get(OutboxEvent, event.id, populate_existing=True).delivered_at is not None
    assert outbox.pending_event_ids(database, timedelta(seconds=-1)) == []
