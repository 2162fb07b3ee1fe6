"""Catalogue import in Chromium: a CSV uploaded, the progress bar followed to 100 % without a
reload, the report downloaded; axe finds nothing; without JavaScript the page refreshes itself
until the import is done."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from app.accounts.models import Role
from app.database import db
from app.merchants.models import MerchantMembership
from e2e.checks import ConsoleErrors, axe_violations, describe_violations, wait_until_settled
from e2e.portal import sign_in
from e2e.store import Store
from tests.support.factories import make_category, make_merchant
from tests.support.portal import make_user

pytestmark = pytest.mark.e2e

ROWS = 1500


@pytest.fixture(scope="module")
def staff_email(live_app: Flask, store: Store) -> str:
    """The owner of a shop with no products yet, and a category to import into."""
    with live_app.app_context():
        merchant = make_merchant("Import Candles & Co")
        make_category("E2E Candles")
        user = make_user(db.session, Role.MERCHANT, email="import-owner@example.com")
        db.session.add(MerchantMembership(user_id=user.id, merchant_id=merchant.id, is_owner=True))
        db.session.commit()
        return user.email


def catalogue(prefix: str, rows: int = ROWS) -> bytes:
    """`rows` variants (three per product), the last one rejected (unknown category)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["sku", "product_handle", "product_name", "category", "price", "stock_on_hand"])
    for number in range(rows - 1):
        product = number // 3
        writer.writerow(
            [
                f"{prefix}-{number}",
                f"{prefix}-candle-{product}",
                f"Candle {product}",
                "e2e-candles",
                "12.50",
                "4",
            ]
        )
    writer.writerow([f"{prefix}-bad", f"{prefix}-bad", "Bad <candle>", "nowhere", "1", ""])
    return buffer.getvalue().encode()


def upload(page: Page, content: bytes, name: str) -> None:
    page.goto("/portal/imports")
    page.get_by_label("CSV file", exact=True).set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Import of {name}")


def test_an_import_runs_to_100_percent_and_its_report_downloads(page: Page, staff_email: str):
    errors = ConsoleErrors(page)
    sign_in(page, staff_email)

    upload(page, catalogue("js"), "candles.csv")
    page.evaluate("window.__importMarker = 'no reload'")

    expect(page.get_by_role("status")).to_have_text(
        f"{ROWS:,} of {ROWS:,} rows (100 %)", timeout=120_000
    )
    progress = page.locator("progress#import-progress")
    expect(progress).to_have_attribute("value", str(ROWS))
    expect(progress).to_have_attribute("max", str(ROWS))
    assert page.evaluate("window.__importMarker") == "no reload"
    expect(page.get_by_text("Done", exact=True)).to_be_visible()
    rejected = page.get_by_role("table", name=re.compile("Rejected rows"))
    expect(rejected.get_by_role("row", name=re.compile("js-bad"))).to_contain_text(
        "There is no category 'nowhere'."
    )
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the report (CSV)").click()
    report = download_info.value
    with open(report.path(), encoding="utf-8", newline="") as file:
        lines = list(csv.reader(file))
    assert lines[0] == ["line", "sku", "outcome", "reason"]
    assert len(lines) == ROWS + 1
    assert lines[-1][2:] == ["rejected", "There is no category 'nowhere'."]
    wait_until_settled(page)
    assert errors.take() == []


def test_the_import_pages_have_no_accessibility_violations(open_context, staff_email: str):
    page = open_context(bypass_csp=True)
    sign_in(page, staff_email)
    page.goto("/portal/imports")

    assert (violations := axe_violations(page)) == [], describe_violations(violations)

    upload(page, catalogue("axe", 30), "axe.csv")
    expect(page.get_by_role("status")).to_have_text("30 of 30 rows (100 %)")
    assert (violations := axe_violations(page)) == [], describe_violations(violations)


def test_without_javascript_the_page_refreshes_until_the_import_is_done(
    page_without_js: Page, staff_email: str
):
    sign_in(page_without_js, staff_email)

    upload(page_without_js, catalogue("nojs"), "nojs.csv")

    expect(page_without_js.get_by_role("status")).to_have_text(
        f"{ROWS:,} of {ROWS:,} rows (100 %)", timeout=120_000
    )
    expect(page_without_js.get_by_role("link", name="Download the report (CSV)")).to_be_visible()
    assert page_without_js.locator('meta[http-equiv="refresh"]').count() == 0
