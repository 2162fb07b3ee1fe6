"""With Redis's append-only file, as the README's production section requires, a Redis crash
and restart keeps the shoppers' carts and sessions."""

from __future__ import annotations

from pathlib import Path

from app import create_app
from app.accounts import services
from tests.support.factories import make_merchant, make_product
from tests.support.fixtures import SeparateRequestsClient, limiter, settings_for_tests
from tests.support.processes import redis_server

PASSWORD = "correct horse battery"


def test_a_signed_in_shoppers_cart_and_session_outlive_a_redis_crash(
    backing_services, database, tmp_path
):
    product = make_product(merchant=make_merchant(), name="Organic Tee", stock=5)
    services.register_user(database, email="ann@example.com", password=PASSWORD, name="Ann")
    database.commit()
    limiter_was_enabled = limiter.enabled
    with redis_server(Path(tmp_path), appendonly=True) as server:
        app = create_app(settings_for_tests(backing_services, tmp_path, REDIS_URL=server.url))
        app.test_client_class = SeparateRequestsClient
        shopper = app.test_client()
        shopper.post("/account/login", data={"email": "ann@example.com", "password": PASSWORD})
        shopper.post("/cart/add", data={"variant_id": product.variants[0].id, "quantity": "2"})
        assert "Organic Tee" in shopper.get("/cart").get_data(as_text=True)

        server.kill()
        server.start()

        assert shopper.get("/account/addresses").status_code == 200
        assert "Organic Tee" in shopper.get("/cart").get_data(as_text=True)
    limiter.enabled = limiter_was_enabled
