"""Write many products at once: the one bulk path of the demo seeder and the CSV import.

Rows are plain tuples in `COLUMNS` order, written table by table with COPY on PostgreSQL (a
multi-row INSERT elsewhere), bypassing the ORM. Ids are given explicitly: `first_free_ids` for a
seed into a store nobody else writes to (the sequences are moved past them afterwards), or
`allocate_ids` for a live store (PostgreSQL hands out sequence values, so concurrent ORM inserts
never collide). Database triggers keep the search documents and category counts right (migrations
0004/0005); the caller refreshes the search vocabulary afterwards, as after any catalogue change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.catalog.models import (
    Product,
    ProductAttribute,
    ProductImage,
    ProductVariant,
    VariantOption,
)
from app.inventory.models import StockItem, StockLedgerEntry

T = TypeVar("T")

COLUMNS = {
    "products": (
        "id",
        "merchant_id",
        "category_id",
        "root_category_id",
        "name",
        "slug",
        "description",
        "status",
        "is_featured",
        "price_amount",
        "currency",
        "search_text",
        "created_at",
        "updated_at",
    ),
    "product_variants": (
        "id",
        "product_id",
        "merchant_id",
        "sku",
        "name",
        "price_amount",
        "compare_at_amount",
        "currency",
        "weight_grams",
        "position",
    ),
    "variant_options": ("id", "variant_id", "name", "value", "position"),
    "product_attributes": ("id", "product_id", "name", "value", "position"),
    "product_images": (
        "id",
        "product_id",
        "variant_id",
        "storage_key",
        "alt_text",
        "width",
        "height",
        "position",
        "created_at",
    ),
    "stock_items": (
        "variant_id",
        "product_id",
        "on_hand",
        "reserved",
        "low_stock_threshold",
        "low_stock_alerted",
        "updated_at",
    ),
    "stock_ledger": (
        "id",
        "variant_id",
        "on_hand_delta",
        "reserved_delta",
        "reason",
        "reference",
        "actor_id",
        "created_at",
    ),
}
SEQUENCED_TABLES = (
    Product.__table__,
    ProductVariant.__table__,
    VariantOption.__table__,
    ProductAttribute.__table__,
    ProductImage.__table__,
    StockLedgerEntry.__table__,
)


@dataclass
class NextIds:
    """The next free id of every bulk-inserted table."""

    product: int
    variant: int
    option: int
    attribute: int
    image: int
    ledger: int


@dataclass
class RowBatch:
    """Rows (tuples in `COLUMNS` order) for one chunk of products, table by table."""

    products: list[tuple] = field(default_factory=list)
    variants: list[tuple] = field(default_factory=list)
    options: list[tuple] = field(default_factory=list)
    attributes: list[tuple] = field(default_factory=list)
    images: list[tuple] = field(default_factory=list)
    stock: list[tuple] = field(default_factory=list)
    ledger: list[tuple] = field(default_factory=list)

    def tables(self) -> list[tuple[sa.Table, list[tuple]]]:
        """(table, rows) pairs, parents before children."""
        return [
            (Product.__table__, self.products),
            (ProductVariant.__table__, self.variants),
            (VariantOption.__table__, self.options),
            (ProductAttribute.__table__, self.attributes),
            (ProductImage.__table__, self.images),
            (StockItem.__table__, self.stock),
            (StockLedgerEntry.__table__, self.ledger),
        ]


def write_batch(session: Session, batch: RowBatch) -> None:
    """Write every table of the batch, parents first, in the session's transaction."""
    for table, rows in batch.tables():
        write_rows(session, table, rows)


def first_free_ids(session: Session) -> NextIds:
    """One past the largest id of each bulk-inserted table (for a store nobody else writes to;
    call `move_sequences_past_ids` after writing)."""

    def free(model: type) -> int:
        return (session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1

    return NextIds(
        product=free(Product),
        variant=free(ProductVariant),
        option=free(VariantOption),
        attribute=free(ProductAttribute),
        image=free(ProductImage),
        ledger=free(StockLedgerEntry),
    )


def allocate_ids(session: Session, table: sa.Table, count: int) -> list[int]:
    """`count` ids for new rows of `table` that no concurrent insert can take.

    PostgreSQL: values drawn from the table's sequence in one statement. Elsewhere (SQLite, one
    writer at a time): the ids after the largest one, in the caller's transaction.
    """
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        statement = sa.text(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
            "FROM generate_series(1, :count)"
        )
        return list(session.scalars(statement, {"count": count}))
    start = (session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


def write_rows(session: Session, table: sa.Table, rows: list[tuple]) -> None:
    """Insert rows (in `COLUMNS` order) in the session's transaction: COPY on PostgreSQL."""
    if not rows:
        return
    columns = COLUMNS[table.name]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver_connection = connection.connection.driver_connection
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    session.execute(sa.insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


def move_sequences_past_ids(session: Session) -> None:
    """On PostgreSQL, set each bulk table's id sequence to its largest id, so ORM inserts follow."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in SEQUENCED_TABLES:
        session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table.name}"
            )
        )


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def prepared_ahead(batches: Iterator[T]) -> Iterator[T]:
    """The same batches, the next one built on a worker thread while the caller writes this one."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        upcoming = worker.submit(next, batches, None)
        while (batch := upcoming.result()) is not None:
            upcoming = worker.submit(next, batches, None)
            yield batch
