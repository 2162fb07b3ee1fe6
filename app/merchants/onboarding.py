"""Onboarding: "Sell with us" applications, an admin's decision on them, suspending a shop.

An approved application becomes an active merchant whose owner is the applicant; the applicant
is emailed the decision once (the email is queued in the same transaction, keyed by the
application), with links absolute on SITE_URL.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.database import utcnow
from app.merchants.models import (
    ApplicationStatus,
    Merchant,
    MerchantApplication,
    MerchantMembership,
    MerchantStatus,
)
from app.merchants.services import (
    InvalidInput,
    NotFound,
    Refused,
    create_merchant,
    give_staff_role,
    lock_user,
    site_link,
    staff_membership,
)
from app.notifications.dispatch import queue_email
from app.notifications.messages import EmailRequest

APPLICATION_LIMITS = {
    "shop_name": 120,
    "contact_name": 120,
    "contact_email": 254,
    "phone": 40,
    "description": 5000,
}
REQUIRED = {
    "shop_name": "Enter the name of your shop.",
    "contact_name": "Enter the name of the person we should talk to.",
    "contact_email": "Enter the email address we should write to.",
    "description": "Tell us what your shop sells.",
}
REASON_MAX = 2000


@dataclass(frozen=True)
class ApplicationFields:
    """What an applicant types into the "Sell with us" form."""

    shop_name: str
    contact_name: str
    contact_email: str
    description: str
    phone: str = ""


def checked_fields(fields: ApplicationFields) -> ApplicationFields:
    """The fields trimmed, with the email normalised; InvalidInput lists every problem."""
    values = {name: getattr(fields, name).strip() for name in APPLICATION_LIMITS}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if not value and name in REQUIRED:
            errors[name] = [REQUIRED[name]]
        elif len(value) > APPLICATION_LIMITS[name]:
            errors[name] = [f"Use at most {APPLICATION_LIMITS[name]} characters."]
    if "contact_email" not in errors:
        try:
            email = validate_email(values["contact_email"], check_deliverability=False)
        except EmailNotValidError as error:
            errors["contact_email"] = [str(error)]
        else:
            values["contact_email"] = email.normalized.lower()
    if errors:
        raise InvalidInput(errors)
    return ApplicationFields(**values)


def latest_application(session: Session, user_id: int) -> MerchantApplication | None:
    """The user's application waiting for a decision, else their most recent one; None if none."""
    pending_first = sa.case((MerchantApplication.status == ApplicationStatus.PENDING, 0), else_=1)
    return session.scalar(
        sa.select(MerchantApplication)
        .where(MerchantApplication.applicant_id == user_id)
        .order_by(
            pending_first, MerchantApplication.created_at.desc(), MerchantApplication.id.desc()
        )
        .limit(1)
    )


@dataclass(frozen=True)
class ApplicantStatus:
    """Where a user stands: on a shop's staff, or their latest application (either may be None)."""

    membership: MerchantMembership | None
    application: MerchantApplication | None

    @property
    def waiting(self) -> bool:
        """Whether their application waits for a decision (so they cannot send another)."""
        return self.application is not None and self.application.status == ApplicationStatus.PENDING


def applicant_status(session: Session, user_id: int) -> ApplicantStatus:
    """The user's staff membership and latest application, for the "Sell with us" page."""
    return ApplicantStatus(
        membership=staff_membership(session, user_id),
        application=latest_application(session, user_id),
    )


def apply(session: Session, user_id: int, fields: ApplicationFields) -> MerchantApplication:
    """Record the user's application; one at a time per user, and none from a shop's staff."""
    fields = checked_fields(fields)
    lock_user(session, user_id)
    if staff_membership(session, user_id) is not None:
        session.rollback()
        raise Refused("You already work for a shop on the marketplace.")
    waiting = latest_application(session, user_id)
    if waiting is not None and waiting.status == ApplicationStatus.PENDING:
        session.rollback()
        raise Refused("Your application is already waiting for a decision.")
    application = MerchantApplication(
        applicant_id=user_id,
        shop_name=fields.shop_name,
        contact_name=fields.contact_name,
        contact_email=fields.contact_email,
        phone=fields.phone,
        description=fields.description,
        status=ApplicationStatus.PENDING,
    )
    session.add(application)
    session.commit()
    return application


def pending_applications(session: Session) -> list[MerchantApplication]:
    """Applications waiting for an admin's decision, oldest first."""
    return list(
        session.scalars(
            sa.select(MerchantApplication)
            .where(MerchantApplication.status == ApplicationStatus.PENDING)
            .order_by(MerchantApplication.created_at, MerchantApplication.id)
        )
    )


