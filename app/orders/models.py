"""Order tables: the order with its price and address snapshots, lines, fulfilments, timeline."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import db, utcnow
from app.money import Money


class OrderStatus(enum.StrEnum):
    """An order's lifecycle (PRODUCT.md, Orders)."""

    PENDING_PAYMENT = "pending_payment"
    PAYMENT_FAILED = "payment_failed"
    EXPIRED = "expired"
    PAID = "paid"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class FulfilmentStatus(enum.StrEnum):
    """One merchant's part of an order."""

    AWAITING_PAYMENT = "awaiting_payment"
    UNFULFILLED = "unfulfilled"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Order(db.Model):
    """What one shopper bought in one checkout; prices and addresses are frozen at placing."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.Index("ix_orders_user_placed", "user_id", "placed_at"),
        sa.Index("ix_orders_status_placed", "status", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    checkout_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    status: Mapped[str] = mapped_column(sa.String(24), default=OrderStatus.PENDING_PAYMENT)
    currency: Mapped[str] = mapped_column(sa.String(3))
    subtotal_amount: Mapped[int]
    discount_amount: Mapped[int] = mapped_column(default=0)
    shipping_amount: Mapped[int] = mapped_column(default=0)
    tax_amount: Mapped[int] = mapped_column(default=0)
    total_amount: Mapped[int]
    refunded_amount: Mapped[int] = mapped_column(default=0)
    promo_code: Mapped[str] = mapped_column(sa.String(40), default="")
    tax_label: Mapped[str] = mapped_column(sa.String(80), default="")
    shipping_address: Mapped[dict] = mapped_column(sa.JSON)
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    reserved_until: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    fulfilments: Mapped[list[Fulfilment]] = relationship(
        back_populates="order", order_by="Fulfilment.id", cascade="all, delete-orphan"
    )
    history: Mapped[list[OrderEvent]] = relationship(
        order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    def money(self, amount: int) -> Money:
        """An amount of this order's currency."""
        return Money(amount, self.currency)

    @property
    def total(self) -> Money:
        return self.money(self.total_amount)


class Fulfilment(db.Model):
    """The lines one merchant ships, with the shipping method chosen for them."""

    __tablename__ = "fulfilments"
    __table_args__ = (sa.Index("ix_fulfilments_merchant_status", "merchant_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="RESTRICT"))
    merchant_name: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(24), default=FulfilmentStatus.AWAITING_PAYMENT)
    subtotal_amount: Mapped[int]
    shipping_amount: Mapped[int]
    shipping_rate_id: Mapped[str] = mapped_column(sa.String(120))
    shipping_label: Mapped[str] = mapped_column(sa.String(160))
    weight_grams: Mapped[int] = mapped_column(default=0)
    carrier: Mapped[str] = mapped_column(sa.String(80), default="")
    tracking_number: Mapped[str] = mapped_column(sa.String(80), default="")
    tracking_url: Mapped[str] = mapped_column(sa.String(300), default="")
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship(back_populates="fulfilments")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="fulfilment", order_by="OrderLine.id"
    )


class OrderLine(db.Model):
    """One variant bought, with the names and price it had when the order was placed."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    fulfilment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("fulfilments.id", ondelete="CASCADE"), index=True
    )
    variant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("product_variants.id", ondelete="SET NULL"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("products.id", ondelete="SET NULL")
    )
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="RESTRICT"))
    sku: Mapped[str] = mapped_column(sa.String(64))
    product_name: Mapped[str] = mapped_column(sa.String(200))
    product_slug: Mapped[str] = mapped_column(sa.String(220), default="")
    variant_name: Mapped[str] = mapped_column(sa.String(120), default="")
    unit_price_amount: Mapped[int]
    quantity: Mapped[int]
    line_total_amount: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="lines")
    fulfilment: Mapped[Fulfilment] = relationship(back_populates="lines")


class OrderEvent(db.Model):
    """One entry of the order's timeline (what the shopper sees under "Status")."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(24))
    message: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
