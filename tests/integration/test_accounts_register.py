"""Registration: a customer account with a normalised email, an argon2id hash and a session."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts import services
from app.accounts.models import Role, User

GOOD_PASSWORD = "correct horse battery"


def register(client, **changes):
    data = {"name": "Ann Lee", "email": "Ann.Lee@Example.com ", "password": GOOD_PASSWORD}
    return client.post("/account/register", data={**data, **changes})


def test_register_creates_a_customer_and_signs_in(client, database):
    # when
    response = register(client)
    # then
    assert response.status_code == 303 and response.headers["Location"] == "/account/"
    user = database.scalar(sa.select(User))
    assert user.email == "ann.lee@example.com" and user.name == "Ann Lee"
    assert user.role == Role.CUSTOMER
    assert user.password_hash.startswith("$argon2id$") and GOOD_PASSWORD not in user.password_hash
    profile = client.get("/account/")
    assert profile.status_code == 200 and "ann.lee@example.com" in profile.get_data(as_text=True)


def test_register_goes_to_a_safe_next_page(client):
    response = client.post(
        "/account/register?next=/cart",
        data={"name": "Ann", "email": "ann@example.com", "password": GOOD_PASSWORD},
    )

    assert response.headers["Location"] == "/cart"


def test_a_taken_email_is_a_form_error_whatever_its_case(client, database):
    services.register_user(database, email="ann@example.com", password=GOOD_PASSWORD, name="Ann")

    response = register(client, email="ANN@example.com")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "An account with this email already exists" in html
    assert 'aria-describedby="email-error"' in html and 'aria-invalid="true"' in html
    assert database.scalar(sa.select(sa.func.count(User.id))) == 1


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
