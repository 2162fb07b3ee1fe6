"""Cart pages: the cart, and the posts that change it (plain forms, or htmx fragments).

A signed-in user's cart is theirs; a guest's is named by the long-lived `cart` cookie, set only
once they add something. At sign-in the guest cart is merged into the user's.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    after_this_request,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_login import UserMixin, current_user, user_logged_in
from htmx_flask import request
from markupsafe import Markup
from werkzeug.routing import BuildError

from app.cart import rules, services
from app.database import db
from app.platform.errors import render_error
from app.platform.htmx import render_page_or_block
from app.platform.security import origin_checked
from app.platform.templating import link

bp = Blueprint("cart", __name__, url_prefix="/cart")

COOKIE_NAME = "cart"
PROBLEM_STATUS = {
    rules.InvalidQuantity: 422,
    rules.InvalidVariant: 422,
    rules.ItemNotFound: 404,
    rules.LineNotFound: 404,
    rules.OutOfStock: 409,
    rules.CartFull: 409,
}


def store() -> services.CartStore:
    """The app's cart store."""
    return services.cart_store(current_app)


def guest_token() -> str | None:
    """The token in the browser's `cart` cookie, if it has a well-formed one."""
    token = request.cookies.get(COOKIE_NAME)
    return token if rules.is_guest_token(token) else None


def cart_identity(create: bool = False) -> tuple[str | None, str | None]:
    """The current cart's key and, for a guest, their token; a new token when `create`."""
    if current_user.is_authenticated:
        return rules.user_cart_key(current_user.id), None
    token = guest_token()
    if token is None and create:
        token = rules.new_guest_token()
    return (rules.guest_cart_key(token), token) if token else (None, None)


def remember(cart: services.CartView, token: str | None = None) -> None:
    """After a change: the header shows this count, and a guest's cookie is (re)set."""
    g.cart_count = cart.count
    if token:
        g.cart_cookie = token


@bp.app_template_global()
def mini_cart_count() -> int:
    """Units in the current cart, for the header: one Redis call per page at most, no SQL."""
    if "cart_count" not in g:
        key, _ = cart_identity()
        g.cart_count = services.cart_count(store(), key) if key else 0
    return g.cart_count


@bp.app_template_global()
def mini_cart(count: int, oob: bool = False) -> Markup:
    """The header's link to the cart, "Cart (3)" read as "Cart, 3 items"; `oob` marks it for an
    htmx out-of-band swap. Built in Python: every page's header draws it."""
    swap = ' data-hx-swap-oob="true"' if oob else ""
    items = "item" if count == 1 else "items"
    return Markup(
        f'<a id="mini-cart" class="mini-cart" href="{link("cart.show")}"{swap}>'
        f'<span aria-hidden="true">Cart ({int(count)})</span>'
        f'<span class="visually-hidden">Cart, {int(count)} {items}</span></a>'
    )


@bp.app_context_processor
def cart_limits() -> dict:
    """The per-line maximum, for quantity inputs."""
    return {"cart_max_quantity": rules.MAX_QUANTITY}


@bp.after_request
def finish(response: Response) -> Response:
    """Cart responses are personal: never cached; a guest's cookie lives as long as the cart."""
    response.headers["Cache-Control"] = "no-store"
    token = g.pop("cart_cookie", None)
    if token:
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=int(store().lifetime.total_seconds()),
            httponly=True,
            samesite="Lax",
            secure=current_app.config["PRODUCTION"],
        )
    return response


@bp.errorhandler(rules.CartError)
def cart_problem(error: rules.CartError):
    """A change that cannot be made: the reason, with a 4xx status.

    htmx does not swap 4xx answers, so it is told to reload the page, which shows the reason
    (flashed) beside the current state of things.
    """
    body, status = render_error(PROBLEM_STATUS.get(type(error), 400), str(error))
    response = make_response(body, status)
    if request.htmx:
        flash(str(error), "error")
        response.headers["HX-Refresh"] = "true"
    return response


