"""Address book: each user sees and changes only their own addresses."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.accounts import services
from app.accounts.models import Address, User
from app.accounts.rules import AddressFields

PASSWORD = "correct horse battery"
HOME = {
    "full_name": "Ann Lee",
    "line1": "1 Main Street",
    "city": "Springfield",
    "region": "NY",
    "postal_code": "12345",
    "country": "US",
}


def make_user(database, email: str) -> User:
    return services.register_user(database, email=email, password=PASSWORD, name=email[:3])


def add(database, user: User, **changes) -> Address:
    return services.add_address(database, user.id, AddressFields(**{**HOME, **changes}))


@pytest.fixture()
def ann(database) -> User:
    return make_user(database, "ann@example.com")


@pytest.fixture()
def signed_in(client, ann):
    client.post("/account/login", data={"email": "ann@example.com", "password": PASSWORD})
    return client


def test_add_an_address_the_first_becomes_default(signed_in, database, ann):
    form = signed_in.get("/account/addresses/new").get_data(as_text=True)
    response = signed_in.post("/account/addresses/new", data={**HOME, "line2": "Flat 2"})

    assert response.status_code == 303 and response.headers["Location"] == "/account/addresses"
    (address,) = database.scalars(sa.select(Address)).all()
    assert address.user_id == ann.id and address.line2 == "Flat 2" and address.is_default
    for autocomplete in ["name", "address-line1", "postal-code", "country", "address-level2"]:
        assert f'autocomplete="{autocomplete}"' in form
    assert '<option value="GB">United Kingdom</option>' in form


def test_the_address_book_lists_default_first(signed_in, database, ann):
    add(database, ann, line1="1 First Road")
    second = add(database, ann, line1="2 Second Road")
    services.set_default_address(database, ann.id, second.id)

    html = signed_in.get("/account/addresses").get_data(as_text=True)

    assert html.index("2 Second Road") < html.index("1 First Road")
    assert html.count("Default address") == 1 and "United States" in html


def test_edit_an_address(signed_in, database, ann):
    address = add(database, ann)

    form = signed_in.get(f"/account/addresses/{address.id}")
    response = signed_in.post(
        f"/account/addresses/{address.id}", data={**HOME, "city": "Shelbyville"}
    )

    assert 'value="Springfield"' in form.get_data(as_text=True)
    assert response.status_code == 303
    database.refresh(address)
    assert address.city == "Shelbyville"


def test_set_default_keeps_exactly_one(signed_in, database, ann):
    first = add(database, ann)
    second = add(database, ann, line1="2 Other Road")

    signed_in.post(f"/account/addresses/{second.id}/default")

    database.expire_all()
    assert (first.is_default, second.is_default) == (False, True)


def test_adding_one_as_default_moves_the_default(signed_in, database, ann):
    first = add(database, ann)

    signed_in.post(
        "/account/addresses/new", data={**HOME, "line1": "9 New Street", "make_default": "y"}
    )

    database.expire_all()
    newest = database.scalar(sa.select(Address).where(Address.line1 == "9 New Street"))
    assert newest.is_default and not first.is_default


def test_deleting_the_default_passes_it_on(signed_in, database, ann):
    first = add(database, ann)
    second = add(database, ann, line1="2 Other Road")
    first_id = first.id

    response = signed_in.post(f"/account/addresses/{first_id}/delete")

    assert response.status_code == 303
    database.expire_all()
    assert database.scalar(sa.select(Address.id).where(Address.id == first_id)) is None
    assert second.is_default


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "Enter the full name."),
        ({"line1": " "}, "line1", "Enter the street address."),
        ({"postal_code": "1" * 21}, "postal_code", "Use at most 20 characters."),
        ({"country": ""}, "country", "Choose a country."),
        ({"country": "XX"}, "country", "Not a valid choice"),
        ({"postal_code": "ABC"}, "postal_code", "Enter a valid ZIP code for New York, like"),
        ({"postal_code": "90210"}, "postal_code", "Enter a valid ZIP code for New York, like"),
        ({"region": ""}, "region", "Choose the state."),
        ({"region": "Narnia"}, "region", "Choose a state from the list."),
        ({"country": "GB", "postal_code": "ABC"}, "postal_code", "Enter a valid postal code"),
        ({"phone": "5" * 41}, "phone", "Use at most 40 characters."),
    ],
)
def test_invalid_addresses_are_explained(signed_in, database, changes, field, message):
    response = signed_in.post("/account/addresses/new", data={**HOME, **changes})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and message in html
    assert re.search(f'aria-describedby="[^"]*{field}-error"', html)
    assert database.scalar(sa.select(Address)) is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/account/addresses/{id}"),
        ("post", "/account/addresses/{id}"),
        ("post", "/account/addresses/{id}/default"),
        ("post", "/account/addresses/{id}/delete"),
    ],
)
def test_another_users_address_is_not_found(signed_in, database, method, path):
    # given an address that belongs to Bob
    bob = make_user(database, "bob@example.com")
    bobs = add(database, bob, line1="7 Bob Street")
    # when Ann tries to open or change it
    response = getattr(signed_in, method)(path.format(id=bobs.id), data={**HOME, "city": "Hacked"})
    # then it does not exist for her, and nothing changed
    assert response.status_code == 404
    assert "7 Bob Street" not in response.get_data(as_text=True)
    database.expire_all()
    unchanged = database.get(Address, bobs.id)
    assert unchanged is not None and unchanged.city == "Springfield" and unchanged.is_default


def test_another_users_addresses_are_not_listed(signed_in, database):
    bob = make_user(database, "bob@example.com")
    add(database, bob, line1="7 Bob Street")

    assert "7 Bob Street" not in signed_in.get("/account/addresses").get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/account/addresses", "/account/addresses/new", "/account/addresses/1", "/account/"]
)
def test_address_pages_need_a_login(client, path):
    response = client.get(path)

    assert response.status_code == 302 and response.headers["Location"].startswith("/account/login")


@pytest.mark.parametrize(
    ("changes", "stored"),
    [
        ({"region": "ny"}, ("NY", "12345")),
        ({"region": "New York", "postal_code": "12345-6789"}, ("NY", "12345-6789")),
        ({"country": "GB", "region": "Kent", "postal_code": "ct1  2ee"}, ("", "CT1 2EE")),
        ({"country": "JP", "region": "Tokyo", "postal_code": "150-0002"}, ("東京都", "150-0002")),
    ],
)
def test_region_and_postal_code_are_stored_as_the_country_writes_them(
    signed_in, database, changes, stored
):
    response = signed_in.post("/account/addresses/new", data={**HOME, **changes})

    assert response.status_code == 303
    address = database.scalar(sa.select(Address))
    assert (address.region, address.postal_code) == stored


def test_the_address_book_writes_each_address_as_its_country_does(signed_in, database, ann):
    add(database, ann, line2="Apt 4")
    add(
        database,
        ann,
        full_name="Max Muster",
        line1="Hauptstr. 1",
        city="Berlin",
        region="",
        postal_code="10115",
        country="DE",
    )

    html = signed_in.get("/account/addresses").get_data(as_text=True)

    assert "Ann Lee<br>1 Main Street<br>Apt 4<br>Springfield, NY 12345<br>United States" in html
    assert "Max Muster<br>Hauptstr. 1<br>10115 Berlin<br>Germany" in html


def test_the_form_offers_the_states_of_a_us_address_and_asks_for_the_region_on_country_change(
    signed_in, database, ann
):
    address = add(database, ann)

    html = signed_in.get(f"/account/addresses/{address.id}").get_data(as_text=True)

    assert '<select id="region" name="region" autocomplete="address-level1" required>' in html
    assert '<option value="NY" selected>New York</option>' in html
    assert 'data-hx-get="/account/addresses/region"' in html
    assert 'data-hx-target="#region-field"' in html and 'data-hx-include="#region"' in html


def test_the_region_field_follows_the_country_for_guests_too(client):
    prefectures = client.get("/account/addresses/region?country=JP&section=shipping")
    kent = client.get("/account/addresses/region?country=GB&region=Kent")
    unknown = client.get("/account/addresses/region?country=XX&region=x")

    html = prefectures.get_data(as_text=True)
    assert prefectures.status_code == 200 and '<div class="field" id="region-field">' in html
    assert '<label for="region">Prefecture</label>' in html
    assert 'autocomplete="shipping address-level1"' in html
    assert '<option value="東京都">Tokyo</option>' in html
    assert 'value="Kent"' in kent.get_data(as_text=True)
    assert "State, province or region (optional)" in kent.get_data(as_text=True)
    assert unknown.status_code == 200 and "<select" not in unknown.get_data(as_text=True)
