"""Emails are sent exactly once through worker crashes, a Redis crash and PostgreSQL outages.

A real RQ worker (`python -m jobs.worker`) runs on the run's PostgreSQL database and a private
redis-server without persistence. Orders are paid one after another, as the payment webhook
would; the test kills the worker (SIGKILL) again and again while it works, or pauses it
(SIGSTOP) so that jobs pile up in Redis, kills Redis, starts it empty and lets the worker go on.
On a private PostgreSQL cluster instead, it restarts the server while the worker delivers a
backlog, then stops it until the worker has failed a job on it and starts it again; the worker
must live through both.
Each paid order must end with exactly one confirmation to the shopper and one new-order email to
its merchant: the `file` sender's folder is counted.

The test process plays the scheduler: each round it runs the event relay, the email relay and
the maintenance an RQ worker runs every ten minutes (it fails or retries the job of a killed
worker once its heartbeat has run out, about four minutes on, and a job a killed worker had
taken off the queue but not yet started). The file sender writes one file per Message-ID, so a
kill between the write and the "sent" mark (the one window that remains) shows in the worker's
log ("written before"), not as a second file; the test prints how often that happened.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from app import create_app
from app.database import db
from app.notifications import dispatch
from app.notifications.models import EmailState, OutboxEmail
from app.orders import services as orders
from app.orders.models import Order, OrderStatus
from app.platform import outbox
from app.platform.jobs import DEFAULT_QUEUE
from app.platform.models import OutboxEvent
from tests.support import services
from tests.support.buying import new_order
from tests.support.factories import make_merchant, make_product
from tests.support.fixtures import settings_for_tests
from tests.support.payments import pay_with_test_card
from tests.support.processes import (
    PostgresServer,
    RedisServer,
    needs_postgres_binaries,
    postgres_server,
    redis_server,
    wait_for,
)

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 30
KILLS = 10
LEASE_SECONDS = 3
SETTLE_DEADLINE_SECONDS = 900
RESENT = "was written before"


class WorkerProcess:
    """`python -m jobs.worker` on the test database and the private Redis; killed at will."""

    def __init__(self, app: Flask, server: RedisServer, log: Path) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": server.url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "SITE_URL": app.config["SITE_URL"],
            "MAIL_SENDER": "file",
            "MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
            "MAIL_LEASE_SECONDS": str(LEASE_SECONDS),
            "RATELIMIT_ENABLED": "0",
            "PYTHONUNBUFFERED": "1",
        }
        self.log = log
        self.popen: subprocess.Popen | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("a") as output:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "jobs.worker"],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: the worker dies wherever it is, mid-job or not."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
            self.kills += 1

    def pause(self) -> None:
        """SIGSTOP: the worker stops wherever it is, jobs pile up in Redis."""
        self.popen.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.popen.send_signal(signal.SIGCONT)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@pytest.fixture()
def private_redis(tmp_path) -> Iterator[RedisServer]:
    directory = tmp_path / "redis"
    directory.mkdir()
    with redis_server(directory, appendonly=False) as server:
        yield server


@contextmanager
def shop_on(database: str, server: RedisServer, instance: Path) -> Iterator[Flask]:
    """The app on `database` and the private Redis, its jobs queued for the worker; in its app
    context for the block."""
    services_here = {"database": database, "redis": server.url}
    shop_app = create_app(
        settings_for_tests(
            services_here, instance, JOBS_INLINE=False, MAIL_LEASE_SECONDS=LEASE_SECONDS
        )
    )
    Path(shop_app.config["MAIL_OUTBOX_DIR"]).mkdir(parents=True)
    with shop_app.app_context():
        yield shop_app
        db.session.remove()


@contextmanager
def running_worker(shop: Flask, server: RedisServer, log: Path) -> Iterator[WorkerProcess]:
    """A worker process for the block, killed at its end."""
    process = WorkerProcess(shop, server, log)
    process.start()
    try:
        yield process
    finally:
        process.kill()


@pytest.fixture()
def shop(app, postgres, tmp_path, private_redis) -> Iterator[Flask]:
    """The app on the run's database and the private Redis."""
    with shop_on(app.config["SQLALCHEMY_DATABASE_URI"], private_redis, tmp_path) as shop_app:
        yield shop_app


@pytest.fixture()
def worker(shop, private_redis, tmp_path) -> Iterator[WorkerProcess]:
    with running_worker(shop, private_redis, tmp_path / "worker.log") as process:
        yield process


def placed_orders(count: int) -> list[Order]:
    """`count` orders of one product each, from merchants with a contact email."""
    session = db.session
    merchant = make_merchant()
    merchant.contact_email = "shop@example.com"
    products = [make_product(merchant=merchant, stock=count) for _ in range(2)]
    session.commit()
    placed = []
    for number in range(count):
        order, _ = orders.place_order(
            session, new_order(f"token-{number}", [(products[number % 2], 1)])
        )
        session.commit()
        placed.append(order)
    return placed


def in_thirds(placed: list[Order]) -> list[list[Order]]:
    third = len(placed) // 3
    return [placed[:third], placed[third : 2 * third], placed[2 * third :]]


def subjects(folder: Path) -> Counter:
    """How many emails the file sender wrote under each subject."""
    return Counter(
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["Subject"]
        for path in folder.glob("*.eml")
    )


def sent_count() -> int:
    db.session.commit()
    return db.session.scalar(
        sa.select(sa.func.count(OutboxEmail.id)).where(OutboxEmail.state == EmailState.SENT)
    )


