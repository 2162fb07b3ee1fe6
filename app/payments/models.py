"""Payment tables: one payment per order attempt, its refunds, and every webhook event seen."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import db, utcnow


class PaymentStatus(enum.StrEnum):
    """Where a payment stands; only a verified webhook moves it past PENDING."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Payment(db.Model):
    """The charge for one order, made through one gateway (hosted page: no card data here)."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="RESTRICT"), index=True
    )
    reference: Mapped[str] = mapped_column(sa.String(40), index=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    provider_session_id: Mapped[str] = mapped_column(sa.String(255), default="", index=True)
    provider_payment_id: Mapped[str] = mapped_column(sa.String(255), default="", index=True)
    redirect_url: Mapped[str] = mapped_column(sa.Text, default="")
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3))
    refunded_amount: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(24), default=PaymentStatus.PENDING)
    failure_message: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Refund(db.Model):
    """Money given back on a payment, through the same gateway."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payments.id", ondelete="RESTRICT"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    provider_refund_id: Mapped[str] = mapped_column(sa.String(255), default="")
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(120), default="")
    status: Mapped[str] = mapped_column(sa.String(24), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEvent(db.Model):
    """A gateway event we have accepted; its id makes a replay a no-op."""

    __tablename__ = "webhook_events"
    __table_args__ = (sa.UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    event_id: Mapped[str] = mapped_column(sa.String(255))
    event_type: Mapped[str] = mapped_column(sa.String(80))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
