"""Onboarding: "Sell with us", an admin's decision (emailed once), suspending a shop."""

from __future__ import annotations

import email
import email.policy
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.accounts.models import Role, User
from app.merchants import onboarding
from app.merchants.models import (
    ApplicationStatus,
    Merchant,
    MerchantApplication,
    MerchantMembership,
    MerchantStatus,
)
from app.merchants.services import InvalidInput, NotFound, Refused
from tests.support.portal import make_staff, make_user, signed_in

HOSTILE = '<script>alert("x")</script> & Sons'
FORM = {
    "shop_name": "Fern & Field",
    "contact_name": "Ann Fern",
    "contact_email": "Ann@Example.com",
    "phone": "",
    "description": "Hand-thrown pottery.",
}


def emails(outbox: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(outbox.glob("*.eml"))
    ]


def bodies(message: email.message.EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def an_application(session, shop_name: str = "Fern & Field") -> MerchantApplication:
    user = make_user(session)
    fields = onboarding.ApplicationFields(
        shop_name=shop_name,
        contact_name="Ann Fern",
        contact_email=f"shop-{user.id}@example.com",
        description="Hand-thrown pottery.",
    )
    return onboarding.apply(session, user.id, fields)


def test_anonymous_visitors_sign_in_first_and_come_back(client):
    response = client.get("/sell")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=%2Fsell")


def test_the_storefront_footer_links_to_sell_with_us(client):
    page = client.get("/").get_data(as_text=True)

    assert '<a href="/sell">Sell with us</a>' in page


def test_a_customer_applies_once_and_then_sees_the_status(app, database):
    user = make_user(database)
    client = signed_in(app, user.email)

    form_page = client.get("/sell").get_data(as_text=True)
    sent = client.post("/sell", data=FORM)
    status_page = client.get("/sell").get_data(as_text=True)
    again = client.post("/sell", data={**FORM, "shop_name": "Second shop"})

    assert f'value="{user.email}"' in form_page
    assert sent.status_code == 303
    (application,) = database.scalars(sa.select(MerchantApplication)).all()
    assert application.applicant_id == user.id
    assert application.status == ApplicationStatus.PENDING
    assert application.shop_name == "Fern & Field"
    assert application.contact_email == "ann@example.com"
    assert "Waiting for a decision" in status_page
    assert "Fern &amp; Field" in status_page
    assert again.status_code == 200
    assert "Waiting for a decision" in again.get_data(as_text=True)
    assert database.scalar(sa.select(sa.func.count(MerchantApplication.id))) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"shop_name": ""}, "shop_name", "Enter the name of your shop."),
        ({"contact_email": "not an email"}, "contact_email", "An email address must have an @"),
        ({"description": "x" * 5001}, "description", "Use at most 5000 characters."),
        ({"phone": "1" * 41}, "phone", "Use at most 40 characters."),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_saves_nothing(
    app, database, changes, field, message
):
    client = signed_in(app, make_user(database).email)

    response = client.post("/sell", data={**FORM, **changes})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and message in page
    assert re.search(f'aria-describedby="[^"]*{field}-error"', page)
    assert database.scalar(sa.select(sa.func.count(MerchantApplication.id))) == 0


def test_staff_of_a_shop_are_shown_their_portal(app, database):
    staff = make_staff(app, database)

    response = staff.client.get("/sell")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Open the shop portal" in page and 'name="shop_name"' not in page
    with pytest.raises(Refused):
        onboarding.apply(
            database,
            staff.user.id,
            onboarding.ApplicationFields("Another", "Ann", "ann@example.com", "Things"),
        )


def test_the_service_checks_the_fields_itself(database):
    user = make_user(database)
    blank = onboarding.ApplicationFields(" ", "", "nope", "")

    with pytest.raises(InvalidInput) as raised:
        onboarding.apply(database, user.id, blank)

    assert set(raised.value.errors) == {"shop_name", "contact_name", "contact_email", "description"}


def test_approval_opens_the_shop_with_the_applicant_as_owner_and_emails_once(app, database, outbox):
    application = an_application(database)
    admin = make_user(database, Role.ADMIN)

    merchant = onboarding.approve_application(database, application.id, admin.id)
    with pytest.raises(Refused):
        onboarding.approve_application(database, application.id, admin.id)

    assert merchant.status == MerchantStatus.ACTIVE and merchant.name == "Fern & Field"
    membership = database.scalar(
        sa.select(MerchantMembership).where(MerchantMembership.merchant_id == merchant.id)
    )
    assert membership.user_id == application.applicant_id and membership.is_owner
    assert database.get(User, application.applicant_id).role == Role.MERCHANT
    database.refresh(application)
    assert application.status == ApplicationStatus.APPROVED
    assert application.merchant_id == merchant.id and application.decided_by_id == admin.id
    (message,) = emails(outbox)
    assert message["To"] == application.contact_email
    text, _ = bodies(message)
    assert "http://localhost/portal/" in text


def test_two_shops_of_the_same_name_get_their_own_slugs(database):
    admin = make_user(database, Role.ADMIN)
    first = onboarding.approve_application(database, an_application(database).id, admin.id)
    second = onboarding.approve_application(database, an_application(database).id, admin.id)

    assert (first.slug, second.slug) == ("fern-field", "fern-field-2")


def test_an_applicant_who_joined_another_shop_meanwhile_cannot_be_approved(app, database):
    application = an_application(database)
    other = make_staff(app, database)
    database.execute(
        sa.update(MerchantMembership)
        .where(MerchantMembership.user_id == other.user.id)
        .values(user_id=application.applicant_id)
    )
    database.commit()

    with pytest.raises(Refused):
        onboarding.approve_application(database, application.id, other.user.id)

    assert database.scalar(sa.select(sa.func.count(Merchant.id))) == 1


