"""A shop's staff: owners invite people by email and remove them.

An invitation is a `staff_invites` row and an emailed link carrying its id, signed with
itsdangerous (salted for this one use) and valid for INVITE_DAYS: the link works once, for the
address it was sent to, until it expires or an owner revokes it. Every function acting for a
merchant takes it and looks only at its rows: another merchant's membership or invite is
NotFound, exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.database import utcnow
from app.merchants.models import Merchant, MerchantMembership, StaffInvite
from app.merchants.services import (
    USERS,
    InvalidInput,
    MerchantsError,
    NotFound,
    Refused,
    drop_staff_role,
    give_staff_role,
    lock_user,
    site_link,
    staff_membership,
)
from app.notifications.dispatch import queue_email
from app.notifications.messages import EmailRequest

INVITE_DAYS = 7
INVITE_SALT = "merchants.staff-invite"
EMAIL_MAX = 254


class InviteProblem(MerchantsError):
    """An invitation link that cannot be used; `status` is the HTTP status that says so."""

    status = 400


class UnknownInvite(InviteProblem):
    """The link was not made by us (or names an invitation that no longer exists)."""

    status = 404

    def __init__(self) -> None:
        super().__init__("This invitation link is not valid. Ask the shop for a new one.")


class ClosedInvite(InviteProblem):
    """The invitation expired, was used already or was revoked."""

    status = 410


class WrongInvitee(InviteProblem):
    """The signed-in user is not the person the invitation was sent to."""

    status = 403


class AlreadyStaff(InviteProblem):
    """The signed-in user works for a shop already (a person works for one shop only)."""

    status = 409


@dataclass(frozen=True)
class Member:
    """One person on a shop's staff."""

    membership_id: int
    user_id: int
    name: str
    email: str
    is_owner: bool
    since: datetime


@dataclass(frozen=True)
class StaffList:
    """A shop's staff and the invitations still waiting for an answer."""

    members: list[Member]
    invites: list[StaffInvite]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITE_SALT)


def invite_token(invite_id: int) -> str:
    """The signed token of an invitation's link."""
    return _serializer().dumps(invite_id)


def _invite_id(token: str) -> int:
    try:
        invite_id = _serializer().loads(token, max_age=INVITE_DAYS * 24 * 3600)
    except SignatureExpired as error:
        raise ClosedInvite("This invitation has expired. Ask the shop for a new one.") from error
    except BadSignature as error:
        raise UnknownInvite() from error
    if not isinstance(invite_id, int):
        raise UnknownInvite()
    return invite_id


def normalized_email(raw: str) -> str:
    """A valid address, lowercased; InvalidInput otherwise."""
    raw = raw.strip()
    if not raw:
        raise InvalidInput({"email": ["Enter the email address to invite."]})
    if len(raw) > EMAIL_MAX:
        raise InvalidInput({"email": [f"Use at most {EMAIL_MAX} characters."]})
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput({"email": [str(error)]}) from error


def is_open(invite: StaffInvite, now: datetime) -> bool:
    """Whether the invitation can still be accepted."""
    return invite.accepted_at is None and invite.revoked_at is None and invite.expires_at > now


def staff_list(session: Session, merchant: Merchant) -> StaffList:
    """The merchant's members (owners first) and its invitations not yet accepted or revoked."""
    rows = session.execute(
        sa.select(MerchantMembership, USERS.c.name, USERS.c.email)
        .join(USERS, USERS.c.id == MerchantMembership.user_id)
        .where(MerchantMembership.merchant_id == merchant.id)
        .order_by(MerchantMembership.is_owner.desc(), MerchantMembership.created_at, USERS.c.id)
    )
    members = [
        Member(
            membership_id=membership.id,
            user_id=membership.user_id,
            name=name,
            email=email,
            is_owner=membership.is_owner,
            since=membership.created_at,
        )
        for membership, name, email in rows
    ]
    invites = list(
        session.scalars(
            sa.select(StaffInvite)
            .where(
                StaffInvite.merchant_id == merchant.id,
                StaffInvite.accepted_at.is_(None),
                StaffInvite.revoked_at.is_(None),
            )
            .order_by(StaffInvite.created_at.desc(), StaffInvite.id.desc())
        )
    )
    return StaffList(members=members, invites=invites)


