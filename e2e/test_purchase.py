"""A guest's purchase in Chromium: two shops, the test gateway's card page, the confirmation.

JavaScript on (htmx swaps the totals) and off (plain forms, the confirmation refreshes itself);
a declined card is followed by a good one on the same page, for one paid order and one
confirmation; axe-core finds nothing on the checkout pages.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from app.catalog.models import Product
from app.database import db
from app.notifications.models import EmailState, OutboxEmail
from app.orders.models import Order, OrderStatus
from app.platform.models import OutboxEvent
from e2e.checks import ConsoleErrors, axe_violations, describe_violations
from e2e.conftest import TIMEOUT_MS
from tests.support.buying import stock

pytestmark = pytest.mark.e2e

MARKER = "window.__e2eMarker"
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"
# Products with plenty of stock that the other browser tests leave alone.
MUG = "Stoneware Coffee Mug"  # Northwind Goods
BOOK = "The Quiet Harbour"  # Fernhill Books
SPEAKER = "Pocket Bluetooth Speaker"  # Juniper & Oak


def product(live_app: Flask, name: str) -> tuple[str, int]:
    """(slug, first variant id) of a seeded product."""
    with live_app.app_context():
        found = db.session.scalar(sa.select(Product).where(Product.name == name))
        return found.slug, found.variants[0].id


def held_units(live_app: Flask, variant_id: int) -> int:
    """Units of a variant reserved by unpaid orders, read fresh."""
    with live_app.app_context():
        return stock(variant_id)[1]


def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait (up to the tests' usual timeout) for work the server does after its response."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not check():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.1)


def add_to_cart(page: Page, live_app: Flask, name: str) -> None:
    """Open the product page and add one."""
    slug, _ = product(live_app, name)
    page.goto(f"/p/{slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart")).to_be_visible()


def enter_details(page: Page, email: str, javascript: bool = True) -> None:
    """The details step as a guest in California: with JS, choosing the country swaps in the
    list of its states; without, the state is typed and the server finds it."""
    expect(page.get_by_role("heading", name="Your details", level=1)).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Full name").fill("Ada Shopper")
    page.get_by_label("Address line 1").fill("1 Market Street")
    page.get_by_label("Town or city").fill("San Francisco")
    page.get_by_label("Country").select_option(label="United States")
    if javascript:
        page.get_by_label("State", exact=True).select_option(label="California")
    else:
        page.get_by_label("State, province or region (optional)").fill("california")
    page.get_by_label("Postal code").fill("94105")
    page.get_by_role("button", name="Continue to shipping").click()


def pay_with(page: Page, card: str) -> None:
    """Fill the test gateway's card form and pay."""
    expect(page).to_have_url(re.compile(r"/payments/test/"))
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry date (MM/YY)").fill("12/39")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Name on card").fill("Ada Shopper")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def summary_total(page: Page):
    """The Total row of the checkout summary."""
    return page.locator("#checkout-totals tr.totals-total td")


def confirmation_email(outbox: Path, number: str) -> bool:
    """Whether the shopper's confirmation email for the order has been written."""
    return any(
        f"Order {number} confirmed" in path.read_text(errors="replace")
        for path in outbox.glob("*.eml")
    )


def test_a_guest_buys_from_two_shops_with_javascript(page: Page, live_app: Flask):
    console = ConsoleErrors(page)
    # given a guest with a mug from Northwind Goods and a book from Fernhill Books in the cart
    add_to_cart(page, live_app, MUG)
    add_to_cart(page, live_app, BOOK)
    page.goto("/cart")
    page.get_by_role("link", name="Checkout").click()

    # when they enter their details
    enter_details(page, "guest.js@example.com")

    # then each shop's parcel has its rates, the cheapest chosen; a change updates the totals
    expect(page.get_by_role("heading", name="Shipping", level=1)).to_be_visible()
    expect(summary_total(page)).to_have_text("$46.45")  # 16 + 18 + 2 x 4.99 + 7.25 % of 34
    page.evaluate(f"{MARKER} = 'no reload'")
    page.get_by_role("group", name="From Fernhill Books").get_by_role(
        "radio", name=re.compile("Express")
    ).check()
    expect(summary_total(page)).to_have_text("$54.45")
    assert page.evaluate(MARKER) == "no reload"
    page.get_by_role("button", name="Continue to review").click()

    # when they review the order and place it
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    expect(page.get_by_role("rowheader", name="California sales tax")).to_be_visible()
    page.get_by_role("button", name="Place order").click()

    # and pay with the test card
    pay_with(page, GOOD_CARD)

    # then the confirmation thanks them, with the order number
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    number = page.locator(".order-status strong").first.inner_text()
    assert re.fullmatch(r"MP-[2-9A-Z]{8}", number)
    expect(page.locator("#mini-cart")).to_have_accessible_name("Cart, 0 items")

    # and the order page shows it paid, split between the two shops
    page.get_by_role("link", name="View your order").click()
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.locator(".order-status-label")).to_have_text("Paid")
    expect(page.get_by_role("heading", name="From Northwind Goods")).to_be_visible()
    expect(page.get_by_role("heading", name="From Fernhill Books")).to_be_visible()

    # and the confirmation email has been written
    outbox = Path(live_app.config["MAIL_OUTBOX_DIR"])
    eventually(lambda: confirmation_email(outbox, number), "the confirmation email")
    assert console.take() == []


