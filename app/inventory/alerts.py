"""Low-stock alerts: one `StockLow` outbox event when a variant's available stock falls to its
threshold, none again until it has been above it.

Every write to a stock row clears `low_stock_alerted` in the same UPDATE when the new figures are
above the threshold (`clear_when_above`) and returns the new figures; `note_levels` then claims the
alert for rows at or below it with a conditional UPDATE (`... WHERE low_stock_alerted = false`), so
of two transactions only the one that flips the flag records the event. A stock row created at or
below its threshold starts flagged: the merchant just set that figure and is not told about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.inventory.models import StockItem
from app.platform.outbox import record_event

STOCK_LOW = "StockLow"

VARIANTS = sa.table(
    "product_variants",
    sa.column("id", sa.Integer),
    sa.column("merchant_id", sa.Integer),
    sa.column("product_id", sa.Integer),
)


@dataclass(frozen=True, slots=True)
class Level:
    """A stock row's figures right after a write (what the write's RETURNING gives)."""

    variant_id: int
    available: int
    threshold: int
    alerted: bool
    version: int


LEVEL_COLUMNS = (
    StockItem.variant_id,
    StockItem.on_hand - StockItem.reserved,
    StockItem.low_stock_threshold,
    StockItem.low_stock_alerted,
    StockItem.version,
)


def level(row) -> Level:
    """A `Level` from a row of LEVEL_COLUMNS."""
    variant_id, available, threshold, alerted, version = row
    return Level(variant_id, available, threshold, bool(alerted), version)


def clear_when_above(
    on_hand: sa.ColumnElement[int],
    reserved: sa.ColumnElement[int],
    threshold: sa.ColumnElement[int] | None = None,
) -> sa.ColumnElement[bool]:
    """The SET value of `low_stock_alerted` for a write giving these new figures: cleared once
    available is above the threshold, kept otherwise."""
    limit = StockItem.low_stock_threshold if threshold is None else threshold
    return sa.case((on_hand - reserved > limit, sa.false()), else_=StockItem.low_stock_alerted)


def note_levels(session: Session, levels: Iterable[Level]) -> list[int]:
    """Claim and record an alert for each row now at or below its threshold and not yet alerted;
    the variant ids alerted."""
    alerted = []
    for row in levels:
        if row.available <= row.threshold and not row.alerted and _claim(session, row):
            alerted.append(row.variant_id)
    return alerted


def _claim(session: Session, row: Level) -> bool:
    claimed = session.execute(
        sa.update(StockItem)
        .where(
            StockItem.variant_id == row.variant_id,
            StockItem.low_stock_alerted.is_(False),
            StockItem.on_hand - StockItem.reserved <= StockItem.low_stock_threshold,
        )
        .values(low_stock_alerted=True)
        .returning(StockItem.product_id)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        return False
    record_alert(session, claimed.product_id, row)
    return True


def record_alert(session: Session, product_id: int, row: Level) -> None:
    """Record the `StockLow` event of a row whose flag the caller has just set."""
    merchant_id = session.scalar(
        sa.select(VARIANTS.c.merchant_id).where(VARIANTS.c.id == row.variant_id)
    )
    record_event(
        session,
        STOCK_LOW,
        {
            "merchant_id": merchant_id,
            "variant_id": row.variant_id,
            "product_id": product_id,
            "available": row.available,
            "threshold": row.threshold,
            "version": row.version,
        },
    )
