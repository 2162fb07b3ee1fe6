"""The staff routes (owners only): the list, invite, revoke an invitation, remove a member."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.database import utcnow
from app.merchants.models import Merchant, MerchantMembership, StaffInvite
from tests.portal_access import RouteCase
from tests.support.portal import make_user


def a_member(session: Session, merchant: Merchant) -> dict:
    """A staff member (not an owner) of the merchant."""
    user = make_user(session, Role.MERCHANT)
    membership = MerchantMembership(user_id=user.id, merchant_id=merchant.id)
    session.add(membership)
    session.flush()
    return {"membership_id": membership.id}


def an_invite(session: Session, merchant: Merchant) -> dict:
    """An invitation of the merchant's, waiting for an answer."""
    invite = StaffInvite(
        merchant_id=merchant.id,
        email="invited@example.com",
        expires_at=utcnow() + timedelta(days=7),
    )
    session.add(invite)
    session.flush()
    return {"invite_id": invite.id}


CASES = [
    RouteCase("portal.staff"),
    RouteCase("portal.staff_invite", "POST", data={"email": "new.person@example.com"}),
    RouteCase("portal.staff_revoke", "POST", owned=an_invite),
    RouteCase("portal.staff_remove", "POST", owned=a_member),
]