def settled(shop: Flask, expected: int) -> bool:
    """One scheduler round (relays, registry cleanup); then whether every event is delivered
    and every expected email sent."""
    session = db.session
    connection = redis.Redis.from_url(shop.config["REDIS_URL"])
    SimpleWorker(
        [Queue(DEFAULT_QUEUE, connection=connection)], connection=connection
    ).clean_registries()
    outbox.relay_pending(session, older_than=timedelta(seconds=LEASE_SECONDS))
    session.commit()
    dispatch.relay_due(session)
    undelivered = session.scalar(
        sa.select(sa.func.count(OutboxEvent.id)).where(OutboxEvent.delivered_at.is_(None))
    )
    return undelivered == 0 and sent_count() == expected


def assert_each_order_emailed_once(shop: Flask, paid: list[Order]) -> None:
    written = subjects(Path(shop.config["MAIL_OUTBOX_DIR"]))
    expected = Counter()
    for order in paid:
        expected[f"Order {order.number} confirmed"] += 1
        expected[f"New order {order.number}: 1 item(s) to ship"] += 1
    lost = expected - written
    duplicated = written - expected
    assert (lost, duplicated) == (Counter(), Counter())


def pay(shop: Flask, order: Order) -> Order:
    pay_with_test_card(shop, db.session, order)
    return order


def test_killing_the_worker_again_and_again_loses_and_repeats_no_email(shop, worker):
    placed = placed_orders(ORDERS)
    paid = []
    every = ORDERS // KILLS
    for number, order in enumerate(placed, start=1):
        paid.append(pay(shop, order))
        if number % every == 0:
            before = sent_count()
            wait_for(lambda before=before: sent_count() > before, "the worker to send an email")
            worker.kill()
            worker.start()

    wait_for(lambda: settled(shop, 2 * ORDERS), "every email to be sent", SETTLE_DEADLINE_SECONDS)

    assert worker.kills == KILLS and worker.alive()
    assert_each_order_emailed_once(shop, paid)
    print(f"sent again after a kill (same Message-ID): {worker.log.read_text().count(RESENT)}")


def test_a_redis_crash_without_persistence_loses_and_repeats_no_email(shop, worker, private_redis):
    thirds = in_thirds(placed_orders(ORDERS))
    paid = [pay(shop, order) for order in thirds[0]]
    wait_for(lambda: sent_count() > 0, "the worker to send an email")
    worker.pause()
    paid += [pay(shop, order) for order in thirds[1]]
    assert Queue(DEFAULT_QUEUE, connection=redis.Redis.from_url(private_redis.url)).count > 0

    private_redis.kill()
    private_redis.start()
    worker.resume()
    paid += [pay(shop, order) for order in thirds[2]]

    wait_for(lambda: settled(shop, 2 * ORDERS), "every email to be sent", SETTLE_DEADLINE_SECONDS)

    assert worker.alive() and worker.kills == 0
    assert_each_order_emailed_once(shop, paid)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture()
def shop_on_cluster(cluster, tmp_path, private_redis) -> Iterator[Flask]:
    """The app on a migrated database of the private PostgreSQL cluster and the private Redis."""
    database = services.recreate_postgres_database(cluster.url("marketplace"))
    with shop_on(database, private_redis, tmp_path) as shop_app:
        upgrade(directory=str(shop_app.config["MIGRATIONS_DIR"]))
        yield shop_app


@pytest.fixture()
def worker_on_cluster(shop_on_cluster, private_redis, tmp_path) -> Iterator[WorkerProcess]:
    with running_worker(shop_on_cluster, private_redis, tmp_path / "worker.log") as process:
        yield process


def failed_jobs(server: RedisServer) -> int:
    """Jobs of the queue that failed: for good, or waiting for their retry."""
    queue = Queue(DEFAULT_QUEUE, connection=redis.Redis.from_url(server.url))
    return FailedJobRegistry(queue=queue).count + ScheduledJobRegistry(queue=queue).count


def pay_while_paused(shop: Flask, worker: WorkerProcess, orders_to_pay: list[Order]) -> list[Order]:
    """Pay the orders while the worker is stopped, so that their events and emails pile up."""
    worker.pause()
    paid = [pay(shop, order) for order in orders_to_pay]
    db.session.commit()  # the test's own connection goes back to the pool before an outage
    return paid


@needs_postgres_binaries
def test_a_postgres_restart_and_stop_while_the_worker_delivers_lose_and_repeat_no_email(
    shop_on_cluster, worker_on_cluster, cluster, private_redis
):
    shop, worker = shop_on_cluster, worker_on_cluster
    thirds = in_thirds(placed_orders(ORDERS))

    paid = pay_while_paused(shop, worker, thirds[0])
    worker.resume()
    wait_for(lambda: sent_count() > 0, "the worker to send an email")
    db.session.commit()
    cluster.restart()

    paid += pay_while_paused(shop, worker, thirds[1])
    cluster.stop()
    failed_before = failed_jobs(private_redis)
    worker.resume()
    wait_for(
        lambda: failed_jobs(private_redis) > failed_before, "the worker to fail on the database"
    )
    cluster.start()

    paid += [pay(shop, order) for order in thirds[2]]

    wait_for(lambda: settled(shop, 2 * ORDERS), "every email to be sent", SETTLE_DEADLINE_SECONDS)

    assert worker.alive() and worker.kills == 0
    assert {order.status for order in paid} == {OrderStatus.PAID}
    assert_each_order_emailed_once(shop, paid)
    print(f"jobs failed on the database: {failed_jobs(private_redis)}")
    print(f"sent again after the outage (same Message-ID): {worker.log.read_text().count(RESENT)}")
