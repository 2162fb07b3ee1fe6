"""Catalogue import benchmark: a 10,000-row CSV file imported on PostgreSQL, then imported again.

Builds a scratch database (`marketplace_bench_import`, migrated and seeded with a small demo
store by `flask seed-demo`), generates a file of `--rows` variants (three per product, with
options, attributes and stock) in the demo store's categories, and times, in this process:

- baseline: the same products, variants, options, attributes, stock and ledger rows written
  straight through the catalog's bulk writer (the demo seeder's path) for another merchant;
- first import: `start_import` (the upload's whole-file checks) plus the job
  `run_catalog_import` (every row created, stock through the ledger, report rows, progress
  commits, search vocabulary refresh), as a worker runs it;
- re-run: the same file again (every row unchanged, nothing written);
- changed: the file with every price and stock figure changed (every row updated: set-based
  UPDATEs, one stock change per variant through the inventory service).

The app runs with the benchmarks' real Redis (`REDIS_URL` as in storefront.py), so the jobs an
import's commits queue (low-stock alerts' outbox delivery) go to RQ as in production instead of
running inline; nothing works those queues during the run.

    .venv/bin/python benchmarks/import_10k.py [--rows 10000] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
import storefront as bench
from psycopg import sql

sys.path.insert(0, str(bench.ROOT))

DATABASE = "marketplace_bench_import"
SEED_PRODUCTS = 2000
VARIANTS_PER_PRODUCT = 3
SIZES = ("S", "M", "L", "XL")
COLOURS = ("Navy", "Sand", "Olive", "Rust", "Slate")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="variants in the file [10000]")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    return parser.parse_args(argv)


def catalogue_file(rows: int, categories: list[str], seed: int, price_shift: int = 0) -> bytes:
    """A CSV file in the import format: `rows` variants, three per product."""
    from app.catalog.import_rules import COLUMNS

    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    product = 0
    written = 0
    while written < rows:
        product += 1
        category = rng.choice(categories)
        colour = rng.choice(COLOURS)
        fit = rng.choice(("Slim", "Regular"))
        for position in range(min(VARIANTS_PER_PRODUCT, rows - written)):
            size = SIZES[position]
            price = 1000 + (product * 37) % 9000 + position * 150 + price_shift
            writer.writerow(
                [
                    f"BENCH-{product:06d}-{size}",
                    f"bench-product-{product}",
                    f"Bench product {product} in {colour}",
                    f"A benchmark product, number {product}, in {colour.lower()}.",
                    category,
                    "published",
                    "",
                    "Size",
                    size,
                    "Colour",
                    colour,
                    "",
                    "",
                    f"{price // 100}.{price % 100:02d}",
                    "",
                    str(200 + position * 20),
                    str((product + position + price_shift) % 40),
                    "3",
                    f"Material=Cotton; Fit={fit}",
                ]
            )
            written += 1
    return buffer.getvalue().encode()


def baseline_write(session, merchant_id: int, content: bytes) -> int:
    """The file's products written with the bulk writer alone (the demo seeder's way)."""
    from app.catalog import bulk, import_rules, rules
    from app.catalog.models import Category, Product, ProductVariant
    from app.database import utcnow
    from app.inventory.models import StockLedgerEntry

    table = import_rules.read_table(content)
    parsed = [import_rules.parse_row(row, table.columns, "USD") for row in table.rows]
    categories = {
        row.slug: row
        for row in session.execute(sa.select(Category.id, Category.slug, Category.parent_id))
    }
    by_handle: dict[str, list] = {}
    for row in parsed:
        by_handle.setdefault(row.handle, []).append(row)
    product_ids = iter(bulk.allocate_ids(session, Product.__table__, len(by_handle)))
    variant_ids = iter(bulk.allocate_ids(session, ProductVariant.__table__, len(parsed)))
    batch = bulk.RowBatch()
    now = utcnow()
    option_rows, attribute_rows, ledger_rows = [], [], []
    for handle, rows in by_handle.items():
        first = rows[0].product
        category = categories[first.category]
        product_id = next(product_ids)
        options = [pair for row in rows for pair in row.options]
        batch.products.append(
            (
                product_id,
                merchant_id,
                category.id,
                category.parent_id or category.id,
                first.name,
                f"{handle}-baseline-{product_id}",
                first.description,
                "published",
                False,
                rules.lowest_price(row.price_amount for row in rows),
                "USD",
                rules.search_text(first.attributes, options, [first.category]),
                now,
                now,
            )
        )
        attribute_rows += [(product_id, n, v, i) for i, (n, v) in enumerate(first.attributes)]
        for position, row in enumerate(rows):
            variant_id = next(variant_ids)
            batch.variants.append(
                (
                    variant_id,
                    product_id,
                    merchant_id,
                    row.sku,
                    rules.variant_name(v for _, v in row.options),
                    row.price_amount,
                    None,
                    "USD",
                    row.weight_grams,
                    position,
                )
            )
            option_rows += [(variant_id, n, v, i) for i, (n, v) in enumerate(row.options)]
            batch.stock.append((variant_id, product_id, row.on_hand, 0, 3, row.on_hand <= 3, now))
            if row.on_hand:
                ledger_rows.append((variant_id, row.on_hand, 0, "import", "baseline", None, now))
    from app.catalog.models import ProductAttribute, VariantOption

    ids = bulk.allocate_ids(session, VariantOption.__table__, len(option_rows))
    batch.options = [(i, *row) for i, row in zip(ids, option_rows, strict=True)]
    ids = bulk.allocate_ids(session, ProductAttribute.__table__, len(attribute_rows))
    batch.attributes = [(i, *row) for i, row in zip(ids, attribute_rows, strict=True)]
    ids = bulk.allocate_ids(session, StockLedgerEntry.__table__, len(ledger_rows))
    batch.ledger = [(i, *row) for i, row in zip(ids, ledger_rows, strict=True)]
    bulk.write_batch(session, batch)
    session.commit()
    return len(parsed)


def timed_import(session, merchant_id: int, content: bytes) -> tuple[float, object]:
    from app.catalog import importing
    from jobs.imports import run_catalog_import

    started = time.perf_counter()
    record = importing.start_import(session, merchant_id, None, "bench.csv", content)
    session.commit()
    run_catalog_import(record.id)
    seconds = time.perf_counter() - started
    session.refresh(record)
    return seconds, record


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="import-bench-") as directory:
        workdir = Path(directory)
        name = DATABASE
        try:
            bench.admin_execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            bench.admin_execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            bench.seed(name, SEED_PRODUCTS, workdir)
            os.environ.update(bench.app_environment(name, workdir))
            return measure(args)
        finally:
            if not args.keep:
                bench.admin_execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def measure(args: argparse.Namespace) -> int:
    from app import create_app
    from app.catalog.models import Category
    from app.database import db
    from app.merchants.models import Merchant
    from app.merchants.services import create_merchant

    app = create_app()
    with app.app_context():
        session = db.session
        categories = list(
            session.scalars(sa.select(Category.slug).where(Category.parent_id.is_not(None)))
        )
        importer = session.scalar(sa.select(Merchant).where(Merchant.status == "active").limit(1))
        other = create_merchant(session, "Baseline shop", approved=True)
        session.commit()
        content = catalogue_file(args.rows, categories, seed=1)
        changed = catalogue_file(args.rows, categories, seed=1, price_shift=7)
        print(f"File: {args.rows:,} rows, {len(content) / 1024 / 1024:.1f} MiB.", flush=True)

        started = time.perf_counter()
        written = baseline_write(session, other.id, content)
        baseline = time.perf_counter() - started
        first, record = timed_import(session, importer.id, content)
        assert (record.status, record.created_count) == ("done", args.rows), (
            record.status,
            record.created_count,
            record.rejected_count,
            record.error,
            session.execute(
                sa.text("SELECT reason FROM catalog_import_rows WHERE outcome = 'rejected' LIMIT 3")
            ).all(),
        )
        again, rerun = timed_import(session, importer.id, content)
        assert rerun.unchanged_count == args.rows, (rerun.unchanged_count, rerun.error)
        updated, update = timed_import(session, importer.id, changed)
        assert update.updated_count == args.rows, (update.updated_count, update.error)

        rows = [
            ("baseline: bulk writer only", baseline, written, "created"),
            ("first import (all created)", first, record.created_count, "created"),
            ("re-run, same file (all unchanged)", again, rerun.unchanged_count, "unchanged"),
            ("changed prices and stock (all updated)", updated, update.updated_count, "updated"),
        ]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nLoad average at the end (1, 5, 15 min): {load} on {os.cpu_count()} cores.")
    print(f"\n{'run':<42}{'seconds':>9}{'rows/s':>10}  outcome")
    for label, seconds, count, outcome in rows:
        print(f"{label:<42}{seconds:>9.2f}{count / seconds:>10,.0f}  {count:,} {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
