"""Category pages in Chromium: facets with htmx and without JS, paging, history, phone layout."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from app.catalog.models import Product
from app.database import db
from e2e.checks import ConsoleErrors
from e2e.store import Store
from tests.support.factories import make_category, make_merchant, make_product

pytestmark = pytest.mark.e2e

SOCKS = 30
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def socks(live_app: Flask, store: Store) -> str:
    """A category with more than a page of products (every other one out of stock), older than
    the seeded store's so the home page's arrivals stay the same. Returns its URL."""
    with live_app.app_context():
        category = make_category("Socks")
        merchant = make_merchant("Sock Drawer")
        for number in range(SOCKS):
            make_product(
                name=f"Wool Sock {number}",
                category=category,
                merchant=merchant,
                prices=(900 + number,),
                stock=number % 2,
                attributes={"Material": "Wool"},
            )
        db.session.execute(
            sa.update(Product)
            .where(Product.category_id == category.id)
            .values(created_at=datetime(2001, 1, 1, tzinfo=UTC))
        )
        db.session.commit()
        live_app.extensions.get("marketplace_cache", {}).clear()
        return f"/c/{category.slug}"


def test_next_brings_the_top_of_the_results_into_view(page: Page, socks: str):
    page.goto(socks)
    page.get_by_role("link", name="Next").scroll_into_view_if_needed()

    page.get_by_role("link", name="Next").click()

    expect(page).to_have_url(re.compile(r"page=2"))
    heading = page.locator("#results-heading")
    expect(heading).to_be_focused()
    expect(heading).to_be_in_viewport()


def test_back_and_forward_after_a_filter_change_raise_no_error(page: Page, socks: str):
    console = ConsoleErrors(page)
    page.goto(socks)

    page.get_by_role("checkbox", name=re.compile(r"^In stock")).check()
    expect(page).to_have_url(re.compile(r"in_stock=1"))
    expect(page.locator("#results-heading")).to_have_text(f"{SOCKS // 2} products")
    page.go_back()
    expect(page).to_have_url(re.compile(rf"{socks}$"))
    expect(page.locator("#results-heading")).to_have_text(f"{SOCKS} products")
    page.go_forward()
    expect(page).to_have_url(re.compile(r"in_stock=1"))
    expect(page.locator("#results-heading")).to_have_text(f"{SOCKS // 2} products")

    assert console.take() == []


def test_a_phone_sees_the_first_product_and_opens_the_filters_behind_a_button(
    open_context, store: Store
):
    phone = open_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"/c/{store.category_slug}")

    first_card = phone.locator(".product-card").first.bounding_box()
    in_stock = phone.get_by_role("checkbox", name=re.compile(r"^In stock"))

    assert first_card is not None and first_card["y"] < PHONE["height"]
    expect(in_stock).to_be_hidden()
    phone.get_by_text("Filters", exact=True).click()
    expect(in_stock).to_be_visible()


def test_filters_apply_without_javascript(page_without_js: Page, socks: str):
    page = page_without_js
    page.goto(socks)

    page.get_by_role("checkbox", name=re.compile(r"^In stock")).check()
    page.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"in_stock=1"))
    expect(page.locator("#results-heading")).to_have_text(f"{SOCKS // 2} products")
