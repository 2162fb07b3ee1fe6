"""Merchants: the shops that sell through the marketplace."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import db, utcnow


class MerchantStatus(enum.StrEnum):
    """A merchant's lifecycle: applied, approved and selling, or suspended by an admin."""

    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Merchant(db.Model):
    """One shop; its staff, products and fulfilments belong to it."""

    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(140), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default=MerchantStatus.PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        """Whether the merchant may sell."""
        return self.status == MerchantStatus.ACTIVE
