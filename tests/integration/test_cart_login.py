"""Carts and accounts: a guest cart merges into the user's at sign-in, through the real forms."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from flask.testing import FlaskClient

from app.accounts import services as accounts
from app.accounts.models import User
from app.cart import services
from app.catalog.models import Product
from app.extensions import redis_client
from tests.support.factories import make_product

PASSWORD = "correct horse battery"


def browser(app) -> FlaskClient:
    """One browser with its own cookies."""
    return app.test_client()


def add(client, variant_id, quantity="1"):
    return client.post("/cart/add", data={"variant_id": str(variant_id), "quantity": quantity})


def log_in(client):
    return client.post("/account/login", data={"email": "ann@example.com", "password": PASSWORD})


def quantities(client) -> dict[str, str]:
    """Line title -> quantity, as the cart page shows them."""
    html = client.get("/cart").get_data(as_text=True)
    found = re.findall(
        r'<span class="visually-hidden"> of ([^<]+)</span></label>\s*'
        r'<input id="quantity-\d+" type="number" name="quantity" value="(\d+)"',
        html,
    )
    return dict(found)


@pytest.fixture()
def ann(database) -> User:
    return accounts.register_user(database, email="ann@example.com", password=PASSWORD, name="Ann")


@pytest.fixture()
def lamp(database) -> Product:
    return make_product(name="Desk Lamp", stock=5)


@pytest.fixture()
def mug(database) -> Product:
    return make_product(name="Mug", stock=30)


def test_login_merges_the_guest_cart_into_the_users(app, client, database, ann, lamp, mug):
    # given Ann's cart from another device, and a guest cart in this browser
    store = services.cart_store(app)
    services.add_item(database, store, f"user:{ann.id}", lamp.variants[0].id, 4)
    add(client, lamp.variants[0].id, "3")
    add(client, mug.variants[0].id, "2")
    guest_key = "guest:" + client.get_cookie("cart").value
    # when she logs in with the form
    response = log_in(client)
    # then the carts are one, capped by stock, and the guest cart and its cookie are gone
    assert response.status_code == 303
    cleared = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("cart=")]
    assert cleared and ("Max-Age=0" in cleared[0] or "1970" in cleared[0])
    assert client.get_cookie("cart") is None
    assert not redis_client(app).exists(store.redis_key(guest_key))
    page = client.get("/account/").get_data(as_text=True)
    assert "Only 5 left of Desk Lamp; we changed your quantity." in page
    assert quantities(client) == {"Desk Lamp": "5", "Mug": "2"}


def test_the_users_cart_follows_them_and_leaves_with_them(app, client, ann, mug):
    log_in(client)
    add(client, mug.variants[0].id, "2")
    assert client.get_cookie("cart") is None

    client.post("/account/logout")
    after_logout = client.get("/cart").get_data(as_text=True)
    other_device = browser(app)
    log_in(other_device)

    assert "Your cart is empty." in after_logout
    assert quantities(other_device) == {"Mug": "2"}


def test_login_without_a_guest_cart_leaves_the_users_cart_alone(app, client, database, ann, mug):
    store = services.cart_store(app)
    services.add_item(database, store, f"user:{ann.id}", mug.variants[0].id, 3)

    response = log_in(client)

    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("cart=")]
    assert quantities(client) == {"Mug": "3"}


def test_registering_keeps_the_guest_cart(client, database, mug, outbox):
    add(client, mug.variants[0].id, "2")
    client.post(
        "/account/register",
        data={"name": "Bo", "email": "bo@example.com", "password": PASSWORD},
        buffered=True,
    )
    (eml,) = outbox.glob("*.eml")
    text = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default).get_body(
        ("plain",)
    )
    link = re.search(r"http://localhost(/account/register/confirm/[\w-]+)", text.get_content())

    response = client.post(link.group(1))

    assert response.status_code == 303, response.get_data(as_text=True)
    assert client.get_cookie("cart") is None
    assert quantities(client) == {"Mug": "2"}
