"""Delivering outbox events in batches: each handler once per event, whatever is redelivered."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.notifications import dispatch
from app.notifications.dispatch import queue_email
from app.notifications.messages import EmailRequest
from app.notifications.models import EmailState, OutboxEmail
from app.platform import outbox
from app.platform.models import OutboxEvent, ProcessedEvent
from jobs import delivery, events

ran: list[tuple[str, int]] = []


def start(session, payload: dict) -> None:
    """Handler of "Started": records the follow-up event, as apply_payment records OrderPaid."""
    ran.append(("start", payload["n"]))
    outbox.record_event(session, "Followed", {"n": payload["n"]})


def follow(session, payload: dict) -> None:
    ran.append(("follow", payload["n"]))


def announce(session, payload: dict) -> None:
    """Handler of "Announced": queues an email, as send_confirmation does."""
    request = EmailRequest(
        template="password_reset",
        to=f"ann{payload['n']}@example.com",
        subject="Reset your password",
        context={"name": "Ann", "reset_url": "https://shop.example/reset", "expires_minutes": 60},
    )
    queue_email(session, request, key=f"announced:{payload['n']}")


def broken(session, payload: dict) -> None:
    raise RuntimeError("mail server down")


@pytest.fixture()
def handlers(database, monkeypatch) -> list[tuple[str, int]]:
    """Test handlers for "Started" and "Followed"; the list of what they ran, in order."""
    ran.clear()
    monkeypatch.setitem(events.HANDLERS, "Started", (start,))
    monkeypatch.setitem(events.HANDLERS, "Followed", (follow,))
    return ran


def recorded(database, name: str, count: int, handed: list[int]) -> list[int]:
    """Ids of `count` events committed together, taken back from the queue (nothing ran)."""
    rows = [outbox.record_event(database, name, {"n": n}) for n in range(count)]
    database.commit()
    handed.clear()
    return [row.id for row in rows]


def undelivered(database) -> list[str]:
    return list(
        database.scalars(sa.select(OutboxEvent.name).where(OutboxEvent.delivered_at.is_(None)))
    )


def test_one_job_delivers_its_batch_and_the_events_they_cause(database, handlers, handed):
    batch = recorded(database, "Started", 3, handed)

    assert delivery.deliver_events(batch) == 6

    starts = [("start", n) for n in range(3)]
    assert handlers == [*starts, *(("follow", n) for n in range(3))]
    assert handed == []
    assert undelivered(database) == []


def test_events_drained_twice_run_each_handler_once(database, handlers, handed):
    batch = recorded(database, "Started", 2, handed)
    delivery.deliver_events(batch)
    database.execute(sa.update(OutboxEvent).values(delivered_at=None))
    database.commit()

    assert delivery.deliver_events(batch) == 4

    assert sorted(handlers) == [("follow", 0), ("follow", 1), ("start", 0), ("start", 1)]
    assert database.scalar(sa.select(sa.func.count()).select_from(ProcessedEvent)) == 4


def test_a_full_batch_asks_for_a_second_drain_for_another_worker(
    app, database, handed, monkeypatch
):
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", app.config["REDIS_URL"] or "embedded")
    batch = recorded(database, "Something", delivery.GROUP_SIZE + 1, handed)

    assert delivery.deliver_events(batch[:1]) == delivery.GROUP_SIZE + 1

    assert handed == [batch[delivery.GROUP_SIZE - 1]]
    assert undelivered(database) == []


def test_a_failing_event_leaves_the_rest_of_its_batch_delivered(
    database, handlers, handed, monkeypatch
):
    monkeypatch.setitem(events.HANDLERS, "Broken", (broken,))
    first = recorded(database, "Started", 1, handed)
    failing = recorded(database, "Broken", 1, handed)
    last = recorded(database, "Started", 1, handed)

    with pytest.raises(delivery.DeliveryFailed):
        delivery.deliver_events(first + failing + last)

    assert undelivered(database) == ["Broken"]
    failed = database.get(OutboxEvent, failing[0], populate_existing=True)
    assert failed.attempts == 1
    assert "mail server down" in failed.last_error
    markers = database.scalars(sa.select(ProcessedEvent.handler)).all()
    assert sorted(name.rpartition(".")[2] for name in markers) == [
        "follow",
        "follow",
        "start",
        "start",
    ]


def test_the_emails_a_batch_queues_are_sent_by_the_same_job(database, handed, outbox, monkeypatch):
    handed_emails: list[tuple] = []
    monkeypatch.setattr(
        dispatch, "enqueue", lambda job, *args, **options: handed_emails.append(args)
    )
    monkeypatch.setitem(events.HANDLERS, "Announced", (announce,))
    batch = recorded(database, "Announced", 2, handed)

    delivery.deliver_events(batch)

    assert handed_emails == []
    states = database.scalars(sa.select(OutboxEmail.state).order_by(OutboxEmail.id)).all()
    assert states == [EmailState.SENT, EmailState.SENT]
    assert len(list(outbox.glob("*.eml"))) == 2
