"""Order rules that need no database: numbers, which states allow what, timeline wording."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from app.orders.models import OrderStatus

NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

CANCELLABLE = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED, OrderStatus.PAID})

# An order in one of these states keeps the money paid for it (it was not refunded in full).
KEEPS_PAYMENT = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.PARTIALLY_REFUNDED,
    }
)

# One checkout places its orders with the tokens `<checkout>`, `<checkout>.1`, `<checkout>.2` ...:
# a new attempt after one ended unpaid (declined for good, expired, cancelled) is known to be the
# same purchase, so a late payment for an old attempt is refunded when another one was paid.
ATTEMPT_SEPARATOR = "."
ATTEMPTS_PER_CHECKOUT = 20

STATUS_MESSAGES = {
    OrderStatus.PENDING_PAYMENT: "Order placed; waiting for payment.",
    OrderStatus.PAYMENT_FAILED: "Payment failed.",
    OrderStatus.EXPIRED: "Payment was not completed in time; the items were released.",
    OrderStatus.PAID: "Payment received. The shops are preparing your items.",
    OrderStatus.PARTIALLY_SHIPPED: "Part of your order has shipped.",
    OrderStatus.SHIPPED: "Your order has shipped.",
    OrderStatus.DELIVERED: "Delivered.",
    OrderStatus.CANCELLED: "Order cancelled.",
    OrderStatus.PARTIALLY_REFUNDED: "Partly refunded.",
    OrderStatus.REFUNDED: "Refunded.",
}

STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: "Awaiting payment",
    OrderStatus.PAYMENT_FAILED: "Payment failed",
    OrderStatus.EXPIRED: "Expired",
    OrderStatus.PAID: "Paid",
    OrderStatus.PARTIALLY_SHIPPED: "Partly shipped",
    OrderStatus.SHIPPED: "Shipped",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.PARTIALLY_REFUNDED: "Partly refunded",
    OrderStatus.REFUNDED: "Refunded",
}


def order_number() -> str:
    """A short, unambiguous, unguessable order number such as `MP-7K2Q9X4D`."""
    return "MP-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


def can_cancel(status: str, shipped: bool) -> bool:
    """Whether the shopper may still cancel."""
    return status in CANCELLABLE and not shipped


def access_key(secret: str, number: str) -> str:
    """The key in an order link that lets a guest see the order without signing in."""
    digest = hmac.new(secret.encode(), f"order-access:{number}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode()


def valid_access_key(secret: str, number: str, key: str) -> bool:
    """Whether `key` opens order `number` (constant-time comparison)."""
    return hmac.compare_digest(access_key(secret, number), key or "")


def checkout_attempt_tokens(token: str) -> list[str]:
    """Every token the checkout that `token` belongs to may place an order with."""
    checkout = token.partition(ATTEMPT_SEPARATOR)[0]
    attempts = (f"{checkout}{ATTEMPT_SEPARATOR}{n}" for n in range(1, ATTEMPTS_PER_CHECKOUT))
    return [checkout, *attempts]


def next_attempt_token(token: str) -> str | None:
    """The token of the checkout's next order attempt; None once it has used every one."""
    checkout, _, attempt = token.partition(ATTEMPT_SEPARATOR)
    number = int(attempt) + 1 if attempt.isdigit() else 1
    if number >= ATTEMPTS_PER_CHECKOUT:
        return None
    return f"{checkout}{ATTEMPT_SEPARATOR}{number}"
