"""Inventory services: read availability, set stock with a ledger row for every change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.database import utcnow
from app.inventory import alerts
from app.inventory.alerts import Level
from app.inventory.models import (
    ReservationStatus,
    StockItem,
    StockLedgerEntry,
    StockReason,
    StockReservation,
)
from app.inventory.rules import OUT_OF_STOCK, StockState


@dataclass(frozen=True)
class ShortLine:
    """A requested line that stock cannot cover."""

    variant_id: int
    requested: int
    available: int


class InsufficientStock(Exception):
    """Some lines of a reservation cannot be covered; lists every one of them."""

    def __init__(self, short: list[ShortLine]):
        super().__init__(", ".join(f"variant {s.variant_id}: {s.available} left" for s in short))
        self.short = short


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
    note: str = "",
) -> StockItem:
    """Set a variant's units on hand (creating its stock row), recording the delta in the ledger.

    Bumps the row's version; falling to the low-stock threshold records one alert (a row created
    at or below it starts flagged instead, see `alerts`).
    """
    if on_hand < 0:
        raise ValueError("stock on hand cannot be negative")
    if low_stock_threshold is not None and low_stock_threshold < 0:
        raise ValueError("the low-stock threshold cannot be negative")
    item = session.get(StockItem, variant_id, with_for_update=True)
    created = item is None
    if item is None:
        item = StockItem(
            variant_id=variant_id,
            product_id=product_id,
            on_hand=0,
            reserved=0,
            low_stock_threshold=StockItem.__table__.c.low_stock_threshold.default.arg,
            version=0,
            low_stock_alerted=False,
        )
        session.add(item)
    if on_hand < item.reserved:
        raise ValueError(f"{item.reserved} units are reserved; on hand cannot drop below that")
    delta = on_hand - item.on_hand
    item.on_hand = on_hand
    item.version += 1
    if low_stock_threshold is not None:
        item.low_stock_threshold = low_stock_threshold
    _note_item_level(session, item, created)
    session.add(
        StockLedgerEntry(
            variant_id=variant_id,
            on_hand_delta=delta,
            reason=reason,
            reference=reference,
            note=note,
            actor_id=actor_id,
        )
    )
    return item


def _note_item_level(session: Session, item: StockItem, created: bool) -> None:
    """The alert flag of a row changed through the ORM (locked by the caller)."""
    low = item.available <= item.low_stock_threshold
    if not low:
        item.low_stock_alerted = False
    elif created:
        item.low_stock_alerted = True
    elif not item.low_stock_alerted:
        item.low_stock_alerted = True
        alerts.record_alert(
            session,
            item.product_id,
            Level(item.variant_id, item.available, item.low_stock_threshold, False, item.version),
        )


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


def variant_available_units(variant_id_column: sa.ColumnElement[int]) -> sa.ScalarSelect[int]:
    """A correlated SQL expression: units of the variant in `variant_id_column` still for sale
    (0 when it has no stock row)."""
    return (
        sa.select(sa.func.coalesce(sa.func.max(StockItem.on_hand - StockItem.reserved), 0))
        .where(StockItem.variant_id == variant_id_column)
        .scalar_subquery()
    )


def reserve_stock(
    session: Session,
    *,
    reference: str,
    lines: Iterable[tuple[int, int]],
    expires_at: datetime,
    actor_id: int | None = None,
) -> None:
    """Hold `(variant_id, quantity)` lines for `reference` atomically, or raise InsufficientStock.

    Each variant is taken with one conditional UPDATE (the row lock makes concurrent buyers wait
    and re-check), in ascending variant order so two orders never deadlock. Every line is tried
    so the error lists all short lines; on any shortage the whole reservation is undone.
    """
    wanted = Counter()
    for variant_id, quantity in lines:
        if quantity <= 0:
            raise ValueError("reserved quantities must be positive")
        wanted[variant_id] += quantity
    short: list[ShortLine] = []
    levels: list[Level] = []
    with session.begin_nested() as savepoint:
        for variant_id in sorted(wanted):
            taken = _take(session, variant_id, wanted[variant_id])
            if taken is None:
                short.append(ShortLine(variant_id, wanted[variant_id], 0))
            else:
                levels.append(taken)
        if short:
            savepoint.rollback()
    if short:
        raise InsufficientStock(_with_availability(session, short))
    alerts.note_levels(session, levels)
    for variant_id in sorted(wanted):
        session.add(
            StockReservation(
                reference=reference,
                variant_id=variant_id,
                quantity=wanted[variant_id],
                expires_at=expires_at,
            )
        )
        _ledger(
            session, variant_id, 0, wanted[variant_id], StockReason.RESERVATION, reference, actor_id
        )


def _take(session: Session, variant_id: int, quantity: int) -> Level | None:
    """Reserve `quantity` units if available; the new figures, or None when short."""
    row = session.execute(
        sa.update(StockItem)
        .where(
            StockItem.variant_id == variant_id,
            StockItem.on_hand - StockItem.reserved >= quantity,
        )
        .values(
            reserved=StockItem.reserved + quantity,
            version=StockItem.version + 1,
            updated_at=utcnow(),
        )
        .returning(*alerts.LEVEL_COLUMNS)
        .execution_options(synchronize_session=False)
    ).first()
    return None if row is None else alerts.level(row)


def _with_availability(session: Session, short: list[ShortLine]) -> list[ShortLine]:
    states = variant_availability(session, [line.variant_id for line in short])
    return [
        ShortLine(line.variant_id, line.requested, max(states[line.variant_id].available, 0))
        for line in short
    ]


def _ledger(
    session: Session,
    variant_id: int,
    on_hand_delta: int,
    reserved_delta: int,
    reason: StockReason,
    reference: str,
    actor_id: int | None = None,
) -> None:
    session.add(
        StockLedgerEntry(
            variant_id=variant_id,
            on_hand_delta=on_hand_delta,
            reserved_delta=reserved_delta,
            reason=reason,
            reference=reference,
            actor_id=actor_id,
        )
    )


def _claim_reservations(
    session: Session, reference: str, current: ReservationStatus, new: ReservationStatus
) -> list[tuple[int, int]]:
    """Move the reference's reservations from `current` to `new`; the (variant, qty) moved.

    A conditional UPDATE ... RETURNING: of two concurrent callers only one gets the rows, so a
    redelivered event changes nothing twice.
    """
    rows = session.execute(
        sa.update(StockReservation)
        .where(StockReservation.reference == reference, StockReservation.status == current)
        .values(status=new, resolved_at=utcnow())
        .returning(StockReservation.variant_id, StockReservation.quantity)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((variant_id, quantity) for variant_id, quantity in rows)


def _apply(session: Session, variant_id: int, on_hand_delta: int, reserved_delta: int) -> None:
    """Move a row's figures by the deltas (bumping its version), then note its stock level."""
    on_hand = StockItem.on_hand + on_hand_delta
    reserved = StockItem.reserved + reserved_delta
    row = session.execute(
        sa.update(StockItem)
        .where(StockItem.variant_id == variant_id)
        .values(
            on_hand=on_hand,
            reserved=reserved,
            version=StockItem.version + 1,
            low_stock_alerted=alerts.clear_when_above(on_hand, reserved),
            updated_at=utcnow(),
        )
        .returning(*alerts.LEVEL_COLUMNS)
        .execution_options(synchronize_session=False)
    ).first()
    if row is not None:
        alerts.note_levels(session, [alerts.level(row)])


