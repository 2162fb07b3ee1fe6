"""Order pages for shoppers: history, detail (owner or access key), guest lookup, cancel (after
a confirmation)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from htmx_flask import request

from app.database import db
from app.extensions import limiter
from app.orders import services as orders
from app.orders.forms import CONFIRMED, CancelOrderForm, OrderLookupForm
from app.orders.models import FulfilmentStatus, Order
from app.orders.rules import STATUS_LABELS, access_key, can_cancel, valid_access_key
from app.platform.errors import render_error
from app.platform.security import keep_private

bp = Blueprint("orders", __name__, url_prefix="/orders")
bp.after_request(keep_private)  # order pages are personal and their URLs may carry a key

LOOKUP_RATE_LIMIT = "10 per minute;50 per hour"
INVALID_SUBMISSION = 422
CONFLICT = 409
NOT_FOUND = "We couldn't find an order with that number and email. Check both and try again."
NOT_CANCELLABLE = "This order can no longer be cancelled: it has shipped or is already closed."


@bp.errorhandler(orders.OrderNotFound)
def order_not_found(error: orders.OrderNotFound):
    """Someone else's order looks exactly like one that never existed."""
    return render_error(404)


@bp.app_template_filter("order_status")
def order_status(status: str) -> str:
    """Jinja filter: the shopper's wording of an order status."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def has_shipped(order: Order) -> bool:
    """Whether any shop has sent its part of the order."""
    return any(
        fulfilment.status in (FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED)
        for fulfilment in order.fulfilments
    )


def opening_key(number: str, key: str) -> str:
    """`key` when it opens order `number`, else ""."""
    return key if key and valid_access_key(current_app.config["SECRET_KEY"], number, key) else ""


def visible_order(number: str, key: str) -> Order:
    """The order, for whoever holds its key or owns it; OrderNotFound for anyone else."""
    if opening_key(number, key):
        return orders.order_by_number(db.session, number)
    if current_user.is_authenticated:
        return orders.order_for_user(db.session, current_user.id, number)
    raise orders.OrderNotFound(number)


@bp.get("")
@login_required
def index():
    """Your orders, newest first."""
    return render_template(
        "orders/index.html", orders=orders.orders_for_user(db.session, current_user.id)
    )


@bp.route("/lookup", methods=["GET", "POST"])
@limiter.limit(LOOKUP_RATE_LIMIT, methods=["POST"])
def lookup():
    """Find a guest order by number and email, then open it with its key."""
    form = OrderLookupForm()
    if form.validate_on_submit():
        try:
            order = orders.order_for_guest(db.session, form.number.data, form.email.data)
        except orders.OrderNotFound:
            form.form_errors.append(NOT_FOUND)
        else:
            key = access_key(current_app.config["SECRET_KEY"], order.number)
            return redirect(url_for("orders.detail", number=order.number, key=key), 303)
    status = INVALID_SUBMISSION if form.is_submitted() else 200
    return render_template("orders/lookup.html", form=form), status


def detail_page(order: Order, key: str, problem: str = "", status: int = 200):
    """An order's page: status, timeline, shipments, address, totals, and Cancel if allowed."""
    return render_template(
        "orders/detail.html",
        order=order,
        key=key,
        cancellable=can_cancel(order.status, has_shipped(order)),
        problem=problem,
    ), status


@bp.get("/<number>")
def detail(number: str):
    """One order, for its owner or with the key from its emails."""
    key = opening_key(number, request.args.get("key", ""))
    return detail_page(visible_order(number, key), key)


@bp.get("/<number>/cancel")
def confirm_cancel(number: str):
    """Ask first: what cancelling means for this order, and a "Yes, cancel" button."""
    key = opening_key(number, request.args.get("key", ""))
    order = visible_order(number, key)
    if not can_cancel(order.status, has_shipped(order)):
        return detail_page(order, key, problem=NOT_CANCELLABLE, status=CONFLICT)
    return render_template(
        "orders/cancel.html",
        order=order,
        key=key,
        cancel_form=CancelOrderForm(formdata=None, key=key, confirm=CONFIRMED),
        order_url=url_for("orders.detail", number=order.number, key=key or None),
    )


@bp.post("/<number>/cancel")
def cancel(number: str):
    """Cancel before shipment, once confirmed (anything else is shown the confirmation); a paid
    order is refunded (and restocked) by the event handlers."""
    form = CancelOrderForm()
    key = opening_key(number, form.key.data or "")
    order = visible_order(number, key)
    if not form.confirmed:
        return redirect(url_for("orders.confirm_cancel", number=order.number, key=key or None), 303)
    try:
        cancelled = orders.cancel_order(db.session, order.id)
    except orders.OrderNotCancellable:
        db.session.rollback()
        return detail_page(order, key, problem=NOT_CANCELLABLE, status=CONFLICT)
    was_paid = cancelled.paid_at is not None
    db.session.commit()
    if was_paid:
        flash("Order cancelled; your refund is on its way.", "success")
    else:
        flash("Order cancelled; you were not charged.", "success")
    return redirect(url_for("orders.detail", number=order.number, key=key or None), 303)
