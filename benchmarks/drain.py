"""Outbox drain benchmark: how fast 1 and then 2 workers clear a backlog of paid orders.

Builds the backlog on PostgreSQL with no worker running: `--orders` orders (5,000), each with one
line from each of two merchants, placed and paid on the built-in test gateway through the
services, as checkout and the gateway's webhook do. Every commit hands its events to RQ as in
production, so the queue holds what a stalled worker leaves behind: OrderCreated and
InventoryReserved, then PaymentProcessed, for each order. Delivering PaymentProcessed marks the
order paid and causes OrderPaid, whose handlers send the shopper's confirmation and one email to
each merchant (the file sender).

The backlog (a template database and a snapshot of the benchmark's own redis-server) is built
once and restored for each run. A run starts that many `python -m jobs.worker` processes while
the queues are suspended, resumes them once every worker is up, and times until every order is
paid, every event delivered and every email written. Prints paid orders/s, events/s and emails/s
for each run side by side.

    .venv/bin/python benchmarks/drain.py [--orders 5000] [--workers 1 2] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
import storefront as bench
from psycopg import sql
from rq import Worker
from rq.suspension import resume, suspend

DATABASE = "marketplace_bench_drain"
RUN_DATABASE = "marketplace_bench_drain_run"
PRODUCTS = 200
BUILDERS = 2
EMAILS_PER_ORDER = 3
DRAIN_DEADLINE_SECONDS = 1800
BUILDER = Path(__file__).with_name("drain_backlog.py")


@dataclass(frozen=True)
class Drained:
    """One run: how many workers, how long, and what they cleared."""

    workers: int
    seconds: float
    orders: int
    events: int
    emails: int

    def rate(self, count: int) -> str:
        return f"{count / self.seconds:,.1f}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000, help="paid orders in the backlog")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="workers of each run [1 2]"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    return parser.parse_args(argv)


class RedisServer:
    """The benchmark's own redis-server (no persistence but the backlog snapshot)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = bench.free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{bench.HOST}:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                bench.HOST,
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--dbfilename",
                "backlog.rdb",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + bench.SERVER_START_SECONDS
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if self.client().ping():
                    return
            time.sleep(0.1)
        raise bench.BenchmarkError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


def query(database: str, statement: str, *params) -> list[tuple]:
    """Rows of one statement (an empty list for statements that return none)."""
    with psycopg.connect(f"{bench.POSTGRES} dbname={database}", autocommit=True) as connection:
        cursor = connection.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def prepare_store() -> None:
    """Plenty of stock everywhere, a contact email for every merchant, an empty ledger."""
    query(DATABASE, "UPDATE stock_items SET on_hand = 1000000, reserved = 0")
    query(DATABASE, "UPDATE merchants SET contact_email = 'shop' || id || '@example.com'")
    query(DATABASE, "TRUNCATE stock_ledger, stock_reservations")