def checkout_url() -> str:
    """Where the Checkout button goes."""
    try:
        return url_for("checkout.start")
    except BuildError:
        return "/checkout"


def is_fragment_request() -> bool:
    """Whether this is an htmx request that gets a fragment (not a history restore)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_cart(cart: services.CartView, focus_title: bool = False) -> Response:
    """The cart page, or its cart block with the header count and messages out of band."""
    return render_page_or_block(
        "cart/cart.html",
        "cart",
        cart=cart,
        checkout_url=checkout_url(),
        focus_title=focus_title,
        out_of_band=is_fragment_request(),
    )


def cart_changed(cart: services.CartView, message: str, focus_title: bool = False):
    """After a change on the cart page: the fragment for htmx, else back to the cart (303)."""
    flash(message, "success")
    if is_fragment_request():
        return render_cart(cart, focus_title)
    for notice in cart.notices:
        flash(notice, "info")
    return redirect(url_for("cart.show"), 303)


@bp.get("")
def show():
    """The cart: lines grouped by merchant, quantities, subtotal, notices, checkout."""
    key, _ = cart_identity()
    cart = services.load_cart(db.session, store(), key) if key else services.empty_cart(store())
    remember(cart)
    return render_cart(cart)


@bp.post("/add")
@origin_checked
def add():
    """Add a variant (from its product page); htmx gets a confirmation, others go back there."""
    variant_id = rules.parse_variant_id(request.form.get("variant_id"))
    quantity = rules.parse_quantity(request.form.get("quantity", "1"), minimum=1)
    key, token = cart_identity(create=True)
    cart = services.add_item(db.session, store(), key, variant_id, quantity)
    remember(cart, token)
    line = cart.line(variant_id)
    message = f"Added to your cart: {line.title}, quantity {line.quantity}."
    if is_fragment_request():
        return render_template("cart/_added.html", cart=cart, message=message)
    flash(message, "success")
    for notice in cart.notices:
        flash(notice, "info")
    variant = {"variant": variant_id} if line.variant_name else {}
    return redirect(url_for("catalog.product", slug=line.product_slug, **variant), 303)


@bp.post("/lines/<int:variant_id>")
def update_line(variant_id: int):
    """Change a line's quantity (0 removes it)."""
    quantity = rules.parse_quantity(request.form.get("quantity"), minimum=0)
    key, token = cart_identity()
    if key is None:
        raise rules.LineNotFound("That item is no longer in your cart.")
    cart = services.set_quantity(db.session, store(), key, variant_id, quantity)
    remember(cart, token)
    line = cart.line(variant_id)
    if line is None:
        return cart_changed(cart, "Removed from your cart.", focus_title=True)
    return cart_changed(cart, f"Updated {line.title}: quantity {line.quantity}.")


@bp.post("/lines/<int:variant_id>/remove")
def remove_line(variant_id: int):
    """Take a line out of the cart."""
    key, token = cart_identity()
    if key is not None:
        cart = services.remove_item(db.session, store(), key, variant_id)
        remember(cart, token)
    else:
        cart = services.empty_cart(store())
    return cart_changed(cart, "Removed from your cart.", focus_title=True)


def merge_guest_cart(app: Flask, user: UserMixin, **extra) -> None:
    """Signal handler: at sign-in, the guest cart joins the user's and its cookie is dropped."""
    token = guest_token()
    if token is None:
        return
    cart = services.merge_carts(
        db.session,
        services.cart_store(app),
        rules.guest_cart_key(token),
        rules.user_cart_key(user.id),
    )
    for notice in cart.notices:
        flash(notice, "info")

    @after_this_request
    def forget_guest_cart(response: Response) -> Response:
        response.delete_cookie(
            COOKIE_NAME, httponly=True, samesite="Lax", secure=app.config["PRODUCTION"]
        )
        return response


@bp.record_once
def connect_signals(state: BlueprintSetupState) -> None:
    """Listen for sign-ins of this app (the accounts context knows nothing of carts)."""
    user_logged_in.connect(merge_guest_cart, sender=state.app)
