"""Test helpers for the buying flow: orders built straight from products, events delivered."""

from __future__ import annotations

import sqlalchemy as sa

from app.catalog.models import Product
from app.database import db
from app.inventory.models import StockItem, StockLedgerEntry
from app.orders import services as orders
from app.platform.models import OutboxEvent

ADDRESS = {
    "full_name": "Ada Shopper",
    "line1": "1 Market Street",
    "line2": "",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
    "phone": "",
}


def new_order(
    token: str,
    items: list[tuple[Product, int]],
    *,
    variant_index: int = 0,
    email: str = "ada@example.com",
    user_id: int | None = None,
) -> orders.NewOrder:
    """An order for `(product, quantity)` items, shipped per merchant at a flat 500."""
    lines = tuple(
        orders.LineSpec(
            variant_id=product.variants[variant_index].id,
            product_id=product.id,
            merchant_id=product.merchant_id,
            merchant_name=f"Merchant {product.merchant_id}",
            sku=product.variants[variant_index].sku,
            product_name=product.name,
            product_slug=product.slug,
            variant_name=product.variants[variant_index].name,
            unit_price=product.variants[variant_index].price_amount,
            quantity=quantity,
        )
        for product, quantity in items
    )
    merchants = sorted({line.merchant_id for line in lines})
    shipments = tuple(
        orders.ShipmentSpec(
            merchant_id=merchant_id,
            merchant_name=f"Merchant {merchant_id}",
            rate_id="table:standard",
            label="Marketplace Post Standard",
            amount=500,
            weight_grams=1000,
        )
        for merchant_id in merchants
    )
    subtotal = sum(line.unit_price * line.quantity for line in lines)
    shipping = 500 * len(shipments)
    return orders.NewOrder(
        checkout_token=token,
        email=email,
        user_id=user_id,
        shipping_address=dict(ADDRESS),
        lines=lines,
        shipments=shipments,
        totals=orders.Totals("USD", subtotal, 0, shipping, 0, subtotal + shipping),
    )


def stock(variant_id: int) -> tuple[int, int]:
    """(on hand, reserved) of a variant, read fresh."""
    item = db.session.get(StockItem, variant_id, populate_existing=True)
    return item.on_hand, item.reserved


def ledger_totals(variant_id: int) -> tuple[int, int]:
    """The ledger's sums of on-hand and reserved deltas for a variant: must equal the stock row."""
    row = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(StockLedgerEntry.on_hand_delta), 0),
            sa.func.coalesce(sa.func.sum(StockLedgerEntry.reserved_delta), 0),
        ).where(StockLedgerEntry.variant_id == variant_id)
    ).one()
    return int(row[0]), int(row[1])


def events_named(name: str) -> list[OutboxEvent]:
    """Outbox events of one kind, oldest first."""
    return list(
        db.session.scalars(
            sa.select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id)
        )
    )
