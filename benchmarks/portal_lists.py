"""Portal list pages under load: the inventory table and the product list of a merchant with
5,000 products, next to the storefront category page, under gunicorn with concurrent clients.

    .venv/bin/python benchmarks/portal_lists.py [--products 5000] [--duration 15] [--warmup 3]
        [--clients 4] [--index with|without|both] [--keep-db] [--reuse-db]

Seeds a scratch PostgreSQL database with `flask seed-demo --products N` and gives every product
to the first demo shop (its owner signs in as staff1@example.com), serves the app with gunicorn
(2 sync workers, as benchmarks/storefront.py does), signs the owner in over HTTP and loads each
page from `--clients` Python threads on keep-alive connections for `--duration` seconds. Prints
requests/s and p50/p95/p99 per page, and the SQL statements each page sends and the CPU time
one request costs the app (both in-process, on the same database). With `--index both` (the
default) the pages are measured without and then with INDEX_SQL, created in this run's database
only (the app's migrations do not have it).

The load generator runs on the same machine as the server: on 2 cores its threads take CPU the
server would otherwise have, so the figures are a floor, the same for every page of a run.
Exit status: 0 when every portal page's p95 is under 150 ms, 1 when one is not, 2 when the run
could not be made.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.cookiejar
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import storefront as base

DATABASE = "marketplace_bench_portal"
PASSWORD = "benchmark-demo-password"
OWNER = "staff1@example.com"
REDIS_URL = f"redis://{base.HOST}:6379/13"
MAX_P95_MS = 150.0
CPU_SAMPLES = 20
INDEX_NAME = "ix_product_variants_merchant_sku_page"
INDEX_SQL = (
    f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} "
    "ON product_variants (merchant_id, sku) INCLUDE (id, product_id)"
)


@dataclass(frozen=True)
class Page:
    """One row of the table: paths cycled through by every client."""

    name: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Measured:
    """What the clients saw on one page."""

    page: Page
    requests: int
    seconds: float
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    queries: int
    cpu_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--index", choices=("with", "without", "both"), default="both")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--reuse-db", action="store_true")
    return parser.parse_args(argv)


def environment(workdir: Path) -> dict[str, str]:
    """The storefront benchmark's app environment on this benchmark's own database and Redis
    database (other benchmarks flush theirs, which would sign the owner out mid-run)."""
    env = base.app_environment(DATABASE, workdir)
    env.update(REDIS_URL=REDIS_URL, DEMO_PASSWORD=PASSWORD)
    return env


def give_everything_to_the_first_shop(workdir: Path) -> int:
    """Every product and variant to merchant 1 (staff1's shop); its variant count."""
    with psycopg.connect(f"{base.POSTGRES} dbname={DATABASE}", autocommit=True) as connection:
        merchant_id = connection.execute("SELECT min(id) FROM merchants").fetchone()[0]
        connection.execute("UPDATE products SET merchant_id = %s", (merchant_id,))
        connection.execute("UPDATE product_variants SET merchant_id = %s", (merchant_id,))
        connection.execute("VACUUM ANALYZE")
        return connection.execute(
            "SELECT count(*) FROM product_variants WHERE merchant_id = %s", (merchant_id,)
        ).fetchone()[0]


def set_index(present: bool) -> None:
    with psycopg.connect(f"{base.POSTGRES} dbname={DATABASE}", autocommit=True) as connection:
        if present:
            connection.execute(INDEX_SQL)
            connection.execute("ANALYZE product_variants")
        else:
            connection.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


@contextlib.contextmanager
def scratch(args: argparse.Namespace, workdir: Path) -> Iterator[None]:
    env = environment(workdir)
    existing = base.product_count(DATABASE) if args.reuse_db else None
    created = False
    try:
        if existing is not None and existing >= args.products:
            print(f"Reusing database {DATABASE} ({existing:,} products).", flush=True)
            base.run_flask(["db", "upgrade"], env)
        else:
            base.admin_execute(base.sql.SQL(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            base.admin_execute(base.sql.SQL(f"CREATE DATABASE {DATABASE}"))
            created = True
            print(f"Seeding {DATABASE} with {args.products:,} products...", flush=True)
            base.run_flask(["db", "upgrade"], env, log=workdir / "seed.log")
            base.run_flask(
                ["seed-demo", "--products", str(args.products), "--password", PASSWORD],
                env,
                log=workdir / "seed.log",
                timeout=base.SEED_TIMEOUT_SECONDS,
            )
        variants = give_everything_to_the_first_shop(workdir)
        print(f"  {OWNER} sells {args.products:,} products, {variants:,} variants.", flush=True)
        yield
    finally:
        if created and not (args.keep_db or args.reuse_db):
            base.admin_execute(base.sql.SQL(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            print(f"Dropped database {DATABASE}.", flush=True)


def sign_in(base_url: str) -> str:
    """Sign the owner in over HTTP (with the login form's CSRF token); the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(base_url + "/account/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    if token is None:
        raise base.BenchmarkError("no csrf_token on the login page")
    data = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": OWNER, "password": PASSWORD}
    ).encode()
    request = urllib.request.Request(
        base_url + "/account/login", data=data, headers={"Referer": base_url + "/account/login"}
    )
    opener.open(request, timeout=10).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    status, _ = get(base_url, "/portal/inventory", cookie)
    if status != 200:
        raise base.BenchmarkError(f"{OWNER} could not open /portal/inventory ({status})")
    return cookie


def get(base_url: str, path: str, cookie: str) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def load(base_url: str, page: Page, cookie: str, seconds: float, clients: int):
    """`clients` threads cycling through the page's paths for `seconds`; latencies and failures."""
    parts = urllib.parse.urlsplit(base_url)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at: list[float] = []

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        index = number
        start.wait()
        while time.monotonic() < stop_at[0]:
            path = page.paths[index % len(page.paths)]
            index += 1
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Cookie": cookie})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                ok = False
            latencies[number].append(time.perf_counter() - began)
            failures[number] += not ok
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    stop_at.append(time.monotonic() + seconds)
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join()
    return [x for per in latencies for x in per], sum(failures), time.monotonic() - began


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def in_process_costs(pages: list[Page], workdir: Path) -> dict[str, tuple[int, float]]:
    """Per page, in-process on the benchmark database: the SQL statements its first path sends,
    and the CPU milliseconds this process spends on it (median of CPU_SAMPLES requests, waits
    for PostgreSQL and Redis excluded, so less disturbed by a busy machine than wall time)."""
    import os

    import sqlalchemy as sa

    os.environ.update(environment(workdir))
    from app import create_app
    from app.database import db

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    client.post("/account/login", data={"email": OWNER, "password": PASSWORD})
    costs = {}
    with app.app_context():
        engine = db.engine
    for page in pages:
        client.get(page.paths[0])
        seen: list[str] = []

        def record(*args, seen=seen) -> None:
            seen.append(args[2])

        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            status = client.get(page.paths[0]).status_code
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        cpu = []
        for _ in range(CPU_SAMPLES):
            began = time.process_time()
            client.get(page.paths[0])
            cpu.append((time.process_time() - began) * 1000)
        costs[page.name] = (len(seen) if status == 200 else -1, statistics.median(cpu))
    return costs


def portal_pages(base_url: str, cookie: str, skus: list[str]) -> list[Page]:
    pages = [
        Page(
            "inventory",
            tuple(f"/portal/inventory?page={n}" for n in (1, 2, 50, 150, 300)),
        ),
        Page("inventory low", ("/portal/inventory?state=low", "/portal/inventory?state=out")),
        Page(
            "inventory search",
            tuple(f"/portal/inventory?q={urllib.parse.quote(sku)}" for sku in skus),
        ),
    ]
    status, _ = get(base_url, "/portal/products", cookie)
    if status == 200:
        pages.append(Page("products", tuple(f"/portal/products?page={n}" for n in (1, 2, 50))))
    else:
        print(f"  /portal/products answered {status}: left out.", flush=True)
    return pages


def baseline_page() -> Page:
    with psycopg.connect(f"{base.POSTGRES} dbname={DATABASE}") as connection:
        slug = connection.execute(
            "SELECT top.slug FROM products p JOIN categories c ON c.id = p.category_id "
            "JOIN categories top ON top.id = coalesce(c.parent_id, c.id) "
            "WHERE p.status = 'published' GROUP BY top.slug ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
    return Page("storefront category", (f"/c/{slug}",))


def sample_skus() -> list[str]:
    with psycopg.connect(f"{base.POSTGRES} dbname={DATABASE}") as connection:
        rows = connection.execute(
            "SELECT sku FROM product_variants ORDER BY id DESC LIMIT 5"
        ).fetchall()
    return [sku for (sku,) in rows]


def measure(base_url: str, cookie: str, pages: list[Page], args, costs) -> list[Measured]:
    results = []
    for page in pages:
        for path in page.paths:
            status, _ = get(base_url, path, cookie)
            if status != 200:
                raise base.BenchmarkError(f"{page.name}: GET {path} answered {status}")
        if args.warmup:
            load(base_url, page, cookie, args.warmup, args.clients)
        latencies, failures, seconds = load(base_url, page, cookie, args.duration, args.clients)
        result = Measured(
            page,
            len(latencies),
            seconds,
            failures,
            statistics.median(latencies) * 1000 if latencies else 0.0,
            percentile(latencies, 0.95),
            percentile(latencies, 0.99),
            *costs.get(page.name, (0, 0.0)),
        )
        print(
            f"  {page.name:<20} {result.rps:7.1f} req/s  p50 {result.p50_ms:6.1f} ms  "
            f"p95 {result.p95_ms:6.1f} ms  queries {result.queries}  cpu {result.cpu_ms:.1f} ms",
            flush=True,
        )
        results.append(result)
    return results


def report(rows: list[tuple[str, Measured]], args) -> bool:
    print()
    print(
        f"{args.products:,} products of one merchant, gunicorn 2 sync workers, "
        f"{args.clients} clients, {args.duration} s per page"
    )
    print(
        f"| {'page':<20} | {'index':<7} | {'req/s':>7} | {'p50 ms':>7} | {'p95 ms':>7} "
        f"| {'p99 ms':>7} | {'queries':>7} | {'CPU ms':>6} | {'failed':>6} |"
    )
    print(
        f"|{'-' * 22}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 8}"
        f"|{'-' * 8}|"
    )
    ok = True
    for index, result in rows:
        print(
            f"| {result.page.name:<20} | {index:<7} | {result.rps:7.1f} | {result.p50_ms:7.1f} "
            f"| {result.p95_ms:7.1f} | {result.p99_ms:7.1f} | {result.queries:7d} "
            f"| {result.cpu_ms:6.1f} | {result.failures:6d} |"
        )
        if not result.page.name.startswith("storefront"):
            ok = ok and result.p95_ms < MAX_P95_MS and result.failures == 0
    print(f"\nPortal pages p95 < {MAX_P95_MS:.0f} ms: {'PASS' if ok else 'FAIL'}")
    return ok


def benchmark(args: argparse.Namespace, workdir: Path) -> bool:
    with scratch(args, workdir):
        env = environment(workdir)
        with base.gunicorn("app", "wsgi:app", base.ROOT, env, workdir) as base_url:
            cookie = sign_in(base_url)
            pages = portal_pages(base_url, cookie, sample_skus())
            baseline = baseline_page()
            rows: list[tuple[str, Measured]] = []
            settings = {"with": [True], "without": [False], "both": [False, True]}[args.index]
            for present in settings:
                set_index(present)
                label = "with" if present else "without"
                print(f"Index {INDEX_NAME}: {label}", flush=True)
                costs = in_process_costs([baseline, *pages], workdir)
                measured = measure(base_url, cookie, [baseline, *pages], args, costs)
                rows += [(label, result) for result in measured]
            return report(rows, args)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
            return 0 if benchmark(args, Path(folder)) else 1
    except base.BenchmarkError as error:
        print(f"Benchmark could not run: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
