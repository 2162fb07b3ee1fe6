"""Merchant services."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_request_context
from sqlalchemy.orm import Session

from app.database import utcnow
from app.merchants.models import Merchant, MerchantMembership, MerchantStatus
from app.platform.slugs import slugify
from app.platform.templating import absolute_url


def create_merchant(
    session: Session,
    name: str,
    *,
    contact_email: str = "",
    description: str = "",
    approved: bool = False,
) -> Merchant:
    """Register a merchant: pending until an admin approves, unless `approved`; its slug is
    numbered when another merchant's name made the same one."""
    merchant = Merchant(
        name=name,
        slug=unique_slug(session, name),
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


class MerchantsError(Exception):
    """Base class of the merchants context's domain errors."""


class NotFound(MerchantsError):
    """No such object for this merchant: another merchant's looks exactly like a missing one."""


class InvalidInput(MerchantsError):
    """Submitted data breaks the rules; `errors` lists every problem by field name."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(message for messages in errors.values() for message in messages))
        self.errors = errors


class Refused(MerchantsError):
    """The request is understood but the rules do not allow it; the message says why."""


def unique_slug(session: Session, name: str) -> str:
    """The name's slug, numbered (`-2`, `-3` ...) when another merchant has it already."""
    base = slugify(name)[:130].rstrip("-") or "shop"
    taken = set(
        session.scalars(
            sa.select(Merchant.slug).where(
                sa.or_(Merchant.slug == base, Merchant.slug.like(f"{base}-%"))
            )
        )
    )
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


USERS = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("name", sa.String),
    sa.column("role", sa.String),
)
"""The accounts context's users table, as far as merchants read and write it: this context sits
below accounts, so it names the columns instead of importing the model."""

CUSTOMER_ROLE, STAFF_ROLE = "customer", "merchant"


def give_staff_role(session: Session, user_id: int) -> None:
    """A customer who joins a shop's staff gets the merchant role (an admin keeps theirs)."""
    session.execute(
        sa.update(USERS)
        .where(USERS.c.id == user_id, USERS.c.role == CUSTOMER_ROLE)
        .values(role=STAFF_ROLE)
    )


def drop_staff_role(session: Session, user_id: int) -> None:
    """A staff member who leaves a shop is a customer again (an admin keeps their role)."""
    session.execute(
        sa.update(USERS)
        .where(USERS.c.id == user_id, USERS.c.role == STAFF_ROLE)
        .values(role=CUSTOMER_ROLE)
    )


def lock_user(session: Session, user_id: int) -> None:
    """Hold the user's row until commit, so two requests of one user do not both pass a check."""
    session.execute(sa.select(USERS.c.id).where(USERS.c.id == user_id).with_for_update())


def site_link(endpoint: str, **values) -> str:
    """An absolute link on SITE_URL for an email, built in a request or outside one (a job, a
    command, a test)."""
    if has_request_context():
        return absolute_url(endpoint, **values)
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["SITE_URL"] + path
