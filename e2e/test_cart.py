"""The cart in Chromium: add from the product page, change a quantity, remove; JS on and off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.checks import ConsoleErrors, axe_violations, describe_violations
from e2e.store import Store

pytestmark = pytest.mark.e2e

MARKER = "window.__e2eMarker"


def mini_cart(page: Page):
    """The header's cart link."""
    return page.get_by_role("navigation", name="Account").locator("#mini-cart")


def add_from_product_page(page: Page, quantity: str) -> None:
    """Type a quantity into the product page's form and press Add to cart."""
    page.get_by_label("Quantity", exact=True).fill(quantity)
    page.get_by_role("button", name="Add to cart").click()


def test_cart_with_javascript(page: Page, store: Store):
    console = ConsoleErrors(page)
    # given a shopper on a product page with an empty cart
    page.goto(f"/p/{store.product_slug}")
    expect(mini_cart(page)).to_have_accessible_name("Cart, 0 items")
    page.evaluate(f"{MARKER} = 'no reload'")

    # when they add two of the first size
    add_from_product_page(page, "2")

    # then a confirmation shows and the count updates, without a page load
    status = page.locator("#add-to-cart-status")
    expect(status).to_contain_text("Added to your cart: Organic Cotton Tee (S), quantity 2.")
    expect(mini_cart(page)).to_have_accessible_name("Cart, 2 items")
    expect(mini_cart(page).locator("[aria-hidden=true]")).to_have_text("Cart (2)")

    # when they pick another size, the form follows it, and they add one of that
    page.get_by_role("radio", name="XL", exact=True).check()
    expect(page.locator("#add-to-cart input[name=variant_id]")).to_have_value(
        str(store.variant_ids["XL"])
    )
    add_from_product_page(page, "1")
    expect(status).to_contain_text("Organic Cotton Tee (XL), quantity 1.")
    expect(mini_cart(page)).to_have_accessible_name("Cart, 3 items")
    assert page.evaluate(MARKER) == "no reload"

    # when they open the cart from the header and change a quantity
    mini_cart(page).click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.get_by_role("heading", name="Sold by Northwind Goods")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Update"))).to_have_count(0)
    page.evaluate(f"{MARKER} = 'no reload'")
    quantity = page.get_by_label("Quantity of Organic Cotton Tee (S)")
    quantity.fill("3")
    quantity.press("Tab")

    # then the cart, its totals and the header count update in place
    expect(page.locator("#cart-count")).to_have_text("4")
    expect(page.locator("#cart-subtotal")).to_have_text("$77.00")
    expect(mini_cart(page)).to_have_accessible_name("Cart, 4 items")
    expect(page.locator("#flash")).to_contain_text("Updated Organic Cotton Tee (S): quantity 3.")

    # when they remove a line, focus goes to the cart heading
    page.get_by_role("button", name="Remove Organic Cotton Tee (XL)").click()
    expect(page.locator("#cart-count")).to_have_text("3")
    expect(mini_cart(page)).to_have_accessible_name("Cart, 3 items")
    expect(page.get_by_role("heading", name="Your cart", level=1)).to_be_focused()

    # and the last one: the cart is empty
    page.get_by_role("button", name="Remove Organic Cotton Tee (S)").click()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    expect(mini_cart(page)).to_have_accessible_name("Cart, 0 items")
    assert page.evaluate(MARKER) == "no reload"
    assert console.take() == []


def test_cart_without_javascript(page_without_js: Page, store: Store):
    page = page_without_js
    # given a shopper without JavaScript on a product page
    page.goto(f"/p/{store.product_slug}")

    # when they add two
    add_from_product_page(page, "2")

    # then they are back on the product page with a message and the count
    expect(page).to_have_url(
        re.compile(rf"/p/{store.product_slug}\?variant={store.variant_ids['S']}$")
    )
    expect(page.get_by_role("status").filter(has_text="Added to your cart")).to_have_text(
        "Added to your cart: Organic Cotton Tee (S), quantity 2."
    )
    expect(mini_cart(page)).to_have_accessible_name("Cart, 2 items")

    # when they open the cart and change the quantity with the Update button
    mini_cart(page).click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    page.get_by_label("Quantity of Organic Cotton Tee (S)").fill("5")
    page.get_by_role("button", name="Update Organic Cotton Tee (S)").click()

    # then the cart page shows the new quantity and totals
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.locator("#flash")).to_contain_text("Updated Organic Cotton Tee (S): quantity 5.")
    expect(page.locator("#cart-count")).to_have_text("5")
    expect(page.locator("#cart-subtotal")).to_have_text("$90.00")
    expect(mini_cart(page)).to_have_accessible_name("Cart, 5 items")

    # when they remove the line
    page.get_by_role("button", name="Remove Organic Cotton Tee (S)").click()

    # then the cart is empty
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("Removed from your cart.")
    expect(mini_cart(page)).to_have_accessible_name("Cart, 0 items")


@pytest.fixture()
def audit_context(new_context) -> BrowserContext:
    """A context where CSP is bypassed so the axe-core script can be injected."""
    return new_context(bypass_csp=True)


def test_cart_page_has_no_accessibility_violations(audit_context: BrowserContext, store: Store):
    page = audit_context.new_page()
    page.goto("/cart")
    empty = axe_violations(page)
    page.goto(f"/p/{store.product_slug}")
    add_from_product_page(page, "2")
    expect(mini_cart(page)).to_have_accessible_name("Cart, 2 items")
    page.goto(f"/p/{store.product_slug}?variant={store.variant_ids['M']}")
    add_from_product_page(page, "1")
    expect(mini_cart(page)).to_have_accessible_name("Cart, 3 items")

    page.goto("/cart")
    filled = axe_violations(page)

    assert empty == [], describe_violations(empty)
    assert filled == [], describe_violations(filled)
