"""Order services: place an order (reserving its stock), move it through its states, look it up.

Stock moves through inventory services in the same transaction as the order change; every state
change adds a timeline entry and a domain event to the outbox. Callers commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.database import utcnow
from app.inventory import services as inventory
from app.inventory.models import StockReason
from app.orders.models import (
    Fulfilment,
    FulfilmentStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from app.orders.rules import (
    CANCELLABLE,
    KEEPS_PAYMENT,
    STATUS_MESSAGES,
    checkout_attempt_tokens,
    next_attempt_token,
    order_number,
)
from app.platform.outbox import record_event


class OrderNotFound(LookupError):
    """No such order (or not this shopper's)."""


class OrderNotCancellable(Exception):
    """The order has shipped (or is already closed), so it can no longer be cancelled."""


@dataclass(frozen=True)
class LineSpec:
    """One cart line as it is being bought."""

    variant_id: int
    product_id: int
    merchant_id: int
    merchant_name: str
    sku: str
    product_name: str
    product_slug: str
    variant_name: str
    unit_price: int
    quantity: int


@dataclass(frozen=True)
class ShipmentSpec:
    """The shipping method chosen for one merchant's part."""

    merchant_id: int
    merchant_name: str
    rate_id: str
    label: str
    amount: int
    weight_grams: int


@dataclass(frozen=True)
class Totals:
    """Every total shown to the shopper, in minor units of `currency`."""

    currency: str
    subtotal: int
    discount: int
    shipping: int
    tax: int
    total: int
    tax_label: str = ""


@dataclass(frozen=True)
class NewOrder:
    """Everything needed to place an order; prices already re-validated by the checkout."""

    checkout_token: str
    email: str
    user_id: int | None
    shipping_address: dict
    lines: tuple[LineSpec, ...]
    shipments: tuple[ShipmentSpec, ...]
    totals: Totals
    promo_code: str = ""
    hold_for: timedelta = field(default=timedelta(minutes=15))


def place_order(session: Session, new: NewOrder) -> tuple[Order, bool]:
    """Create the order and reserve all its stock atomically; (order, created).

    The checkout token makes this idempotent: a replay (even a concurrent one) returns the order
    the first call made. Raises inventory.InsufficientStock listing every short line.
    """
    existing = order_for_token(session, new.checkout_token)
    if existing is not None:
        return existing, False
    order = _new_order(new)
    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
    except IntegrityError:
        existing = order_for_token(session, new.checkout_token)
        if existing is None:
            raise
        return existing, False
    inventory.reserve_stock(
        session,
        reference=order.number,
        lines=[(line.variant_id, line.quantity) for line in new.lines],
        expires_at=order.reserved_until,
        actor_id=new.user_id,
    )
    _add_lines(session, order, new)
    _timeline(session, order, OrderStatus.PENDING_PAYMENT)
    record_event(session, "OrderCreated", _event_payload(order))
    record_event(
        session,
        "InventoryReserved",
        {
            **_event_payload(order),
            "lines": [[line.variant_id, line.quantity] for line in new.lines],
            "expires_at": order.reserved_until.isoformat(),
        },
    )
    return order, True


def _new_order(new: NewOrder) -> Order:
    now = utcnow()
    totals = new.totals
    return Order(
        number=order_number(),
        checkout_token=new.checkout_token,
        user_id=new.user_id,
        email=new.email,
        status=OrderStatus.PENDING_PAYMENT,
        currency=totals.currency,
        subtotal_amount=totals.subtotal,
        discount_amount=totals.discount,
        shipping_amount=totals.shipping,
        tax_amount=totals.tax,
        total_amount=totals.total,
        tax_label=totals.tax_label,
        promo_code=new.promo_code,
        shipping_address=new.shipping_address,
        placed_at=now,
        reserved_until=now + new.hold_for,
    )


def _add_lines(session: Session, order: Order, new: NewOrder) -> None:
    """One fulfilment per merchant with its lines, written in one flush (batched inserts)."""
    for shipment in new.shipments:
        lines = [line for line in new.lines if line.merchant_id == shipment.merchant_id]
        fulfilment = Fulfilment(
            order=order,
            merchant_id=shipment.merchant_id,
            merchant_name=shipment.merchant_name,
            subtotal_amount=sum(line.unit_price * line.quantity for line in lines),
            shipping_amount=shipment.amount,
            shipping_rate_id=shipment.rate_id,
            shipping_label=shipment.label,
            weight_grams=shipment.weight_grams,
        )
        session.add_all(
            OrderLine(
                order=order,
                fulfilment=fulfilment,
                variant_id=line.variant_id,
                product_id=line.product_id,
                merchant_id=line.merchant_id,
                sku=line.sku,
                product_name=line.product_name,
                product_slug=line.product_slug,
                variant_name=line.variant_name,
                unit_price_amount=line.unit_price,
                quantity=line.quantity,
                line_total_amount=line.unit_price * line.quantity,
            )
            for line in lines
        )


def _timeline(session: Session, order: Order, status: str, message: str = "") -> None:
    session.add(
        OrderEvent(order_id=order.id, status=status, message=message or STATUS_MESSAGES[status])
    )


def _event_payload(order: Order) -> dict:
    return {
        "order_id": order.id,
        "reference": order.number,
        "email": order.email,
        "total": order.total_amount,
        "currency": order.currency,
    }


def order_for_token(session: Session, checkout_token: str) -> Order | None:
    """The order a checkout token already placed, if any."""
    return session.scalar(sa.select(Order).where(Order.checkout_token == checkout_token))


def _locked(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise OrderNotFound(order_id)
    return order


def _set_status(session: Session, order: Order, status: OrderStatus, message: str = "") -> None:
    order.status = status
    _timeline(session, order, status, message)


def _set_fulfilments(order: Order, status: FulfilmentStatus) -> None:
    for fulfilment in order.fulfilments:
        if fulfilment.status != FulfilmentStatus.SHIPPED:
            fulfilment.status = status


def record_payment(session: Session, order_id: int, amount: int) -> str:
    """A payment succeeded: commit the reservation and mark the order paid.

    Returns "paid", "already" (nothing to do: a redelivery), "duplicate" (another order of the
    same checkout is paid already: this one is cancelled and a PaymentDuplicated event asks for
    the refund and tells the shopper) or "refund" (the payment came after the stock was released
    and is no longer there, or the order was cancelled: the order is cancelled and an
    OrderCancelled event asks for the refund).
    """
    order, others = _locked_checkout(session, order_id)
    if order.paid_at is not None:
        return "already"
    kept = next((other for other in others if other.status in KEEPS_PAYMENT), None)
    if kept is not None:
        _refund_duplicate(session, order, kept, amount)
        return "duplicate"
    if order.status == OrderStatus.PENDING_PAYMENT:
        sold = inventory.commit_reservation(session, order.number)
    elif order.status in (OrderStatus.PAYMENT_FAILED, OrderStatus.EXPIRED):
        sold = inventory.sell_released(session, order.number)
    else:
        sold = False
    order.paid_at = utcnow()
    if not sold:
        _cancel(
            session,
            order,
            "Payment arrived after the order was closed; it will be refunded.",
            amount,
        )
        return "refund"
    _set_status(session, order, OrderStatus.PAID)
    _set_fulfilments(order, FulfilmentStatus.UNFULFILLED)
    record_event(session, "OrderPaid", _event_payload(order))
    return "paid"


def _locked_checkout(session: Session, order_id: int) -> tuple[Order, list[Order]]:
    """The order and the other orders its checkout placed, all locked in id order (two payments
    for one checkout wait for each other, and never deadlock)."""
    token = session.scalar(sa.select(Order.checkout_token).where(Order.id == order_id))
    if token is None:
        raise OrderNotFound(order_id)
    placed = session.scalars(
        sa.select(Order)
        .where(Order.checkout_token.in_({token, *checkout_attempt_tokens(token)}))
        .order_by(Order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    order = next(each for each in placed if each.id == order_id)
    return order, [each for each in placed if each.id != order_id]


def _refund_duplicate(session: Session, order: Order, kept: Order, amount: int) -> None:
    """Money came for a second order of one checkout: the order closes and is refunded."""
    if order.status == OrderStatus.PENDING_PAYMENT:
        inventory.release_reservation(session, order.number, StockReason.CANCEL)
    order.paid_at = utcnow()
    order.cancelled_at = order.cancelled_at or order.paid_at
    _set_status(
        session,
        order,
        OrderStatus.CANCELLED,
        f"Paid twice: order {kept.number} of the same checkout is already paid, "
        "so this payment is refunded.",
    )
    _set_fulfilments(order, FulfilmentStatus.CANCELLED)
    record_event(
        session,
        "PaymentDuplicated",
        {**_event_payload(order), "refund_amount": amount, "kept_reference": kept.number},
    )


def record_payment_failure(session: Session, order_id: int, message: str) -> bool:
    """The payment failed for good (its session expired, or the amount was wrong): release the
    stock; the shopper may check out again. False if no change."""
    order = _locked(session, order_id)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    inventory.release_reservation(session, order.number, StockReason.RELEASE)
    _set_status(session, order, OrderStatus.PAYMENT_FAILED, f"Payment failed: {message}"[:300])
    return True


def expire_order(session: Session, reference: str, now: datetime | None = None) -> bool:
    """Release an unpaid order's stock once its reservation has run out."""
    order = session.scalar(
        sa.select(Order)
        .where(Order.number == reference)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        return inventory.release_reservation(session, reference)
    if order.status != OrderStatus.PENDING_PAYMENT or order.reserved_until > (now or utcnow()):
        return False
    inventory.release_reservation(session, reference)
    _set_status(session, order, OrderStatus.EXPIRED)
    _set_fulfilments(order, FulfilmentStatus.CANCELLED)
    record_event(session, "ReservationExpired", _event_payload(order))
    return True


def cancel_order(
    session: Session, order_id: int, reason: str = "Cancelled at your request."
) -> Order:
    """Cancel before shipment; the OrderCancelled event restocks and refunds (by its handlers)."""
    order = _locked(session, order_id)
    shipped = any(
        f.status in (FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED)
        for f in order.fulfilments
    )
    if order.status not in CANCELLABLE or shipped:
        raise OrderNotCancellable(order.number)
    _cancel(session, order, reason, order.total_amount if order.paid_at else 0)
    return order


def _cancel(session: Session, order: Order, reason: str, refund_amount: int) -> None:
    order.cancelled_at = utcnow()
    _set_status(session, order, OrderStatus.CANCELLED, reason)
    _set_fulfilments(order, FulfilmentStatus.CANCELLED)
    record_event(
        session, "OrderCancelled", {**_event_payload(order), "refund_amount": refund_amount}
    )


def return_stock(session: Session, reference: str) -> bool:
    """After a cancellation: release held units or put sold units back on hand."""
    released = inventory.release_reservation(session, reference, StockReason.CANCEL)
    restocked = inventory.restock_sale(session, reference)
    return released or restocked


def record_refund(session: Session, order_id: int, amount: int) -> bool:
    """Money went back to the shopper: note it on the order (refunded in full or in part)."""
    order = _locked(session, order_id)
    order.refunded_amount = min(order.total_amount, order.refunded_amount + amount)
    status = (
        OrderStatus.REFUNDED
        if order.refunded_amount >= order.total_amount
        else OrderStatus.PARTIALLY_REFUNDED
    )
    _set_status(session, order, status, f"Refunded {order.money(amount).format()}.")
    return True


def get_order(session: Session, order_id: int) -> Order:
    """An order with its lines, fulfilments and timeline."""
    order = session.scalar(_with_details().where(Order.id == order_id))
    if order is None:
        raise OrderNotFound(order_id)
    return order


def _with_details() -> sa.Select:
    return sa.select(Order).options(
        selectinload(Order.fulfilments).selectinload(Fulfilment.lines),
        selectinload(Order.history),
    )


def order_by_number(session: Session, number: str) -> Order:
    """An order by its number, with its details; the caller checks who may see it (access key)."""
    order = session.scalar(_with_details().where(Order.number == number))
    if order is None:
        raise OrderNotFound(number)
    return order


def order_for_user(session: Session, user_id: int, number: str) -> Order:
    """One of this user's orders by number; OrderNotFound for anyone else's."""
    order = session.scalar(_with_details().where(Order.number == number, Order.user_id == user_id))
    if order is None:
        raise OrderNotFound(number)
    return order


def order_for_guest(session: Session, number: str, email: str) -> Order:
    """Guest lookup: the order number and the email it was placed with must both match."""
    order = session.scalar(
        _with_details().where(
            Order.number == number.strip().upper(),
            sa.func.lower(Order.email) == email.strip().lower(),
        )
    )
    if order is None:
        raise OrderNotFound(number)
    return order


def orders_for_user(session: Session, user_id: int, limit: int = 50) -> list[Order]:
    """A user's orders, newest first."""
    return list(
        session.scalars(
            sa.select(Order)
            .where(Order.user_id == user_id)
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )


def new_checkout_token() -> str:
    """An unguessable token that identifies one checkout attempt (the idempotency key)."""
    return secrets.token_urlsafe(24)


def next_checkout_token(token: str) -> str:
    """The token of the checkout's next attempt, after the order placed with `token` ended
    unpaid (a new checkout's once it has used all its attempts)."""
    return next_attempt_token(token) or new_checkout_token()
