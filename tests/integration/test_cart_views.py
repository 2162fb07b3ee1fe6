"""Cart pages: plain posts and redirects, htmx fragments with out-of-band updates, the guest
cookie, privacy between browsers, bad input, CSRF and the header's mini-cart."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.cart import services
from app.catalog.models import Product
from app.extensions import redis_client
from tests.support.factories import make_merchant, make_product
from tests.support.queries import count_queries

HTMX = {"HX-Request": "true"}


def browser(app) -> FlaskClient:
    """Another browser, with its own cookies."""
    return app.test_client()


def add(client, variant_id, quantity="1", headers=None):
    return client.post(
        "/cart/add", data={"variant_id": str(variant_id), "quantity": quantity}, headers=headers
    )


def set_cookie_header(response, name: str) -> str:
    """The Set-Cookie header that sets `name`."""
    return next(
        header for header in response.headers.getlist("Set-Cookie") if header.startswith(f"{name}=")
    )


def guest_key(client) -> str:
    """The cart key named by the browser's `cart` cookie."""
    return "guest:" + client.get_cookie("cart").value


def mini_cart(html: str) -> str:
    """The header's cart link."""
    return re.search(r'<a id="mini-cart"[^>]*>.*?</a>', html).group(0)


@pytest.fixture()
def tee(database) -> Product:
    """A two-size tee: S ($18, 5 left) and M ($19, sold out)."""
    return make_product(
        merchant=make_merchant("Northwind Goods"),
        name="Organic Tee",
        prices=(1800, 1900),
        stock=(5, 0),
        options=({"Size": "S"}, {"Size": "M"}),
    )


@pytest.fixture()
def mug(database) -> Product:
    """A one-variant mug ($12, 30 left) from another merchant."""
    return make_product(
        merchant=make_merchant("Fernhill Home"), name="Stoneware Mug", prices=(1200,), stock=30
    )


def test_an_empty_cart_page_for_a_new_guest(client):
    response = client.get("/cart")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Your cart is empty." in html
    assert '<meta name="robots" content="noindex">' in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "cart=" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_browsing_sets_no_cart_cookie_and_shows_an_empty_mini_cart(client, tee):
    for url in ("/", f"/p/{tee.slug}", "/cart"):
        response = client.get(url)
        assert "cart=" not in " ".join(response.headers.getlist("Set-Cookie")), url
    assert "Cart, 0 items" in mini_cart(client.get("/").get_data(as_text=True))


def test_the_product_page_has_an_add_to_cart_form_for_the_chosen_variant(client, tee):
    small, medium = tee.variants

    page = client.get(f"/p/{tee.slug}").get_data(as_text=True)
    sold_out = client.get(f"/p/{tee.slug}?variant={medium.id}").get_data(as_text=True)
    swapped = client.get(f"/p/{tee.slug}?variant={small.id}", headers=HTMX).get_data(as_text=True)

    assert 'action="/cart/add"' in page and 'data-hx-post="/cart/add"' in page
    assert f'name="variant_id" value="{small.id}"' in page
    assert 'max="5"' in page and '<label for="add-quantity">Quantity</label>' in page
    assert 'action="/cart/add"' not in sold_out
    assert '<div id="add-to-cart" data-hx-swap-oob="true">' in swapped
    assert f'name="variant_id" value="{small.id}"' in swapped


