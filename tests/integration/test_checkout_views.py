"""Checkout through the web: details, shipping, review, promo codes, place order, pay, confirm."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.accounts import services as accounts
from app.accounts.rules import AddressFields
from app.cart.services import CartLine, CartView
from app.checkout.models import DiscountKind, Promotion
from app.checkout.views import short_stock_message
from app.database import utcnow
from app.inventory import services as inventory
from app.inventory.services import ShortLine
from app.money import Money
from app.orders import services as orders
from app.orders.models import Order, OrderStatus
from app.orders.rules import access_key
from app.payments.models import Payment
from tests.support.buying import stock
from tests.support.factories import make_merchant, make_product
from tests.support.stand_in import refusing_base_url

CALIFORNIA = {
    "email": "ada@example.com",
    "full_name": "Ada Shopper",
    "line1": "1 Market Street",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
}
PASSWORD = "correct horse battery"
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
TOKEN_FIELD = re.compile(r'name="token" value="([^"]+)"')
REVIEWED_FIELD = re.compile(r'name="reviewed" value="([^"]*)"')
HTMX = {"HX-Request": "true"}


@pytest.fixture()
def shop(database):
    """Two shops: a tee from Juniper, a mug from Northwind."""
    juniper, northwind = make_merchant("Juniper & Oak"), make_merchant("Northwind Goods")
    tee = make_product(merchant=juniper, name="Pocket Tee", prices=(2000,), stock=5)
    mug = make_product(merchant=northwind, name="Stoneware Mug", prices=(1500,), stock=3)
    return {"tee": tee, "mug": mug, "juniper": juniper, "northwind": northwind}


def add(client, product, quantity=1):
    response = client.post(
        "/cart/add", data={"variant_id": product.variants[0].id, "quantity": quantity}
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def enter_details(client, **changes):
    return client.post("/checkout/details", data={**CALIFORNIA, **changes})


def to_review(client, *products, **address):
    """Cart, details and shipping done (cheapest rates preselected): the review page."""
    for product in products:
        add(client, product)
    assert enter_details(client, **address).status_code == 303
    client.get("/checkout/shipping")
    response = client.get("/checkout/review")
    assert response.status_code == 200, response.headers.get("Location")
    return response


def token_of(page) -> str:
    return TOKEN_FIELD.search(page.get_data(as_text=True)).group(1)


def place(client, page, **kwargs):
    """Press the "Place order" (or "Continue to payment") button of a page."""
    text = page.get_data(as_text=True)
    data = {"token": token_of(page)}
    if reviewed := REVIEWED_FIELD.search(text):
        data["reviewed"] = reviewed.group(1)
    return client.post("/checkout/place", data=data, **kwargs)


def pay(client, payment_url, card=GOOD_CARD):
    """Pay on the test gateway's page; buffered, so the jobs after the response have run."""
    return client.post(
        urlsplit(payment_url).path,
        data={"card_number": card, "expiry": "12/39", "cvc": "123", "name": "Ada Shopper"},
        buffered=True,
    )


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def orders_in(database) -> list[Order]:
    database.expire_all()
    return list(database.scalars(sa.select(Order)))


# --- starting and the steps -------------------------------------------------------------------


def test_an_empty_cart_goes_back_to_the_cart_with_a_message(client):
    response = client.get("/checkout")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cart")
    page = client.get("/cart").get_data(as_text=True)
    assert "Your cart is empty: add something before you check out." in page


def test_start_resumes_at_the_first_unfinished_step(client, shop):
    add(client, shop["tee"])
    assert client.get("/checkout").headers["Location"].endswith("/checkout/details")

    enter_details(client)
    assert client.get("/checkout").headers["Location"].endswith("/checkout/shipping")

    client.get("/checkout/shipping")
    assert client.get("/checkout").headers["Location"].endswith("/checkout/review")


