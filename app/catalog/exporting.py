"""Catalogue export: the merchant's variants as CSV in the import format, produced as a stream.

Products are read a few hundred at a time (by id, after the last one sent), so a large
catalogue never sits in memory; importing the file back changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.catalog.import_rules import COLUMNS, OPTION_SLOTS, SAMPLE_ROWS, format_attributes
from app.catalog.models import (
    Category,
    Product,
    ProductAttribute,
    ProductVariant,
    VariantOption,
)
from app.inventory.models import StockItem
from app.money import Money

PRODUCTS_PER_QUERY = 500


def export_filename(merchant_slug: str, today: str) -> str:
    """e.g. `catalogue-my-shop-2026-12-05.csv`."""
    return f"catalogue-{merchant_slug}-{today}.csv"


def export_csv(session: Session, merchant_id: int) -> Iterator[str]:
    """The merchant's catalogue as CSV text in the import format, produced as it is read."""
    return csv_text(export_rows(session, merchant_id))


def sample_csv() -> str:
    """The sample file offered on the import page."""
    return "".join(csv_text(iter([list(COLUMNS), *SAMPLE_ROWS])))


def export_rows(session: Session, merchant_id: int) -> Iterator[list[str]]:
    """The header, then one list of cells per variant of the merchant, product by product."""
    yield list(COLUMNS)
    categories = dict(session.execute(sa.select(Category.id, Category.slug)).all())
    last_id = 0
    while True:
        products = session.execute(
            sa.select(
                Product.id,
                Product.slug,
                Product.name,
                Product.description,
                Product.category_id,
                Product.status,
            )
            .where(Product.merchant_id == merchant_id, Product.id > last_id)
            .order_by(Product.id)
            .limit(PRODUCTS_PER_QUERY)
        ).all()
        if not products:
            return
        last_id = products[-1].id
        ids = [product.id for product in products]
        variants = session.execute(
            sa.select(
                ProductVariant.id,
                ProductVariant.product_id,
                ProductVariant.sku,
                ProductVariant.name,
                ProductVariant.price_amount,
                ProductVariant.compare_at_amount,
                ProductVariant.currency,
                ProductVariant.weight_grams,
                StockItem.on_hand,
                StockItem.low_stock_threshold,
            )
            .outerjoin(StockItem, StockItem.variant_id == ProductVariant.id)
            .where(ProductVariant.merchant_id == merchant_id, ProductVariant.product_id.in_(ids))
            .order_by(ProductVariant.product_id, ProductVariant.position, ProductVariant.id)
        ).all()
        options: dict[int, list[tuple[str, str]]] = {}
        for variant_id, name, value in session.execute(
            sa.select(VariantOption.variant_id, VariantOption.name, VariantOption.value)
            .join(ProductVariant, ProductVariant.id == VariantOption.variant_id)
            .where(ProductVariant.merchant_id == merchant_id, ProductVariant.product_id.in_(ids))
            .order_by(VariantOption.variant_id, VariantOption.position, VariantOption.id)
        ):
            options.setdefault(variant_id, []).append((name, value))
        attributes: dict[int, list[tuple[str, str]]] = {}
        for product_id, name, value in session.execute(
            sa.select(ProductAttribute.product_id, ProductAttribute.name, ProductAttribute.value)
            .where(ProductAttribute.product_id.in_(ids))
            .order_by(ProductAttribute.product_id, ProductAttribute.position, ProductAttribute.id)
        ):
            attributes.setdefault(product_id, []).append((name, value))
        by_product: dict[int, list[sa.Row]] = {}
        for variant in variants:
            by_product.setdefault(variant.product_id, []).append(variant)
        for product in products:
            for variant in by_product.get(product.id, []):
                yield variant_cells(
                    product,
                    variant,
                    categories.get(product.category_id, ""),
                    options.get(variant.id, []),
                    attributes.get(product.id, []),
                )


def variant_cells(
    product: sa.Row,
    variant: sa.Row,
    category_slug: str,
    options: list[tuple[str, str]],
    attributes: list[tuple[str, str]],
) -> list[str]:
    """One CSV row, in `COLUMNS` order."""
    option_cells = []
    for slot in range(OPTION_SLOTS):
        name, value = options[slot] if slot < len(options) else ("", "")
        option_cells += [name, value]
    compare_at = variant.compare_at_amount
    return [
        variant.sku,
        product.slug,
        product.name,
        product.description,
        category_slug,
        product.status,
        variant.name,
        *option_cells,
        Money(variant.price_amount, variant.currency).decimal_string(),
        "" if compare_at is None else Money(compare_at, variant.currency).decimal_string(),
        str(variant.weight_grams),
        "" if variant.on_hand is None else str(variant.on_hand),
        "" if variant.low_stock_threshold is None else str(variant.low_stock_threshold),
        format_attributes(attributes),
    ]


def csv_text(rows: Iterator[list[str]], lines_per_chunk: int = 200) -> Iterator[str]:
    """CSV text for the rows, a few hundred lines per string (for a streamed response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
        if count == lines_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            count = 0
    if buffer.tell():
        yield buffer.getvalue()
