"""Stock reports of one merchant: the variants at or below their low-stock threshold.

Inventory sits below the catalog, so the variant and product tables are named here as plain
tables (their columns only) rather than through the catalog's models.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.inventory.models import StockItem

VARIANTS = sa.table(
    "product_variants",
    sa.column("id"),
    sa.column("product_id"),
    sa.column("merchant_id"),
    sa.column("sku"),
    sa.column("name"),
)
PRODUCTS = sa.table("products", sa.column("id"), sa.column("name"), sa.column("status"))

# Archived products have left the merchant's working list (catalog's ProductStatus.ARCHIVED).
ARCHIVED = "archived"


@dataclass(frozen=True)
class LowStockVariant:
    """A variant whose available units are at or below its threshold."""

    variant_id: int
    product_id: int
    product_name: str
    variant_name: str
    sku: str
    available: int
    threshold: int

    @property
    def out_of_stock(self) -> bool:
        return self.available <= 0


@dataclass(frozen=True)
class LowStock:
    """How many of the merchant's variants are low, and the lowest of them."""

    count: int
    variants: tuple[LowStockVariant, ...]


def low_stock(session: Session, merchant_id: int, limit: int = 10) -> LowStock:
    """The merchant's variants (of products not archived) with available <= threshold: their
    number and the `limit` with the fewest available units; two queries."""
    available = StockItem.on_hand - StockItem.reserved
    scope = (
        sa.select()
        .select_from(StockItem)
        .join(VARIANTS, VARIANTS.c.id == StockItem.variant_id)
        .join(PRODUCTS, PRODUCTS.c.id == VARIANTS.c.product_id)
        .where(
            VARIANTS.c.merchant_id == merchant_id,
            PRODUCTS.c.status != ARCHIVED,
            available <= StockItem.low_stock_threshold,
        )
    )
    count = session.scalar(scope.add_columns(sa.func.count()))
    rows = session.execute(
        scope.add_columns(
            StockItem.variant_id,
            StockItem.product_id,
            PRODUCTS.c.name,
            VARIANTS.c.name,
            VARIANTS.c.sku,
            available,
            StockItem.low_stock_threshold,
        )
        .order_by(available, PRODUCTS.c.name, VARIANTS.c.sku)
        .limit(limit)
    )
    return LowStock(
        count=count or 0,
        variants=tuple(LowStockVariant(*row) for row in rows),
    )