def test_rejection_needs_a_reason_and_emails_it_once(database, outbox):
    application = an_application(database)
    admin = make_user(database, Role.ADMIN)

    with pytest.raises(InvalidInput):
        onboarding.reject_application(database, application.id, admin.id, "  ")
    onboarding.reject_application(database, application.id, admin.id, "We only sell food.")
    with pytest.raises(Refused):
        onboarding.reject_application(database, application.id, admin.id, "Again.")

    database.refresh(application)
    assert application.status == ApplicationStatus.REJECTED
    assert application.decision_reason == "We only sell food."
    (message,) = emails(outbox)
    text, html = bodies(message)
    assert "We only sell food." in text and "We only sell food." in html
    assert "http://localhost/sell" in text


def test_a_rejected_applicant_sees_why_and_may_apply_again(app, database):
    application = an_application(database)
    admin = make_user(database, Role.ADMIN)
    onboarding.reject_application(database, application.id, admin.id, "Too <vague> & short.")
    applicant = database.get(User, application.applicant_id)

    page = signed_in(app, applicant.email).get("/sell").get_data(as_text=True)

    assert "Too &lt;vague&gt; &amp; short." in page
    assert 'name="shop_name"' in page


def test_unknown_applications_are_not_found(database):
    with pytest.raises(NotFound):
        onboarding.approve_application(database, 987654, 1)


def test_a_hostile_shop_name_is_escaped_in_the_emails_and_the_portal(app, database, outbox):
    application = an_application(database, shop_name=HOSTILE)
    admin = make_user(database, Role.ADMIN)
    onboarding.approve_application(database, application.id, admin.id)
    owner = database.get(User, application.applicant_id)

    portal = signed_in(app, owner.email).get("/portal/staff").get_data(as_text=True)

    (message,) = emails(outbox)
    text, html = bodies(message)
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sons"
    assert escaped in html and "<script>" not in html
    assert HOSTILE in text
    assert escaped in portal and "<script>alert" not in portal


def test_a_suspended_shops_staff_can_look_but_change_nothing_and_see_why(app, database, outbox):
    staff = make_staff(app, database)
    onboarding.suspend_merchant(database, staff.merchant.id, "Unpaid <fees> & more")

    page = staff.client.get("/portal/staff")
    refused = staff.client.post("/portal/staff/invite", data={"email": "new@example.com"})

    assert page.status_code == 200
    assert "Unpaid &lt;fees&gt; &amp; more" in page.get_data(as_text=True)
    assert refused.status_code == 403
    assert "Unpaid &lt;fees&gt; &amp; more" in refused.get_data(as_text=True)
    assert list(outbox.glob("*.eml")) == []

    onboarding.reinstate_merchant(database, staff.merchant.id)
    allowed = staff.client.post("/portal/staff/invite", data={"email": "new@example.com"})
    allowed.close()

    assert allowed.status_code == 303
    assert len(list(outbox.glob("*.eml"))) == 1


def test_suspending_needs_a_reason_and_an_open_shop(database):
    merchant = onboarding.approve_application(
        database, an_application(database).id, make_user(database, Role.ADMIN).id
    )

    with pytest.raises(InvalidInput):
        onboarding.suspend_merchant(database, merchant.id, "")
    with pytest.raises(Refused):
        onboarding.reinstate_merchant(database, merchant.id)
    with pytest.raises(NotFound):
        onboarding.suspend_merchant(database, 987654, "Fraud")


def test_the_demo_store_has_an_application_waiting_for_the_admin(app, database):
    result = app.test_cli_runner().invoke(
        args=["seed-demo", "--products", "0", "--customers", "2", "--password", "harbour-4821-x"]
    )

    assert result.exit_code == 0, result.output
    (application,) = onboarding.pending_applications(database)
    applicant = database.get(User, application.applicant_id)
    assert applicant.email == "customer1@example.com" and applicant.role == Role.CUSTOMER
    assert (
        f"applicant customer1@example.com  (applied to open {application.shop_name}: "
        "approve it at /admin/merchants)"
    ) in result.output


def race(app, attempts: int, act) -> list[str]:
    """`attempts` calls of `act(session)` at the same moment, each on its own connection."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=attempts)
    start = threading.Barrier(attempts)

    def attempt(_: int) -> str:
        with app.app_context(), Session(engine) as session:
            start.wait()
            try:
                act(session)
            except Refused:
                return "refused"
            return "done"

    try:
        with ThreadPoolExecutor(max_workers=attempts) as pool:
            return sorted(pool.map(attempt, range(attempts)))
    finally:
        engine.dispose()


def test_one_application_at_a_time_even_when_sent_at_once(app, postgres):
    user = make_user(postgres)
    fields = onboarding.ApplicationFields("Fern", "Ann", "ann@example.com", "Pots.")

    outcomes = race(app, 8, lambda session: onboarding.apply(session, user.id, fields))

    assert outcomes == ["done"] + ["refused"] * 7
    assert postgres.scalar(sa.select(sa.func.count(MerchantApplication.id))) == 1


def test_an_application_approved_twice_at_once_opens_one_shop(app, postgres, outbox):
    application = an_application(postgres)
    admin = make_user(postgres, Role.ADMIN)

    outcomes = race(
        app, 6, lambda session: onboarding.approve_application(session, application.id, admin.id)
    )

    assert outcomes == ["done"] + ["refused"] * 5
    assert postgres.scalar(sa.select(sa.func.count(Merchant.id))) == 1
    assert len(list(outbox.glob("*.eml"))) == 1
