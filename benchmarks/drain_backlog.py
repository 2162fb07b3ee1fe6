"""Builds part of the drain benchmark's backlog (run by benchmarks/drain.py, not by hand).

    python benchmarks/drain_backlog.py FIRST COUNT

With DATABASE_URL and REDIS_URL set and no worker running: places orders FIRST to
FIRST + COUNT - 1, each with one unit from each of two merchants, and pays each on the built-in
test gateway (its signed webhook records PaymentProcessed), committing every step as checkout
and the gateway do, so each commit hands its events to the RQ queue.
"""

from __future__ import annotations

import sys
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import create_app
from app.database import db
from app.extensions import redis_client
from app.money import Money
from app.orders import services as orders
from app.payments import services as payments

CARD = "4242424242424242"
SHIPPING = 500
HOLD = timedelta(days=1)  # the runs come later; the stock stays held until they pay
ADDRESS = {
    "full_name": "Drain Buyer",
    "line1": "1 Market Street",
    "line2": "",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
    "phone": "",
}
VARIANTS = sa.text(
    """
    SELECT v.id AS variant_id, v.sku, v.name AS variant_name, v.price_amount,
           p.id AS product_id, p.name AS product_name, p.slug, p.merchant_id,
           m.name AS merchant_name
    FROM product_variants v
    JOIN products p ON p.id = v.product_id AND p.status = 'published'
    JOIN merchants m ON m.id = p.merchant_id AND m.status = 'active'
    JOIN stock_items s ON s.variant_id = v.id
    ORDER BY p.merchant_id, v.id
    """
)


def variant_pairs(session: Session) -> list[tuple]:
    """Pairs of variants, one of the first merchant and one of the second."""
    rows = session.execute(VARIANTS).all()
    first, second = sorted({row.merchant_id for row in rows})[:2]
    return list(
        zip(
            [row for row in rows if row.merchant_id == first],
            [row for row in rows if row.merchant_id == second],
            strict=False,
        )
    )


def new_order(number: int, pair: tuple) -> orders.NewOrder:
    """An order of one unit of each variant in `pair`, shipped per merchant at a flat rate."""
    lines = tuple(
        orders.LineSpec(
            variant_id=row.variant_id,
            product_id=row.product_id,
            merchant_id=row.merchant_id,
            merchant_name=row.merchant_name,
            sku=row.sku,
            product_name=row.product_name,
            product_slug=row.slug,
            variant_name=row.variant_name,
            unit_price=row.price_amount,
            quantity=1,
        )
        for row in pair
    )
    shipments = tuple(
        orders.ShipmentSpec(
            merchant_id=row.merchant_id,
            merchant_name=row.merchant_name,
            rate_id="table:standard",
            label="Marketplace Post Standard",
            amount=SHIPPING,
            weight_grams=1000,
        )
        for row in pair
    )
    subtotal = sum(line.unit_price for line in lines)
    shipping = SHIPPING * len(shipments)
    return orders.NewOrder(
        checkout_token=f"drain-{number}",
        email=f"buyer{number}@example.com",
        user_id=None,
        shipping_address=dict(ADDRESS),
        lines=lines,
        shipments=shipments,
        totals=orders.Totals("USD", subtotal, 0, shipping, 0, subtotal + shipping),
        hold_for=HOLD,
    )


def main(first: int, count: int) -> None:
    app = create_app()
    with app.app_context():
        session = db.session
        pairs = variant_pairs(session)
        gateway = payments.gateway_from_config(app.config, redis_client(app))
        for number in range(first, first + count):
            order, _ = orders.place_order(session, new_order(number, pairs[number % len(pairs)]))
            session.commit()
            with app.test_request_context():
                payment = payments.start_payment(
                    session,
                    gateway,
                    order_id=order.id,
                    reference=order.number,
                    amount=Money(order.total_amount, order.currency),
                    email=order.email,
                    description=f"Order {order.number}",
                    success_url="http://127.0.0.1/done",
                    cancel_url="http://127.0.0.1/cart",
                    expires_at=order.reserved_until,
                )
            session.commit()
            payments.pay_builtin_checkout(session, gateway, payment.provider_session_id, CARD)
            session.commit()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
