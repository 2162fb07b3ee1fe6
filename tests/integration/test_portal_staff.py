"""Staff: owners invite by a signed, expiring link (once, for the invited address), revoke
invitations and remove members; other staff cannot manage the staff."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.accounts.models import Role, User
from app.database import utcnow
from app.merchants import staff as staff_service
from app.merchants.models import MerchantMembership, StaffInvite
from app.merchants.services import InvalidInput, NotFound, Refused
from tests.support.factories import make_merchant
from tests.support.portal import make_staff, make_user, signed_in

HOSTILE = '<b>"Bold" & co</b>'


def invite_links(outbox: Path) -> list[str]:
    links = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = message.get_body(("plain",)).get_content()
        links += re.findall(r"http://localhost(/sell/join/\S+)", text)
    return links


def invite(owner, address: str):
    response = owner.client.post("/portal/staff/invite", data={"email": address})
    response.close()
    return response


def membership_of(session, user_id: int) -> MerchantMembership | None:
    session.expire_all()
    return session.scalar(
        sa.select(MerchantMembership).where(MerchantMembership.user_id == user_id)
    )


def test_an_invited_person_joins_once_through_the_emailed_link(app, database, outbox):
    owner = make_staff(app, database)
    invitee = make_user(database, email="helper@example.com")

    sent = invite(owner, " Helper@Example.com ")
    (link,) = invite_links(outbox)
    anonymous = app.test_client().get(link)
    client = signed_in(app, invitee.email)
    page = client.get(link)
    joined = client.post(link)
    again = client.post(link)

    assert sent.status_code == 303
    assert anonymous.status_code == 200
    invitation_page = anonymous.get_data(as_text=True)
    assert f'href="/account/login?next={link}"' in invitation_page
    assert f'href="/account/register?next={link}"' in invitation_page
    assert page.status_code == 200 and owner.merchant.name in page.get_data(as_text=True)
    assert joined.status_code == 303 and joined.headers["Location"].startswith("/portal")
    membership = membership_of(database, invitee.id)
    assert membership.merchant_id == owner.merchant.id and not membership.is_owner
    assert database.get(User, invitee.id).role == Role.MERCHANT
    assert again.status_code == 410
    assert "used already" in again.get_data(as_text=True)
    assert len(list(outbox.glob("*.eml"))) == 1


def test_anonymous_visitors_who_accept_are_sent_to_sign_in_first(app, database, outbox):
    owner = make_staff(app, database)
    invite(owner, "helper@example.com")
    (link,) = invite_links(outbox)

    response = app.test_client().post(link)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


def test_the_invite_page_lists_members_and_invitations(app, database, outbox):
    owner = make_staff(app, database, make_merchant(name=HOSTILE))
    colleague = make_staff(app, database, owner.merchant, owner=False)
    invite(owner, "helper@example.com")

    page = owner.client.get("/portal/staff").get_data(as_text=True)

    assert colleague.user.email in page and owner.user.email in page
    assert "helper@example.com" in page and "Revoke" in page
    assert "&lt;b&gt;&#34;Bold&#34; &amp; co&lt;/b&gt;" in page and "<b>" not in page
    assert page.count("/remove") == 1


def test_the_invitation_email_escapes_the_shop_name(app, database, outbox):
    owner = make_staff(app, database, make_merchant(name=HOSTILE))

    invite(owner, "helper@example.com")

    (path,) = outbox.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    html = message.get_body(("html",)).get_content()
    assert "&lt;b&gt;&#34;Bold&#34; &amp; co&lt;/b&gt;" in html and "<b>" not in html
    assert HOSTILE in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("", "Enter the email address to invite."),
        ("not-an-address", "An email address must have an @"),
    ],
)
def test_a_bad_address_is_explained_next_to_the_field(app, database, outbox, address, message):
    owner = make_staff(app, database)

    response = invite(owner, address)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in page and message in page
    assert database.scalar(sa.select(sa.func.count(StaffInvite.id))) == 0
    assert list(outbox.glob("*.eml")) == []


def test_members_and_waiting_invitations_are_not_invited_twice(app, database, outbox):
    owner = make_staff(app, database)
    invite(owner, "helper@example.com")

    twice = invite(owner, "helper@example.com")
    member = invite(owner, owner.user.email)

    assert twice.status_code == 422 and "waiting already" in twice.get_data(as_text=True)
    assert member.status_code == 422 and "already works for this shop" in member.get_data(
        as_text=True
    )
    assert len(list(outbox.glob("*.eml"))) == 1


def test_a_link_for_someone_else_is_refused(app, database, outbox):
    owner = make_staff(app, database)
    make_user(database, email="helper@example.com")
    stranger = make_user(database)
    invite(owner, "helper@example.com")
    (link,) = invite_links(outbox)
    client = signed_in(app, stranger.email)

    shown = client.get(link).get_data(as_text=True)
    response = client.post(link)

    assert "Log out and log in as helper@example.com" in shown
    assert response.status_code == 403
    assert membership_of(database, stranger.id) is None


def test_someone_on_another_shops_staff_is_refused(app, database, outbox):
    owner = make_staff(app, database)
    elsewhere = make_staff(app, database)
    invite(owner, elsewhere.user.email)
    (link,) = invite_links(outbox)

    response = elsewhere.client.post(link)

    assert response.status_code == 409
    assert "one shop only" in response.get_data(as_text=True)
    assert membership_of(database, elsewhere.user.id).merchant_id == elsewhere.merchant.id


def test_an_expired_invitation_is_refused(app, database, outbox):
    owner = make_staff(app, database)
    invitee = make_user(database, email="helper@example.com")
    invite(owner, invitee.email)
    (link,) = invite_links(outbox)
    database.execute(sa.update(StaffInvite).values(expires_at=utcnow() - timedelta(minutes=1)))
    database.commit()
    client = signed_in(app, invitee.email)

    shown = client.get(link)
    response = client.post(link)

    assert shown.status_code == 410 and "expired" in shown.get_data(as_text=True)
    assert response.status_code == 410
    assert membership_of(database, invitee.id) is None
    assert "Expired" in owner.client.get("/portal/staff").get_data(as_text=True)


def test_a_link_past_its_signature_age_is_refused(app, database, monkeypatch):
    merchant = make_merchant()
    invitee = make_user(database, email="helper@example.com")
    with app.test_request_context():
        invitation = staff_service.invite_staff(database, merchant, invitee.email, invitee.id)
    token = staff_service.invite_token(invitation.id)
    later = utcnow().timestamp() + staff_service.INVITE_DAYS * 24 * 3600 + 60
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)

    with pytest.raises(staff_service.ClosedInvite):
        staff_service.accept_invite(database, token, invitee.id, invitee.email)


def test_a_revoked_or_forged_link_is_refused(app, database, outbox):
    owner = make_staff(app, database)
    invitee = make_user(database, email="helper@example.com")
    invite(owner, invitee.email)
    (link,) = invite_links(outbox)
    invite_id = database.scalar(sa.select(StaffInvite.id))
    client = signed_in(app, invitee.email)

    revoked = owner.client.post(f"/portal/staff/invites/{invite_id}/revoke")
    after_revoke = client.post(link)
    forged = client.get(link[:-3] + "abc")
    unsigned = client.get("/sell/join/1")

    assert revoked.status_code == 303
    assert after_revoke.status_code == 410
    assert "withdrawn" in after_revoke.get_data(as_text=True)
    assert forged.status_code == 404 and unsigned.status_code == 404
    assert membership_of(database, invitee.id) is None
    assert "No invitations are waiting" in owner.client.get("/portal/staff").get_data(as_text=True)


def test_owners_remove_staff_but_not_themselves(app, database):
    owner = make_staff(app, database)
    colleague = make_staff(app, database, owner.merchant, owner=False)
    own_id = membership_of(database, owner.user.id).id
    colleague_id = membership_of(database, colleague.user.id).id

    myself = owner.client.post(f"/portal/staff/{own_id}/remove")
    removed = owner.client.post(f"/portal/staff/{colleague_id}/remove")

    assert myself.status_code == 409
    assert "cannot remove yourself" in myself.get_data(as_text=True)
    assert removed.status_code == 303
    assert membership_of(database, colleague.user.id) is None
    assert database.get(User, colleague.user.id).role == Role.CUSTOMER
    assert 'name="shop_name"' in colleague.client.get("/sell").get_data(as_text=True)


def test_staff_who_are_not_owners_cannot_manage_the_staff(app, database, outbox):
    owner = make_staff(app, database)
    colleague = make_staff(app, database, owner.merchant, owner=False)
    own_id = membership_of(database, owner.user.id).id

    listing = colleague.client.get("/portal/staff")
    inviting = invite(colleague, "helper@example.com")
    removing = colleague.client.post(f"/portal/staff/{own_id}/remove")

    assert (listing.status_code, inviting.status_code, removing.status_code) == (403, 403, 403)
    assert "owners" in listing.get_data(as_text=True)
    assert list(outbox.glob("*.eml")) == []
    assert membership_of(database, owner.user.id) is not None


def test_services_treat_another_merchants_rows_as_missing(app, database):
    mine = make_merchant()
    theirs = make_staff(app, database)
    their_membership = membership_of(database, theirs.user.id)
    with app.test_request_context():
        their_invite = staff_service.invite_staff(
            database, theirs.merchant, "x@example.com", theirs.user.id
        )

    with pytest.raises(NotFound):
        staff_service.remove_staff(database, mine, their_membership.id, 0)
    with pytest.raises(NotFound):
        staff_service.revoke_invite(database, mine, their_invite.id)
    assert [member.email for member in staff_service.staff_list(database, mine).members] == []
    assert staff_service.staff_list(database, mine).invites == []


def test_the_last_owner_stays(app, database):
    owner = make_staff(app, database)
    colleague = make_staff(app, database, owner.merchant, owner=False)

    with pytest.raises(Refused):
        staff_service.remove_staff(
            database, owner.merchant, membership_of(database, owner.user.id).id, colleague.user.id
        )
    with pytest.raises(InvalidInput):
        staff_service.invite_staff(database, owner.merchant, "x" * 250 + "@example.com", 1)
