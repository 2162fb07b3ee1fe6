"""The transactional outbox: events commit with the change, are relayed after commit, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq import Queue
from rq.job import JobStatus

from app.extensions import redis_client
from app.platform import outbox
from app.platform.jobs import DEFAULT_QUEUE
from app.platform.models import OutboxEvent, ProcessedEvent
from jobs import delivery


@pytest.fixture()
def rq_queue(app, database, monkeypatch) -> Queue:
    """Jobs go to the RQ queue, where no worker takes them, instead of running in-process (the
    embedded run keeps its fakeredis client and names it as REDIS_URL)."""
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", app.config["REDIS_URL"] or "embedded")
    return Queue(DEFAULT_QUEUE, connection=redis_client(app))


def queued_batches(queue: Queue) -> list[list[int]]:
    """The event ids of each deliver job in the queue, oldest job first."""
    return [job.args[0] for job in queue.get_jobs() if job.func_name == outbox.DELIVER_JOB]


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


def committed_event(database) -> OutboxEvent:
    """An event recorded and committed in a transaction of its own."""
    event = outbox.record_event(database, "Something", {})
    database.commit()
    return event


def test_the_events_of_one_transaction_go_to_one_job(database, rq_queue):
    recorded = [outbox.record_event(database, "Something", {"n": n}) for n in range(3)]
    database.commit()
    assert queued_batches(rq_queue) == [[event.id for event in recorded]]


def test_the_relay_leaves_events_whose_drain_is_waiting_alone(database, rq_queue):
    event = outbox.record_event(database, "Something", {})
    database.commit()

    assert outbox.relay_pending(database, older_than=timedelta(seconds=-1)) == 0
    assert queued_batches(rq_queue) == [[event.id]]


def test_no_second_drain_is_queued_while_one_waits(database, rq_queue):
    first, _, _ = (committed_event(database) for _ in range(3))

    assert queued_batches(rq_queue) == [[first.id]]


def test_the_relay_queues_a_drain_when_the_waiting_one_is_gone(database, rq_queue):
    first, second = (committed_event(database) for _ in range(2))
    (lost,) = rq_queue.get_jobs()
    lost.delete()

    assert outbox.relay_pending(database, older_than=timedelta(seconds=-1)) == 2
    assert queued_batches(rq_queue) == [[first.id, second.id]]
    assert outbox.relay_pending(database, older_than=timedelta(seconds=-1)) == 0


def test_a_drain_whose_worker_died_holds_nothing_up(database, rq_queue):
    """A worker killed mid-drain leaves its RQ job "started" until RQ's maintenance (10 min):
    the relay queues the next drain at once, which delivers the events; and once that drain
    has started, the next commit queues another."""
    event = committed_event(database)
    (dead,) = rq_queue.get_jobs()
    rq_queue.remove(dead)
    dead.set_status(JobStatus.STARTED)

    assert outbox.relay_pending(database, older_than=timedelta(seconds=-1)) == 1
    (drain,) = rq_queue.get_jobs()
    assert drain.id != dead.id
    rq_queue.remove(drain)
    assert delivery.deliver_events(*drain.args) == 1
    assert database.get(OutboxEvent, event.id, populate_existing=True).delivered_at is not None

    later = committed_event(database)
    assert queued_batches(rq_queue) == [[later.id]]


def test_a_commit_queues_a_drain_when_the_waiting_ones_worker_died_before_starting_it(
    database, rq_queue
):
    """A worker killed between taking a drain off the queue and starting it leaves the drain's
    name behind: the next commit must not take it for a waiting drain."""
    committed_event(database)
    (dead,) = rq_queue.get_jobs()
    rq_queue.remove(dead)
    dead.set_status(JobStatus.STARTED)

    later = committed_event(database)
    assert queued_batches(rq_queue) == [[later.id]]
