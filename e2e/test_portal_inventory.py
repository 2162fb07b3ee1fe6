"""Inventory in Chromium: a row is edited in place under the real CSP, a stale edit shows the
figures now, axe finds nothing, and without JavaScript the per-row page saves and comes back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.accounts.models import Role
from app.database import db, utcnow
from app.inventory import services as inventory
from app.merchants.models import MerchantMembership
from e2e.checks import ConsoleErrors, axe_violations, describe_violations, wait_until_settled
from e2e.portal import sign_in
from e2e.store import Store
from tests.support.factories import make_merchant, make_product
from tests.support.portal import make_user

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop(live_app: Flask, store: Store) -> dict:
    """The owner of a shop with two lamps in stock."""
    with live_app.app_context():
        merchant = make_merchant("Stock & Co")
        lamp = make_product(merchant=merchant, name="Inventory Test Lamp", stock=10)
        shade = make_product(merchant=merchant, name="Inventory Test Shade", stock=2)
        user = make_user(db.session, Role.MERCHANT, email="stock-owner@example.com")
        db.session.add(MerchantMembership(user_id=user.id, merchant_id=merchant.id, is_owner=True))
        db.session.commit()
        return {
            "email": user.email,
            "lamp": (lamp.variants[0].id, lamp.variants[0].sku),
            "shade": (shade.variants[0].id, shade.variants[0].sku),
        }


def sell(live_app: Flask, variant_id: int, quantity: int, reference: str) -> None:
    with live_app.app_context():
        inventory.reserve_stock(
            db.session,
            reference=reference,
            lines=[(variant_id, quantity)],
            expires_at=utcnow() + timedelta(minutes=15),
        )
        inventory.commit_reservation(db.session, reference)
        db.session.commit()


def test_a_row_is_edited_in_place_and_a_stale_edit_shows_the_figures_now(
    page: Page, shop: dict, live_app: Flask
):
    errors = ConsoleErrors(page)
    variant_id, sku = shop["lamp"]
    sign_in(page, shop["email"])
    page.goto("/portal/inventory?q=Inventory+Test+Lamp")
    page.evaluate("window.__stockMarker = 'no reload'")
    row = page.locator(f"#stock-row-{variant_id}")

    row.get_by_role("link", name=f"Edit stock of {sku}").click()
    page.get_by_label(f"On hand of {sku}").fill("14")
    page.get_by_label(f"Note for the ledger ({sku})").fill("shelf count")
    page.get_by_role("button", name=f"Save {sku}").click()

    expect(page.locator("#flash")).to_contain_text(f"Saved the stock of {sku}: 14 on hand")
    expect(row.locator("td.number").first).to_have_text("14")

    row.get_by_role("link", name=f"Edit stock of {sku}").click()
    expect(page.get_by_label(f"On hand of {sku}")).to_have_value("14")
    sell(live_app, variant_id, 3, "MP-E2E-STOCK")
    page.get_by_label(f"On hand of {sku}").fill("20")
    page.get_by_role("button", name=f"Save {sku}").click()

    alert = row.get_by_role("alert")
    expect(alert).to_contain_text("Someone else changed this row (now on hand 11, reserved 0")
    expect(alert).to_contain_text("was not saved")
    expect(page.get_by_label(f"On hand of {sku}")).to_have_value("11")
    page.get_by_role("link", name=f"Cancel editing {sku}").click()
    expect(row.locator("td.number").first).to_have_text("11")

    assert page.evaluate("window.__stockMarker") == "no reload"
    wait_until_settled(page)
    assert errors.take() == []


def test_filters_switch_the_table_in_place(page: Page, shop: dict):
    sign_in(page, shop["email"])
    page.goto("/portal/inventory?q=Inventory+Test")

    page.get_by_label("Show").select_option("low")

    expect(page).to_have_url(re.compile(r"state=low"))
    expect(page.locator(f"#stock-row-{shop['shade'][0]}")).to_be_visible()
    expect(page.locator(f"#stock-row-{shop['lamp'][0]}")).to_have_count(0)


def test_the_inventory_pages_have_no_accessibility_violations(open_context, shop: dict):
    page = open_context(bypass_csp=True)
    variant_id, sku = shop["shade"]
    sign_in(page, shop["email"])
    page.goto("/portal/inventory?q=Inventory+Test")
    page.locator(f"#stock-row-{variant_id}").get_by_role(
        "link", name=f"Edit stock of {sku}"
    ).click()
    page.get_by_label(f"On hand of {sku}").fill("-4")
    page.get_by_label(f"On hand of {sku}").evaluate("input => input.removeAttribute('min')")
    page.get_by_role("button", name=f"Save {sku}").click()
    expect(page.locator(f"#stock-row-{variant_id}")).to_contain_text("On hand must be")
    wait_until_settled(page)

    violations = axe_violations(page)
    page.goto(f"/portal/inventory/{variant_id}/ledger")
    violations += axe_violations(page)

    assert violations == [], describe_violations(violations)


def test_without_javascript_a_row_is_saved_on_its_own_page(page_without_js: Page, shop: dict):
    page = page_without_js
    variant_id, sku = shop["shade"]
    sign_in(page, shop["email"])
    page.goto("/portal/inventory?q=Inventory+Test+Shade")

    page.get_by_role("link", name=f"Edit stock of {sku}").click()
    expect(page).to_have_url(re.compile(rf"/portal/inventory/{variant_id}\?q="))
    page.get_by_label("On hand").fill("9")
    page.get_by_role("button", name="Save stock").click()

    expect(page).to_have_url(re.compile(r"/portal/inventory\?q=Inventory"))
    expect(page.locator("#flash")).to_contain_text(f"Saved the stock of {sku}: 9 on hand")
    expect(page.locator(f"#stock-row-{variant_id} td.number").first).to_have_text("9")
