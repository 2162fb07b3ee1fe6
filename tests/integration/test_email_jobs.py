"""The send-email job: renders templates/email/<name>.{txt,html} and sends with MAIL_SENDER,
in-process (inside the caller's app context) or in an RQ worker (which makes its own app)."""

from __future__ import annotations

import email
import email.policy
import logging
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker

from app.extensions import redis_client
from app.notifications.messages import EmailRequest, render_email
from jobs import runtime
from jobs.email import send_email

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


def read(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_password_reset_bodies_are_rendered_from_templates(app):
    with app.app_context():
        message = render_email(RESET)

    assert message.to == "ann@example.com" and message.subject == "Reset your password"
    assert "https://shop.example/account/password/reset/abc" in message.text
    assert "Hello Ann <b>," in message.text
    assert 'href="https://shop.example/account/password/reset/abc"' in message.html
    assert "Ann &lt;b&gt;" in message.html and "60 minutes" in message.html


def test_job_inside_an_app_context_writes_the_eml(app, outbox, worker_process):
    with app.app_context():
        send_email(RESET.as_dict())

    (written,) = outbox.glob("*.eml")
    parsed = read(written)
    assert parsed["To"] == "ann@example.com" and parsed["From"] == app.config["MAIL_FROM"]
    assert "reset/abc" in parsed.get_body(("plain",)).get_content()
    assert "reset/abc" in parsed.get_body(("html",)).get_content()
    assert worker_process == []


def test_job_without_an_app_context_builds_the_app_once_per_process(outbox, worker_process):
    send_email(RESET.as_dict())
    send_email(RESET.as_dict())

    assert len(list(outbox.glob("*.eml"))) == 2
    assert len(worker_process) == 1


def test_an_rq_worker_runs_the_job(app, outbox, worker_process):
    queue = Queue("test-email-jobs", connection=redis_client(app))
    job = queue.enqueue(send_email, RESET.as_dict())

    SimpleWorker([queue], connection=redis_client(app)).work(burst=True)

    assert job.get_status(refresh=True) == "finished" and len(worker_process) == 1
    (written,) = outbox.glob("*.eml")
    assert read(written)["Subject"] == "Reset your password"


def test_the_console_sender_logs_instead_of_writing(app, outbox, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_SENDER", "console")
    mail_log = logging.getLogger("marketplace.mail")
    mail_log.addHandler(caplog.handler)
    try:
        with app.app_context(), caplog.at_level(logging.INFO, logger="marketplace.mail"):
            send_email(RESET.as_dict())
    finally:
        mail_log.removeHandler(caplog.handler)

    assert "ann@example.com" in caplog.text and "reset/abc" in caplog.text
    assert list(outbox.glob("*.eml")) == []
