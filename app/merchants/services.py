"""Merchant services."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.database import utcnow
from app.merchants.models import Merchant, MerchantMembership, MerchantStatus
from app.platform.slugs import slugify


def create_merchant(
    session: Session,
    name: str,
    *,
    contact_email: str = "",
    description: str = "",
    approved: bool = False,
) -> Merchant:
    """Register a merchant: pending until an admin approves, unless `approved`."""
    merchant = Merchant(
        name=name,
        slug=slugify(name),
        contact_email=contact_email,
        description=description,
        status=MerchantStatus.ACTIVE if approved else MerchantStatus.PENDING,
        approved_at=utcnow() if approved else None,
    )
    session.add(merchant)
    session.flush()
    return merchant


def contact_emails(session: Session, merchant_ids: list[int]) -> dict[int, str]:
    """Each merchant's contact address (merchants without one are left out)."""
    if not merchant_ids:
        return {}
    rows = session.execute(
        sa.select(Merchant.id, Merchant.contact_email).where(Merchant.id.in_(merchant_ids))
    )
    return {merchant_id: email for merchant_id, email in rows if email}


def staff_membership(session: Session, user_id: int) -> MerchantMembership | None:
    """The user's membership of a merchant's staff, with the merchant loaded; None if none."""
    return session.scalar(
        sa.select(MerchantMembership).where(MerchantMembership.user_id == user_id)
    )


def read_only_reason(merchant: Merchant) -> str:
    """Why the merchant's staff may look but change nothing ("" while it may sell)."""
    if merchant.status == MerchantStatus.SUSPENDED:
        reason = merchant.suspension_reason or "no reason was given"
        return f"This shop is suspended by the marketplace ({reason}). Nothing can be changed."
    if merchant.status == MerchantStatus.PENDING:
        return "This shop is waiting for approval. Nothing can be changed until then."
    return ""
