"""Test helpers for payments: an order to pay for, starting and making its payment, and the
Stripe-shaped events and signatures that webhooks carry."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy.orm import Session

from app.database import utcnow
from app.extensions import redis_client
from app.money import Money
from app.orders.models import Order
from app.payments import services as payments
from app.payments.models import Payment

VISA = "4242424242424242"


def make_order(session: Session, number: str = "MP-1001", total: int = 2500) -> Order:
    """An order of `total` cents (USD) with no lines, holding its stock for 15 minutes."""
    order = Order(
        number=number,
        checkout_token=f"token-{number}",
        email="ada@example.com",
        currency="USD",
        subtotal_amount=total,
        total_amount=total,
        shipping_address={},
        reserved_until=utcnow() + timedelta(minutes=15),
    )
    session.add(order)
    session.flush()
    return order


def start_payment_for(session: Session, gateway, order: Order, **changes) -> Payment:
    """Start paying for `order` as checkout does; keyword arguments replace the defaults."""
    arguments = {
        "order_id": order.id,
        "reference": order.number,
        "amount": Money(order.total_amount, order.currency),
        "email": order.email,
        "description": f"Order {order.number}",
        "success_url": "http://localhost/checkout/done",
        "cancel_url": "http://localhost/cart",
        "expires_at": order.reserved_until,
    }
    return payments.start_payment(session, gateway, **(arguments | changes))


def pay_with_test_card(app: Flask, session: Session, order: Order, card: str = VISA) -> Payment:
    """Pay for `order` with a card on the built-in test gateway, committing each step; its signed
    webhook applies the outcome, so events run as each commit lands."""
    gateway = payments.gateway_from_config(app.config, redis_client(app))
    with app.test_request_context():  # the test gateway's page URL is built like any other
        payment = start_payment_for(session, gateway, order)
    session.commit()
    payments.pay_builtin_checkout(session, gateway, payment.provider_session_id, card)
    session.commit()
    return payment


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def stripe_event(event_type: str, payment_object: dict, event_id: str = "evt_1") -> dict:
    """A Stripe event of `event_type` about `payment_object`."""
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": payment_object},
    }


def checkout_session(**changes) -> dict:
    """A paid Stripe Checkout Session for order MP-1001 ($25.00); keywords replace fields."""
    return {
        "id": "cs_test_a1",
        "object": "checkout.session",
        "payment_intent": "pi_3abc",
        "client_reference_id": "MP-1001",
        "metadata": {"reference": "MP-1001"},
        "amount_total": 2500,
        "currency": "usd",
        "payment_status": "paid",
        **changes,
    }


def payment_intent(**changes) -> dict:
    """A Stripe PaymentIntent for order MP-1001 ($25.00) whose last attempt was declined."""
    return {
        "id": "pi_3abc",
        "object": "payment_intent",
        "amount": 2500,
        "currency": "usd",
        "metadata": {"reference": "MP-1001"},
        "last_payment_error": {"message": "Your card has insufficient funds."},
        **changes,
    }