def test_adding_without_javascript_goes_back_to_the_product_with_a_message(client, tee):
    small = tee.variants[0]

    response = add(client, small.id, "2")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/p/{tee.slug}?variant={small.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Added to your cart: Organic Tee (S), quantity 2." in page
    assert '<span aria-hidden="true">Cart (2)</span>' in mini_cart(page)
    assert '<span class="visually-hidden">Cart, 2 items</span>' in mini_cart(page)


def test_adding_a_one_variant_product_goes_back_to_its_plain_url(client, mug):
    response = add(client, mug.variants[0].id)

    assert response.headers["Location"] == f"/p/{mug.slug}"
    assert "Cart, 1 item<" in mini_cart(client.get("/").get_data(as_text=True))


def test_the_guest_cookie_is_long_lived_http_only_and_lax(app, client, tee):
    response = add(client, tee.variants[0].id)

    header = set_cookie_header(response, "cart")
    cookie = SimpleCookie(header)["cart"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie.value)
    assert cookie["max-age"] == str(app.config["CART_LIFETIME_DAYS"] * 86400)
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["secure"]
    assert redis_client(app).exists(f"cart:guest:{cookie.value}")


def test_the_guest_cookie_is_secure_in_production(app, tee):
    production = create_app({**app.config, "PRODUCTION": True})

    response = add(production.test_client(), tee.variants[0].id)

    assert SimpleCookie(set_cookie_header(response, "cart"))["cart"]["secure"]


def test_adding_with_htmx_confirms_and_updates_the_count_out_of_band(client, tee):
    response = add(client, tee.variants[0].id, "3", headers=HTMX)
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<html" not in html
    assert "Added to your cart: Organic Tee (S), quantity 3." in html
    assert 'href="/cart">View your cart</a>' in html
    assert '<a id="mini-cart" class="mini-cart" href="/cart" data-hx-swap-oob="true">' in html
    assert "Cart (3)" in mini_cart(html) and "Cart, 3 items" in mini_cart(html)


def test_adding_more_than_is_left_says_so(client, tee):
    add(client, tee.variants[0].id, "4")

    html = add(client, tee.variants[0].id, "4", headers=HTMX).get_data(as_text=True)

    assert "quantity 5." in html
    assert "Only 5 left of Organic Tee (S); we changed your quantity." in html


def test_the_cart_page_groups_lines_by_merchant(client, tee, mug):
    add(client, tee.variants[0].id, "2")
    add(client, mug.variants[0].id, "3")

    response = client.get("/cart")
    html = response.get_data(as_text=True)

    assert response.headers["Cache-Control"] == "no-store"
    assert html.index("Sold by Fernhill Home") < html.index("Sold by Northwind Goods")
    assert "Subtotal from Northwind Goods: $36.00" in html
    assert "Subtotal from Fernhill Home: $36.00" in html
    assert '<dd id="cart-subtotal">$72.00</dd>' in html
    assert '<dd id="cart-count">5</dd>' in html
    assert 'href="/checkout">Checkout</a>' in html
    assert f'<label for="quantity-{tee.variants[0].id}">Quantity' in html
    assert 'Remove<span class="visually-hidden"> Organic Tee (S)</span>' in html


def test_the_cart_page_shows_what_changed_since_last_time(client, database, tee):
    add(client, tee.variants[0].id, "4")
    database.get(type(tee.variants[0]), tee.variants[0].id).price_amount = 2000
    database.commit()

    html = client.get("/cart").get_data(as_text=True)

    assert "The price of Organic Tee (S) changed from $18.00 to $20.00." in html
    assert "The price of" not in client.get("/cart").get_data(as_text=True)


def test_the_cart_page_reads_the_cart_in_one_statement_however_long(client, tee, mug):
    few = browser(client.application)
    add(few, mug.variants[0].id)
    add(client, mug.variants[0].id)
    add(client, tee.variants[0].id)
    for _ in range(3):
        extra = make_product(stock=9)
        add(client, extra.variants[0].id)

    engine = client.application.extensions["sqlalchemy"].engine
    few.get("/cart")  # warms the category tree cache of the header

    with count_queries(engine) as short:
        few.get("/cart")
    with count_queries(engine) as long:
        client.get("/cart")

    assert short.count == long.count == 1, long


def test_changing_a_quantity_without_javascript_redirects_to_the_cart(client, tee):
    small = tee.variants[0]
    add(client, small.id)

    response = client.post(f"/cart/lines/{small.id}", data={"quantity": "3"})

    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    html = client.get("/cart").get_data(as_text=True)
    assert "Updated Organic Tee (S): quantity 3." in html
    assert f'id="quantity-{small.id}" type="number" name="quantity" value="3"' in html


def test_changing_a_quantity_with_htmx_returns_the_cart_block_and_out_of_band_updates(
    client, tee, mug
):
    small = tee.variants[0]
    add(client, small.id)
    add(client, mug.variants[0].id)

    response = client.post(f"/cart/lines/{small.id}", data={"quantity": "9"}, headers=HTMX)
    html = response.get_data(as_text=True)

    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<h1 id="cart-title"')
    assert "Only 5 left of Organic Tee (S); we changed your quantity." in html
    assert '<dd id="cart-count">6</dd>' in html
    assert 'data-hx-swap-oob="true"' in mini_cart(html) and "Cart (6)" in mini_cart(html)
    assert '<div id="flash" data-hx-swap-oob="innerHTML">' in html
    assert "Updated Organic Tee (S): quantity 5." in html
    assert response.headers["Cache-Control"] == "no-store"


def test_quantity_zero_removes_the_line(client, tee):
    small = tee.variants[0]
    add(client, small.id)

    html = client.post(f"/cart/lines/{small.id}", data={"quantity": "0"}, headers=HTMX).get_data(
        as_text=True
    )

    assert "Your cart is empty." in html and "Removed from your cart." in html
    assert "data-focus-after-swap" in html


def test_removing_without_javascript_and_with_htmx(client, tee, mug):
    small = tee.variants[0]
    add(client, small.id, "2")
    add(client, mug.variants[0].id)

    plain = client.post(f"/cart/lines/{small.id}/remove")
    fragment = client.post(f"/cart/lines/{mug.variants[0].id}/remove", headers=HTMX)

    assert plain.status_code == 303 and plain.headers["Location"] == "/cart"
    html = fragment.get_data(as_text=True)
    assert "Your cart is empty." in html
    assert "Cart (0)" in mini_cart(html) and "Cart, 0 items" in mini_cart(html)
    assert "Removed from your cart." in html
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"variant_id": "abc", "quantity": "1"}, 422, "That is not an item we sell."),
        ({"variant_id": "", "quantity": "1"}, 422, "That is not an item we sell."),
        ({"variant_id": "-4", "quantity": "1"}, 422, "That is not an item we sell."),
        ({"variant_id": "99999999999999999999", "quantity": "1"}, 422, "not an item we sell"),
        ({"variant_id": "{small}", "quantity": "zero"}, 422, "Choose a quantity from 1 to 99."),
        ({"variant_id": "{small}", "quantity": "-1"}, 422, "Choose a quantity from 1 to 99."),
        ({"variant_id": "{small}", "quantity": "0"}, 422, "Choose a quantity from 1 to 99."),
        ({"variant_id": "{small}", "quantity": "100"}, 422, "Choose a quantity from 1 to 99."),
        ({"variant_id": "{small}", "quantity": "9" * 40}, 422, "Choose a quantity"),
        ({"variant_id": "{small}", "quantity": "2.5"}, 422, "Choose a quantity"),
        ({"variant_id": "123456", "quantity": "1"}, 404, "that item is not for sale any more"),
        ({"variant_id": "{medium}", "quantity": "1"}, 409, "Organic Tee (M) is out of stock."),
    ],
)
def test_bad_additions_get_a_clear_4xx_and_change_nothing(client, tee, form, status, message):
    ids = {"small": tee.variants[0].id, "medium": tee.variants[1].id}
    data = {name: value.format(**ids) for name, value in form.items()}

    response = client.post("/cart/add", data=data)

    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert "cart=" not in " ".join(response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("quantity", ["", "x", "-1", "100", "1e3"])
def test_bad_quantity_changes_get_422(client, tee, quantity):
    small = tee.variants[0]
    add(client, small.id, "2")

    response = client.post(f"/cart/lines/{small.id}", data={"quantity": quantity})

    assert response.status_code == 422
    assert "Choose a quantity from 0 to 99." in response.get_data(as_text=True)
    assert '<dd id="cart-count">2</dd>' in client.get("/cart").get_data(as_text=True)


def test_changing_a_line_that_is_not_in_the_cart_is_a_404(client, tee):
    small, medium = tee.variants

    nobody = client.post(f"/cart/lines/{small.id}", data={"quantity": "1"})
    add(client, small.id)
    missing = client.post(f"/cart/lines/{medium.id}", data={"quantity": "1"})
    huge = client.post(f"/cart/lines/{2**40}", data={"quantity": "1"})

    assert nobody.status_code == 404 and missing.status_code == 404
    assert "That item is no longer in your cart." in missing.get_data(as_text=True)
    assert huge.status_code == 404


def test_an_htmx_request_that_fails_reloads_the_page_to_show_why(client, tee):
    response = add(client, tee.variants[1].id, headers=HTMX)

    assert response.status_code == 409
    assert response.headers["HX-Refresh"] == "true"
    page = client.get(f"/p/{tee.slug}").get_data(as_text=True)
    assert "Sorry, Organic Tee (M) is out of stock." in page


def test_another_guests_cart_is_never_visible(app, client, tee, mug):
    # given a guest with a tee in their cart
    add(client, tee.variants[0].id, "2")
    stranger, forger = browser(app), browser(app)
    forger.set_cookie("cart", "../../user:1")
    # when another guest adds a mug, and a third sends a malformed cookie
    add(stranger, mug.variants[0].id)
    # then each sees only their own cart
    assert "Organic Tee" in client.get("/cart").get_data(as_text=True)
    stranger_page = stranger.get("/cart").get_data(as_text=True)
    assert "Stoneware Mug" in stranger_page and "Organic Tee" not in stranger_page
    assert "Your cart is empty." in forger.get("/cart").get_data(as_text=True)
    assert "Cart, 0 items" in mini_cart(forger.get("/").get_data(as_text=True))
    assert client.get_cookie("cart").value != stranger.get_cookie("cart").value


def test_the_mini_cart_costs_no_sql(client, tee):
    add(client, tee.variants[0].id, "2")
    engine = client.application.extensions["sqlalchemy"].engine
    empty_handed_browser = browser(client.application)
    empty_handed_browser.get("/")  # warms the category tree cache of the header
    with count_queries(engine) as empty_handed:
        empty_handed_browser.get("/")

    with count_queries(engine) as with_cart:
        html = client.get("/").get_data(as_text=True)

    assert with_cart.count == empty_handed.count
    assert "Cart (2)" in mini_cart(html)


def test_csrf_protection_when_enabled(app, client, tee, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    small = tee.variants[0]
    page = client.get(f"/p/{tee.slug}")

    cross_site = client.post(
        "/cart/add",
        data={"variant_id": small.id, "quantity": "1"},
        headers={"Origin": "https://evil.example"},
    )
    opaque = client.post(
        "/cart/add", data={"variant_id": small.id, "quantity": "1"}, headers={"Origin": "null"}
    )
    from_our_page = client.post(
        "/cart/add",
        data={"variant_id": small.id, "quantity": "1"},
        headers={"Origin": "http://localhost", "Referer": f"http://localhost/p/{tee.slug}"},
    )
    change_refused = client.post(f"/cart/lines/{small.id}", data={"quantity": "2"})
    remove_refused = client.post(f"/cart/lines/{small.id}/remove")

    assert "Set-Cookie" not in page.headers
    assert "csrf_token" not in page.get_data(as_text=True).split('class="add-to-cart"')[1][:400]
    assert cross_site.status_code == 403 and opaque.status_code == 403
    assert from_our_page.status_code == 303
    assert change_refused.status_code == 400 and remove_refused.status_code == 400
    assert "Your form expired" in change_refused.get_data(as_text=True)
    assert services.cart_count(services.cart_store(app), guest_key(client)) == 1
