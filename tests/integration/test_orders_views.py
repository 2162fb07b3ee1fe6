"""Order pages: history, who may see an order, guest lookup, cancelling (refund and restock)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.orders import services as orders
from app.orders.models import Fulfilment, FulfilmentStatus, Order, OrderStatus
from app.orders.rules import access_key
from app.payments.models import Payment, PaymentStatus
from tests.support.buying import new_order, stock
from tests.support.factories import make_product
from tests.support.payments import pay_with_test_card

PASSWORD = "correct horse battery"


@pytest.fixture()
def ann(database):
    return accounts.register_user(database, email="ann@example.com", password=PASSWORD, name="Ann")


@pytest.fixture()
def bob(database):
    return accounts.register_user(database, email="bob@example.com", password=PASSWORD, name="Bob")


@pytest.fixture()
def product(database):
    return make_product(name="Pocket Tee", prices=(2000,), stock=5)


def log_in(client, user):
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303


def place(database, token, product, quantity=1, **kwargs) -> Order:
    order, created = orders.place_order(database, new_order(token, [(product, quantity)], **kwargs))
    database.commit()
    assert created
    return order


def key_of(app, order: Order) -> str:
    return access_key(app.config["SECRET_KEY"], order.number)


def main_of(response) -> str:
    return response.get_data(as_text=True).split("<main")[1].split("</main>")[0]


def fresh(database, order: Order) -> Order:
    database.expire_all()
    return database.get(Order, order.id)


# --- history ----------------------------------------------------------------------------------


def test_history_lists_your_orders_newest_first(client, database, ann, bob, product):
    older = place(database, "a1", product, user_id=ann.id)
    older.placed_at -= timedelta(days=2)
    newer = place(database, "a2", product, 2, user_id=ann.id)
    bobs = place(database, "b1", product, user_id=bob.id)
    log_in(client, ann)

    response = client.get("/orders")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert page.index(newer.number) < page.index(older.number)
    assert bobs.number not in page
    assert "Awaiting payment" in page and "$45.00" in page and "$25.00" in page


def test_history_needs_a_sign_in(client):
    response = client.get("/orders")

    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_the_account_pages_link_to_the_orders(client, ann):
    log_in(client, ann)

    assert 'href="/orders"' in client.get("/account/").get_data(as_text=True)
    assert 'href="/orders"' in client.get("/").get_data(as_text=True)


def test_someone_without_orders_is_told_so(client, ann):
    log_in(client, ann)

    assert "You have not placed any orders yet." in client.get("/orders").get_data(as_text=True)


# --- detail and who may see it ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "with_key", "status"),
    [
        ("owner", False, 200),
        ("owner", True, 200),
        ("other user", False, 404),
        ("other user", True, 200),
        ("anonymous", False, 404),
        ("anonymous", True, 200),
        ("anonymous", "wrong", 404),
        ("other user", "wrong", 404),
    ],
)
def test_who_may_see_an_order(app, client, database, ann, bob, product, who, with_key, status):
    order = place(database, "t", product, user_id=ann.id)
    if who == "owner":
        log_in(client, ann)
    elif who == "other user":
        log_in(client, bob)
    key = {True: key_of(app, order), False: None, "wrong": "AAAAAAAAAAAAAAAAAAAAAAAA"}[with_key]

    response = client.get(f"/orders/{order.number}", query_string={"key": key} if key else None)

    assert response.status_code == status
    assert (f"<h1>Order {order.number}</h1>" in response.get_data(as_text=True)) == (status == 200)


def test_another_users_order_looks_like_no_order(client, database, ann, bob, product):
    order = place(database, "t", product, user_id=ann.id)
    log_in(client, bob)
    client.get("/")

    hidden = client.get(f"/orders/{order.number}")
    missing = client.get("/orders/MP-NOSUCH1")

    assert hidden.status_code == missing.status_code == 404
    assert main_of(hidden) == main_of(missing)


def test_the_detail_shows_status_timeline_shipments_tracking_and_totals(
    app, client, database, product
):
    order = place(database, "t", product, 2)
    pay_with_test_card(app, database, order)
    fulfilment = database.scalar(sa.select(Fulfilment).where(Fulfilment.order_id == order.id))
    fulfilment.status = FulfilmentStatus.SHIPPED
    fulfilment.carrier = "USPS"
    fulfilment.tracking_number = "9400111899223"
    fulfilment.tracking_url = "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223"
    database.commit()

    response = client.get(f"/orders/{order.number}?key={key_of(app, order)}")

    page = response.get_data(as_text=True)
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert '<strong class="order-status-label">Paid</strong>' in page
    assert page.index("Order placed; waiting for payment.") < page.index("Payment received.")
    assert '<ol class="timeline">' in page and "<time datetime=" in page
    assert "From Merchant" in page and "Pocket Tee" in page
    assert "Shipping: Marketplace Post Standard · $5.00" in page
    assert 'href="https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223"' in page
    assert "Status: Shipped" in page
    assert "1 Market Street" in page and "San Francisco, CA 94105" in page
    assert "$45.00" in page
    assert "Cancel order" not in page


def test_a_tracking_link_that_is_not_http_is_not_a_link(app, client, database, product):
    order = place(database, "t", product)
    fulfilment = database.scalar(sa.select(Fulfilment).where(Fulfilment.order_id == order.id))
    fulfilment.tracking_number = "ABC123"
    fulfilment.tracking_url = "javascript:alert(1)"
    database.commit()

    page = client.get(f"/orders/{order.number}?key={key_of(app, order)}").get_data(as_text=True)

    assert 'href="javascript:' not in page
    assert "ABC123" in page


# --- guest lookup -----------------------------------------------------------------------------


def test_a_guest_finds_the_order_by_number_and_email(app, client, database, product):
    order = place(database, "t", product, email="guest@example.com")

    response = client.post(
        "/orders/lookup",
        data={"number": f" {order.number.lower()} ", "email": "GUEST@example.com"},
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order.number}?key={key_of(app, order)}")
    assert client.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"number": "MP-WRONG234", "email": "guest@example.com"},
        {"number": "{number}", "email": "someone@example.com"},
    ],
)
def test_a_wrong_pair_gets_the_same_generic_answer(client, database, product, data):
    order = place(database, "t", product, email="guest@example.com")
    data = {name: value.format(number=order.number) for name, value in data.items()}

    response = client.post("/orders/lookup", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "We couldn&#39;t find an order with that number and email." in page
    assert "key=" not in page


def test_lookup_fields_are_required(client):
    response = client.post("/orders/lookup", data={"number": "", "email": ""})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the order number." in page and "Enter your email address." in page


@pytest.fixture()
def limited_client(rate_limited_app):
    """A client of the app with rate limits on."""
    return rate_limited_app().test_client()


def test_lookup_is_rate_limited(limited_client):
    attempt = {"number": "MP-WRONG234", "email": "guest@example.com"}
    statuses = [limited_client.post("/orders/lookup", data=attempt).status_code for _ in range(10)]

    assert statuses == [422] * 10
    assert limited_client.post("/orders/lookup", data=attempt).status_code == 429
    assert limited_client.get("/orders/lookup").status_code == 200


# --- cancelling -------------------------------------------------------------------------------


YES = {"confirm": "yes"}


def test_cancelling_asks_first_on_a_page_of_its_own(app, client, database, product):
    order = place(database, "t", product, 2)
    key = key_of(app, order)
    confirm_path = f"/orders/{order.number}/cancel?key={key}"

    detail = client.get(f"/orders/{order.number}?key={key}").get_data(as_text=True)
    confirm = client.get(confirm_path)

    assert f'href="{confirm_path}"' in detail
    assert 'method="post"' not in main_of(client.get(f"/orders/{order.number}?key={key}"))
    page = main_of(confirm)
    assert confirm.status_code == 200
    assert f"Cancel order {order.number}?" in page and "You have not been charged." in page
    assert f'<form method="post" action="/orders/{order.number}/cancel">' in page
    assert '<input type="hidden" name="confirm" value="yes">' in page
    assert f'<input type="hidden" name="key" value="{key}">' in page
    assert f"Yes, cancel order {order.number}" in page
    assert f'href="/orders/{order.number}?key={key}">No, keep my order</a>' in page
    assert fresh(database, order).status == OrderStatus.PENDING_PAYMENT


def test_a_cancel_without_the_confirmation_is_sent_to_it(app, client, database, product):
    order = place(database, "t", product)
    key = key_of(app, order)

    response = client.post(f"/orders/{order.number}/cancel", data={"key": key})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order.number}/cancel?key={key}")
    assert fresh(database, order).status == OrderStatus.PENDING_PAYMENT


def test_a_paid_order_says_it_will_be_refunded_before_cancelling(client, database, ann, product):
    order = place(database, "t", product, 2, user_id=ann.id)
    pay_with_test_card(client.application, database, order)
    log_in(client, ann)

    page = main_of(client.get(f"/orders/{order.number}/cancel"))

    assert f"the {order.total.format()} you paid will be refunded to your card" in page
    assert 'name="key"' not in page


def test_cancelling_an_unpaid_order_releases_its_stock(app, client, database, product):
    order = place(database, "t", product, 2)
    key = key_of(app, order)
    assert stock(product.variants[0].id) == (5, 2)

    response = client.post(
        f"/orders/{order.number}/cancel", data={"key": key, **YES}, buffered=True
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order.number}?key={key}")
    assert fresh(database, order).status == OrderStatus.CANCELLED
    assert stock(product.variants[0].id) == (5, 0)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Order cancelled; you were not charged." in page
    assert '<strong class="order-status-label">Cancelled</strong>' in page
    assert "Cancel order" not in page


def test_cancelling_a_paid_order_refunds_and_restocks(client, database, ann, product, app):
    order = place(database, "t", product, 2, user_id=ann.id)
    pay_with_test_card(app, database, order)
    assert fresh(database, order).status == OrderStatus.PAID
    assert stock(product.variants[0].id) == (3, 0)
    log_in(client, ann)

    response = client.post(f"/orders/{order.number}/cancel", data=YES, buffered=True)

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order.number}")
    cancelled = fresh(database, order)
    assert cancelled.status == OrderStatus.REFUNDED
    assert cancelled.refunded_amount == cancelled.total_amount
    assert stock(product.variants[0].id) == (5, 0)
    payment = database.scalar(sa.select(Payment).where(Payment.order_id == order.id))
    assert payment.status == PaymentStatus.REFUNDED
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Order cancelled; your refund is on its way." in page
    assert '<strong class="order-status-label">Refunded</strong>' in page


def test_a_shipped_order_cannot_be_cancelled(app, client, database, product):
    order = place(database, "t", product)
    pay_with_test_card(app, database, order)
    fulfilment = database.scalar(sa.select(Fulfilment).where(Fulfilment.order_id == order.id))
    fulfilment.status = FulfilmentStatus.SHIPPED
    database.commit()
    key = key_of(app, order)

    response = client.post(f"/orders/{order.number}/cancel", data={"key": key, **YES})
    confirm = client.get(f"/orders/{order.number}/cancel?key={key}")

    assert response.status_code == confirm.status_code == 409
    assert "can no longer be cancelled" in confirm.get_data(as_text=True)
    assert response.status_code == 409
    assert "can no longer be cancelled" in response.get_data(as_text=True)
    assert fresh(database, order).status == OrderStatus.PAID


def test_nobody_else_can_cancel(app, client, database, ann, bob, product):
    order = place(database, "t", product, user_id=ann.id)
    log_in(client, bob)

    without_key = client.post(f"/orders/{order.number}/cancel", data=YES)
    wrong_key = client.post(f"/orders/{order.number}/cancel", data={"key": "A" * 24, **YES})
    confirm = client.get(f"/orders/{order.number}/cancel?key={'A' * 24}")

    assert without_key.status_code == wrong_key.status_code == confirm.status_code == 404
    assert fresh(database, order).status == OrderStatus.PENDING_PAYMENT


def test_cancel_needs_a_csrf_token(app, client, database, product, monkeypatch):
    order = place(database, "t", product)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    response = client.post(
        f"/orders/{order.number}/cancel", data={"key": key_of(app, order), **YES}
    )

    assert response.status_code == 400
    assert fresh(database, order).status == OrderStatus.PENDING_PAYMENT
