"""Merchant services."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.database import utcnow
from app.merchants.models import Merchant, MerchantStatus
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