def _pending_application(session: Session, application_id: int) -> MerchantApplication:
    """The application, locked until commit; NotFound if missing, Refused once decided."""
    application = session.scalar(
        sa.select(MerchantApplication)
        .where(MerchantApplication.id == application_id)
        .with_for_update()
    )
    if application is None:
        session.rollback()
        raise NotFound()
    if application.status != ApplicationStatus.PENDING:
        status = application.status
        session.rollback()
        raise Refused(f"This application has already been {status}.")
    return application


def approve_application(session: Session, application_id: int, admin_id: int) -> Merchant:
    """Open the applicant's shop (active), make them its owner and email them; once."""
    application = _pending_application(session, application_id)
    lock_user(session, application.applicant_id)
    if staff_membership(session, application.applicant_id) is not None:
        session.rollback()
        raise Refused(
            "The applicant works for another shop already; reject the application instead."
        )
    merchant = create_merchant(
        session,
        application.shop_name,
        contact_email=application.contact_email,
        description=application.description,
        approved=True,
    )
    session.add(
        MerchantMembership(user_id=application.applicant_id, merchant_id=merchant.id, is_owner=True)
    )
    give_staff_role(session, application.applicant_id)
    _decide(application, ApplicationStatus.APPROVED, admin_id, reason="")
    application.merchant_id = merchant.id
    email = EmailRequest(
        template="merchant_approved",
        to=application.contact_email,
        subject=f"Your shop {application.shop_name} is open",
        context={
            "name": application.contact_name,
            "shop_name": application.shop_name,
            "portal_url": portal_url(),
        },
    )
    queue_email(session, email, key=f"merchant-approved:{application.id}")
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise Refused(
            "Something changed at the same moment (a shop of the same name opened, or the "
            "applicant joined a shop); look at the application again."
        ) from error
    return merchant


def reject_application(
    session: Session, application_id: int, admin_id: int, reason: str
) -> MerchantApplication:
    """Turn the application down and email the applicant the reason; once."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput({"reason": ["Say why the application is rejected."]})
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": [f"Use at most {REASON_MAX} characters."]})
    application = _pending_application(session, application_id)
    _decide(application, ApplicationStatus.REJECTED, admin_id, reason=reason)
    email = EmailRequest(
        template="merchant_rejected",
        to=application.contact_email,
        subject=f"Your application for {application.shop_name}",
        context={
            "name": application.contact_name,
            "shop_name": application.shop_name,
            "reason": reason,
            "apply_url": site_link("merchants.apply"),
        },
    )
    queue_email(session, email, key=f"merchant-rejected:{application.id}")
    session.commit()
    return application


def portal_url() -> str:
    """Where a new owner starts: the portal's dashboard (its staff page until there is one)."""
    has_dashboard = "portal.dashboard" in current_app.view_functions
    return site_link("portal.dashboard" if has_dashboard else "portal.staff")


def _decide(application: MerchantApplication, status: str, admin_id: int, reason: str) -> None:
    application.status = status
    application.decided_by_id = admin_id
    application.decided_at = utcnow()
    application.decision_reason = reason


def suspend_merchant(session: Session, merchant_id: int, reason: str) -> Merchant:
    """Stop an active shop selling: its staff can still look, and are told `reason`."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput({"reason": ["Say why the shop is suspended."]})
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": [f"Use at most {REASON_MAX} characters."]})
    merchant = _locked_merchant(session, merchant_id)
    if merchant.status == MerchantStatus.PENDING:
        session.rollback()
        raise Refused("A shop waiting for approval cannot be suspended.")
    merchant.status = MerchantStatus.SUSPENDED
    merchant.suspension_reason = reason
    session.commit()
    return merchant


def reinstate_merchant(session: Session, merchant_id: int) -> Merchant:
    """Let a suspended shop sell again."""
    merchant = _locked_merchant(session, merchant_id)
    if merchant.status != MerchantStatus.SUSPENDED:
        session.rollback()
        raise Refused("Only a suspended shop can be reinstated.")
    merchant.status = MerchantStatus.ACTIVE
    merchant.suspension_reason = ""
    session.commit()
    return merchant


def _locked_merchant(session: Session, merchant_id: int) -> Merchant:
    merchant = session.scalar(
        sa.select(Merchant).where(Merchant.id == merchant_id).with_for_update()
    )
    if merchant is None:
        session.rollback()
        raise NotFound()
    return merchant
