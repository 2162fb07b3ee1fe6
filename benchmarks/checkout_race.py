"""Checkout race over HTTP: hundreds of buyers place orders at once for the last units.

Seeds a small demo store in a scratch PostgreSQL database, leaves STOCK units of one variant
(the "last units") and plenty of a second variant from another merchant, then serves the app with
gunicorn (WORKERS processes x THREADS threads) and runs RQ workers for the outbox events. Each
buyer, in its own HTTP session, puts one of each variant in the cart and walks the checkout to the
review page. Then all buyers press "Place order" at the same moment, twice each (a double click),
and every buyer who got an order pays for it with the test card on the built-in payment page.

Prints: orders placed, units sold, units oversold (must be 0), duplicate orders and duplicate
charges (must be 0), server errors, and p50/p95/p99 time to place an order.

    .venv/bin/python benchmarks/checkout_race.py [--buyers 300] [--stock 20]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests
import storefront as bench

DATABASE = "marketplace_bench_checkout"
WORKERS = 4
THREADS = 4
RQ_WORKERS = 2
SETTLE_SECONDS = 120
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PROBLEM = re.compile(r'class="(?:field-error|flash flash-error)"[^>]*>([^<]+)<')
TOKEN = re.compile(r'name="token"[^>]*value="([^"]+)"')
REVIEWED = re.compile(r'name="reviewed"[^>]*value="([^"]+)"')
ADDRESS = {
    "full_name": "Race Buyer",
    "line1": "1 Market Street",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
    "saved_address": "new",
}


@dataclass
class Buyer:
    """One shopper's HTTP session and what happened to it."""

    index: int
    base_url: str
    http: requests.Session = field(default_factory=requests.Session)
    csrf: str = ""
    token: str = ""
    reviewed: str = ""
    outcomes: list[int] = field(default_factory=list)
    payment_urls: list[str] = field(default_factory=list)
    place_ms: list[float] = field(default_factory=list)

    def form(self, path: str, data: dict) -> requests.Response:
        """POST a form with the session's CSRF token, without following the redirect."""
        return self.http.post(
            self.base_url + path, data={"csrf_token": self.csrf, **data}, allow_redirects=False
        )

    def prepare(self, product_path: str, variants: tuple[int, int]) -> None:
        """Fill the cart (from the product page, as a browser does) and walk the checkout to the
        review page."""
        expect(self.http.get(self.base_url + product_path), 200)
        origin = {"Origin": self.base_url}
        for variant_id in variants:
            added = self.http.post(
                self.base_url + "/cart/add",
                data={"variant_id": variant_id, "quantity": 1},
                headers=origin,
                allow_redirects=False,
            )
            expect(added, 303)
        details = self.http.get(self.base_url + "/checkout/details")
        self.csrf = CSRF.search(details.text).group(1)
        email = f"race-buyer{self.index}@example.com"
        expect(self.form("/checkout/details", {"email": email, **ADDRESS}), 303)
        expect(self.http.get(self.base_url + "/checkout/shipping"), 200)
        review = self.http.get(self.base_url + "/checkout/review")
        expect(review, 200)
        self.token = TOKEN.search(review.text).group(1)
        self.reviewed = REVIEWED.search(review.text).group(1)

    def place(self) -> None:
        """Press "Place order" once and time the answer (a fresh connection per click, with the
        session's cookies: a double click is two requests in flight at once)."""
        click = requests.Session()
        click.cookies.update(self.http.cookies)
        started = time.perf_counter()
        response = click.post(
            self.base_url + "/checkout/place",
            data={"csrf_token": self.csrf, "token": self.token, "reviewed": self.reviewed},
            allow_redirects=False,
        )
        self.place_ms.append((time.perf_counter() - started) * 1000)
        self.outcomes.append(response.status_code)
        if response.status_code == 303:
            self.payment_urls.append(response.headers["Location"])

    def pay(self) -> None:
        """Pay on the built-in gateway's page with the card that succeeds."""
        url = self.payment_urls[0]
        page = self.http.get(url)
        csrf = CSRF.search(page.text).group(1)
        card = {"card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}
        answer = self.http.post(
            url, data={"csrf_token": csrf, "name": "Race Buyer", **card}, allow_redirects=False
        )
        expect(answer, 303)


def expect(response: requests.Response, status: int) -> None:
    """Fail loudly when a step of the flow does not answer as a browser would see it work."""
    if response.status_code != status:
        problems = PROBLEM.findall(response.text) or [response.text[:800]]
        raise bench.BenchmarkError(
            f"{response.request.method} {response.url} answered {response.status_code}, "
            f"expected {status}: {' | '.join(problems)}"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=300, help="concurrent buyers [300]")
    parser.add_argument("--stock", type=int, default=20, help="units of the contested variant [20]")
    parser.add_argument("--steady", type=int, default=200, help="orders under steady load [200]")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="buyers placing at once, steady load [8]"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    return parser.parse_args(argv)


def query(sql: str, *params) -> list[tuple]:
    """Rows of one statement on the scratch database."""
    with psycopg.connect(f"{bench.POSTGRES} dbname={DATABASE}") as connection:
        return connection.execute(sql, params).fetchall()


def contested_variants(stock: int) -> tuple[str, tuple[int, int]]:
    """The product page and two variants of two merchants; the first keeps only `stock` units."""
    rows = query(
        """
        SELECT DISTINCT ON (p.merchant_id) p.slug, v.id FROM products p
        JOIN merchants m ON m.id = p.merchant_id AND m.status = 'active'
        JOIN product_variants v ON v.product_id = p.id
        JOIN stock_items s ON s.variant_id = v.id
        WHERE p.status = 'published' AND v.weight_grams < 2000
        ORDER BY p.merchant_id, v.id LIMIT 2
        """
    )
    (slug, contested), (_, plenty) = rows
    with psycopg.connect(f"{bench.POSTGRES} dbname={DATABASE}", autocommit=True) as connection:
        for variant_id, units in ((contested, stock), (plenty, 100_000)):
            connection.execute(
                "UPDATE stock_items SET on_hand = %s, reserved = 0 WHERE variant_id = %s",
                (units, variant_id),
            )
        connection.execute("TRUNCATE stock_ledger, stock_reservations")
    return f"/p/{slug}", (contested, plenty)


@contextlib.contextmanager
def rq_workers(env: dict[str, str], workdir: Path) -> Iterator[None]:
    """RQ workers (with the scheduler) delivering the outbox events."""
    processes = []
    for number in range(RQ_WORKERS):
        log = (workdir / f"rq-{number}.log").open("w")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "jobs.worker"],
                cwd=bench.ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        yield
    finally:
        for process in processes:
            bench.stop(process)


