"""The profile page: who you are, your name, your password."""

from __future__ import annotations

import pytest

from app.accounts import services
from app.accounts.models import Role, User
from app.accounts.passwords import verify_password

PASSWORD = "correct horse battery"


@pytest.fixture()
def ann(database) -> User:
    return services.register_user(
        database, email="ann@example.com", password=PASSWORD, name="Ann Lee"
    )


@pytest.fixture()
def signed_in(client, ann):
    client.post("/account/login", data={"email": "ann@example.com", "password": PASSWORD})
    return client


def test_profile_shows_name_email_role_and_links(signed_in):
    page = signed_in.get("/account/")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ann Lee" in html and "ann@example.com" in html and "Customer" in html
    assert 'href="/account/addresses"' in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'id="profile-name"' in html and 'id="password-current_password"' in html


def test_profile_shows_the_role_of_staff(client, database):
    services.register_user(
        database, email="boss@example.com", password=PASSWORD, name="Boss", role=Role.ADMIN
    )
    client.post("/account/login", data={"email": "boss@example.com", "password": PASSWORD})

    assert "Admin" in client.get("/account/").get_data(as_text=True)


def test_edit_name(signed_in, database, ann):
    response = signed_in.post("/account/profile", data={"profile-name": "  Ann Smith "})

    assert response.status_code == 303
    database.refresh(ann)
    assert ann.name == "Ann Smith"


def test_an_empty_name_is_refused(signed_in, database, ann):
    response = signed_in.post("/account/profile", data={"profile-name": " "})

    assert response.status_code == 422
    assert 'id="profile-name-error"' in response.get_data(as_text=True)
    database.refresh(ann)
    assert ann.name == "Ann Lee"


def test_change_password_needs_the_current_one(signed_in, database, ann):
    response = signed_in.post(
        "/account/password",
        data={
            "password-current_password": "not my password",
            "password-new_password": "fresh secret 42",
        },
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That is not your current password." in html
    assert 'aria-describedby="password-current_password-error"' in html
    database.refresh(ann)
    assert verify_password(ann.password_hash, PASSWORD)


def test_change_password_keeps_this_session_signed_in(signed_in, database, ann):
    response = signed_in.post(
        "/account/password",
        data={"password-current_password": PASSWORD, "password-new_password": "fresh secret 42"},
    )

    assert response.status_code == 303
    database.refresh(ann)
    assert verify_password(ann.password_hash, "fresh secret 42") and ann.session_version == 2
    assert signed_in.get("/account/").status_code == 200


def test_a_weak_new_password_is_refused(signed_in):
    response = signed_in.post(
        "/account/password",
        data={"password-current_password": PASSWORD, "password-new_password": "short"},
    )

    assert response.status_code == 422
    assert 'id="password-new_password-error"' in response.get_data(as_text=True)
