"""Sign-in is rate limited per IP, and its failures per account only for the addresses they came
from (so nobody can lock the owner out), on POST only, with the site's 429 page and Retry-After."""

from __future__ import annotations

import pytest

from app.accounts import services

PASSWORD = "correct horse battery"


@pytest.fixture()
def limited_app(rate_limited_app):
    """The app with rate limits on (3 sign-ins a minute)."""
    return rate_limited_app(LOGIN_RATE_LIMIT="3 per minute")


def attempt(client, email, ip="10.0.0.1", path="/account/login"):
    return client.post(
        path,
        data={"email": email, "password": "wrong password!"},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_one_ip_gets_a_429_page_after_the_limit(limited_app):
    client = limited_app.test_client()

    statuses = [attempt(client, f"user{n}@example.com").status_code for n in range(3)]
    blocked = attempt(client, "user9@example.com")

    assert statuses == [422, 422, 422]
    assert blocked.status_code == 429
    assert "Too many requests" in blocked.get_data(as_text=True)
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    assert attempt(client, "user9@example.com", ip="10.0.0.2").status_code == 422


def test_an_account_is_limited_only_for_the_addresses_that_failed(limited_app, database):
    services.register_user(database, email="ann@example.com", password=PASSWORD, name="Ann")
    client = limited_app.test_client()

    for n in range(3):
        attempt(client, "ann@example.com", ip=f"10.0.1.{n}")

    refused = attempt(client, " ANN@example.com", ip="10.0.1.0")
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    owner = limited_app.test_client().post(
        "/account/login",
        data={"email": "ann@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.1.99"},
    )
    assert owner.status_code == 303
    assert attempt(client, "ann@example.com", ip="10.0.1.98").status_code == 422
    assert attempt(client, "ann@example.com", ip="10.0.1.98").status_code == 429
    assert attempt(client, "bob@example.com", ip="10.0.1.98").status_code == 422


def test_only_posts_count(limited_app):
    client = limited_app.test_client()

    for _ in range(5):
        assert client.get("/account/login").status_code == 200

    assert attempt(client, "ann@example.com").status_code == 422


def test_password_reset_requests_are_limited_too(limited_app):
    client = limited_app.test_client()

    for n in range(3):
        attempt(client, f"user{n}@example.com", path="/account/password/forgot")

    assert attempt(client, "user9@example.com", path="/account/password/forgot").status_code == 429
