"""Helpers for the merchant portal's browser tests: shop owners in the live app's database,
signing in, pictures and catalogue files to upload."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from app.accounts.models import Role
from app.catalog.models import Category
from app.database import db
from app.merchants.models import MerchantMembership
from tests.support.factories import make_merchant
from tests.support.portal import PASSWORD, make_user

CSV_HEADER = ("sku", "product_handle", "product_name", "category", "price", "stock_on_hand")


def make_shop_owner(live_app: Flask, shop_name: str, email: str) -> str:
    """A new active shop and its owner (who signs in with PASSWORD); returns the owner's email."""
    with live_app.app_context():
        merchant = make_merchant(shop_name)
        user = make_user(db.session, Role.MERCHANT, email=email)
        db.session.add(MerchantMembership(user_id=user.id, merchant_id=merchant.id, is_owner=True))
        db.session.commit()
        return user.email


def category_slug(live_app: Flask, name: str) -> str:
    """The slug of the seeded store's category called `name`."""
    with live_app.app_context():
        return db.session.scalar(sa.select(Category.slug).where(Category.name == name))


def sign_in(page: Page, email: str) -> None:
    """Log in through the login form and wait until the next page is there."""
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Log in")


def png(colour: tuple[int, int, int], size: tuple[int, int] = (480, 360)) -> dict:
    """A PNG file for `set_input_files`, large enough for the image rules."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return {"name": "photo.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def write_catalogue(path: Path, rows: list[tuple[str, ...]]) -> Path:
    """A catalogue CSV in the import format: CSV_HEADER, then `rows`."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_HEADER)
        writer.writerows(rows)
    return path


def read_report(path: Path) -> list[dict[str, str]]:
    """An import report downloaded by the browser, as dicts keyed by its header."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        return list(csv.DictReader(file))


def stock_row(page: Page, sku: str) -> Locator:
    """The inventory table's row of the variant with `sku`."""
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=sku, exact=True))


def on_hand_cell(row: Locator) -> Locator:
    """The "On hand" figure of an inventory row (cells: select, SKU, options, on hand, ...)."""
    return row.get_by_role("cell").nth(3)


def create_product(
    page: Page, name: str, category: str, option_name: str, variants: list[tuple[str, str, str]]
) -> None:
    """Fill in the new-product form (options, then a row per (SKU, option value, price)) and
    save it as a draft; works with and without JavaScript ("add another variant" posts the form
    either way). Ends on the product's edit page."""
    page.goto("/portal/products/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Category").select_option(label=category)
    page.get_by_label("Description").fill(f"{name}, added in the browser test.")
    page.get_by_label("Option 1", exact=True).fill(option_name)
    for number, (sku, value, price) in enumerate(variants, start=1):
        if number > 1:
            page.get_by_role("button", name="Add another variant").click()
            expect(page.get_by_label(f"SKU of variant {number}")).to_be_visible()
        page.get_by_label(f"SKU of variant {number}").fill(sku)
        page.get_by_label(f"{option_name} of variant {number}").or_(
            page.get_by_label(f"Option 1 of variant {number}")
        ).fill(value)
        page.get_by_label(f"Price of variant {number}", exact=True).fill(price)
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit {name}")
