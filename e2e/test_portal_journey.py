"""A merchant's day in Chromium: create a product with variants, give it a picture and stock,
publish it and find it on the storefront; import a CSV file, watch it finish and download the
report; edit stock in place. Then the key forms again with JavaScript off."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from app.catalog.models import Product, ProductImage
from app.database import db
from e2e.checks import ConsoleErrors, wait_until_settled
from e2e.portal import (
    category_slug,
    create_product,
    make_shop_owner,
    on_hand_cell,
    png,
    read_report,
    sign_in,
    stock_row,
    write_catalogue,
)
from e2e.store import Store

pytestmark = pytest.mark.e2e

MARKER = "window.__portalMarker"
MUGS = "Home & Kitchen \u203a Mugs"
# Big enough that an import (about 0.4 ms a row here) is still running when the browser
# follows the upload's redirect, so the page must refresh itself to show the end.
IMPORT_ROWS_WITHOUT_JS = 4000
IMPORT_ROWS_WITH_JS = 3000


@pytest.fixture(scope="module")
def owner(live_app: Flask, store: Store) -> str:
    return make_shop_owner(live_app, "Quokka Ceramics", "journey-owner@example.com")


@pytest.fixture(scope="module")
def plain_owner(live_app: Flask, store: Store) -> str:
    return make_shop_owner(live_app, "Wombat Pottery", "journey-plain-owner@example.com")


def image_key(live_app: Flask, product_name: str) -> str:
    """The storage key of the product's first image."""
    with live_app.app_context():
        return db.session.scalar(
            sa.select(ProductImage.storage_key)
            .join(Product, Product.id == ProductImage.product_id)
            .where(Product.name == product_name)
            .order_by(ProductImage.position)
        )


def edit_inline(page: Page, sku: str, on_hand: int) -> None:
    """Turn the row into its form, type the figure and save; the row comes back with it."""
    row = stock_row(page, sku)
    row.get_by_role("link", name=f"Edit stock of {sku}").click()
    field = page.get_by_label(f"On hand of {sku}")
    expect(field).to_be_visible()
    field.fill(str(on_hand))
    page.get_by_role("button", name=f"Save {sku}").click()
    expect(page.get_by_label(f"On hand of {sku}")).to_have_count(0)
    expect(on_hand_cell(stock_row(page, sku))).to_have_text(str(on_hand))


def test_merchant_journey_with_javascript(page: Page, live_app: Flask, owner: str, tmp_path: Path):
    errors = ConsoleErrors(page)
    sign_in(page, owner)

    # a product with two sizes, saved as a draft
    create_product(
        page,
        "Quokka Speckled Mug",
        MUGS,
        "Size",
        [("QK-MUG-S", "Small", "18.50"), ("QK-MUG-L", "Large", "22.00")],
    )
    expect(page.get_by_role("status")).to_have_text(
        "Product saved as a draft: publish it when it is ready."
    )
    expect(page.get_by_label("SKU of variant 2")).to_have_value("QK-MUG-L")
    expect(page.get_by_label("Price of variant 2", exact=True)).to_have_value("22.00")

    # its picture
    page.get_by_role("link", name="Images").click()
    page.get_by_label("Image file").set_input_files(png((40, 110, 160)))
    page.get_by_role("button", name="Upload image").click()
    expect(page.get_by_role("heading", name="1 of 12 images")).to_be_visible()
    page.get_by_role("link", name="Back to Quokka Speckled Mug").click()

    # stock for both sizes
    page.get_by_role("navigation", name="Shop portal").get_by_role("link", name="Inventory").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inventory")
    edit_inline(page, "QK-MUG-S", 7)
    edit_inline(page, "QK-MUG-L", 3)

    # published, it is in the storefront's search with its picture
    page.get_by_role("navigation", name="Shop portal").get_by_role("link", name="Products").click()
    page.get_by_role("link", name="Quokka Speckled Mug").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: the product is on the storefront now.")).to_be_visible()
    page.get_by_role("link", name="Storefront", exact=True).click()
    search = page.get_by_role("searchbox", name="Search products")
    search.fill("quokka")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=quokka"))
    card = page.locator("article").filter(
        has=page.get_by_role("heading", name="Quokka Speckled Mug")
    )
    expect(card).to_contain_text("$18.50")
    picture = card.locator("img")
    expect(picture).to_have_attribute("src", re.compile(image_key(live_app, "Quokka Speckled Mug")))
    picture.scroll_into_view_if_needed()
    wait_until_settled(page)
    assert picture.evaluate("image => image.complete && image.naturalWidth > 0")

    # a catalogue import, watched to the end (htmx refreshes the progress in place), and its report
    slug = category_slug(live_app, "Mugs")
    bulk = [
        (
            f"QK-BULK-{n:05d}",
            f"quokka-saucer-{n // 10}",
            f"Quokka Saucer {n // 10}",
            slug,
            "6.00",
            "2",
        )
        for n in range(IMPORT_ROWS_WITH_JS - 3)
    ]
    catalogue = write_catalogue(
        tmp_path / "quokka.csv",
        [
            ("QK-BOWL-1", "quokka-bowl", "Quokka Soup Bowl", slug, "14.00", "12"),
            ("QK-BOWL-2", "quokka-plate", "Quokka Side Plate", slug, "9.50", "20"),
            ("QK-BAD-1", "quokka-cup", "Quokka Cup", slug, "a lot", "5"),
            *bulk,
        ],
    )
    polls: list[str] = []
    page.on(
        "request",
        lambda request: (
            polls.append(request.url)
            if request.headers.get("hx-request") and re.search(r"/portal/imports/\d+$", request.url)
            else None
        ),
    )
    page.goto("/portal/imports")
    page.get_by_label("CSV file", exact=True).set_input_files(catalogue)
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of quokka.csv")
    page.evaluate(f"{MARKER} = 'no reload'")
    total = f"{IMPORT_ROWS_WITH_JS:,}"
    progress = page.get_by_role("progressbar", name="Rows processed")
    expect(progress).to_have_attribute("max", str(IMPORT_ROWS_WITH_JS))
    expect(progress).to_have_attribute("value", str(IMPORT_ROWS_WITH_JS))
    expect(page.get_by_text(f"{total} of {total} rows (100 %)")).to_be_visible()
    expect(page.get_by_role("link", name="Download the report (CSV)")).to_be_visible()
    assert polls, "the progress was never refreshed in place"
    assert page.evaluate(MARKER) == "no reload"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report (CSV)").click()
    report = read_report(Path(download.value.path()))
    assert [(row["line"], row["sku"], row["outcome"]) for row in report[:3]] == [
        ("2", "QK-BOWL-1", "created"),
        ("3", "QK-BOWL-2", "created"),
        ("4", "QK-BAD-1", "rejected"),
    ]
    assert "price" in report[2]["reason"].lower()
    assert len(report) == IMPORT_ROWS_WITH_JS
    assert {row["outcome"] for row in report[3:]} == {"created"}
    assert download.value.suggested_filename.endswith("-report.csv")
    expect(page.get_by_role("table", name="Rejected rows")).to_contain_text("QK-BAD-1")

    # stock edited in place: the row becomes a form and comes back with the new figure
    page.goto("/portal/inventory")
    expect(on_hand_cell(stock_row(page, "QK-BOWL-1"))).to_have_text("12")
    page.evaluate(f"{MARKER} = 'no reload'")
    edit_inline(page, "QK-BOWL-1", 15)
    expect(
        page.get_by_role("status").filter(has_text="Saved the stock of QK-BOWL-1")
    ).to_be_visible()
    assert page.evaluate(MARKER) == "no reload"
    page.reload()
    expect(on_hand_cell(stock_row(page, "QK-BOWL-1"))).to_have_text("15")

    wait_until_settled(page)
    assert errors.take() == []


