"""The order flow through its events: payment, decline, cancel and expiry, each applied once."""

from __future__ import annotations

import email
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import policy

import pytest
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.checkout import services as checkout
from app.checkout.models import DiscountKind, Promotion
from app.database import utcnow
from app.extensions import redis_client
from app.inventory.models import StockReservation
from app.orders import services as orders
from app.orders.models import Order, OrderStatus
from app.payments import services as payments
from app.payments.builtin_gateway import SessionExpired
from app.payments.models import Payment, PaymentStatus, Refund
from app.platform.models import OutboxEvent
from jobs import delivery, events
from tests.support.buying import events_named, ledger_totals, new_order, stock
from tests.support.factories import make_merchant, make_product
from tests.support.payments import (
    checkout_session,
    pay_with_test_card,
    start_payment_for,
    stripe_event,
)

PAYS = "4242424242424242"
DECLINED = "4000000000000002"


@pytest.fixture()
def shop(app, database):
    """Two products from two merchants that have contact emails."""
    first = make_merchant()
    second = make_merchant()
    first.contact_email, second.contact_email = "shop1@example.com", "shop2@example.com"
    database.commit()
    return (make_product(merchant=first, stock=5), make_product(merchant=second, stock=5))


def place_and_pay(database, products, card: str, token: str = "tok") -> Order:
    order, _ = orders.place_order(database, new_order(token, [(p, 2) for p in products]))
    database.commit()
    pay_with_test_card(current_app, database, order, card)
    return database.get(Order, order.id, populate_existing=True)


def mails(outbox) -> list[str]:
    return sorted(path.read_text() for path in outbox.glob("*.eml"))


def plain_texts(outbox) -> list[str]:
    """The plain-text part of every email, decoded."""
    messages = (email.message_from_string(text, policy=policy.default) for text in mails(outbox))
    return [message.get_body(("plain",)).get_content() for message in messages]


def subjects(outbox) -> list[str]:
    return sorted(
        line.removeprefix("Subject: ")
        for text in mails(outbox)
        for line in text.splitlines()
        if line.startswith("Subject: ")
    )


def redeliver_everything(database) -> None:
    database.execute(sa.update(OutboxEvent).values(delivered_at=None))
    database.commit()
    for event_id in database.scalars(sa.select(OutboxEvent.id).order_by(OutboxEvent.id)).all():
        delivery.deliver(event_id)


def test_paying_commits_stock_and_sends_every_email_once(database, shop, outbox):
    order = place_and_pay(database, shop, PAYS)

    assert order.status == OrderStatus.PAID
    for product in shop:
        assert stock(product.variants[0].id) == (3, 0)
    assert subjects(outbox) == sorted(
        [
            f"Order {order.number} confirmed",
            f"New order {order.number}: 1 item(s) to ship",
            f"New order {order.number}: 1 item(s) to ship",
        ]
    )
    confirmation = next(text for text in mails(outbox) if "confirmed" in text)
    assert f"/orders/{order.number}?key=" in confirmation

    before = mails(outbox)
    redeliver_everything(database)
    assert mails(outbox) == before
    for product in shop:
        assert stock(product.variants[0].id) == (3, 0)
        assert ledger_totals(product.variants[0].id) == (3, 0)


def test_a_declined_card_then_a_good_one_pays_the_one_order_without_a_failure(
    database, shop, outbox
):
    order = place_and_pay(database, shop, DECLINED)

    assert order.status == OrderStatus.PENDING_PAYMENT
    for product in shop:
        assert stock(product.variants[0].id) == (5, 2)
    payment = database.scalar(sa.select(Payment))
    assert (payment.status, payment.failure_message) == (
        PaymentStatus.PENDING,
        "Your card was declined.",
    )
    assert mails(outbox) == []

    order = place_and_pay(database, shop, PAYS)

    assert order.status == OrderStatus.PAID
    for product in shop:
        assert stock(product.variants[0].id) == (3, 0)
        assert ledger_totals(product.variants[0].id) == (3, 0)
    assert database.scalar(sa.select(sa.func.count(Order.id))) == 1
    assert database.scalar(sa.select(sa.func.count(Payment.id))) == 1
    assert events_named("PaymentFailed") == []
    assert subjects(outbox) == sorted(
        [
            f"Order {order.number} confirmed",
            f"New order {order.number}: 1 item(s) to ship",
            f"New order {order.number}: 1 item(s) to ship",
        ]
    )


