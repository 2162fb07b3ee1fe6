"""Checkout pages: details, shipping, review, place order, confirmation (htmx on top, JS optional).

Where the shopper stands is a `CheckoutState` kept in the server-side session; its token (the
idempotency key of "place order") never appears in a URL. Prices always come from the services.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import asdict

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_limiter import RequestLimit
from flask_login import current_user
from htmx_flask import request
from wtforms.fields.choices import SelectChoice

from app.accounts import services as accounts
from app.accounts.addresses import one_line
from app.accounts.models import Address
from app.accounts.rules import ADDRESS_LIMITS, AddressFields
from app.cart import services as carts
from app.cart import views as cart_pages
from app.cart.services import CartView
from app.checkout import services as checkout
from app.checkout.forms import NEW_ADDRESS, DetailsForm, PlaceOrderForm, PromoCodeForm
from app.checkout.rules import CheckoutState
from app.database import db
from app.extensions import limiter, redis_client
from app.inventory.services import InsufficientStock, ShortLine
from app.orders import services as orders
from app.orders.models import Order, OrderStatus
from app.orders.rules import access_key, valid_access_key
from app.payments import services as payments
from app.payments.gateways import GatewayError
from app.payments.models import PaymentStatus
from app.platform.htmx import render_page_or_block
from app.platform.security import keep_private
from app.platform.templating import absolute_url
from app.platform.transactions import committed

bp = Blueprint("checkout", __name__, url_prefix="/checkout")
bp.after_request(keep_private)  # checkout pages are personal and carry tokens

STATE_KEY = "checkout"
PLACE_ORDER_RATE_LIMIT = "10 per minute"
INVALID_SUBMISSION = 422
CONFLICT = 409
PROVIDER_UNAVAILABLE = 503
GATEWAY_PROBLEM = "We could not reach the payment provider; try again."
STALE_CHECKOUT = (
    "This checkout page is out of date (it was changed in another tab, or the order was "
    "already placed). Review your order and try again."
)
EMPTY_CART = "Your cart is empty: add something before you check out."
TOO_MANY_REQUESTS = 429
PLACING_TOO_FAST = (
    "You have placed orders too often in the last minute. Your checkout is kept: wait a moment, "
    "then place your order again."
)
PAID_STATUSES = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED,
    }
)


class StepNotReady(Exception):
    """The shopper cannot be at this step yet: send them to `endpoint` (with a message)."""

    def __init__(self, endpoint: str, message: str = ""):
        super().__init__(message or endpoint)
        self.endpoint = endpoint
        self.message = message


class PlacingTooFast(Exception):
    """The place-order rate limit is reached; it resets in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def placing_too_fast(limit: RequestLimit) -> None:
    """When the place-order limit is reached: answer with the checkout (see `keep_checkout`)
    instead of the bare 429 page."""
    raise PlacingTooFast(max(1, limit.reset_at - int(time.time())))


