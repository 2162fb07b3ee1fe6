"""Accounts: users, their roles, address book and password-reset tokens."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import db, utcnow
from app.merchants.models import MerchantMembership


class Role(enum.StrEnum):
    """What a user may do: shop, run one merchant's shop, or operate the platform."""

    CUSTOMER = "customer"
    MERCHANT = "merchant"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    """A person who signs in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default=Role.CUSTOMER)
    active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    membership: Mapped[MerchantMembership | None] = relationship(uselist=False, lazy="selectin")
    addresses: Mapped[list[Address]] = relationship(
        back_populates="user", order_by="Address.id", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # flask-login reads this
        return self.active

    def get_id(self) -> str:
        """Session identity: id plus a version bumped on password change, so old sessions die."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def merchant_id(self) -> int | None:
        """The merchant this user works for, if any."""
        return self.membership.merchant_id if self.membership else None


class Address(db.Model):
    """A postal address in a user's address book."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    line1: Mapped[str] = mapped_column(sa.String(200))
    line2: Mapped[str] = mapped_column(sa.String(200), default="")
    city: Mapped[str] = mapped_column(sa.String(100))
    region: Mapped[str] = mapped_column(sa.String(100), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(20))
    country: Mapped[str] = mapped_column(sa.String(2))
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="addresses")


class PasswordResetToken(db.Model):
    """A single-use, expiring password-reset token; only its SHA-256 digest is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