def build_backlog(env: dict[str, str], orders: int, workdir: Path) -> None:
    """Place and pay `orders` orders in BUILDERS processes (benchmarks/drain_backlog.py)."""
    share = -(-orders // BUILDERS)
    builders = [
        subprocess.Popen(
            [sys.executable, str(BUILDER), str(first), str(min(share, orders - first))],
            cwd=bench.ROOT,
            env=env,
            stdout=(workdir / f"build-{first}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for first in range(0, orders, share)
    ]
    for builder in builders:
        if builder.wait() != 0:
            log = "\n".join(path.read_text() for path in workdir.glob("build-*.log"))
            raise bench.BenchmarkError(f"building the backlog failed:\n{bench.tail(log)}")


def snapshot(server: RedisServer) -> Path:
    """Save the backlog's queue to disk; returns the copy that each run starts from."""
    server.client().save()
    kept = server.directory / "backlog.kept"
    shutil.copyfile(server.directory / "backlog.rdb", kept)
    return kept


@contextlib.contextmanager
def restored(server: RedisServer, kept: Path) -> Iterator[str]:
    """The backlog as built: a copy of the template database and the saved queue."""
    server.stop()
    shutil.copyfile(kept, server.directory / "backlog.rdb")
    server.start()
    recreate = [
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(RUN_DATABASE)),
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(RUN_DATABASE), sql.Identifier(DATABASE)
        ),
    ]
    for statement in recreate:
        bench.admin_execute(statement)
    try:
        yield RUN_DATABASE
    finally:
        bench.admin_execute(recreate[0])


def counts(database: str, outbox: Path) -> tuple[int, int, int]:
    """(paid orders, undelivered events, emails written)."""
    paid, undelivered = query(
        database,
        "SELECT (SELECT count(*) FROM orders WHERE status = 'paid'), "
        "(SELECT count(*) FROM outbox_events WHERE delivered_at IS NULL)",
    )[0]
    emails = sum(1 for _ in os.scandir(outbox)) if outbox.exists() else 0
    return paid, undelivered, emails


@contextlib.contextmanager
def workers(count: int, env: dict[str, str], workdir: Path) -> Iterator[None]:
    """`count` worker processes, stopped (SIGTERM) at the end."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "jobs.worker"],
            cwd=bench.ROOT,
            env=env,
            stdout=(workdir / f"worker-{count}-{number}.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for number in range(count)
    ]
    try:
        yield
    finally:
        for process in processes:
            bench.stop(process)


def drain(count: int, orders: int, server: RedisServer, kept: Path, workdir: Path) -> Drained:
    """Restore the backlog, start `count` workers held by RQ's suspension, let them go, time."""
    with restored(server, kept) as database:
        env = bench.app_environment(database, workdir)
        outbox = workdir / f"outbox-{count}"
        env.update(REDIS_URL=server.url, MAIL_OUTBOX_DIR=str(outbox))
        connection = server.client()
        suspend(connection)
        with workers(count, env, workdir):
            wait(lambda: Worker.count(connection=connection) >= count, "the workers to start")
            started = time.monotonic()
            resume(connection)
            wait(
                lambda: counts(database, outbox) == (orders, 0, orders * EMAILS_PER_ORDER),
                "the backlog to drain",
                DRAIN_DEADLINE_SECONDS,
            )
            seconds = time.monotonic() - started
        events = query(database, "SELECT count(*) FROM outbox_events")[0][0]
    return Drained(count, seconds, orders, events, orders * EMAILS_PER_ORDER)


def wait(check, what: str, deadline_seconds: float = bench.SERVER_START_SECONDS) -> None:
    deadline = time.monotonic() + deadline_seconds
    while not check():
        if time.monotonic() > deadline:
            raise bench.BenchmarkError(f"gave up waiting for {what}")
        time.sleep(0.2)


def report(runs: list[Drained]) -> None:
    header = f"{'':<24}" + "".join(f"{f'{run.workers} worker(s)':>14}" for run in runs)
    print(header)
    print("-" * len(header))
    rows = [
        ("seconds to drain", [f"{run.seconds:,.1f}" for run in runs]),
        ("paid orders / s", [run.rate(run.orders) for run in runs]),
        ("events / s", [run.rate(run.events) for run in runs]),
        ("emails / s", [run.rate(run.emails) for run in runs]),
    ]
    for name, values in rows:
        print(f"{name:<24}" + "".join(f"{value:>14}" for value in values))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, bench.interrupt)
    signal.signal(signal.SIGHUP, bench.interrupt)
    with tempfile.TemporaryDirectory(prefix="drain-") as tmp:
        workdir = Path(tmp)
        server = RedisServer(workdir)
        server.start()
        try:
            with bench.scratch_database(DATABASE, PRODUCTS, workdir, reuse=False, keep=args.keep):
                prepare_store()
                env = bench.app_environment(DATABASE, workdir)
                env.update(REDIS_URL=server.url)
                print(f"Building a backlog of {args.orders:,} paid orders...", flush=True)
                started = time.monotonic()
                build_backlog(env, args.orders, workdir)
                kept = snapshot(server)
                print(f"  built in {time.monotonic() - started:.0f} s.", flush=True)
                runs = []
                for count in args.workers:
                    runs.append(drain(count, args.orders, server, kept, workdir))
                    print(f"  {count} worker(s): drained in {runs[-1].seconds:.1f} s", flush=True)
        finally:
            server.stop()
    report(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