def run_race(
    base_url: str, product_path: str, variants: tuple[int, int], count: int
) -> list[Buyer]:
    """Prepare every buyer, then release them all on "Place order" together (twice each)."""
    buyers = [Buyer(index, base_url) for index in range(count)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(lambda buyer: buyer.prepare(product_path, variants), buyers))
    print(f"{count} buyers at the review page; placing...", flush=True)
    start = threading.Barrier(2 * count)

    def click(buyer: Buyer) -> None:
        start.wait()
        buyer.place()

    with ThreadPoolExecutor(max_workers=2 * count) as pool:
        list(pool.map(click, [buyer for buyer in buyers for _ in range(2)]))
    return buyers


def settle(expected_paid: int) -> int:
    """Wait until the workers have applied every payment (or the time is up)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    paid = 0
    while time.monotonic() < deadline:
        paid = query("SELECT count(*) FROM orders WHERE status = 'paid'")[0][0]
        if paid >= expected_paid:
            break
        time.sleep(0.5)
    return paid


def report(buyers: list[Buyer], stock: int, contested: int, paid: int) -> bool:
    """Print the numbers; True when nothing was oversold and nothing happened twice."""
    latencies = sorted(ms for buyer in buyers for ms in buyer.place_ms)
    orders = query("SELECT count(*) FROM orders")[0][0]
    duplicates = query(
        "SELECT coalesce(sum(n - 1), 0) FROM "
        "(SELECT count(*) n FROM orders GROUP BY email HAVING count(*) > 1) d"
    )[0][0]
    charges = query(
        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) n FROM payments "
        "WHERE status = 'succeeded' GROUP BY order_id HAVING count(*) > 1) d"
    )[0][0]
    on_hand, reserved = query(
        "SELECT on_hand, reserved FROM stock_items WHERE variant_id = %s", contested
    )[0]
    sold = query(
        "SELECT coalesce(sum(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id "
        "WHERE l.variant_id = %s AND o.status = 'paid'",
        contested,
    )[0][0]
    ledger = query(
        "SELECT coalesce(sum(on_hand_delta), 0), coalesce(sum(reserved_delta), 0) "
        "FROM stock_ledger WHERE variant_id = %s",
        contested,
    )[0]
    errors = sum(status >= 500 for buyer in buyers for status in buyer.outcomes)
    refused = sum(all(status == 409 for status in buyer.outcomes) for buyer in buyers)
    two_urls = sum(len(set(buyer.payment_urls)) > 1 for buyer in buyers)
    oversold = max(0, sold - stock) + max(0, -on_hand)
    ledger_ok = (stock + ledger[0], ledger[1]) == (on_hand, reserved)
    rows = [
        ("buyers (each clicked Place order twice)", len(buyers)),
        ("orders placed", orders),
        ("orders paid", paid),
        ("units of the contested variant sold / in stock", f"{sold} / {stock}"),
        ("units oversold", oversold),
        ("buyers told it is out of stock (409)", refused),
        ("duplicate orders (double clicks)", duplicates + two_urls),
        ("duplicate charges", charges),
        ("server errors (5xx)", errors),
        ("stock row agrees with the ledger", "yes" if ledger_ok else "NO"),
        ("place order p50 / p95 / p99 ms (all clicks at once)", percentiles(latencies)),
        ("place order mean ms", f"{statistics.fmean(latencies):.0f}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return (
        oversold == 0 and duplicates + two_urls == 0 and charges == 0 and errors == 0 and ledger_ok
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="checkout-race-") as tmp:
        workdir = Path(tmp)
        with bench.scratch_database(DATABASE, 200, workdir, reuse=False, keep=args.keep):
            product_path, variants = contested_variants(args.stock)
            env = bench.app_environment(DATABASE, workdir)
            env.update(RATELIMIT_ENABLED="0", REDIS_URL=bench.REDIS_URL)
            with rq_workers(env, workdir), gunicorn_threads(env, workdir) as base_url:
                buyers = run_race(base_url, product_path, variants, args.buyers)
                placed = [buyer for buyer in buyers if buyer.payment_urls]
                with ThreadPoolExecutor(max_workers=16) as pool:
                    list(pool.map(Buyer.pay, placed))
                paid = settle(len(placed))
                ok = report(buyers, args.stock, variants[0], paid)
                steady = steady_orders(base_url, product_path, variants[1], args)
    print_steady(steady, args.concurrency)
    return 0 if ok else 1


def steady_orders(
    base_url: str, product_path: str, variant_id: int, args: argparse.Namespace
) -> list[float]:
    """Place order under steady concurrent load: `--steady` buyers (of a variant in plenty),
    `--concurrency` of them placing at any moment; milliseconds per place request."""
    buyers = [Buyer(10_000 + index, base_url) for index in range(args.steady)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(lambda buyer: buyer.prepare(product_path, (variant_id,)), buyers))
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        list(pool.map(Buyer.place, buyers))
    failed = [buyer.outcomes for buyer in buyers if buyer.outcomes != [303]]
    if failed:
        raise bench.BenchmarkError(f"steady orders that were not placed: {failed[:5]}")
    return sorted(ms for buyer in buyers for ms in buyer.place_ms)


def print_steady(latencies: list[float], concurrency: int) -> None:
    """The steady-load row: time to place an order with `concurrency` buyers at once."""
    print(
        f"steady load: {len(latencies)} orders, {concurrency} placing at once: "
        f"place order p50 / p95 / p99 ms  {percentiles(latencies)}"
    )


def percentiles(latencies: list[float]) -> str:
    """p50 / p95 / p99 of sorted milliseconds."""
    return " / ".join(
        f"{latencies[min(len(latencies) - 1, int(len(latencies) * q))]:.0f}"
        for q in (0.50, 0.95, 0.99)
    )


@contextlib.contextmanager
def gunicorn_threads(env: dict[str, str], workdir: Path) -> Iterator[str]:
    """The app under gunicorn with WORKERS processes of THREADS threads; its SITE_URL is its own
    address (the payment page a placed order redirects to is built on it)."""
    port = bench.free_port()
    log = (workdir / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--bind",
            f"{bench.HOST}:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
            "wsgi:app",
        ],
        cwd=bench.ROOT,
        env={**env, "SITE_URL": f"http://{bench.HOST}:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://{bench.HOST}:{port}"
    try:
        bench.wait_until_serving(process, base_url)
        yield base_url
    finally:
        bench.stop(process)


if __name__ == "__main__":
    sys.exit(main())