def test_key_forms_without_javascript(
    page_without_js: Page, live_app: Flask, plain_owner: str, tmp_path: Path
):
    page = page_without_js
    sign_in(page, plain_owner)

    # a product with two sizes ("add another variant" posts the form and comes back)
    create_product(
        page,
        "Wombat Glazed Jug",
        MUGS,
        "Size",
        [("WB-JUG-S", "Small", "30.00"), ("WB-JUG-L", "Large", "36.00")],
    )
    expect(page.get_by_text("Product saved as a draft")).to_be_visible()
    expect(page.get_by_label("SKU of variant 2")).to_have_value("WB-JUG-L")

    # stock through the row's own page
    page.goto("/portal/inventory")
    stock_row(page, "WB-JUG-L").get_by_role("link", name="Edit stock of WB-JUG-L").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stock of Wombat Glazed Jug (Large)")
    page.get_by_label("On hand").fill("9")
    page.get_by_label("Note for the ledger (optional)").fill("First delivery")
    page.get_by_role("button", name="Save stock").click()
    expect(page).to_have_url(re.compile(r"/portal/inventory$"))
    expect(page.get_by_text("Saved the stock of WB-JUG-L: 9 on hand")).to_be_visible()
    expect(on_hand_cell(stock_row(page, "WB-JUG-L"))).to_have_text("9")

    # a catalogue import: the page reloads itself (meta refresh) until the import has finished
    slug = category_slug(live_app, "Mugs")
    rows = [
        (f"WB-BULK-{n:05d}", f"wombat-cup-{n // 10}", f"Wombat Cup {n // 10}", slug, "8.00", "4")
        for n in range(IMPORT_ROWS_WITHOUT_JS)
    ]
    catalogue = write_catalogue(tmp_path / "wombat.csv", rows)
    detail_loads: list[str] = []
    page.on(
        "response",
        lambda response: (
            detail_loads.append(response.url)
            if re.search(r"/portal/imports/\d+$", response.url)
            else None
        ),
    )
    page.goto("/portal/imports")
    page.get_by_label("CSV file", exact=True).set_input_files(catalogue)
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of wombat.csv")
    expect(page.get_by_role("link", name="Download the report (CSV)")).to_be_visible()
    total = f"{IMPORT_ROWS_WITHOUT_JS:,}"
    expect(page.get_by_text(f"{total} of {total} rows (100 %)")).to_be_visible()
    expect(page.locator(".import-counts")).to_contain_text(total)
    assert len(detail_loads) > 1, "the finished import was shown on the first load already"
    assert len(set(detail_loads)) == 1