def commit_reservation(session: Session, reference: str, actor_id: int | None = None) -> bool:
    """Payment succeeded: the held units leave stock (a sale). False if nothing was held."""
    moved = _claim_reservations(
        session, reference, ReservationStatus.ACTIVE, ReservationStatus.COMMITTED
    )
    for variant_id, quantity in moved:
        _apply(session, variant_id, -quantity, -quantity)
        _ledger(session, variant_id, -quantity, -quantity, StockReason.SALE, reference, actor_id)
    return bool(moved)


def release_reservation(
    session: Session,
    reference: str,
    reason: StockReason = StockReason.RELEASE,
    actor_id: int | None = None,
) -> bool:
    """Decline, cancel or expiry before payment: held units become available again."""
    moved = _claim_reservations(
        session, reference, ReservationStatus.ACTIVE, ReservationStatus.RELEASED
    )
    for variant_id, quantity in moved:
        _apply(session, variant_id, 0, -quantity)
        _ledger(session, variant_id, 0, -quantity, reason, reference, actor_id)
    return bool(moved)


def restock_sale(session: Session, reference: str, actor_id: int | None = None) -> bool:
    """A paid order was cancelled: its sold units go back on hand."""
    moved = _claim_reservations(
        session, reference, ReservationStatus.COMMITTED, ReservationStatus.RETURNED
    )
    for variant_id, quantity in moved:
        _apply(session, variant_id, quantity, 0)
        _ledger(session, variant_id, quantity, 0, StockReason.CANCEL, reference, actor_id)
    return bool(moved)


def sell_released(session: Session, reference: str, actor_id: int | None = None) -> bool:
    """A payment arrived after the reservation was released: sell the units if still there.

    All lines or none; False when stock no longer covers them (the order must then be refunded).
    """
    rows = session.execute(
        sa.select(StockReservation.variant_id, StockReservation.quantity)
        .where(
            StockReservation.reference == reference,
            StockReservation.status == ReservationStatus.RELEASED,
        )
        .order_by(StockReservation.variant_id)
    ).all()
    if not rows:
        return False
    with session.begin_nested() as savepoint:
        if not all(_take(session, variant_id, quantity) for variant_id, quantity in rows):
            savepoint.rollback()
            return False
    _claim_reservations(session, reference, ReservationStatus.RELEASED, ReservationStatus.COMMITTED)
    for variant_id, quantity in rows:
        _apply(session, variant_id, -quantity, -quantity)
        _ledger(session, variant_id, -quantity, 0, StockReason.SALE, reference, actor_id)
    return True


def expired_references(
    session: Session, now: datetime | None = None, limit: int = 200
) -> list[str]:
    """References holding active reservations past their expiry, oldest first."""
    return list(
        session.scalars(
            sa.select(StockReservation.reference)
            .where(
                StockReservation.status == ReservationStatus.ACTIVE,
                StockReservation.expires_at < (now or utcnow()),
            )
            .group_by(StockReservation.reference)
            .order_by(sa.func.min(StockReservation.expires_at))
            .limit(limit)
        )
    )


def reservation_status(session: Session, reference: str) -> dict[int, str]:
    """The status of each variant's reservation under `reference`."""
    rows = session.execute(
        sa.select(StockReservation.variant_id, StockReservation.status).where(
            StockReservation.reference == reference
        )
    )
    return dict(rows.all())
