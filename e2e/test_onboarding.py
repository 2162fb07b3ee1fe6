"""Onboarding in Chromium: a shopper applies to sell, an admin approves, the new owner invites a
colleague who joins through the emailed link; axe finds nothing on any of those pages, and the
forms work with JavaScript off."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from app.accounts.models import Role
from app.database import db
from app.merchants import staff
from app.merchants.models import StaffInvite
from e2e.checks import axe_violations, describe_violations
from e2e.portal import sign_in
from tests.support.portal import PASSWORD, make_user

pytestmark = pytest.mark.e2e

SHOP = "Onboarding Pots & Pans"


@pytest.fixture(scope="module")
def people(live_app: Flask, store) -> dict[str, str]:
    """An applicant, an admin and the colleague the applicant will invite."""
    with live_app.app_context():
        return {
            "applicant": make_user(db.session, email="onboarding-applicant@example.com").email,
            "admin": make_user(db.session, Role.ADMIN, email="onboarding-admin@example.com").email,
            "colleague": make_user(db.session, email="onboarding-colleague@example.com").email,
        }


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)


def invitation_link(live_app: Flask, email: str) -> str:
    with live_app.app_context():
        invite_id = db.session.scalar(sa.select(StaffInvite.id).where(StaffInvite.email == email))
        return f"/sell/join/{staff.invite_token(invite_id)}"


def test_apply_approve_invite_and_join(live_app: Flask, open_context, people):
    applicant = open_context(bypass_csp=True)
    sign_in(applicant, people["applicant"])
    applicant.goto("/")
    applicant.get_by_role("link", name="Sell with us").click()
    assert_accessible(applicant)
    applicant.get_by_label("Shop name").fill(SHOP)
    applicant.get_by_label("What does your shop sell?").fill("Copper pans, hand-hammered.")
    applicant.get_by_role("button", name="Send my application").click()
    expect(applicant.get_by_text("Waiting for a decision")).to_be_visible()
    assert_accessible(applicant)

    admin = open_context(bypass_csp=True)
    sign_in(admin, people["admin"])
    admin.goto("/admin/merchants")
    expect(admin.get_by_role("rowheader", name=SHOP)).to_be_visible()
    assert_accessible(admin)
    admin.get_by_role("button", name=f"Approve {SHOP}").click()
    expect(admin.get_by_text(f"{SHOP} is approved and open")).to_be_visible()

    applicant.goto("/portal/staff")
    expect(applicant.get_by_role("heading", name="Staff")).to_be_visible()
    assert_accessible(applicant)
    applicant.get_by_label("Email address").fill(people["colleague"])
    applicant.get_by_role("button", name="Send the invitation").click()
    expect(
        applicant.get_by_text(f"An invitation has been emailed to {people['colleague']}")
    ).to_be_visible()
    assert_accessible(applicant)

    colleague = open_context(bypass_csp=True)
    link = invitation_link(live_app, people["colleague"])
    colleague.goto(link)
    expect(colleague.get_by_text(f"join the staff of {SHOP}")).to_be_visible()
    assert_accessible(colleague)
    colleague.get_by_role("link", name="Log in").last.click()
    colleague.get_by_label("Email").fill(people["colleague"])
    colleague.get_by_label("Password").fill(PASSWORD)
    colleague.get_by_role("button", name="Log in").click()
    expect(colleague).to_have_url(re.compile(re.escape(link) + "$"))
    assert_accessible(colleague)
    colleague.get_by_role("button", name=f"Join {SHOP}").click()
    expect(colleague.get_by_text(f"Welcome to the team of {SHOP}!")).to_be_visible()
    expect(colleague).to_have_url(re.compile(r"/portal/"))


def test_the_application_form_works_without_javascript(live_app: Flask, open_context):
    with live_app.app_context():
        email = make_user(db.session, email="onboarding-nojs@example.com").email
    page = open_context(java_script_enabled=False)
    sign_in(page, email)
    page.goto("/sell")
    page.get_by_label("Shop name").fill("No Script Shop")
    page.get_by_label("What does your shop sell?").fill("Plain things.")
    page.get_by_role("button", name="Send my application").click()

    expect(page.get_by_text("Waiting for a decision")).to_be_visible()
    expect(page.get_by_text("Your application has been sent")).to_be_visible()
