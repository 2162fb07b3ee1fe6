"""Time the search service over an existing database and print p50/p95 per query.

    DATABASE_URL=postgresql://postgres@127.0.0.1/marketplace_bench_search \\
        .venv/bin/python benchmarks/search_queries.py [--repeat N] [--cached] [--refresh-vocabulary]

Runs `app.search.services.search_products` in-process (no HTTP, no templates) for a fixed mix of
searches: plain words, prefixes, phrases, exclusions, misspellings, no text at all, facet filters,
price sorts and a deep page. Filter values are the database's own most common category and
merchant. Each search runs once to warm up, then `--repeat` times; the session is reset between
runs so nothing is cached by the ORM. `--cached` times the searches through the result cache the
page uses (Redis at REDIS_URL, else the embedded one), warmed by the first run; without it every
run reads the database. `--refresh-vocabulary` rebuilds the spelling vocabulary first (the demo
seeder does it; a database filled some other way may need it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.catalog.models import Category, Product
from app.database import db
from app.extensions import redis_client
from app.merchants.models import Merchant
from app.search.cache import ResultCache
from app.search.rules import parse_search_args
from app.search.services import refresh_vocabulary, search_products

TEXTS = {
    "one common word": {"q": "jacket"},
    "two words": {"q": "rain jacket"},
    "prefix": {"q": "headph"},
    "phrase": {"q": '"rain jacket"'},
    "exclusion": {"q": "jacket -rain"},
    "rare word": {"q": "kettlebell"},
    "misspelt": {"q": "kettelbell"},
    "nothing close": {"q": "qwxzvy"},
    "no text": {},
    "no text, newest, page 200": {"page": "200"},
    "word, price low to high": {"q": "cotton", "sort": "price_asc"},
}


CACHE_SECONDS = 600


def filtered_searches() -> dict[str, dict]:
    """Searches with the most common category and merchant of this database as filters."""
    category = db.session.scalar(
        sa.select(Category.slug)
        .join(Product, Product.category_id == Category.id)
        .group_by(Category.slug)
        .order_by(sa.func.count().desc())
        .limit(1)
    )
    merchant = db.session.scalar(
        sa.select(Merchant.slug)
        .join(Product, Product.merchant_id == Merchant.id)
        .group_by(Merchant.slug)
        .order_by(sa.func.count().desc())
        .limit(1)
    )
    return {
        "word + category": {"q": "blue", "category": category},
        "word + merchant + in stock": {"q": "blue", "merchant": merchant, "in_stock": "1"},
        "word + two price buckets": {"q": "blue", "price": ["25-50", "100-200"]},
        "no text + every filter": {
            "category": category,
            "merchant": merchant,
            "in_stock": "1",
            "price": "50-100",
            "sort": "price_desc",
        },
    }


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def time_search(args: dict, repeat: int, cache: ResultCache | None) -> tuple[list[float], int]:
    """Milliseconds of each run of one search, and how many products it found."""
    query = parse_search_args(args)
    total = search_products(db.session, query, cache).products.total
    db.session.remove()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        search_products(db.session, query, cache)
        timings.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    return timings, total


def main() -> int:
    """Run every search and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per search")
    parser.add_argument("--refresh-vocabulary", action="store_true")
    parser.add_argument("--cached", action="store_true", help="go through the result cache")
    options = parser.parse_args()
    app = create_app()
    with app.app_context():
        cache = ResultCache(redis_client(app), CACHE_SECONDS) if options.cached else None
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        print(f"products: {db.session.scalar(sa.select(sa.func.count()).select_from(Product))}")
        if options.refresh_vocabulary:
            started = time.perf_counter()
            words = refresh_vocabulary(db.session)
            db.session.commit()
            print(f"vocabulary: {words} words in {time.perf_counter() - started:.1f} s")
        everything: list[float] = []
        print(f"{'search':32} {'found':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for name, args in {**TEXTS, **filtered_searches()}.items():
            timings, total = time_search(args, options.repeat, cache)
            everything += timings
            print(
                f"{name:32} {total:>7} {statistics.median(timings):>8.1f} "
                f"{percentile(timings, 0.95):>8.1f} {max(timings):>8.1f}"
            )
        print(
            f"{'all searches':32} {'':>7} {statistics.median(everything):>8.1f} "
            f"{percentile(everything, 0.95):>8.1f} {max(everything):>8.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