def invite_staff(session: Session, merchant: Merchant, email: str, invited_by: int) -> StaffInvite:
    """Invite `email` to the merchant's staff: emails a signed link valid for INVITE_DAYS."""
    email = normalized_email(email)
    member = session.scalar(
        sa.select(MerchantMembership.id)
        .join(USERS, USERS.c.id == MerchantMembership.user_id)
        .where(MerchantMembership.merchant_id == merchant.id, sa.func.lower(USERS.c.email) == email)
    )
    if member is not None:
        raise InvalidInput({"email": [f"{email} already works for this shop."]})
    now = utcnow()
    waiting = session.scalars(
        sa.select(StaffInvite).where(
            StaffInvite.merchant_id == merchant.id,
            StaffInvite.email == email,
            StaffInvite.accepted_at.is_(None),
            StaffInvite.revoked_at.is_(None),
        )
    )
    if any(is_open(invite, now) for invite in waiting):
        raise InvalidInput(
            {"email": [f"An invitation to {email} is waiting already; revoke it to send another."]}
        )
    invite = StaffInvite(
        merchant_id=merchant.id,
        email=email,
        invited_by_id=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=INVITE_DAYS),
    )
    session.add(invite)
    session.flush()
    message = EmailRequest(
        template="staff_invite",
        to=email,
        subject=f"Join {merchant.name} on the marketplace",
        context={
            "shop_name": merchant.name,
            "join_url": site_link("merchants.join", token=invite_token(invite.id)),
            "expires_days": INVITE_DAYS,
        },
    )
    queue_email(session, message, key=f"staff-invite:{invite.id}")
    session.commit()
    return invite


@dataclass(frozen=True)
class OpenInvite:
    """An invitation that can be accepted, and the shop it is for."""

    invite: StaffInvite
    shop: Merchant


def invite_for_token(session: Session, token: str) -> OpenInvite:
    """The open invitation a link names, with its shop; UnknownInvite or ClosedInvite otherwise."""
    invite = session.get(StaffInvite, _invite_id(token))
    _check_open(invite)
    return OpenInvite(invite=invite, shop=session.get_one(Merchant, invite.merchant_id))


def _check_open(invite: StaffInvite | None) -> None:
    if invite is None:
        raise UnknownInvite()
    if invite.accepted_at is not None:
        raise ClosedInvite("This invitation has been used already.")
    if invite.revoked_at is not None:
        raise ClosedInvite("This invitation has been withdrawn by the shop.")
    if invite.expires_at <= utcnow():
        raise ClosedInvite("This invitation has expired. Ask the shop for a new one.")


def accept_invite(session: Session, token: str, user_id: int, email: str) -> MerchantMembership:
    """The signed-in user (`user_id`, `email`) joins the invitation's shop as staff; once."""
    invite_id = _invite_id(token)
    invite = session.scalar(
        sa.select(StaffInvite).where(StaffInvite.id == invite_id).with_for_update()
    )
    try:
        _check_open(invite)
        if email.strip().lower() != invite.email:
            raise WrongInvitee(
                "This invitation was sent to another email address. Sign in with the address "
                "it was sent to."
            )
        lock_user(session, user_id)
        if staff_membership(session, user_id) is not None:
            raise AlreadyStaff(
                "You work for a shop on the marketplace already; a person can work for one "
                "shop only."
            )
    except InviteProblem:
        session.rollback()
        raise
    membership = MerchantMembership(user_id=user_id, merchant_id=invite.merchant_id)
    session.add(membership)
    invite.accepted_at = utcnow()
    give_staff_role(session, user_id)
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise AlreadyStaff("You work for a shop on the marketplace already.") from error
    return membership


def revoke_invite(session: Session, merchant: Merchant, invite_id: int) -> StaffInvite:
    """Withdraw one of the merchant's invitations that has not been accepted."""
    invite = session.scalar(
        sa.select(StaffInvite)
        .where(StaffInvite.id == invite_id, StaffInvite.merchant_id == merchant.id)
        .with_for_update()
    )
    if invite is None or invite.revoked_at is not None:
        session.rollback()
        raise NotFound()
    if invite.accepted_at is not None:
        session.rollback()
        raise Refused("This invitation has been accepted already.")
    invite.revoked_at = utcnow()
    session.commit()
    return invite


def remove_staff(
    session: Session, merchant: Merchant, membership_id: int, removed_by: int
) -> Member:
    """Take someone off the merchant's staff (an owner's act; nobody removes themselves, and a
    shop always keeps an owner). Returns who was removed."""
    members = {member.membership_id: member for member in staff_list(session, merchant).members}
    member = members.get(membership_id)
    if member is None:
        raise NotFound()
    if member.user_id == removed_by:
        raise Refused("You cannot remove yourself from the shop.")
    owners = [other for other in members.values() if other.is_owner]
    if member.is_owner and len(owners) == 1:
        raise Refused("A shop needs an owner: this is the last one.")
    session.execute(
        sa.delete(MerchantMembership).where(
            MerchantMembership.id == membership_id, MerchantMembership.merchant_id == merchant.id
        )
    )
    drop_staff_role(session, member.user_id)
    session.commit()
    return member
