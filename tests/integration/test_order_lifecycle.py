"""Orders through their states: paid, failed, expired, cancelled; stock and ledger agree.

Events are delivered in-process after each commit (JOBS_INLINE), as in the embedded setup.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.database import utcnow
from app.inventory import services as inventory
from app.inventory.services import InsufficientStock
from app.orders import services as orders
from app.orders.models import FulfilmentStatus, OrderStatus
from tests.support.buying import events_named, ledger_totals, new_order, stock
from tests.support.factories import make_merchant, make_product


def place(database, token, items, **kwargs):
    order, created = orders.place_order(database, new_order(token, items, **kwargs))
    database.commit()
    assert created
    return order


def test_placing_reserves_stock_and_records_events(database):
    product = make_product(stock=5, prices=(1000,))
    order = place(database, "t1", [(product, 2)])

    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.number.startswith("MP-")
    assert stock(product.variants[0].id) == (5, 2)
    assert ledger_totals(product.variants[0].id) == (5, 2)
    assert [e.payload["reference"] for e in events_named("OrderCreated")] == [order.number]
    reserved = events_named("InventoryReserved")[0].payload
    assert reserved["lines"] == [[product.variants[0].id, 2]]
    assert [event.status for event in order.history] == [OrderStatus.PENDING_PAYMENT]


def test_one_fulfilment_per_merchant_with_price_snapshots(database):
    first, second = make_merchant(), make_merchant()
    a = make_product(merchant=first, prices=(1500,))
    b = make_product(merchant=second, prices=(700,))
    c = make_product(merchant=first, prices=(300,))
    order = place(database, "t2", [(a, 1), (b, 3), (c, 2)])

    detail = orders.get_order(database, order.id)
    by_merchant = {f.merchant_id: f for f in detail.fulfilments}
    assert set(by_merchant) == {first.id, second.id}
    assert by_merchant[first.id].subtotal_amount == 1500 + 600
    assert [line.quantity for line in by_merchant[second.id].lines] == [3]
    assert detail.subtotal_amount == 1500 + 2100 + 600
    assert detail.total_amount == detail.subtotal_amount + 1000


def test_short_lines_are_all_listed_and_nothing_is_held(database):
    plenty = make_product(stock=10)
    few = make_product(stock=1)
    none = make_product(stock=0)

    with pytest.raises(InsufficientStock) as raised:
        orders.place_order(database, new_order("t3", [(plenty, 2), (few, 3), (none, 1)]))
    database.rollback()

    short = {line.variant_id: line.available for line in raised.value.short}
    assert short == {few.variants[0].id: 1, none.variants[0].id: 0}
    assert stock(plenty.variants[0].id) == (10, 0)
    assert orders.order_for_token(database, "t3") is None


def test_payment_commits_the_reservation_once(database):
    product = make_product(stock=4)
    order = place(database, "t4", [(product, 3)])

    assert orders.record_payment(database, order.id, order.total_amount) == "paid"
    database.commit()
    assert orders.record_payment(database, order.id, order.total_amount) == "already"
    database.commit()

    assert stock(product.variants[0].id) == (1, 0)
    assert ledger_totals(product.variants[0].id) == (1, 0)
    paid = orders.get_order(database, order.id)
    assert paid.status == OrderStatus.PAID
    assert {f.status for f in paid.fulfilments} == {FulfilmentStatus.UNFULFILLED}
    assert len(events_named("OrderPaid")) == 1


def test_a_failed_payment_releases_the_stock(database):
    product = make_product(stock=2)
    order = place(database, "t5", [(product, 2)])

    assert orders.record_payment_failure(database, order.id, "The payment session expired.")
    database.commit()
    assert not orders.record_payment_failure(database, order.id, "again")

    assert stock(product.variants[0].id) == (2, 0)
    assert ledger_totals(product.variants[0].id) == (2, 0)
    assert orders.get_order(database, order.id).status == OrderStatus.PAYMENT_FAILED


def test_expiry_releases_only_overdue_orders(database):
    product = make_product(stock=3)
    order = place(database, "t6", [(product, 1)])

    assert inventory.expired_references(database) == []
    assert not orders.expire_order(database, order.number)
    later = utcnow() + timedelta(minutes=16)
    assert inventory.expired_references(database, later) == [order.number]
    assert orders.expire_order(database, order.number, later)
    database.commit()

    assert stock(product.variants[0].id) == (3, 0)
    assert orders.get_order(database, order.id).status == OrderStatus.EXPIRED
    assert len(events_named("ReservationExpired")) == 1


def test_late_payment_sells_released_stock_when_still_there(database):
    product = make_product(stock=3)
    order = place(database, "t7", [(product, 2)])
    orders.expire_order(database, order.number, utcnow() + timedelta(hours=1))
    database.commit()

    assert orders.record_payment(database, order.id, order.total_amount) == "paid"
    database.commit()
    assert stock(product.variants[0].id) == (1, 0)
    assert ledger_totals(product.variants[0].id) == (1, 0)


def test_late_payment_for_stock_sold_meanwhile_is_cancelled_for_refund(database):
    product = make_product(stock=2)
    late = place(database, "t8", [(product, 2)])
    orders.record_payment_failure(database, late.id, "The payment session expired.")
    database.commit()
    other = place(database, "t9", [(product, 2)])
    orders.record_payment(database, other.id, other.total_amount)
    database.commit()

    assert orders.record_payment(database, late.id, late.total_amount) == "refund"
    database.commit()

    assert orders.get_order(database, late.id).status == OrderStatus.CANCELLED
    cancelled = events_named("OrderCancelled")[-1].payload
    assert cancelled["reference"] == late.number
    assert cancelled["refund_amount"] == late.total_amount
    assert stock(product.variants[0].id) == (0, 0)


def test_cancel_before_payment_releases_and_after_shipping_is_refused(database):
    product = make_product(stock=5)
    order = place(database, "t10", [(product, 2)])

    orders.cancel_order(database, order.id)
    database.commit()
    assert events_named("OrderCancelled")[0].payload["refund_amount"] == 0
    assert stock(product.variants[0].id) == (5, 0)
    assert not orders.return_stock(database, order.number)

    shipped = place(database, "t11", [(product, 1)])
    orders.record_payment(database, shipped.id, shipped.total_amount)
    for fulfilment in orders.get_order(database, shipped.id).fulfilments:
        fulfilment.status = FulfilmentStatus.SHIPPED
    database.commit()
    with pytest.raises(orders.OrderNotCancellable):
        orders.cancel_order(database, shipped.id)


def test_cancel_after_payment_restocks_once_through_its_event(database):
    product = make_product(stock=5)
    order = place(database, "t12", [(product, 2)])
    orders.record_payment(database, order.id, order.total_amount)
    database.commit()

    orders.cancel_order(database, order.id)
    database.commit()
    assert events_named("OrderCancelled")[0].payload["refund_amount"] == order.total_amount
    assert stock(product.variants[0].id) == (5, 0)
    assert not orders.return_stock(database, order.number)
    assert ledger_totals(product.variants[0].id) == (5, 0)


def test_guest_lookup_needs_the_matching_email(database):
    product = make_product()
    order = place(database, "t13", [(product, 1)], email="Guest@Example.com")

    assert (
        orders.order_for_guest(database, order.number.lower(), " guest@example.COM").id == order.id
    )
    with pytest.raises(orders.OrderNotFound):
        orders.order_for_guest(database, order.number, "someone@example.com")
