"""Inventory: stock per variant and the ledger of every change to it."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import db, utcnow


class StockReason(enum.StrEnum):
    """Why stock changed; every ledger row names one."""

    IMPORT = "import"
    RESTOCK = "restock"
    ADJUSTMENT = "adjustment"
    RESERVATION = "reservation"
    RELEASE = "release"
    SALE = "sale"
    CANCEL = "cancel"


class StockItem(db.Model):
    """Stock of one variant: units on hand and units reserved by unpaid orders.

    `version` goes up with every change, so an edit made on stale figures is refused;
    `low_stock_alerted` is set when the merchant was told stock fell to the threshold and
    cleared once it is above it again.
    """

    __tablename__ = "stock_items"
    __table_args__ = (
        sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        sa.CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("product_variants.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    low_stock_threshold: Mapped[int] = mapped_column(default=5)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    low_stock_alerted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def available(self) -> int:
        """Units that can still be sold."""
        return self.on_hand - self.reserved


class StockLedgerEntry(db.Model):
    """One change to a variant's stock: who, why, how much, when."""

    __tablename__ = "stock_ledger"
    __table_args__ = (sa.Index("ix_stock_ledger_variant_created", "variant_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("product_variants.id", ondelete="CASCADE")
    )
    on_hand_delta: Mapped[int] = mapped_column(default=0)
    reserved_delta: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(sa.String(24))
    reference: Mapped[str] = mapped_column(sa.String(120), default="")
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReservationStatus(enum.StrEnum):
    """A reservation holds units for an unpaid order until it is committed or released."""

    ACTIVE = "active"
    COMMITTED = "committed"
    RELEASED = "released"
    RETURNED = "returned"


class StockReservation(db.Model):
    """Units of one variant held for one order (its reference) until payment or expiry."""

    __tablename__ = "stock_reservations"
    __table_args__ = (
        sa.UniqueConstraint("reference", "variant_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_stock_reservations_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(40))
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("product_variants.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16), default=ReservationStatus.ACTIVE)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