def test_later_steps_send_you_back_to_the_details(client, shop):
    add(client, shop["tee"])

    for path in ("/checkout/shipping", "/checkout/review"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/checkout/details")


def test_checkout_pages_are_never_cached_or_indexed_and_show_progress(client, shop):
    add(client, shop["tee"])

    response = client.get("/checkout/details")

    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in page
    assert '<li class="step-current" aria-current="step">Details</li>' in page


# --- details ----------------------------------------------------------------------------------


def test_missing_and_invalid_details_are_422_with_messages_by_field(client, shop):
    add(client, shop["tee"])

    response = enter_details(client, line1="", country="ZZ")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the street address." in page
    assert '<p class="field-error" id="country-error">Not a valid choice.</p>' in page
    assert 'aria-invalid="true"' in page
    assert client.get("/checkout").headers["Location"].endswith("/checkout/details")


def test_an_address_is_checked_for_its_country_with_messages_by_field(client, shop):
    add(client, shop["tee"])

    response = enter_details(client, city="", region="", postal_code="ABC")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field-error" id="city-error">Enter the town or city.</p>' in page
    assert '<p class="field-error" id="region-error">Choose the state.</p>' in page
    assert (
        '<p class="field-error" id="postal_code-error">'
        "Enter a valid ZIP code, like 95014 or 22162-1010.</p>"
    ) in page
    assert '<select id="region" name="region" autocomplete="shipping address-level1"' in page
    assert '<option value="CA">California</option>' in page
    assert client.get("/checkout").headers["Location"].endswith("/checkout/details")


def test_the_state_is_kept_as_its_code_and_the_address_written_as_the_country_does(client, shop):
    page = to_review(client, shop["tee"], region="california", postal_code="94105-1420")
    shipping = client.get("/checkout/shipping").get_data(as_text=True)

    assert "Ada Shopper<br>1 Market Street<br>San Francisco, CA 94105-1420<br>United States" in (
        page.get_data(as_text=True)
    )
    assert (
        "Shipping to Ada Shopper, 1 Market Street, San Francisco, CA 94105-1420, United States."
    ) in shipping


def test_a_malformed_email_is_refused(client, shop):
    add(client, shop["tee"])

    response = enter_details(client, email="ada at example")

    assert response.status_code == 422
    assert "Enter an email address like name@example.com." in response.get_data(as_text=True)


@pytest.fixture()
def ann(database):
    user = accounts.register_user(
        database, email="ann@example.com", password=PASSWORD, name="Ann Smith"
    )
    address = accounts.add_address(
        database,
        user.id,
        AddressFields(
            full_name="Ann Smith",
            line1="5 Harbour Road",
            city="Toronto",
            region="ON",
            postal_code="M5J 2N8",
            country="CA",
        ),
    )
    return user, address


def log_in(client, email="ann@example.com"):
    response = client.post("/account/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303


def test_a_signed_in_shopper_picks_a_saved_address(client, shop, ann):
    _, address = ann
    log_in(client)
    add(client, shop["tee"])

    form = client.get("/checkout/details").get_data(as_text=True)
    chosen = client.post(
        "/checkout/details",
        data={"email": "ann@example.com", "saved_address": str(address.id)},
    )

    assert 'value="ann@example.com"' in form
    assert "Ann Smith, 5 Harbour Road, Toronto ON M5J 2N8, Canada" in form
    assert re.search(rf'value="{address.id}"[^>]*checked|checked[^>]*value="{address.id}"', form)
    assert chosen.status_code == 303
    client.get("/checkout/shipping")
    review = client.get("/checkout/review").get_data(as_text=True)
    assert "5 Harbour Road" in review
    assert "GST" in review


def test_someone_elses_address_id_is_not_a_choice(client, shop, ann, database):
    other = accounts.register_user(database, email="bob@example.com", password=PASSWORD, name="Bob")
    _, anns_address = ann
    log_in(client, "bob@example.com")
    add(client, shop["tee"])

    response = client.post(
        "/checkout/details",
        data={"email": other.email, "saved_address": str(anns_address.id)},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not a valid choice." in page
    assert "5 Harbour Road" not in page


# --- shipping ---------------------------------------------------------------------------------


def test_shipping_lists_each_shops_lines_and_rates_with_the_cheapest_chosen(client, shop):
    add(client, shop["tee"])
    add(client, shop["mug"], 2)
    enter_details(client)

    page = client.get("/checkout/shipping").get_data(as_text=True)

    assert "From Juniper &amp; Oak" in page and "From Northwind Goods" in page
    assert "1 \u00d7 Pocket Tee" in page and "2 \u00d7 Stoneware Mug" in page
    for merchant in (shop["juniper"], shop["northwind"]):
        assert f'name="shipping-{merchant.id}" value="table:standard" checked required' in page
        assert f'name="shipping-{merchant.id}" value="table:express" required' in page
    assert "Marketplace Post Express, 1\u20132 days" in page and "$12.99" in page
    assert "Continue to review" in page


def test_without_js_continue_records_the_choices_and_goes_to_review(client, shop):
    add(client, shop["tee"])
    add(client, shop["mug"])
    enter_details(client)
    client.get("/checkout/shipping")

    response = client.post(
        "/checkout/shipping",
        data={
            f"shipping-{shop['juniper'].id}": "table:express",
            f"shipping-{shop['northwind'].id}": "table:standard",
        },
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/checkout/review")
    review = client.get("/checkout/review").get_data(as_text=True)
    assert "Marketplace Post Express, 1\u20132 days · $12.99" in review
    assert "Marketplace Post Standard, 3\u20135 days · $4.99" in review


def test_with_htmx_a_changed_rate_swaps_only_the_totals(client, shop):
    add(client, shop["tee"])
    enter_details(client)
    client.get("/checkout/shipping")

    response = client.post(
        "/checkout/shipping",
        data={f"shipping-{shop['juniper'].id}": "table:express"},
        headers=HTMX,
    )

    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert fragment.lstrip().startswith('<section id="checkout-summary"')
    assert "<html" not in fragment
    # 2000 goods + 1299 express + 7.25 % of 2000 (145) tax
    assert "$12.99" in fragment and "$34.44" in fragment


def test_a_rate_that_was_not_quoted_is_refused(client, shop):
    add(client, shop["tee"])
    enter_details(client)
    client.get("/checkout/shipping")

    response = client.post(
        "/checkout/shipping", data={f"shipping-{shop['juniper'].id}": "table:free"}
    )

    assert response.status_code == 422
    assert "Choose a shipping method for every shop." in response.get_data(as_text=True)


US_ONLY_RATES = """
currency = "USD"

[[zones]]
name = "United States"
countries = ["US"]

[[zones.services]]
name = "Standard"
carrier = "Marketplace Post"
bands = [{ max_grams = 30000, amount = 500 }]
"""


def test_a_shop_that_cannot_ship_there_stops_the_checkout(client, shop, app, tmp_path, monkeypatch):
    rates = Path(tmp_path / "rates.toml")
    rates.write_text(US_ONLY_RATES)
    monkeypatch.setitem(app.config, "SHIPPING_RATES_FILE", str(rates))
    add(client, shop["tee"])
    enter_details(client, country="FR", region="", postal_code="75001", city="Paris")

    page = client.get("/checkout/shipping").get_data(as_text=True)
    refused = client.post("/checkout/shipping", data={})

    assert "Juniper &amp; Oak cannot ship to this address" in page
    assert "Continue to review" not in page
    assert refused.status_code == 422
    assert client.get("/checkout/review").headers["Location"].endswith("/checkout/shipping")


# --- review, tax and promo codes --------------------------------------------------------------


def test_review_shows_every_total_line_by_line_with_the_destinations_tax(client, shop):
    page = to_review(client, shop["tee"], shop["mug"]).get_data(as_text=True)

    assert "Pocket Tee" in page and "Stoneware Mug" in page
    assert "1 Market Street" in page and "ada@example.com" in page
    assert "Card, on the secure payment page" in page
    # goods 3500, shipping 2 x 499, California 7.25 % of 3500 = 253.75 -> 254
    for label, amount in [
        ("Subtotal", "$35.00"),
        ("Shipping", "$9.98"),
        ("California sales tax", "$2.54"),
        ("Total", "$47.52"),
    ]:
        assert re.search(rf"<th scope=\"row\">{label}</th>\s*<td>{re.escape(amount)}</td>", page)
    assert '<li class="step-current" aria-current="step">Review</li>' in page


def test_an_untaxed_destination_shows_no_tax(client, shop):
    page = to_review(client, shop["tee"], region="OR", postal_code="97201", city="Portland")

    assert re.search(r'<th scope="row">Tax</th>\s*<td>\$0.00</td>', page.get_data(as_text=True))


@pytest.fixture()
def save10(database):
    promotion = Promotion(code="SAVE10", kind=DiscountKind.PERCENT, value=1000, currency="USD")
    database.add(promotion)
    database.commit()
    return promotion


def test_an_accepted_promo_code_takes_its_discount_off(client, shop, save10):
    to_review(client, shop["tee"])

    response = client.post("/checkout/promo", data={"code": " save10 "})

    assert response.status_code == 303
    page = client.get("/checkout/review").get_data(as_text=True)
    assert "Promo code SAVE10 applied." in page
    # 2000 - 200 discount + 499 shipping + 7.25 % of 1800 (130.5 -> 131)
    assert re.search(r'<th scope="row">Discount \(SAVE10\)</th>\s*<td>-\$2.00</td>', page)
    assert re.search(r'<th scope="row">Total</th>\s*<td>\$24.30</td>', page)


def test_a_rejected_promo_code_is_shown_inline_with_422(client, shop):
    to_review(client, shop["tee"])

    response = client.post("/checkout/promo", data={"code": "nope"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field-error" id="code-error">NOPE is not a valid promo code.</p>' in page
    assert "Place order" in page


def test_with_htmx_a_promo_code_swaps_the_summary_and_what_place_order_sends(client, shop, save10):
    review = to_review(client, shop["tee"])

    rejected = client.post("/checkout/promo", data={"code": "nope"}, headers=HTMX)
    accepted = client.post("/checkout/promo", data={"code": "SAVE10"}, headers=HTMX)

    for response in (rejected, accepted):
        fragment = response.get_data(as_text=True)
        assert response.status_code == 200
        assert fragment.lstrip().startswith('<section id="checkout-summary"')
        assert "<html" not in fragment and "Place order" in fragment
    assert "NOPE is not a valid promo code." in rejected.get_data(as_text=True)
    assert "Discount (SAVE10)" in accepted.get_data(as_text=True)
    assert "Promo code SAVE10 applied." in accepted.get_data(as_text=True)
    assert REVIEWED_FIELD.search(rejected.get_data(as_text=True)).group(1) == (
        REVIEWED_FIELD.search(review.get_data(as_text=True)).group(1)
    )
    assert place(client, accepted).status_code == 303


def test_an_order_that_changed_since_review_is_shown_again(client, shop, save10, database):
    client.post("/cart/add", data={"variant_id": shop["tee"].variants[0].id})
    to_review(client)
    client.post("/checkout/promo", data={"code": "SAVE10"})
    review = client.get("/checkout/review")
    save10.expires_at = utcnow() - timedelta(minutes=1)
    database.commit()

    response = place(client, review)

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Your order changed since you reviewed it. Check it and place it again." in page
    assert "SAVE10 has expired. We took it off your order." in page
    assert "Discount (SAVE10)" not in page
    assert orders_in(database) == []
    assert place(client, response).status_code == 303


# --- placing the order ------------------------------------------------------------------------


def test_placing_reserves_stock_and_sends_the_shopper_to_pay(client, shop, database):
    review = to_review(client, shop["tee"], shop["mug"])

    response = place(client, review)

    assert response.status_code == 303
    assert "/payments/test/" in response.headers["Location"]
    (order,) = orders_in(database)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.email == "ada@example.com" and order.total_amount == 4752
    assert stock(shop["tee"].variants[0].id) == (5, 1)
    assert stock(shop["mug"].variants[0].id) == (3, 1)
    assert token_of(review) not in response.headers["Location"]


def test_placing_twice_with_the_same_token_makes_one_order_and_one_payment(client, shop, database):
    review = to_review(client, shop["tee"])

    first = place(client, review)
    second = place(client, review)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(orders_in(database)) == 1
    assert database.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
    assert stock(shop["tee"].variants[0].id) == (5, 1)


def test_a_token_from_another_checkout_is_a_409(client, shop, database):
    to_review(client, shop["tee"])

    response = client.post("/checkout/place", data={"token": "not-this-checkout"})

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "This checkout page is out of date" in page
    assert 'href="/checkout/review"' in page
    assert orders_in(database) == []


def test_while_the_order_waits_for_payment_review_offers_to_continue(client, shop):
    review = to_review(client, shop["tee"])
    payment_url = place(client, review).headers["Location"]

    page = client.get("/checkout/review")
    again = place(client, page)

    text = page.get_data(as_text=True)
    assert "is waiting for payment" in text and "Continue to payment" in text
    assert token_of(page) == token_of(review)
    assert again.headers["Location"] == payment_url


def test_a_product_sold_out_before_placing_is_named_and_nothing_is_ordered(client, shop, database):
    review = to_review(client, shop["tee"], shop["mug"])
    mug = shop["mug"]
    inventory.set_stock(database, variant_id=mug.variants[0].id, product_id=mug.id, on_hand=0)
    database.commit()

    response = place(client, review)

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Stoneware Mug is out of stock" in page
    assert orders_in(database) == []
    assert stock(shop["tee"].variants[0].id) == (5, 0)


def cart_of(*products: tuple[str, int]) -> CartView:
    """A cart of one-variant products, as the cart services describe it."""
    return CartView(
        tuple(
            CartLine(
                variant_id=variant_id,
                product_id=variant_id,
                merchant_id=1,
                merchant_name="Juniper & Oak",
                product_name=name,
                product_slug=name.lower().replace(" ", "-"),
                variant_name="",
                sku=f"SKU-{variant_id}",
                image_key=None,
                unit_price=Money(1000, "USD"),
                quantity=3,
                available=3,
                weight_grams=200,
            )
            for name, variant_id in products
        )
    )


def test_the_short_stock_message_names_every_short_line():
    cart = cart_of(("Pocket Tee", 11), ("Stoneware Mug", 12))

    message = short_stock_message(
        [ShortLine(11, requested=3, available=1), ShortLine(12, requested=2, available=0)], cart
    )

    assert message == (
        "Some items are no longer in stock: Pocket Tee (only 1 left, you asked for 3); "
        "Stoneware Mug (sold out, you asked for 2). Change your cart and try again."
    )


def test_an_emptied_cart_cannot_be_placed(client, shop, database):
    review = to_review(client, shop["tee"])
    client.post(f"/cart/lines/{shop['tee'].variants[0].id}/remove")

    response = place(client, review)

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cart")
    assert orders_in(database) == []


def test_an_unreachable_payment_provider_keeps_the_order_and_offers_to_retry(
    client, shop, app, database, monkeypatch
):
    review = to_review(client, shop["tee"])
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_checkout")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "whsec_checkout")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", refusing_base_url())

    response = place(client, review)

    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "We could not reach the payment provider; try again." in page
    assert "Try again: pay" in page and token_of(response) == token_of(review)
    (order,) = orders_in(database)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert database.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


# --- paying and the confirmation --------------------------------------------------------------


def test_paying_with_the_test_card_confirms_the_order(client, shop, database, outbox):
    payment_url = place(client, to_review(client, shop["tee"], shop["mug"])).headers["Location"]
    assert client.get(urlsplit(payment_url).path).status_code == 200

    paid = pay(client, payment_url)

    assert paid.status_code == 303
    assert "/checkout/complete/MP-" in paid.headers["Location"]
    (order,) = orders_in(database)
    assert order.status == OrderStatus.PAID
    assert stock(shop["tee"].variants[0].id) == (4, 0)
    assert stock(shop["mug"].variants[0].id) == (2, 0)
    confirmation = client.get(local_path(paid.headers["Location"]))
    page = confirmation.get_data(as_text=True)
    assert confirmation.status_code == 200
    assert "Thank you for your order" in page and order.number in page
    assert '<li class="step-current" aria-current="step">Confirmation</li>' in page
    assert f'href="/orders/{order.number}?key=' in page
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)
    subjects = [path.read_text() for path in outbox.glob("*.eml")]
    assert any(f"Order {order.number} confirmed" in text for text in subjects)


def test_after_paying_the_next_checkout_starts_afresh(client, shop, database):
    paid = pay(client, place(client, to_review(client, shop["tee"])).headers["Location"])
    client.get(local_path(paid.headers["Location"]))

    add(client, shop["mug"])
    review = client.get("/checkout")

    assert review.headers["Location"].endswith("/checkout/details")


def test_a_declined_card_keeps_the_order_and_the_shopper_pays_on_the_same_page(
    client, shop, database, outbox
):
    first = to_review(client, shop["tee"])
    payment_url = place(client, first).headers["Location"]

    declined = pay(client, payment_url, DECLINED_CARD)

    assert declined.status_code == 303
    assert declined.headers["Location"] == urlsplit(payment_url).path
    assert "Your card was declined." in client.get(declined.headers["Location"]).get_data(
        as_text=True
    )
    (order,) = orders_in(database)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert stock(shop["tee"].variants[0].id) == (5, 1)
    assert list(outbox.glob("*.eml")) == []
    review = client.get("/checkout/review")
    assert "is waiting for payment" in review.get_data(as_text=True)
    assert "did not go through: Your card was declined." in review.get_data(as_text=True)
    assert token_of(review) == token_of(first)
    assert place(client, review).headers["Location"] == payment_url

    paid = pay(client, payment_url)

    assert "/checkout/complete/MP-" in paid.headers["Location"]
    (order,) = orders_in(database)
    assert order.status == OrderStatus.PAID
    assert stock(shop["tee"].variants[0].id) == (4, 0)
    assert "Thank you for your order" in client.get(local_path(paid.headers["Location"])).get_data(
        as_text=True
    )


def test_a_paid_checkout_never_places_a_second_order(client, shop, database):
    review = to_review(client, shop["tee"])
    paid = pay(client, place(client, review).headers["Location"])
    completion = paid.headers["Location"]

    for answer in (client.get("/checkout/review"), client.get("/checkout"), place(client, review)):
        assert answer.status_code == 303
        assert answer.headers["Location"] == completion

    assert len(orders_in(database)) == 1
    client.get(local_path(completion))
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)


def test_a_cart_changed_after_paying_is_a_new_purchase_not_a_second_payment(client, shop, database):
    first = to_review(client, shop["tee"])
    pay(client, place(client, first).headers["Location"])
    add(client, shop["mug"])

    assert client.get("/checkout/review").headers["Location"].endswith("/checkout/shipping")
    client.get("/checkout/shipping")
    review = client.get("/checkout/review")
    assert "Place order" in review.get_data(as_text=True)
    assert not token_of(review).startswith(token_of(first))
    paid = pay(client, place(client, review).headers["Location"])

    assert "/checkout/complete/MP-" in paid.headers["Location"]
    assert [order.status for order in orders_in(database)] == [OrderStatus.PAID] * 2


def test_after_the_order_expired_the_checkout_places_its_next_attempt(client, shop, database):
    first = to_review(client, shop["tee"])
    place(client, first)
    (order,) = orders_in(database)
    assert orders.expire_order(database, order.number, now=utcnow() + timedelta(hours=1))
    database.commit()

    review = client.get("/checkout/review")
    assert "Place order" in review.get_data(as_text=True)
    assert place(client, review).status_code == 303

    tokens = sorted(order.checkout_token for order in orders_in(database))
    assert tokens == [token_of(first), f"{token_of(first)}.1"]


def test_the_confirmation_waits_for_the_payment_and_rechecks(client, shop, app, database):
    payment_url = place(client, to_review(client, shop["tee"])).headers["Location"]
    (order,) = orders_in(database)
    url = completion_path(app, order.number)

    page = client.get(url)
    fragment = client.get(url, headers=HTMX)

    text = page.get_data(as_text=True)
    assert "Waiting for your payment" in text
    assert f'data-hx-get="{url.replace("&", "&amp;")}"' in text
    assert 'data-hx-trigger="every 2s"' in text
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in text
    assert f'href="{payment_url}"' in text
    assert "Back to review" not in text
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="order-status"')
    assert "<html" not in fragment.get_data(as_text=True)


def test_the_confirmation_after_a_decline_says_so_and_keeps_waiting(client, shop, app, database):
    payment_url = place(client, to_review(client, shop["tee"])).headers["Location"]
    pay(client, payment_url, DECLINED_CARD)
    (order,) = orders_in(database)

    text = client.get(completion_path(app, order.number)).get_data(as_text=True)

    assert "Waiting for your payment" in text
    assert "did not go through: Your card was declined. You have not been charged." in text
    assert f'href="{payment_url}"' in text
    assert 'data-hx-trigger="every 2s"' in text


def test_the_confirmation_rechecks_after_a_decline_until_the_next_card_pays(
    client, shop, app, database
):
    payment_url = place(client, to_review(client, shop["tee"])).headers["Location"]
    pay(client, payment_url, DECLINED_CARD)
    (order,) = orders_in(database)
    url = completion_path(app, order.number)
    assert 'data-hx-trigger="every 2s"' in client.get(url, headers=HTMX).get_data(as_text=True)

    pay(client, payment_url)
    fragment = client.get(url, headers=HTMX).get_data(as_text=True)

    assert "Thank you for your order" in fragment
    assert "data-hx-trigger" not in fragment and "data-hx-get" not in fragment
    assert "http-equiv" not in client.get(url).get_data(as_text=True)


def completion_path(app, number: str) -> str:
    return f"/checkout/complete/{number}?key={access_key(app.config['SECRET_KEY'], number)}"


def test_the_confirmation_needs_the_orders_key(client, shop, database):
    place(client, to_review(client, shop["tee"]))
    (order,) = orders_in(database)

    assert client.get(f"/checkout/complete/{order.number}").status_code == 404
    assert client.get(f"/checkout/complete/{order.number}?key=nope").status_code == 404
    assert client.get("/checkout/complete/MP-NOSUCH?key=nope").status_code == 404


# --- protection -------------------------------------------------------------------------------


def test_every_checkout_post_needs_a_csrf_token(client, shop, app, monkeypatch):
    token = token_of(to_review(client, shop["tee"]))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    for path, data in [
        ("/checkout/details", CALIFORNIA),
        ("/checkout/shipping", {}),
        ("/checkout/promo", {"code": "SAVE10"}),
        ("/checkout/place", {"token": token}),
    ]:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Your form expired" in response.get_data(as_text=True)


@pytest.fixture()
def limited_client(rate_limited_app):
    """A client of the app with rate limits on."""
    return rate_limited_app().test_client()


def test_placing_orders_is_rate_limited_per_ip(limited_client):
    def attempt(ip="10.0.0.1"):
        return limited_client.post(
            "/checkout/place", data={"token": "t"}, environ_base={"REMOTE_ADDR": ip}
        )

    statuses = [attempt().status_code for _ in range(10)]

    assert statuses == [409] * 10
    limited = attempt()
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 61
    assert "You have placed orders too often" in limited.get_data(as_text=True)
    assert attempt("10.9.9.9").status_code == 409


def test_the_place_order_limit_keeps_the_checkout(limited_client, shop, database):
    review = to_review(limited_client, shop["tee"])
    for _ in range(10):
        limited_client.post("/checkout/place", data={"token": "another checkout"})

    limited = place(limited_client, review)

    page = limited.get_data(as_text=True)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 61
    assert "Review your order" in page and "Place order" in page
    assert "You have placed orders too often in the last minute." in page
    assert "Pocket Tee" in page
    assert token_of(limited) == token_of(review)
    assert orders_in(database) == []