@bp.errorhandler(StepNotReady)
def go_to_step(error: StepNotReady) -> Response:
    """A 303 to the step the shopper has reached (htmx is told to load that page instead)."""
    if error.message:
        flash(error.message, "info")
    url = url_for(error.endpoint)
    if request.htmx:
        response = Response(status=200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def shopper_id() -> int | None:
    """The signed-in user's id, or None for a guest."""
    return current_user.id if current_user.is_authenticated else None


def current_cart() -> CartView:
    """This browser's cart, re-checked against the catalog."""
    key, _ = cart_pages.cart_identity()
    if key is None:
        return carts.empty_cart(cart_pages.store())
    return carts.load_cart(db.session, cart_pages.store(), key)


def cart_with_lines(cart: CartView | None = None) -> CartView:
    """The cart (this browser's, unless given); StepNotReady (back to the cart) when it is
    empty."""
    if cart is None:
        cart = current_cart()
    if cart.is_empty:
        raise StepNotReady("cart.show", EMPTY_CART)
    return cart


def saved_state() -> CheckoutState | None:
    """The checkout kept in the session, if one was started."""
    data = session.get(STATE_KEY)
    return CheckoutState.from_dict(data) if isinstance(data, dict) else None


def current_state() -> CheckoutState:
    """The session's checkout, or a new one with a fresh token."""
    return saved_state() or CheckoutState(token=orders.new_checkout_token())


def save(state: CheckoutState) -> None:
    """Keep the checkout in the session."""
    session[STATE_KEY] = state.as_dict()


def placed_order(state: CheckoutState, cart: CartView) -> Order | None:
    """The order this checkout placed while it waits for payment or once paid for this cart
    (the state is saved if the checkout moved on to a new token)."""
    token = state.token
    order = checkout.placed_order(db.session, state, cart)
    if state.token != token:
        save(state)
    return order


def ready_for_review(cart: CartView, state: CheckoutState) -> CheckoutState:
    """Fresh quotes for the cart; StepNotReady when an earlier step is unfinished."""
    if not state.has_address:
        raise StepNotReady("checkout.details")
    checkout.refresh_quotes(current_app.config, cart, state)
    save(state)
    if not checkout.shipping_chosen(cart, state):
        raise StepNotReady("checkout.shipping")
    return state


def order_key(order: Order) -> str:
    """The access key that opens an order's pages without signing in."""
    return access_key(current_app.config["SECRET_KEY"], order.number)


@bp.get("")
def start():
    """Begin (or resume) checkout at the first step that still needs the shopper."""
    state = current_state()
    cart = current_cart()
    order = placed_order(state, cart)
    if order is not None and order.status != OrderStatus.PENDING_PAYMENT:
        return redirect(completion_url(order), 303)
    if order is not None:
        save(state)
        return redirect(url_for("checkout.review"), 303)
    cart = cart_with_lines(cart)
    save(state)
    if not state.has_address:
        return redirect(url_for("checkout.details"), 303)
    if not checkout.shipping_chosen(cart, state):
        return redirect(url_for("checkout.shipping"), 303)
    return redirect(url_for("checkout.review"), 303)


def address_fields(address: Address) -> AddressFields:
    """An address-book entry as plain fields."""
    return AddressFields(**{name: getattr(address, name) for name in ADDRESS_LIMITS})


def details_defaults(state: CheckoutState, book: list[Address]) -> dict:
    """What the details form shows first: the checkout so far, else the shopper's account."""
    email = state.email or (current_user.email if current_user.is_authenticated else "")
    name = current_user.name if current_user.is_authenticated else ""
    if state.address:
        chosen = next((a for a in book if asdict(address_fields(a)) == state.address), None)
        if chosen is not None:
            return {"email": email, "saved_address": str(chosen.id), "full_name": name}
        return {"email": email, "saved_address": NEW_ADDRESS, **state.address}
    if book:
        return {"email": email, "saved_address": str(book[0].id), "full_name": name}
    return {"email": email, "saved_address": NEW_ADDRESS, "full_name": name}


def address_book() -> list[Address]:
    """The signed-in shopper's saved addresses (none for a guest)."""
    if not current_user.is_authenticated:
        return []
    return accounts.list_addresses(db.session, current_user.id)


def show_contact_problems(form: DetailsForm, problems: dict[str, list[str]]) -> None:
    """Put the service's problems on the fields they concern (a saved address as a whole)."""
    for name, messages in problems.items():
        field = form.saved_address if form.uses_saved_address and name != "email" else form[name]
        field.errors = [*field.errors, *messages]


@bp.route("/details", methods=["GET", "POST"])
def details():
    """Step 1: contact email and shipping address (saved or new)."""
    cart = cart_with_lines()
    state = current_state()
    book = address_book()
    form = (
        DetailsForm()
        if request.method == "POST"
        else DetailsForm(data=details_defaults(state, book))
    )
    form.saved_address.choices = [
        *(SelectChoice(str(address.id), one_line(address)) for address in book),
        SelectChoice(NEW_ADDRESS, "A new address" if book else "New address"),
    ]
    if form.validate_on_submit():
        saved = next((a for a in book if a.id == form.saved_address_id()), None)
        fields = address_fields(saved) if saved else form.fields()
        try:
            checkout.set_contact(state, form.email.data, fields)
        except checkout.InvalidContact as error:
            show_contact_problems(form, error.problems)
        else:
            save(state)
            return redirect(url_for("checkout.shipping"), 303)
    status = INVALID_SUBMISSION if form.is_submitted() else 200
    return render_template(
        "checkout/details.html", form=form, book=book, cart=cart, step="details"
    ), status


def preselect_cheapest(state: CheckoutState) -> None:
    """Shops without a chosen rate start on their cheapest (quotes come cheapest first)."""
    if not state.quotes or not all(state.quotes.values()):
        return
    checkout.choose_shipping(
        state,
        {
            merchant: state.shipping.get(merchant) or quotes[0]["rate_id"]
            for merchant, quotes in state.quotes.items()
        },
    )


def fragment_requested() -> bool:
    """An htmx request that gets a fragment (a history restore gets the page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


@bp.route("/shipping", methods=["GET", "POST"])
def shipping():
    """Step 2: a shipping method per shop; htmx swaps the totals as the choice changes."""
    cart = cart_with_lines()
    state = current_state()
    if not state.has_address:
        raise StepNotReady("checkout.details")
    checkout.refresh_quotes(current_app.config, cart, state)
    problem = ""
    if request.method == "POST":
        choices = {
            merchant: request.form.get(f"shipping-{merchant}", "") for merchant in state.quotes
        }
        try:
            checkout.choose_shipping(state, choices)
        except checkout.CheckoutProblem as error:
            problem = str(error)
        else:
            save(state)
            if not fragment_requested():
                return redirect(url_for("checkout.review"), 303)
    else:
        preselect_cheapest(state)
    save(state)
    summary = checkout.summarize(db.session, current_app.config, cart, state)
    unavailable = [choice.group.merchant_name for choice in summary.shipments if not choice.quotes]
    response = render_page_or_block(
        "checkout/shipping.html",
        "summary",
        summary=summary,
        state=state,
        problem=problem,
        unavailable=unavailable,
        step="shipping",
    )
    response.status_code = problem_status() if problem else 200
    return response


def problem_status() -> int:
    """422 for a rejected submission; 200 for htmx, which only swaps in successful answers."""
    return 200 if fragment_requested() else INVALID_SUBMISSION


def drop_unusable_promo_code(state: CheckoutState, summary: checkout.CheckoutSummary) -> list[str]:
    """A promo code that stopped applying (expired, used up, below its minimum) is taken off,
    saying why, so the order can be placed at the price shown."""
    if not state.promo_code or summary.discount:
        return []
    try:
        checkout.find_promotion(db.session, state.promo_code, summary.subtotal)
    except checkout.PromoCodeRejected as error:
        state.promo_code = ""
        save(state)
        return [f"{error} We took it off your order."]
    return []


def review_page(
    cart: CartView,
    state: CheckoutState,
    *,
    promo_form: PromoCodeForm | None = None,
    problem: str = "",
    applied: str = "",
    status: int = 200,
) -> Response:
    """The review page (or, for htmx, its summary block) for a checkout ready to be placed."""
    summary = checkout.summarize(db.session, current_app.config, cart, state)
    dropped = drop_unusable_promo_code(state, summary)
    response = render_page_or_block(
        "checkout/review.html",
        "summary",
        summary=summary,
        state=state,
        notices=(*cart.notices, *dropped),
        promo_form=promo_form or PromoCodeForm(formdata=None),
        place_form=PlaceOrderForm(formdata=None, token=state.token, reviewed=summary.fingerprint),
        problem=problem,
        applied=applied,
        step="review",
    )
    response.status_code = status
    return response


def pending_page(order: Order, state: CheckoutState, problem: str = "", status: int = 200):
    """The review step of a checkout whose order waits for payment: continue to pay it (on the
    same payment page, which remembers why the last card was declined)."""
    return render_template(
        "checkout/pending.html",
        order=order,
        payment=payments.payment_for_order(db.session, order.id),
        order_url=url_for("orders.detail", number=order.number, key=order_key(order)),
        place_form=PlaceOrderForm(formdata=None, token=state.token),
        problem=problem,
        step="review",
    ), status


@bp.get("/review")
def review():
    """Step 3: everything line by line, promo code, and the "Place order" button; once the
    order is placed, the way to pay it, and once paid, its confirmation."""
    state = current_state()
    cart = current_cart()
    order = placed_order(state, cart)
    if order is not None and order.status != OrderStatus.PENDING_PAYMENT:
        return redirect(completion_url(order), 303)
    if order is not None:
        return pending_page(order, state)
    cart = cart_with_lines(cart)
    return review_page(cart, ready_for_review(cart, state))


@bp.post("/promo")
def apply_promo():
    """Apply a promo code; htmx swaps the totals, errors are shown inline (422)."""
    cart = cart_with_lines()
    state = ready_for_review(cart, current_state())
    form = PromoCodeForm()
    if form.validate_on_submit():
        try:
            checkout.apply_promo(db.session, state, form.code.data, cart)
        except checkout.PromoCodeRejected as error:
            form.code.errors = [*form.code.errors, str(error)]
        else:
            save(state)
            applied = f"Promo code {state.promo_code} applied."
            if fragment_requested():
                return review_page(cart, state, applied=applied)
            flash(applied, "success")
            return redirect(url_for("checkout.review"), 303)
    return review_page(cart, state, promo_form=form, status=problem_status())


def short_stock_message(short: list[ShortLine], cart: CartView) -> str:
    """One sentence naming every line that stock can no longer cover."""
    parts = []
    for line in short:
        cart_line = cart.line(line.variant_id)
        name = cart_line.title if cart_line else "An item"
        left = f"only {line.available} left" if line.available > 0 else "sold out"
        parts.append(f"{name} ({left}, you asked for {line.requested})")
    return (
        "Some items are no longer in stock: "
        + "; ".join(parts)
        + ". Change your cart and try again."
    )


def stale_checkout() -> tuple[str, int]:
    """The answer to a place-order form that belongs to another checkout (409)."""
    return render_template("checkout/stale.html", message=STALE_CHECKOUT), CONFLICT


@bp.errorhandler(PlacingTooFast)
def keep_checkout(error: PlacingTooFast) -> Response:
    """Placing orders too fast keeps the checkout: its page again with why, as a 429."""
    response = current_app.make_response(limited_checkout_page())
    response.status_code = TOO_MANY_REQUESTS
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def limited_checkout_page():
    """The page the shopper was placing the order from, with the rate limit's message."""
    state = saved_state()
    cart = current_cart()
    order = placed_order(state, cart) if state is not None else None
    if order is not None and order.status == OrderStatus.PENDING_PAYMENT:
        return pending_page(order, state, problem=PLACING_TOO_FAST)
    if state is None or order is not None or cart.is_empty:
        return render_template("checkout/stale.html", message=PLACING_TOO_FAST)
    try:
        ready = ready_for_review(cart, state)
    except StepNotReady:
        return render_template("checkout/stale.html", message=PLACING_TOO_FAST)
    return review_page(cart, ready, problem=PLACING_TOO_FAST)


@bp.post("/place")
@limiter.limit(PLACE_ORDER_RATE_LIMIT, on_breach=placing_too_fast)
def place():
    """Place the order (once per checkout token, however often it is sent), then go and pay."""
    form = PlaceOrderForm()
    state = saved_state()
    if (
        not form.validate_on_submit()
        or state is None
        or not hmac.compare_digest(form.token.data.encode(), state.token.encode())
    ):
        return stale_checkout()
    cart = current_cart()
    try:
        order = committed(
            db.session,
            lambda: checkout.place_order(
                db.session,
                current_app.config,
                cart,
                state,
                shopper_id(),
                reviewed=form.reviewed.data or None,
            ),
        )
    except InsufficientStock as error:
        db.session.rollback()
        return placing_failed(cart, state, short_stock_message(error.short, cart))
    except checkout.CheckoutProblem as error:
        db.session.rollback()
        return placing_failed(cart, state, str(error))
    if order.status == OrderStatus.PENDING_PAYMENT:
        return pay(order, state)
    if order.status in PAID_STATUSES:
        return redirect(completion_url(order), 303)
    return redirect(url_for("checkout.review"), 303)


def placing_failed(cart: CartView, state: CheckoutState, problem: str):
    """The review page again with what stopped the order (409), or the step that needs work."""
    if cart.is_empty:
        raise StepNotReady("cart.show", problem)
    try:
        ready = ready_for_review(cart, state)
    except StepNotReady as step:
        raise StepNotReady(step.endpoint, problem) from None
    return review_page(cart, ready, problem=problem, status=CONFLICT)


def completion_url(order: Order) -> str:
    """The confirmation page of an order (absolute: the payment provider sends shoppers there)."""
    return absolute_url("checkout.complete", number=order.number, key=order_key(order))


def pay(order: Order, state: CheckoutState):
    """Open (or reopen) the order's payment on the provider's page and send the shopper there."""
    gateway = payments.gateway_from_config(current_app.config, redis_client(current_app))
    try:
        payment = payments.start_payment(
            db.session,
            gateway,
            order_id=order.id,
            reference=order.number,
            amount=order.total,
            email=order.email,
            description=f"{current_app.config['SITE_NAME']} order {order.number}",
            success_url=completion_url(order),
            cancel_url=absolute_url("checkout.review"),
            expires_at=order.reserved_until,
        )
        db.session.commit()
    except GatewayError:
        db.session.rollback()
        return pending_page(order, state, problem=GATEWAY_PROBLEM, status=PROVIDER_UNAVAILABLE)
    if payment.status != PaymentStatus.PENDING:
        return redirect(completion_url(order), 303)
    return redirect(payment.redirect_url, 303)


def payment_outcome(order: Order) -> str:
    """ "paid", "waiting" (not paid yet, or the provider has not told us yet), "failed" or
    "closed"; only "waiting" may still change."""
    if order.status == OrderStatus.PENDING_PAYMENT:
        return "waiting"
    if order.status == OrderStatus.PAYMENT_FAILED:
        return "failed"
    if order.status in PAID_STATUSES:
        return "paid"
    return "closed"


def finish_checkout(order: Order) -> int | None:
    """Once this browser's checkout is paid: empty its cart and end the checkout.

    Returns the new cart count when the cart was emptied here (for the header), else None.
    """
    state = saved_state()
    if state is None or state.token != order.checkout_token:
        return None
    key, _ = cart_pages.cart_identity()
    if key is not None:
        carts.clear_cart(cart_pages.store(), key)
    session.pop(STATE_KEY, None)
    return 0


@bp.get("/complete/<number>")
def complete(number: str):
    """Confirmation: thank you once paid; until then, a block that re-checks by itself (and
    the way back to the same payment page, where a declined card may be replaced)."""
    key = request.args.get("key", "")
    if not valid_access_key(current_app.config["SECRET_KEY"], number, key):
        abort(404)
    try:
        order = orders.order_by_number(db.session, number)
    except orders.OrderNotFound:
        abort(404)
    outcome = payment_outcome(order)
    emptied_cart = finish_checkout(order) if outcome == "paid" else None
    payment = payments.payment_for_order(db.session, order.id) if outcome == "waiting" else None
    return render_page_or_block(
        "checkout/complete.html",
        "status",
        order=order,
        outcome=outcome,
        payment=payment,
        emptied_cart=emptied_cart,
        last_message=order.history[-1].message if order.history else "",
        status_url=url_for("checkout.complete", number=order.number, key=key),
        order_url=url_for("orders.detail", number=order.number, key=key),
        step="complete",
    )
