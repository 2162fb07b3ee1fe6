"""Inventory: setting stock writes the ledger; availability reads in one query."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.catalog.models import Product
from app.database import db
from app.inventory import services as inventory
from app.inventory.models import StockItem, StockLedgerEntry, StockReason
from app.inventory.rules import StockLevel
from tests.support.factories import make_product


def test_set_stock_records_each_delta_in_the_ledger(database):
    product = make_product(stock=10)
    variant = product.variants[0]

    inventory.set_stock(
        database,
        variant_id=variant.id,
        product_id=product.id,
        on_hand=4,
        reason=StockReason.ADJUSTMENT,
        reference="recount",
    )
    database.commit()

    rows = database.scalars(
        sa.select(StockLedgerEntry)
        .where(StockLedgerEntry.variant_id == variant.id)
        .order_by(StockLedgerEntry.id)
    ).all()
    assert [(row.on_hand_delta, row.reason) for row in rows] == [(10, "import"), (-6, "adjustment")]
    assert sum(row.on_hand_delta for row in rows) == database.get(StockItem, variant.id).on_hand


def test_stock_cannot_go_negative_or_below_reserved(database):
    product = make_product(stock=5)
    variant = product.variants[0]
    database.get(StockItem, variant.id).reserved = 3
    database.commit()

    with pytest.raises(ValueError):
        inventory.set_stock(database, variant_id=variant.id, product_id=product.id, on_hand=-1)
    with pytest.raises(ValueError):
        inventory.set_stock(database, variant_id=variant.id, product_id=product.id, on_hand=2)


def test_database_rejects_reserved_above_on_hand(database):
    product = make_product(stock=2)
    database.get(StockItem, product.variants[0].id).reserved = 3

    with pytest.raises(sa.exc.IntegrityError):
        database.commit()
    database.rollback()


def test_availability_per_variant_and_per_product(database):
    product = make_product(prices=(100, 200, 300), stock=(0, 2, 10))
    unstocked = make_product()
    db.session.execute(sa.delete(StockItem).where(StockItem.product_id == unstocked.id))
    db.session.commit()

    variants = inventory.variant_availability(
        database, [variant.id for variant in product.variants]
    )
    products = inventory.product_availability(database, [product.id, unstocked.id])

    assert [state.level for state in variants.values()] == [
        StockLevel.OUT,
        StockLevel.LOW,
        StockLevel.IN_STOCK,
    ]
    assert products[product.id].available == 12
    assert products[unstocked.id].in_stock is False


def test_in_stock_condition_filters_products(database):
    available = make_product(stock=1)
    sold_out = make_product(stock=0)

    ids = set(
        database.scalars(sa.select(Product.id).where(inventory.in_stock_condition(Product.id)))
    )

    assert available.id in ids and sold_out.id not in ids