def test_an_expired_payment_session_fails_the_order_frees_the_stock_and_tells_the_shopper(
    database, shop, outbox
):
    order = place_and_pay(database, shop, DECLINED)
    payment = database.scalar(sa.select(Payment))
    expired = json.dumps(
        stripe_event(
            "checkout.session.expired",
            checkout_session(
                id=payment.provider_session_id,
                client_reference_id=order.number,
                metadata={"reference": order.number},
                amount_total=order.total_amount,
                payment_status="unpaid",
            ),
            "evt_expired",
        )
    ).encode()
    gateway = payments.gateway_from_config(current_app.config, redis_client(current_app))

    assert payments.handle_webhook(database, gateway, expired, gateway.signature(expired)) == (
        "failed"
    )
    database.commit()

    order = database.get(Order, order.id, populate_existing=True)
    assert order.status == OrderStatus.PAYMENT_FAILED
    for product in shop:
        assert stock(product.variants[0].id) == (5, 0)
    assert subjects(outbox) == [f"Payment for order {order.number} did not go through"]
    assert "did not go through: The payment session expired." in plain_texts(outbox)[0]


def open_payment(database, order: Order, hours: int):
    """Start paying for `order` on a test gateway page open for `hours`."""
    gateway = payments.gateway_from_config(current_app.config, redis_client(current_app))
    with current_app.test_request_context():
        payment = start_payment_for(
            database, gateway, order, expires_at=utcnow() + timedelta(hours=hours)
        )
    database.commit()
    return gateway, payment.provider_session_id


def test_a_second_paid_order_of_one_checkout_is_refunded_and_the_shopper_told(
    database, shop, outbox
):
    first, _ = orders.place_order(database, new_order("checkout", [(shop[0], 2)]))
    database.commit()
    gateway, first_session = open_payment(database, first, hours=2)
    in_flight = gateway.attempt_payment(first_session, PAYS)  # its webhook is delayed
    assert orders.expire_order(database, first.number, now=utcnow() + timedelta(hours=1))
    database.commit()
    second, _ = orders.place_order(
        database, new_order(orders.next_checkout_token("checkout"), [(shop[0], 2)])
    )
    database.commit()
    pay_with_test_card(current_app, database, second)

    payments.handle_webhook(database, gateway, in_flight.payload, in_flight.signature)
    database.commit()

    kept = database.get(Order, second.id, populate_existing=True)
    refunded = database.get(Order, first.id, populate_existing=True)
    assert kept.status == OrderStatus.PAID
    assert refunded.status == OrderStatus.REFUNDED
    assert refunded.refunded_amount == refunded.total_amount
    [refund] = database.scalars(sa.select(Refund)).all()
    assert (refund.amount, refund.idempotency_key) == (
        refunded.total_amount,
        f"refund-{first.number}-duplicate",
    )
    assert stock(shop[0].variants[0].id) == (3, 0)
    assert ledger_totals(shop[0].variants[0].id) == (3, 0)
    assert f"You paid twice: we are refunding order {first.number}" in subjects(outbox)
    assert f"Refund for order {first.number}" in subjects(outbox)
    assert f"Order {first.number} confirmed" not in subjects(outbox)
    notice = next(text for text in plain_texts(outbox) if "the same checkout twice" in text)
    assert f"order {second.number} was already paid" in notice
    assert f"refunding its {kept.total.format()} to your card" in notice

    before = mails(outbox)
    redeliver_everything(database)
    assert database.scalar(sa.select(sa.func.count(Refund.id))) == 1
    assert mails(outbox) == before
    assert stock(shop[0].variants[0].id) == (3, 0)


CHECKOUTS = 20


def test_two_payments_for_one_checkout_at_the_same_moment_keep_one(app, postgres, handed):
    product = make_product(stock=100)
    later = utcnow() + timedelta(hours=1)
    attempts = []
    for number in range(CHECKOUTS):
        first, _ = orders.place_order(postgres, new_order(f"race{number}", [(product, 1)]))
        postgres.commit()
        orders.expire_order(postgres, first.number, now=later)
        second, _ = orders.place_order(postgres, new_order(f"race{number}.1", [(product, 1)]))
        postgres.commit()
        attempts += [first.id, second.id]
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=2 * CHECKOUTS)
    start = threading.Barrier(len(attempts))

    def pay(order_id: int) -> str:
        with app.app_context(), Session(engine) as session:
            start.wait()
            outcome = orders.record_payment(session, order_id, 100)
            session.commit()
            return outcome

    try:
        with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
            outcomes = list(pool.map(pay, attempts))
    finally:
        engine.dispose()

    for number in range(CHECKOUTS):
        assert sorted(outcomes[2 * number : 2 * number + 2]) == ["duplicate", "paid"]
    assert stock(product.variants[0].id) == (100 - CHECKOUTS, 0)
    assert ledger_totals(product.variants[0].id) == (100 - CHECKOUTS, 0)
    assert len(events_named("PaymentDuplicated")) == len(events_named("OrderPaid")) == CHECKOUTS


