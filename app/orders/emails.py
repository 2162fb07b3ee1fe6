"""The emails an order sends: plain-data requests for the send-email job (rendered there)."""

from __future__ import annotations

from app.money import Money
from app.notifications.messages import EmailRequest
from app.orders.models import Fulfilment, Order


def _money(order: Order, amount: int) -> str:
    return Money(amount, order.currency).format()


def _line(order: Order, line) -> dict:
    return {
        "name": line.product_name,
        "variant": line.variant_name,
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_price": _money(order, line.unit_price_amount),
        "total": _money(order, line.line_total_amount),
    }


def order_context(order: Order, order_url: str) -> dict:
    """Everything the order templates show, as plain data."""
    return {
        "number": order.number,
        "order_url": order_url,
        "address": order.shipping_address,
        "shipments": [
            {
                "merchant": fulfilment.merchant_name,
                "shipping": fulfilment.shipping_label,
                "lines": [_line(order, line) for line in fulfilment.lines],
            }
            for fulfilment in order.fulfilments
        ],
        "totals": [
            ("Subtotal", _money(order, order.subtotal_amount)),
            *(
                [("Discount", _money(order, -order.discount_amount))]
                if order.discount_amount
                else []
            ),
            ("Shipping", _money(order, order.shipping_amount)),
            (order.tax_label or "Tax", _money(order, order.tax_amount)),
            ("Total", _money(order, order.total_amount)),
        ],
    }


def confirmation(order: Order, order_url: str) -> EmailRequest:
    """To the shopper once payment is confirmed."""
    return EmailRequest(
        template="order_confirmation",
        to=order.email,
        subject=f"Order {order.number} confirmed",
        context=order_context(order, order_url),
    )


def payment_failed(order: Order, order_url: str, message: str, retry_url: str) -> EmailRequest:
    """To the shopper when the payment was declined."""
    return EmailRequest(
        template="payment_failed",
        to=order.email,
        subject=f"Payment for order {order.number} did not go through",
        context={**order_context(order, order_url), "message": message, "retry_url": retry_url},
    )


def cancelled(order: Order, order_url: str, refund_amount: int) -> EmailRequest:
    """To the shopper when the order is cancelled (a refund follows if it was paid)."""
    return EmailRequest(
        template="order_cancelled",
        to=order.email,
        subject=f"Order {order.number} cancelled",
        context={
            **order_context(order, order_url),
            "refund": _money(order, refund_amount) if refund_amount else "",
        },
    )


def refunded(order: Order, order_url: str, amount: int) -> EmailRequest:
    """To the shopper when money has gone back to their card."""
    return EmailRequest(
        template="order_refunded",
        to=order.email,
        subject=f"Refund for order {order.number}",
        context={**order_context(order, order_url), "refund": _money(order, amount)},
    )


def paid_twice(order: Order, order_url: str, kept_reference: str, amount: int) -> EmailRequest:
    """To the shopper when a second order of one checkout was paid: it is cancelled, refunded."""
    return EmailRequest(
        template="order_paid_twice",
        to=order.email,
        subject=f"You paid twice: we are refunding order {order.number}",
        context={
            **order_context(order, order_url),
            "kept": kept_reference,
            "refund": _money(order, amount),
        },
    )


def merchant_new_order(order: Order, fulfilment: Fulfilment, to: str) -> EmailRequest:
    """To a merchant: its part of a paid order, to be shipped (no link: there is no merchant
    portal yet, so the email itself says what to ship, where, under which order number)."""
    return EmailRequest(
        template="merchant_new_order",
        to=to,
        subject=f"New order {order.number}: {len(fulfilment.lines)} item(s) to ship",
        context={
            "number": order.number,
            "merchant": fulfilment.merchant_name,
            "shipping": fulfilment.shipping_label,
            "address": order.shipping_address,
            "lines": [_line(order, line) for line in fulfilment.lines],
            "subtotal": _money(order, fulfilment.subtotal_amount),
        },
    )
