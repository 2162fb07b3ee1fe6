"""Signing in and out: messages, safe redirects, session rotation, stale sessions, CSRF."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher, Type
from flask.testing import FlaskClient

from app.accounts import services
from app.accounts.models import User
from app.extensions import redis_client

PASSWORD = "correct horse battery"


def browser(app) -> FlaskClient:
    """One browser with its own cookies."""
    return app.test_client()


@pytest.fixture()
def ann(database) -> User:
    return services.register_user(database, email="ann@example.com", password=PASSWORD, name="Ann")


def log_in(client, email="ann@example.com", password=PASSWORD, path="/account/login"):
    return client.post(path, data={"email": email, "password": password})


def test_login_signs_in_records_the_time_and_goes_to_the_profile(client, database, ann):
    response = log_in(client, email="  ANN@example.com")

    assert response.status_code == 303 and response.headers["Location"] == "/account/"
    database.refresh(ann)
    assert ann.last_login_at is not None and ann.last_login_at.tzinfo is not None
    assert "ann@example.com" in client.get("/account/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "password"),
    [("ann@example.com", "wrong password!"), ("nobody@example.com", PASSWORD), ("x", PASSWORD)],
)
def test_wrong_credentials_get_one_message_that_reveals_nothing(client, ann, email, password):
    response = log_in(client, email=email, password=password)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That email and password do not match an account." in html
    assert 'aria-describedby="form-problem"' in html
    assert client.get("/account/").status_code == 302


def test_a_deactivated_account_cannot_log_in(client, database, ann):
    ann.active = False
    database.commit()

    assert log_in(client).status_code == 422


def test_logout_is_a_post_and_ends_the_session(client, ann):
    log_in(client)

    assert client.get("/account/logout").status_code == 405
    response = client.post("/account/logout")

    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/account/").status_code == 302


def test_pages_that_need_a_login_send_there_with_next(client):
    response = client.get("/account/addresses")

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login?next=%2Faccount%2Faddresses"


def test_login_returns_to_the_page_that_asked(client, ann):
    response = log_in(client, path="/account/login?next=/account/addresses")

    assert response.headers["Location"] == "/account/addresses"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_login_never_redirects_off_site(client, ann, target):
    page = client.get("/account/login", query_string={"next": target}).get_data(as_text=True)
    response = client.post(
        "/account/login",
        query_string={"next": target},
        data={"email": "ann@example.com", "password": PASSWORD},
    )

    assert "evil.example" not in page
    assert response.headers["Location"] == "/account/"


def test_login_rotates_the_session_id(app, ann):
    # given a browser that already has a server-side session
    client = browser(app)
    with client.session_transaction() as session:
        session["visited"] = True
    before = client.get_cookie("session").value
    assert redis_client(app).exists(f"session:{before}")
    # when
    log_in(client)
    # then
    after = client.get_cookie("session").value
    assert after != before
    assert not redis_client(app).exists(f"session:{before}")
    with client.session_transaction() as session:
        assert "visited" not in session and session["_user_id"] == f"{ann.id}:1"


def test_changing_the_password_logs_out_other_sessions(app, ann):
    laptop, phone = browser(app), browser(app)
    log_in(laptop)
    log_in(phone)

    response = laptop.post(
        "/account/password",
        data={"password-current_password": PASSWORD, "password-new_password": "a brand new secret"},
    )

    assert response.status_code == 303
    assert laptop.get("/account/").status_code == 200
    assert phone.get("/account/").status_code == 302


def test_a_session_of_a_stale_version_is_rejected(app, database, ann):
    client = browser(app)
    log_in(client)

    ann.session_version += 1
    database.commit()

    assert client.get("/account/").status_code == 302


def test_login_upgrades_a_hash_made_with_old_parameters(client, database, ann):
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=2, type=Type.ID)
    ann.password_hash = old.hash(PASSWORD)
    database.commit()

    log_in(client)

    database.refresh(ann)
    assert "$m=19456,t=2,p=1$" in ann.password_hash


def test_login_page_is_accessible(client):
    html = client.get("/account/login").get_data(as_text=True)

    assert '<meta name="robots" content="noindex">' in html
    assert 'autocomplete="email"' in html and 'autocomplete="current-password"' in html
    assert '<label for="email">' in html and '<label for="password">' in html
    assert client.get("/account/login").headers["Cache-Control"] == "no-store"


def test_csrf_is_enforced_when_enabled(app, client, ann, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    refused = log_in(client)
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post(
        "/account/login",
        data={"email": "ann@example.com", "password": PASSWORD, "csrf_token": token},
    )
    logout_refused = client.post("/account/logout")

    assert refused.status_code == 400 and "Your form expired" in refused.get_data(as_text=True)
    assert accepted.status_code == 303
    assert logout_refused.status_code == 400
