"""Registration: the same answer whether or not an account has the address; the account (an
argon2id hash, a normalised email) is made when the emailed link is followed, and signs in."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.accounts import services
from app.accounts.models import Role, User

GOOD_PASSWORD = "correct horse battery"


def register(client, **changes):
    data = {"name": "Ann Lee", "email": "Ann.Lee@Example.com ", "password": GOOD_PASSWORD}
    # buffered: the response is closed, so the job queued "after the response" has run
    return client.post("/account/register", data={**data, **changes}, buffered=True)


def only_email(outbox: Path) -> email.message.EmailMessage:
    (eml,) = outbox.glob("*.eml")
    return email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)


def confirm_link(outbox: Path) -> str:
    text = only_email(outbox).get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/account/register/confirm/[\w-]+)", text).group(1)


def test_register_emails_a_link_that_creates_the_account_and_signs_in(client, database, outbox):
    # when
    response = register(client)
    # then nothing is created until the link is followed
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/register/sent"
    assert "Check your inbox" in client.get("/account/register/sent").get_data(as_text=True)
    assert database.scalar(sa.select(User)) is None
    message = only_email(outbox)
    assert message["To"] == "ann.lee@example.com"
    assert message["Subject"] == "Finish creating your account"
    link = confirm_link(outbox)
    # when the link is opened (a GET changes nothing) and its button pressed
    opened = client.get(link)
    assert opened.status_code == 200 and "ann.lee@example.com" in opened.get_data(as_text=True)
    assert database.scalar(sa.select(User)) is None
    confirmed = client.post(link)
    # then
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/account/"
    user = database.scalar(sa.select(User))
    assert user.email == "ann.lee@example.com" and user.name == "Ann Lee"
    assert user.role == Role.CUSTOMER
    assert user.password_hash.startswith("$argon2id$") and GOOD_PASSWORD not in user.password_hash
    profile = client.get("/account/")
    assert profile.status_code == 200 and "ann.lee@example.com" in profile.get_data(as_text=True)


def test_the_link_works_once(client, database, outbox):
    register(client)
    link = confirm_link(outbox)
    client.post(link)
    client.post("/account/logout")

    again = client.post(link)

    assert again.status_code == 404 and "cannot be used" in again.get_data(as_text=True)
    assert database.scalar(sa.select(sa.func.count(User.id))) == 1


def test_register_goes_to_a_safe_next_page(client, outbox):
    client.post(
        "/account/register?next=/cart",
        data={"name": "Ann", "email": "ann@example.com", "password": GOOD_PASSWORD},
        buffered=True,
    )

    response = client.post(confirm_link(outbox))

    assert response.headers["Location"] == "/cart"


def test_a_taken_email_gets_the_same_answer_and_its_owner_an_email(app, database, outbox):
    services.register_user(database, email="ann@example.com", password=GOOD_PASSWORD, name="Ann")
    stranger, newcomer = app.test_client(), app.test_client()

    taken = register(stranger, email="ANN@example.com", password="another good secret")
    owner_email = only_email(outbox)
    next(outbox.glob("*.eml")).unlink()
    free = register(newcomer, email="bea@example.com")

    assert (taken.status_code, taken.headers["Location"]) == (
        free.status_code,
        free.headers["Location"],
    )
    assert taken.get_data() == free.get_data()
    assert cookie_names(taken) == cookie_names(free)
    assert owner_email["To"] == "ann@example.com"
    assert owner_email["Subject"] == "You already have an account"
    text = owner_email.get_body(("plain",)).get_content()
    assert "http://localhost/account/login" in text
    assert "http://localhost/account/password/forgot" in text
    assert database.scalar(sa.select(sa.func.count(User.id))) == 1


def cookie_names(response) -> list[str]:
    return [header.partition("=")[0] for header in response.headers.getlist("Set-Cookie")]


def test_registration_is_rate_limited(rate_limited_app):
    limited = rate_limited_app(LOGIN_RATE_LIMIT="2 per minute")
    client = limited.test_client()

    statuses = [
        client.post(
            "/account/register",
            data={"name": "Ann", "email": f"user{n}@example.com", "password": GOOD_PASSWORD},
            environ_base={"REMOTE_ADDR": "10.0.7.1"},
        ).status_code
        for n in range(3)
    ]

    assert statuses == [303, 303, 429]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "short"}, "password", "at least 10 characters"),
        ({"password": "password123"}, "password", "too common"),
        ({"email": "not-an-email"}, "email", "must have an @-sign"),
        ({"email": ""}, "email", "Enter your email address."),
        ({"name": "   "}, "name", "Enter your name."),
        ({"name": "x" * 121}, "name", "at most 120 characters"),
    ],
)
def test_bad_input_is_explained_next_to_the_field(client, database, changes, field, message):
    response = register(client, **changes)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and message in html
    assert database.scalar(sa.select(User)) is None


def test_register_page_is_labelled_and_autocompletes(client):
    html = client.get("/account/register").get_data(as_text=True)

    assert '<meta name="robots" content="noindex">' in html
    for field, autocomplete in [("name", "name"), ("email", "email"), ("password", "new-password")]:
        assert f'<label for="{field}">' in html
        assert f'autocomplete="{autocomplete}"' in html
    assert 'aria-describedby="password-hint"' in html
    assert 'type="email"' in html and 'type="password"' in html
