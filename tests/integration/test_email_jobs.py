"""The email outbox: an email is a row committed with the change that caused it, sent once by a
job that claims it, retried with backoff, handed over again by the relay when its job was lost."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq import Queue, SimpleWorker

from app.database import utcnow
from app.extensions import redis_client
from app.notifications import dispatch
from app.notifications.messages import EmailRequest, render_email
from app.notifications.models import EmailState, OutboxEmail
from app.orders import emails
from app.orders import services as orders
from app.platform.models import OutboxEvent, ProcessedEvent
from jobs import email as email_jobs
from jobs import events, runtime
from jobs.delivery import deliver
from jobs.email import relay_emails, send_email
from tests.support.buying import new_order
from tests.support.factories import make_merchant, make_product
from tests.support.payments import pay_with_test_card

RESET = EmailRequest(
    template="password_reset",
    to="ann@example.com",
    subject="Reset your password",
    context={
        "name": "Ann <b>",
        "reset_url": "https://shop.example/account/password/reset/abc",
        "expires_minutes": 60,
    },
)


@pytest.fixture()
def worker_process(app, monkeypatch) -> list:
    """Pretend to be a fresh worker process whose app factory builds the test app."""
    built = []

    def build():
        built.append(app)
        return app

    monkeypatch.setattr(runtime, "_worker_app", {})
    monkeypatch.setattr(runtime, "create_app", build)
    return built


@pytest.fixture()
def handed_emails(monkeypatch) -> list[tuple]:
    """(email id, attempt) of each send job handed over, instead of running it."""
    handed: list[tuple] = []

    def record(job, email_id, attempt, **options):
        assert options["job_id"] == f"email-{email_id}-{attempt}"
        handed.append((email_id, attempt))

    monkeypatch.setattr(dispatch, "enqueue", record)
    return handed


class FailingSender:
    """A mail service that refuses every message."""

    def __init__(self) -> None:
        self.tries = 0

    def send(self, message) -> str:
        self.tries += 1
        raise ConnectionRefusedError("mail service down")


def read(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def queue_reset(database, key: str = "password-reset:1") -> int:
    queued = dispatch.queue_email(database, RESET, key=key)
    database.commit()
    return queued.id


def row(database, email_id: int) -> OutboxEmail:
    return database.get(OutboxEmail, email_id, populate_existing=True)


def test_password_reset_bodies_are_rendered_from_templates(app):
    with app.app_context():
        message = render_email(RESET)

    assert message.to == "ann@example.com" and message.subject == "Reset your password"
    assert "https://shop.example/account/password/reset/abc" in message.text
    assert "Hello Ann <b>," in message.text
    assert 'href="https://shop.example/account/password/reset/abc"' in message.html
    assert "Ann &lt;b&gt;" in message.html and "60 minutes" in message.html


def test_a_queued_email_is_sent_once_its_transaction_commits(database, outbox):
    queued = dispatch.queue_email(database, RESET, key="password-reset:1")
    database.flush()
    assert list(outbox.glob("*.eml")) == []

    database.commit()

    sent = row(database, queued.id)
    assert sent.state == EmailState.SENT and sent.attempts == 1 and sent.sent_at is not None
    (written,) = outbox.glob("*.eml")
    parsed = read(written)
    assert parsed["To"] == "ann@example.com" and parsed["Message-ID"] == sent.provider_message_id
    assert "reset/abc" in parsed.get_body(("plain",)).get_content()
    assert "reset/abc" in parsed.get_body(("html",)).get_content()


def test_a_rollback_leaves_no_email(database, outbox, handed_emails):
    dispatch.queue_email(database, RESET, key="password-reset:1")
    database.flush()
    database.rollback()
    database.commit()

    assert database.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0
    assert handed_emails == [] and list(outbox.glob("*.eml")) == []


def test_a_key_is_queued_once(database, handed_emails):
    first = queue_reset(database)

    assert dispatch.queue_email(database, RESET, key="password-reset:1") is None
    database.commit()

    assert database.scalars(sa.select(OutboxEmail.id)).all() == [first]
    assert handed_emails == [(first, 0)]


def test_the_send_job_sends_once_and_marks_sent(database, outbox, handed_emails):
    email_id = queue_reset(database)

    assert send_email(email_id, 0) == "sent"
    assert send_email(email_id, 0) == ""

    sent = row(database, email_id)
    assert sent.state == EmailState.SENT and sent.attempts == 1
    assert len(list(outbox.glob("*.eml"))) == 1


def test_first_attempts_are_claimed_together_and_sent_once(database, outbox, handed_emails):
    first, second = queue_reset(database, "reset:1"), queue_reset(database, "reset:2")

    assert email_jobs.send_first_attempts([first, second]) == 2
    assert email_jobs.send_first_attempts([first, second]) == 0
    assert send_email(first, 0) == ""

    sent = [row(database, email_id) for email_id in (first, second)]
    assert [(email.state, email.attempts) for email in sent] == [(EmailState.SENT, 1)] * 2
    assert len(list(outbox.glob("*.eml"))) == 2


def test_a_job_for_an_email_another_job_is_sending_does_nothing(database, outbox, handed_emails):
    email_id = queue_reset(database)
    database.execute(
        sa.update(OutboxEmail)
        .where(OutboxEmail.id == email_id)
        .values(state=EmailState.SENDING, attempts=1, next_attempt_at=utcnow() + timedelta(hours=1))
    )
    database.commit()

    assert send_email(email_id, 0) == ""
    assert send_email(email_id, 1) == ""
    assert list(outbox.glob("*.eml")) == []
    assert row(database, email_id).state == EmailState.SENDING


def test_a_sender_that_died_is_retried_once_its_lease_runs_out(database, outbox, handed_emails):
    email_id = queue_reset(database)
    database.execute(
        sa.update(OutboxEmail)
        .where(OutboxEmail.id == email_id)
        .values(state=EmailState.SENDING, attempts=1, next_attempt_at=utcnow() + timedelta(hours=1))
    )
    database.commit()
    assert dispatch.relay_due(database) == 0

    assert dispatch.relay_due(database, now=utcnow() + timedelta(hours=2)) == 1

    assert handed_emails[-1] == (email_id, 1)
    assert send_email(email_id, 1) == "sent"
    assert row(database, email_id).attempts == 2
    assert len(list(outbox.glob("*.eml"))) == 1


def test_a_failing_sender_retries_with_backoff_and_gives_up_after_the_cap(
    app, database, outbox, handed_emails, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "MAIL_RETRY_SECONDS", 30)
    sender = FailingSender()
    monkeypatch.setattr(email_jobs, "sender_from_config", lambda config: sender)
    email_id = queue_reset(database)

    delays = []
    for attempt in range(2):
        before = utcnow()
        assert send_email(email_id, attempt) == EmailState.PENDING
        waiting = row(database, email_id)
        delays.append(round((waiting.next_attempt_at - before).total_seconds()))
        assert "mail service down" in waiting.last_error
        assert dispatch.relay_due(database) == 0
        assert dispatch.relay_due(database, now=waiting.next_attempt_at) == 1
        assert handed_emails[-1] == (email_id, attempt + 1)
    assert send_email(email_id, 2) == EmailState.FAILED

    assert delays == [30, 60]
    failed = row(database, email_id)
    assert failed.state == EmailState.FAILED and failed.attempts == 3 and sender.tries == 3
    assert dispatch.relay_due(database, now=utcnow() + timedelta(days=1)) == 0
    assert list(outbox.glob("*.eml")) == []


def test_the_relay_hands_over_an_email_whose_hand_over_was_lost(app, database, outbox, monkeypatch):
    def queue_down(*args, **options):
        raise ConnectionError("redis down")

    monkeypatch.setattr(dispatch, "enqueue", queue_down)
    email_id = queue_reset(database)
    assert row(database, email_id).state == EmailState.PENDING
    monkeypatch.undo()

    assert relay_emails() == 0
    database.execute(sa.update(OutboxEmail).values(next_attempt_at=utcnow()))
    database.commit()
    assert relay_emails() == 1

    assert row(database, email_id).state == EmailState.SENT
    assert len(list(outbox.glob("*.eml"))) == 1


def test_an_rq_worker_sends_and_the_relay_leaves_a_queued_job_alone(
    app, database, outbox, monkeypatch
):
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    if not app.config["REDIS_URL"]:
        pytest.skip("needs a Redis URL: RQ queues (fakeredis is in-process only)")
    email_id = queue_reset(database)
    queue = Queue("default", connection=redis_client(app))
    assert queue.job_ids == [f"email-{email_id}-0"]

    assert dispatch.relay_due(database, now=utcnow() + timedelta(hours=1)) == 0
    assert queue.job_ids == [f"email-{email_id}-0"]

    SimpleWorker([queue], connection=redis_client(app)).work(burst=True)

    assert row(database, email_id).state == EmailState.SENT
    (written,) = outbox.glob("*.eml")
    assert read(written)["Subject"] == "Reset your password"


def test_the_console_sender_logs_instead_of_writing(app, database, outbox, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_SENDER", "console")
    mail_log = logging.getLogger("marketplace.mail")
    mail_log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="marketplace.mail"):
            queue_reset(database)
    finally:
        mail_log.removeHandler(caplog.handler)

    assert "ann@example.com" in caplog.text and "reset/abc" in caplog.text
    assert list(outbox.glob("*.eml")) == []


def event_named(database, name: str) -> int:
    return database.scalar(sa.select(OutboxEvent.id).where(OutboxEvent.name == name))


def markers_of(database, event_id: int) -> list[str]:
    return database.scalars(
        sa.select(ProcessedEvent.handler).where(ProcessedEvent.event_id == event_id)
    ).all()


def test_a_handlers_emails_commit_with_its_marker_and_a_rollback_leaves_none(
    app, database, outbox, handed, monkeypatch
):
    product = make_product(stock=5)
    order, _ = orders.place_order(database, new_order("tok", [(product, 1)]))
    database.commit()
    pay_with_test_card(app, database, order)
    assert deliver(event_named(database, "PaymentProcessed"))
    order_paid = event_named(database, "OrderPaid")
    assert order_paid in handed

    def confirm_then_fail(session, payload):
        events.send_confirmation(session, payload)
        session.flush()
        raise RuntimeError("the handler failed after queueing its email")

    monkeypatch.setitem(events.HANDLERS, "OrderPaid", (confirm_then_fail,))
    with pytest.raises(RuntimeError):
        deliver(order_paid)
    assert database.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0
    assert markers_of(database, order_paid) == []
    assert list(outbox.glob("*.eml")) == []

    monkeypatch.setitem(events.HANDLERS, "OrderPaid", (events.send_confirmation,))
    assert deliver(order_paid) and not deliver(order_paid)

    (confirmation,) = database.scalars(sa.select(OutboxEmail)).all()
    assert confirmation.idempotency_key == f"order-confirmed:{order.number}"
    assert confirmation.state == EmailState.SENT
    assert markers_of(database, order_paid) == ["jobs.events.send_confirmation"]
    assert len(list(outbox.glob("*.eml"))) == 1


def test_the_merchants_new_order_email_says_what_to_ship_and_links_nowhere(app, database):
    merchant = make_merchant()
    product = make_product(merchant=merchant, stock=5)
    order, _ = orders.place_order(database, new_order("tok", [(product, 2)]))
    database.commit()

    request = emails.merchant_new_order(order, order.fulfilments[0], "shop@example.com")
    message = render_email(request)

    assert request.subject == f"New order {order.number}: 1 item(s) to ship"
    for body in (message.text, message.html):
        assert order.number in body and product.variants[0].sku in body
        assert "ship them with Marketplace Post Standard" in body
        assert "http" not in body and "href" not in body
