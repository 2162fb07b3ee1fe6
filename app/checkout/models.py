"""Checkout tables: promotion codes and their atomically counted use."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import db, utcnow


class DiscountKind(enum.StrEnum):
    """A promotion takes a percentage or a fixed amount off the goods."""

    PERCENT = "percent"
    FIXED = "fixed"


class Promotion(db.Model):
    """A promo code: percent or fixed, with an optional minimum spend, expiry and usage limit."""

    __tablename__ = "promotions"
    __table_args__ = (
        sa.CheckConstraint("value > 0", name="value_positive"),
        sa.CheckConstraint("times_used >= 0", name="times_used_not_negative"),
        sa.CheckConstraint(
            "usage_limit IS NULL OR times_used <= usage_limit", name="within_usage_limit"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    value: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    minimum_spend: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    usage_limit: Mapped[int | None]
    times_used: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromotionRedemption(db.Model):
    """One use of a promotion by one order; released again if the order is never paid."""

    __tablename__ = "promotion_redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("promotions.id", ondelete="CASCADE"), index=True
    )
    order_reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    released_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
