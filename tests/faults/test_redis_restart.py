"""A Redis crash under a running app: a private redis-server with its append-only file, killed
(SIGKILL) and started again by the test. Carts and sign-in sessions live in Redis; with AOF they
survive the crash."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.accounts import services as accounts
from tests.support.factories import make_product
from tests.support.fixtures import settings_for_tests
from tests.support.processes import RedisServer, redis_server

PASSWORD = "correct horse battery"


@pytest.fixture()
def redis_with_aof(tmp_path) -> Iterator[RedisServer]:
    directory = tmp_path / "redis"
    directory.mkdir()
    with redis_server(directory, appendonly=True) as server:
        yield server


@pytest.fixture()
def store(backing_services, database, tmp_path, redis_with_aof) -> Flask:
    """The app on the run's database and the private Redis."""
    services_here = {"database": backing_services["database"], "redis": redis_with_aof.url}
    return create_app(settings_for_tests(services_here, tmp_path, TESTING=False))


def cart_lines(client: FlaskClient) -> dict[str, str]:
    """Line title -> quantity, as the cart page shows them."""
    html = client.get("/cart").get_data(as_text=True)
    return dict(
        re.findall(
            r'<span class="visually-hidden"> of ([^<]+)</span></label>\s*'
            r'<input id="quantity-\d+" type="number" name="quantity" value="(\d+)"',
            html,
        )
    )


def signed_in(client: FlaskClient) -> bool:
    """Whether the account page opens (a signed-out visitor is sent to the sign-in page)."""
    return client.get("/account/").status_code == 200


def test_carts_and_signed_in_sessions_survive_a_redis_crash(store, database, redis_with_aof):
    accounts.register_user(database, email="ann@example.com", password=PASSWORD, name="Ann")
    lamp = make_product(name="Desk Lamp", stock=5)
    database.commit()
    guest, ann = store.test_client(), store.test_client()
    guest.post("/cart/add", data={"variant_id": str(lamp.variants[0].id), "quantity": "2"})
    ann.post("/account/login", data={"email": "ann@example.com", "password": PASSWORD})
    ann.post("/cart/add", data={"variant_id": str(lamp.variants[0].id), "quantity": "1"})
    assert cart_lines(guest) == {"Desk Lamp": "2"} and cart_lines(ann) == {"Desk Lamp": "1"}
    assert signed_in(ann) and not signed_in(guest)

    redis_with_aof.kill()
    redis_with_aof.start()

    assert cart_lines(guest) == {"Desk Lamp": "2"}
    assert cart_lines(ann) == {"Desk Lamp": "1"}
    assert signed_in(ann) and not signed_in(guest)
