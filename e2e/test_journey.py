"""A shopper's journey through the storefront, with JavaScript on (htmx) and off (plain HTML)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.store import Store

pytestmark = pytest.mark.e2e

MARKER = "window.__e2eMarker"


def card_names(page: Page) -> list[str]:
    """The product names in the listing, in order."""
    return page.locator(".product-card h3").all_inner_texts()


def open_category_from_nav(page: Page, store: Store) -> None:
    """Home page, then the category link in the header navigation."""
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    nav = page.get_by_role("navigation", name="Categories")
    nav.get_by_role("link", name=store.category, exact=True).click()
    expect(page).to_have_url(re.compile(f"/c/{store.category_slug}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(store.category)


def open_product_card(page: Page, store: Store) -> None:
    """Click the product's card in the listing."""
    card = page.locator(".product-card", has=page.get_by_role("heading", name=store.product))
    card.get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/p/{store.product_slug}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(store.product)


def variant_panel(page: Page):
    """The price and stock block of the product page."""
    return page.locator("#variant-panel")


def test_journey_with_javascript(page: Page, store: Store):
    # given a shopper on the home page, who picks a category in the navigation
    open_category_from_nav(page, store)
    page.evaluate(f"{MARKER} = 'no reload'")

    # when they sort the category by price, the results swap in place and the URL follows
    page.get_by_label("Sort by").select_option("price_asc")
    expect(page).to_have_url(re.compile(r"[?&]sort=price_asc"))
    expect(page.locator("#category-results .product-card h3").first).to_have_text(
        "Organic Cotton Tee"
    )
    assert page.evaluate(MARKER) == "no reload"

    # when they open the product and pick another size
    open_product_card(page, store)
    page.evaluate(f"{MARKER} = 'no reload'")
    expect(page.get_by_role("button", name="Show this option")).to_be_hidden()
    expect(variant_panel(page)).to_contain_text("$18.00")
    page.get_by_role("radio", name="L (out of stock)").check()

    # then price and stock update without a page load, and the URL is shareable
    expect(variant_panel(page)).to_contain_text("$21.00")
    expect(variant_panel(page)).to_contain_text("Out of stock")
    expect(page).to_have_url(re.compile(rf"[?&]variant={store.variant_ids['L']}\b"))
    assert page.evaluate(MARKER) == "no reload"

    # and a variant with its own picture swaps the main image out of band
    page.get_by_role("radio", name="XL", exact=True).check()
    expect(variant_panel(page)).to_contain_text("$23.00")
    expect(page.locator("#product-main-image img")).to_have_attribute(
        "src", re.compile(store.variant_image_key)
    )
    assert page.evaluate(MARKER) == "no reload"

    # when they search from the header
    page.get_by_role("searchbox", name="Search products").fill(store.search_term)
    page.get_by_role("searchbox", name="Search products").press("Enter")
    expect(page).to_have_url(re.compile(rf"/search\?q={store.search_term}"))
    all_results = card_names(page)
    assert store.product in all_results and "Linen Summer Tee" in all_results
    page.evaluate(f"{MARKER} = 'no reload'")

    # and narrow the results with a facet, then sort them
    page.get_by_role("checkbox", name=re.compile(r"^In stock")).check()
    expect(page).to_have_url(re.compile(r"[?&]in_stock="))
    expect(page.locator(".product-card h3", has_text="Linen Summer Tee")).to_have_count(0)
    in_stock_url, in_stock_results = page.url, card_names(page)
    page.get_by_label("Sort by").select_option("price_desc")
    expect(page).to_have_url(re.compile(r"[?&]sort=price_desc"))
    expect(page.locator(".product-card h3").first).to_have_text("Merino Crew Tee")
    sorted_url, sorted_results = page.url, card_names(page)
    assert page.evaluate(MARKER) == "no reload"
    assert sorted(sorted_results) == sorted(in_stock_results)

    # then the back button restores the previous results
    page.go_back()
    expect(page).to_have_url(in_stock_url)
    expect(page.locator(".product-card h3")).to_have_text(in_stock_results)

    # and forward again, then a reload of the pushed URL renders the same results in full
    page.go_forward()
    expect(page).to_have_url(sorted_url)
    page.reload()
    expect(page.locator(".product-card h3")).to_have_text(sorted_results)
    expect(page.get_by_role("checkbox", name=re.compile(r"^In stock"))).to_be_checked()
    expect(page.get_by_label("Sort by")).to_have_value("price_desc")


def test_journey_without_javascript(page_without_js: Page, store: Store):
    page = page_without_js
    # given a shopper without JavaScript, who follows the category link in the navigation
    open_category_from_nav(page, store)

    # when they sort with the plain form
    page.get_by_label("Sort by").select_option("price_asc")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=price_asc"))
    expect(page.locator(".product-card h3").first).to_have_text("Organic Cotton Tee")

    # when they open the product and choose a size with the form's button
    open_product_card(page, store)
    expect(variant_panel(page)).to_contain_text("$18.00")
    page.get_by_role("radio", name="M", exact=True).check()
    page.get_by_role("button", name="Show this option").click()

    # then the page for that variant shows its price and stock
    expect(page).to_have_url(re.compile(rf"[?&]variant={store.variant_ids['M']}\b"))
    expect(variant_panel(page)).to_contain_text("$19.00")
    expect(variant_panel(page)).to_contain_text("Only 3 left")
    expect(page.get_by_role("radio", name="M", exact=True)).to_be_checked()

    # when they search from the header, then filter and sort with the form's button
    page.get_by_role("searchbox", name="Search products").fill(store.search_term)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/search\?q={store.search_term}"))
    assert "Linen Summer Tee" in card_names(page)
    page.get_by_role("checkbox", name=re.compile(r"^In stock")).check()
    page.get_by_label("Sort by").select_option("price_desc")
    page.get_by_role("button", name="Apply filters").click()

    # then the results are filtered and sorted, and the URL says so
    expect(page).to_have_url(re.compile(r"[?&]in_stock="))
    expect(page).to_have_url(re.compile(r"[?&]sort=price_desc"))
    expect(page.locator(".product-card h3").first).to_have_text("Merino Crew Tee")
    assert "Linen Summer Tee" not in card_names(page)
    expect(page.get_by_role("checkbox", name=re.compile(r"^In stock"))).to_be_checked()


SORT_RIGHT_AFTER_SWAP = """() => document.addEventListener("htmx:afterSwap", () => setTimeout(
() => {
  const sort = document.getElementById("search-sort");
  sort.value = "price_desc";
  sort.dispatchEvent(new Event("change", { bubbles: true }));
}, 0), { once: true })"""


def test_a_change_made_right_after_a_swap_is_not_lost(page: Page, store: Store):
    # given a shopper on search results who will change the sort the moment new results arrive
    page.goto(f"/search?q={store.search_term}")
    page.evaluate(SORT_RIGHT_AFTER_SWAP)

    # when a facet swaps the results in
    page.get_by_role("checkbox", name=re.compile(r"^In stock")).check()

    # then the swapped-in form already listens: the sort is applied too
    expect(page).to_have_url(re.compile(r"in_stock=1.*[?&]sort=price_desc"))
    expect(page.locator(".product-card h3").first).to_have_text("Merino Crew Tee")
