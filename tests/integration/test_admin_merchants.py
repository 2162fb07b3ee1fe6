"""/admin/merchants: admins only; approve, or reject with a reason, each emailed once."""

from __future__ import annotations

import email
import email.policy

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.merchants import onboarding
from app.merchants.models import ApplicationStatus, Merchant, MerchantApplication
from tests.support.portal import make_staff, make_user, signed_in

HOSTILE = '<script>alert("x")</script> & Sons'
ROUTES = [
    ("GET", "/admin/merchants"),
    ("POST", "/admin/merchants/applications/{id}/approve"),
    ("POST", "/admin/merchants/applications/{id}/reject"),
]


def an_application(session, shop_name: str = "Fern & Field") -> MerchantApplication:
    user = make_user(session)
    fields = onboarding.ApplicationFields(
        shop_name=shop_name,
        contact_name="Ann Fern",
        contact_email=f"shop-{user.id}@example.com",
        description="Hand-thrown <pottery>.",
    )
    return onboarding.apply(session, user.id, fields)


def admin_client(app, database):
    return signed_in(app, make_user(database, Role.ADMIN).email)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in(app, database, method, path):
    url = path.format(id=an_application(database).id)

    response = app.test_client().open(url, method=method, data={})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")


@pytest.mark.parametrize("who", ["customer", "merchant staff"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_users_who_are_not_admins_are_refused(app, database, method, path, who):
    application = an_application(database)
    if who == "customer":
        client = signed_in(app, make_user(database).email)
    else:
        client = make_staff(app, database).client

    response = client.open(
        path.format(id=application.id), method=method, data={"reject-1-reason": "No"}
    )

    assert response.status_code == 403
    database.refresh(application)
    assert application.status == ApplicationStatus.PENDING


def test_admins_see_the_waiting_applications_escaped(app, database):
    an_application(database, shop_name=HOSTILE)
    decided = an_application(database, shop_name="Already decided")
    admin_user = make_user(database, Role.ADMIN)
    admin = signed_in(app, admin_user.email)
    onboarding.reject_application(database, decided.id, admin_user.id, "No.")

    response = admin.get("/admin/merchants")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sons" in page
    assert "<script>alert" not in page
    assert "Hand-thrown &lt;pottery&gt;." in page
    assert "Already decided" not in page
    assert 'aria-current="page"' in page


def test_an_admin_approves_and_the_applicant_is_emailed_once(app, database, outbox):
    application = an_application(database)
    admin = admin_client(app, database)
    url = f"/admin/merchants/applications/{application.id}/approve"

    approved = admin.post(url)
    approved.close()
    again = admin.post(url)
    again.close()

    assert approved.status_code == 303
    assert again.status_code == 409
    assert "already been approved" in again.get_data(as_text=True)
    merchant = database.scalar(sa.select(Merchant))
    assert merchant.name == "Fern & Field" and merchant.is_active
    assert len(list(outbox.glob("*.eml"))) == 1


def test_a_rejection_needs_a_reason_which_is_emailed(app, database, outbox):
    application = an_application(database)
    admin = admin_client(app, database)
    url = f"/admin/merchants/applications/{application.id}/reject"
    field = f"reject-{application.id}-reason"

    blank = admin.post(url, data={field: ""})
    rejected = admin.post(url, data={field: "We only sell <food> & drink."})
    rejected.close()

    assert blank.status_code == 422
    page = blank.get_data(as_text=True)
    assert f'id="{field}-error"' in page and "Say why the application is rejected." in page
    assert rejected.status_code == 303
    database.refresh(application)
    assert application.status == ApplicationStatus.REJECTED
    (path,) = outbox.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert "We only sell &lt;food&gt; &amp; drink." in message.get_body(("html",)).get_content()
    assert "We only sell <food> & drink." in message.get_body(("plain",)).get_content()


def test_unknown_applications_are_not_found(app, database):
    admin = admin_client(app, database)

    approve = admin.post("/admin/merchants/applications/987654/approve")
    reject = admin.post(
        "/admin/merchants/applications/987654/reject", data={"reject-987654-reason": "No."}
    )

    assert (approve.status_code, reject.status_code) == (404, 404)