def settled_emails(live_app: Flask, email: str) -> list[str] | None:
    """The subjects of the emails to `email`, once every outbox event has been handled and every
    email to that address has been sent; None while any is still on its way."""
    with live_app.app_context():
        waiting_events = db.session.scalar(
            sa.select(sa.func.count(OutboxEvent.id)).where(OutboxEvent.delivered_at.is_(None))
        )
        emails = db.session.execute(
            sa.select(OutboxEmail.subject, OutboxEmail.state).where(OutboxEmail.recipient == email)
        ).all()
    if waiting_events or any(state != EmailState.SENT for _, state in emails):
        return None
    return sorted(subject for subject, _ in emails)


def test_a_declined_card_then_a_good_one_pays_one_order_once(page: Page, live_app: Flask):
    console = ConsoleErrors(page)
    email = "decline.then.pay@example.com"
    _, speaker = product(live_app, SPEAKER)
    assert held_units(live_app, speaker) == 0
    add_to_cart(page, live_app, SPEAKER)
    page.goto("/checkout")
    enter_details(page, email)
    page.get_by_role("button", name="Continue to review").click()
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/payments/test/"))
    payment_page = page.url
    assert held_units(live_app, speaker) == 1

    # a declined card: the same payment page again (a redirect, not a form's answer) says why
    pay_with(page, DECLINED_CARD)
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined.")
    assert page.url == payment_page
    assert held_units(live_app, speaker) == 1

    # back in the store the order waits for payment; Back returns to the page, no resubmit asked
    page.get_by_role("link", name="go back to the store", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("is waiting for payment"))).to_be_visible()
    expect(page.get_by_role("button", name="Place order")).to_have_count(0)
    page.go_back()
    expect(page).to_have_url(payment_page)
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined.")

    # the good card pays the same order
    pay_with(page, GOOD_CARD)
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    number = page.locator(".order-status strong").first.inner_text()
    assert held_units(live_app, speaker) == 0

    with live_app.app_context():
        placed = db.session.execute(
            sa.select(Order.number, Order.status).where(Order.email == email)
        ).all()
    assert placed == [(number, OrderStatus.PAID)]
    eventually(lambda: settled_emails(live_app, email) is not None, "the emails to be sent")
    assert settled_emails(live_app, email) == [f"Order {number} confirmed"]
    outbox = Path(live_app.config["MAIL_OUTBOX_DIR"])
    written = [path.read_text(errors="replace") for path in outbox.glob("*.eml")]
    assert sum(f"Subject: Order {number} confirmed" in text for text in written) == 1
    assert console.take() == []


def test_the_purchase_completes_without_javascript(page_without_js: Page, live_app: Flask):
    page = page_without_js
    # given a guest without JavaScript who adds a mug with the plain form
    slug, _ = product(live_app, MUG)
    page.goto(f"/p/{slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart")).to_be_visible()
    page.goto("/cart")
    page.get_by_role("link", name="Checkout").click()

    # when they go through every step with the forms' buttons
    enter_details(page, "guest.nojs@example.com", javascript=False)
    page.get_by_role("radio", name=re.compile("Express")).check()
    page.get_by_role("button", name="Continue to review").click()
    expect(page.get_by_role("rowheader", name="Shipping")).to_be_visible()
    expect(page.get_by_text("Marketplace Post Express, 1\u20132 days · $12.99")).to_be_visible()
    page.get_by_role("button", name="Place order").click()
    pay_with(page, GOOD_CARD)

    # then the confirmation (refreshing itself until the payment is confirmed) thanks them
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    page.get_by_role("link", name="View your order").click()
    expect(page.locator(".order-status-label")).to_have_text("Paid")

    # and cancelling asks first, on a page of its own, then refunds
    page.get_by_role("link", name=re.compile("^Cancel order")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Cancel order MP-\w+\?$"))).to_be_visible()
    expect(page.locator(".order-status-label")).to_have_count(0)
    page.get_by_role("button", name=re.compile("^Yes, cancel order")).click()
    expect(page.get_by_text("Order cancelled; your refund is on its way.")).to_be_visible()


def assert_accessible(page: Page, name: str) -> None:
    violations = axe_violations(page)
    assert violations == [], (
        f"axe-core found {len(violations)} violation(s) on {name} ({page.url}):\n"
        + describe_violations(violations)
    )


def test_checkout_pages_have_no_accessibility_violations(new_context, live_app: Flask):
    context = new_context(bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    add_to_cart(page, live_app, BOOK)
    page.goto("/checkout")
    assert_accessible(page, "details")

    # the browser checks required fields first; switch that off to audit the server's answer
    page.locator("form.checkout-form").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="Continue to shipping").click()
    expect(page.get_by_text("Enter the street address.")).to_be_visible()
    assert_accessible(page, "details with errors")

    enter_details(page, "audit@example.com")
    assert_accessible(page, "shipping")

    page.get_by_role("button", name="Continue to review").click()
    page.get_by_label("Promo code").fill("NOPE")
    page.get_by_role("button", name="Apply the promo code").click()
    expect(page.get_by_text("NOPE is not a valid promo code.")).to_be_visible()
    assert_accessible(page, "review with a rejected promo code")

    page.get_by_role("button", name="Place order").click()
    page.goto("/checkout/review")
    assert_accessible(page, "review of an order waiting for payment")

    page.get_by_role("button", name=re.compile("^Continue to payment")).click()
    pay_with(page, GOOD_CARD)
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    assert_accessible(page, "confirmation")

    page.get_by_role("link", name="View your order").click()
    assert_accessible(page, "order page")

    page.get_by_role("link", name=re.compile("^Cancel order")).click()
    assert_accessible(page, "cancel confirmation")

    page.goto("/orders/lookup")
    page.get_by_role("button", name="Find order").click()
    assert_accessible(page, "order lookup with errors")
