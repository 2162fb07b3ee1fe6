"""The handlers of outbox events (HANDLERS), and the scheduled reservation expiry.

`jobs.delivery` runs each handler once per event, in its own transaction together with the
marker saying it ran. Handlers take the session and the event payload.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from app.checkout import services as checkout
from app.database import db
from app.extensions import redis_client
from app.inventory import emails as inventory_emails
from app.inventory import merchant_stock
from app.inventory import services as inventory
from app.merchants.services import contact_emails
from app.notifications.dispatch import queue_email
from app.orders import emails
from app.orders import services as orders
from app.orders.rules import access_key
from app.payments import services as payments
from jobs.runtime import external_url, with_app_context


def _order_url(order) -> str:
    return external_url(
        "orders.detail",
        number=order.number,
        key=access_key(current_app.config["SECRET_KEY"], order.number),
    )


def apply_payment(session, payload: dict) -> None:
    """PaymentProcessed: commit the reservation and mark the order paid (or cancel to refund)."""
    orders.record_payment(session, payload["order_id"], payload["amount"])


def apply_payment_failure(session, payload: dict) -> None:
    """PaymentFailed: release the held stock; tell the shopper."""
    if orders.record_payment_failure(session, payload["order_id"], payload["message"]):
        order = orders.get_order(session, payload["order_id"])
        retry_url = external_url("checkout.start")
        queue_email(
            session,
            emails.payment_failed(order, _order_url(order), payload["message"], retry_url),
            key=f"payment-failed:{payload['payment_id']}",
        )


def send_confirmation(session, payload: dict) -> None:
    """OrderPaid: the shopper's confirmation email."""
    order = orders.get_order(session, payload["order_id"])
    queue_email(
        session,
        emails.confirmation(order, _order_url(order)),
        key=f"order-confirmed:{order.number}",
    )


def notify_merchants(session, payload: dict) -> None:
    """OrderPaid: each merchant hears about its part of the order."""
    order = orders.get_order(session, payload["order_id"])
    addresses = contact_emails(session, [f.merchant_id for f in order.fulfilments])
    for fulfilment in order.fulfilments:
        if fulfilment.merchant_id in addresses:
            queue_email(
                session,
                emails.merchant_new_order(order, fulfilment, addresses[fulfilment.merchant_id]),
                key=f"new-order:{order.number}:merchant:{fulfilment.merchant_id}",
            )


def return_stock(session, payload: dict) -> None:
    """OrderCancelled: held units are released, sold units go back on hand."""
    orders.return_stock(session, payload["reference"])


def refund_cancelled(session, payload: dict) -> None:
    """OrderCancelled: give the money back through the gateway it came from."""
    if payload.get("refund_amount"):
        _refund(session, payload, "requested_by_customer", "cancel")


def refund_duplicate(session, payload: dict) -> None:
    """PaymentDuplicated: give the second payment of one checkout back through its gateway."""
    _refund(session, payload, "duplicate", "duplicate")


def _gateway():
    return payments.gateway_from_config(current_app.config, redis_client(current_app))


def _refund(session, payload: dict, reason: str, key_suffix: str) -> None:
    """Refund the payload's refund_amount on its order, once per order and key suffix."""
    payments.refund_payment(
        session,
        _gateway(),
        order_id=payload["order_id"],
        amount=payload["refund_amount"],
        reason=reason,
        idempotency_key=f"refund-{payload['reference']}-{key_suffix}",
    )


def close_payment_page(session, payload: dict) -> None:
    """OrderCancelled / ReservationExpired: an unpaid order's payment page closes with it."""
    payments.close_payment(
        session,
        _gateway(),
        payload["order_id"],
    )


def send_duplicate_notice(session, payload: dict) -> None:
    """PaymentDuplicated: tell the shopper which order stands and which one is refunded."""
    order = orders.get_order(session, payload["order_id"])
    queue_email(
        session,
        emails.paid_twice(
            order, _order_url(order), payload["kept_reference"], payload["refund_amount"]
        ),
        key=f"paid-twice:{order.number}",
    )


def send_cancellation(session, payload: dict) -> None:
    """OrderCancelled: tell the shopper (and whether a refund follows)."""
    order = orders.get_order(session, payload["order_id"])
    queue_email(
        session,
        emails.cancelled(order, _order_url(order), payload.get("refund_amount", 0)),
        key=f"order-cancelled:{order.number}",
    )


def apply_refund(session, payload: dict) -> None:
    """PaymentRefunded: note the refund on the order and tell the shopper."""
    orders.record_refund(session, payload["order_id"], payload["amount"])
    order = orders.get_order(session, payload["order_id"])
    queue_email(
        session,
        emails.refunded(order, _order_url(order), payload["amount"]),
        key=f"refund:{payload['refund_id']}",
    )


def release_promotion(session, payload: dict) -> None:
    """ReservationExpired / OrderCancelled: the order's use of its promo code is given back."""
    checkout.release_promotion(session, payload["reference"])


def send_low_stock(session, payload: dict) -> None:
    """StockLow: tell the merchant a variant fell to its low-stock threshold (once per alert)."""
    merchant_id = payload["merchant_id"]
    addresses = contact_emails(session, [merchant_id])
    if merchant_id not in addresses:
        return
    try:
        row = merchant_stock.stock_row(session, merchant_id, payload["variant_id"])
    except merchant_stock.StockNotFound:
        return
    queue_email(
        session,
        inventory_emails.low_stock(
            row,
            payload["available"],
            payload["threshold"],
            addresses[merchant_id],
            external_url("portal.inventory", state="low"),
        ),
        key=f"low-stock:{payload['variant_id']}:v{payload['version']}",
    )


HANDLERS: dict[str, tuple[Callable, ...]] = {
    "PaymentProcessed": (apply_payment,),
    "PaymentFailed": (apply_payment_failure,),
    "OrderPaid": (send_confirmation, notify_merchants),
    "OrderCancelled": (
        return_stock,
        refund_cancelled,
        send_cancellation,
        release_promotion,
        close_payment_page,
    ),
    "ReservationExpired": (release_promotion, close_payment_page),
    "PaymentRefunded": (apply_refund,),
    "PaymentDuplicated": (refund_duplicate, send_duplicate_notice, release_promotion),
    "StockLow": (send_low_stock,),
}


@with_app_context
def release_expired_reservations() -> int:
    """Scheduled: unpaid orders whose reservation ran out give their stock back."""
    session = db.session
    released = 0
    for reference in inventory.expired_references(session):
        released += orders.expire_order(session, reference)
        session.commit()
    return released
