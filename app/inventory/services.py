"""Inventory services: read availability, set stock with a ledger row for every change."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.inventory.models import StockItem, StockLedgerEntry, StockReason
from app.inventory.rules import OUT_OF_STOCK, StockState


def set_stock(
    session: Session,
    *,
    variant_id: int,
    product_id: int,
    on_hand: int,
    reason: StockReason = StockReason.ADJUSTMENT,
    reference: str = "",
    actor_id: int | None = None,
    low_stock_threshold: int | None = None,
) -> StockItem:
    """Set a variant's units on hand (creating its stock row), recording the delta in the ledger."""
    if on_hand < 0:
        raise ValueError("stock on hand cannot be negative")
    item = session.get(StockItem, variant_id, with_for_update=True)
    if item is None:
        item = StockItem(variant_id=variant_id, product_id=product_id, on_hand=0, reserved=0)
        session.add(item)
    if on_hand < item.reserved:
        raise ValueError(f"{item.reserved} units are reserved; on hand cannot drop below that")
    delta = on_hand - item.on_hand
    item.on_hand = on_hand
    if low_stock_threshold is not None:
        item.low_stock_threshold = low_stock_threshold
    session.add(
        StockLedgerEntry(
            variant_id=variant_id,
            on_hand_delta=delta,
            reason=reason,
            reference=reference,
            actor_id=actor_id,
        )
    )
    return item


def variant_availability(session: Session, variant_ids: list[int]) -> dict[int, StockState]:
    """Availability per variant id, in one query; variants with no stock row are out of stock."""
    if not variant_ids:
        return {}
    rows = session.execute(
        sa.select(
            StockItem.variant_id,
            StockItem.on_hand - StockItem.reserved,
            StockItem.low_stock_threshold,
        ).where(StockItem.variant_id.in_(variant_ids))
    )
    states = {
        variant_id: StockState(available, threshold) for variant_id, available, threshold in rows
    }
    return {variant_id: states.get(variant_id, OUT_OF_STOCK) for variant_id in variant_ids}


def product_availability(session: Session, product_ids: list[int]) -> dict[int, StockState]:
    """Availability per product (summed over its variants), in one query."""
    if not product_ids:
        return {}
    available = sa.func.sum(StockItem.on_hand - StockItem.reserved)
    rows = session.execute(
        sa.select(StockItem.product_id, available, sa.func.max(StockItem.low_stock_threshold))
        .where(StockItem.product_id.in_(product_ids))
        .group_by(StockItem.product_id)
    )
    states = {
        product_id: StockState(int(units or 0), int(limit or 0))
        for product_id, units, limit in rows
    }
    return {product_id: states.get(product_id, OUT_OF_STOCK) for product_id in product_ids}


def in_stock_condition(product_id_column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """A SQL condition, true when the product in `product_id_column` has a unit to sell."""
    return (
        sa.select(StockItem.variant_id)
        .where(StockItem.product_id == product_id_column, StockItem.on_hand > StockItem.reserved)
        .exists()
    )


def available_units(product_id_column: sa.ColumnElement[int]) -> sa.ScalarSelect[int]:
    """A correlated SQL expression: units a product can still sell, summed over its variants."""
    return (
        sa.select(sa.func.coalesce(sa.func.sum(StockItem.on_hand - StockItem.reserved), 0))
        .where(StockItem.product_id == product_id_column)
        .scalar_subquery()
    )


def low_stock_threshold(product_id_column: sa.ColumnElement[int]) -> sa.ScalarSelect[int]:
    """A correlated SQL expression: the product's highest low-stock threshold over its variants."""
    return (
        sa.select(sa.func.coalesce(sa.func.max(StockItem.low_stock_threshold), 0))
        .where(StockItem.product_id == product_id_column)
        .scalar_subquery()
    )
