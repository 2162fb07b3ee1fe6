"""Merchants: the shops that sell through the marketplace, their staff and applications."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    suspension_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        """Whether the merchant may sell."""
        return self.status == MerchantStatus.ACTIVE


class MerchantMembership(db.Model):
    """Links a staff user to the one merchant they work for; owners also manage the staff."""

    __tablename__ = "merchant_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    merchant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("merchants.id", ondelete="CASCADE"), index=True
    )
    is_owner: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    merchant: Mapped[Merchant] = relationship(lazy="joined")


class ApplicationStatus(enum.StrEnum):
    """A "Sell with us" application waits for an admin, who approves or rejects it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class MerchantApplication(db.Model):
    """A signed-in user's request to open a shop; approval makes them its owner."""

    __tablename__ = "merchant_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    shop_name: Mapped[str] = mapped_column(sa.String(120))
    contact_name: Mapped[str] = mapped_column(sa.String(120))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(
        sa.String(16), default=ApplicationStatus.PENDING, index=True
    )
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    merchant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("merchants.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffInvite(db.Model):
    """An owner's invitation to join the shop, sent as a signed link; used once, until expiry."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("merchants.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
