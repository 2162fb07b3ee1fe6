"""The storefront pages the audits visit, each reached the way a shopper reaches it."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.store import Store


def home(page: Page, store: Store) -> None:
    """The home page."""
    page.goto("/")


def category(page: Page, store: Store) -> None:
    """The category page of the seeded multi-variant product."""
    page.goto(f"/c/{store.category_slug}")


def product(page: Page, store: Store) -> None:
    """The multi-variant product page."""
    page.goto(f"/p/{store.product_slug}")


def product_after_variant_change(page: Page, store: Store) -> None:
    """The product page after choosing the variant that has its own picture (htmx swap)."""
    page.goto(f"/p/{store.product_slug}")
    page.get_by_role("radio", name="XL", exact=True).check()
    expect(page).to_have_url(re.compile(rf"variant={store.variant_ids['XL']}\b"))
    expect(page.locator("#variant-panel")).to_contain_text("$23.00")


def search_with_facets(page: Page, store: Store) -> None:
    """Search results after ticking the in-stock facet (htmx swap)."""
    page.goto(f"/search?q={store.search_term}")
    page.get_by_role("checkbox", name=re.compile(r"^In stock")).check()
    expect(page).to_have_url(re.compile(r"[?&]in_stock="))
    expect(page.get_by_role("checkbox", name=re.compile(r"^In stock"))).to_be_checked()


def login(page: Page, store: Store) -> None:
    """The sign-in page."""
    page.goto("/account/login")


def register(page: Page, store: Store) -> None:
    """The sign-up page."""
    page.goto("/account/register")


def not_found(page: Page, store: Store) -> None:
    """The 404 page."""
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404


VISITS: dict[str, Callable[[Page, Store], None]] = {
    "home": home,
    "category": category,
    "product": product,
    "product-after-variant-change": product_after_variant_change,
    "search-with-facets": search_with_facets,
    "login": login,
    "register": register,
    "404": not_found,
}