def test_cancelling_or_expiring_an_unpaid_order_closes_its_payment_page(database, shop, outbox):
    cancelled, _ = orders.place_order(database, new_order("cancel", [(shop[0], 1)]))
    expired, _ = orders.place_order(database, new_order("expire", [(shop[1], 1)]))
    database.commit()
    gateway, cancelled_page = open_payment(database, cancelled, hours=1)
    _, expired_page = open_payment(database, expired, hours=1)

    orders.cancel_order(database, cancelled.id)
    database.commit()
    orders.expire_order(database, expired.number, now=utcnow() + timedelta(minutes=30))
    database.commit()

    for page in (cancelled_page, expired_page):
        with pytest.raises(SessionExpired):
            gateway.session(page)
    assert set(database.scalars(sa.select(Payment.status))) == {PaymentStatus.FAILED}
    assert subjects(outbox) == [f"Order {cancelled.number} cancelled"]


def test_cancelling_a_paid_order_refunds_and_restocks_once(database, shop, outbox):
    order = place_and_pay(database, shop, PAYS)

    orders.cancel_order(database, order.id)
    database.commit()

    order = database.get(Order, order.id, populate_existing=True)
    assert order.status == OrderStatus.REFUNDED
    assert order.refunded_amount == order.total_amount
    refund = database.scalar(sa.select(Refund))
    assert refund.amount == order.total_amount
    assert database.scalar(sa.select(Payment.status)) == PaymentStatus.REFUNDED
    for product in shop:
        assert stock(product.variants[0].id) == (5, 0)
    assert f"Order {order.number} cancelled" in subjects(outbox)
    assert f"Refund for order {order.number}" in subjects(outbox)

    redeliver_everything(database)
    assert database.scalar(sa.select(sa.func.count(Refund.id))) == 1
    for product in shop:
        assert ledger_totals(product.variants[0].id) == (5, 0)


def test_expired_reservations_are_released_and_the_promo_use_returned(database, shop):
    database.add(Promotion(code="ONCE", kind=DiscountKind.FIXED, value=100, usage_limit=1))
    order, _ = orders.place_order(database, new_order("exp", [(shop[0], 2)]))
    checkout.redeem_promotion(database, "ONCE", order.number)
    database.commit()
    past = utcnow() - timedelta(minutes=1)
    database.execute(sa.update(Order).values(reserved_until=past))
    database.execute(sa.update(StockReservation).values(expires_at=past))
    database.commit()

    assert events.release_expired_reservations() == 1
    assert events.release_expired_reservations() == 0

    assert database.get(Order, order.id, populate_existing=True).status == OrderStatus.EXPIRED
    assert stock(shop[0].variants[0].id) == (5, 0)
    assert database.scalar(sa.select(Promotion.times_used)) == 0


def test_a_failing_handler_leaves_the_event_for_a_retry(database, shop, monkeypatch):
    order, _ = orders.place_order(database, new_order("fail", [(shop[0], 1)]))
    database.commit()
    orders.cancel_order(database, order.id)
    database.commit()
    cancelled = database.scalar(sa.select(OutboxEvent).where(OutboxEvent.name == "OrderCancelled"))
    assert cancelled.delivered_at is not None
    database.execute(sa.update(OutboxEvent).values(delivered_at=None))
    database.commit()

    def broken(session, payload):
        raise RuntimeError("mail server down")

    monkeypatch.setitem(events.HANDLERS, "OrderCancelled", (broken,))
    with pytest.raises(RuntimeError):
        delivery.deliver(cancelled.id)
    failed = database.get(OutboxEvent, cancelled.id, populate_existing=True)
    assert failed.delivered_at is None
    assert failed.attempts == 1
    assert "mail server down" in failed.last_error
