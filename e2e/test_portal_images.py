"""A product's images in Chromium: upload, alt text, reorder and delete swap the image block in
place under the real CSP, axe finds nothing, and without JavaScript every form still works."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import Page, expect

from app.accounts.models import Role
from app.database import db
from app.merchants.models import MerchantMembership
from e2e.checks import ConsoleErrors, axe_violations, describe_violations, wait_until_settled
from e2e.portal import sign_in
from e2e.store import Store
from tests.support.factories import make_merchant, make_product
from tests.support.portal import make_user

pytestmark = pytest.mark.e2e


def picture(colour: tuple[int, int, int], image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, format=image_format)
    return buffer.getvalue()


def png_file(name: str, colour: tuple[int, int, int]) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": picture(colour)}


@pytest.fixture(scope="module")
def shop(live_app: Flask, store: Store) -> dict:
    """The owner of a shop with two products that have no images yet."""
    with live_app.app_context():
        merchant = make_merchant("Images & Co")
        first = make_product(merchant=merchant, name="Image Test Kettle")
        second = make_product(merchant=merchant, name="Image Test Teapot")
        user = make_user(db.session, Role.MERCHANT, email="images-owner@example.com")
        db.session.add(MerchantMembership(user_id=user.id, merchant_id=merchant.id, is_owner=True))
        db.session.commit()
        return {"email": user.email, "kettle": first.id, "teapot": second.id}


def upload(page: Page, name: str, colour: tuple[int, int, int]) -> None:
    page.get_by_label("Image file").set_input_files(png_file(name, colour))
    page.get_by_role("button", name="Upload image").click()


def test_upload_describe_reorder_and_delete_in_place(page: Page, shop: dict):
    errors = ConsoleErrors(page)
    sign_in(page, shop["email"])
    page.goto(f"/portal/products/{shop['kettle']}/images")
    page.evaluate("window.__imagesMarker = 'no reload'")

    upload(page, "front.png", (200, 30, 30))
    expect(page.get_by_role("heading", name="1 of 12 images")).to_be_visible()
    upload(page, "side.png", (30, 30, 200))
    expect(page.get_by_role("heading", name="2 of 12 images")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Image added.")

    page.get_by_label("Alt text of image 2").fill("The kettle from the side")
    page.get_by_role("button", name="Save image 2").click()
    expect(page.get_by_role("status")).to_have_text("Image saved.")
    page.get_by_role("button", name="Move up image 2").click()
    expect(page.get_by_label("Alt text of image 1")).to_have_value("The kettle from the side")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete image 2").click()
    expect(page.get_by_role("heading", name="1 of 12 images")).to_be_visible()
    expect(page.get_by_label("Alt text of image 1")).to_have_value("The kettle from the side")

    page.get_by_label("Image file").set_input_files(
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"only words"}
    )
    page.get_by_role("button", name="Upload image").click()
    expect(page.get_by_role("alert")).to_have_text("The file is not an image we can read.")
    expect(page.get_by_label("Image file")).to_have_attribute("aria-invalid", "true")

    assert page.evaluate("window.__imagesMarker") == "no reload"
    wait_until_settled(page)
    assert errors.take() == []


def test_the_images_page_has_no_accessibility_violations(open_context, shop: dict):
    page = open_context(bypass_csp=True)
    sign_in(page, shop["email"])
    page.goto(f"/portal/products/{shop['teapot']}/images")
    upload(page, "one.png", (10, 120, 10))
    expect(page.get_by_role("heading", name="1 of 12 images")).to_be_visible()
    upload(page, "two.png", (120, 10, 120))
    expect(page.get_by_role("heading", name="2 of 12 images")).to_be_visible()
    page.get_by_label("Image file").set_input_files(
        {"name": "tiny.png", "mimeType": "image/png", "buffer": b"\x89PNG but no more"}
    )
    page.get_by_role("button", name="Upload image").click()
    expect(page.get_by_role("alert")).to_have_text("The file is not an image we can read.")
    wait_until_settled(page)

    violations = axe_violations(page)

    assert violations == [], describe_violations(violations)


def test_without_javascript_every_form_posts_and_comes_back(page_without_js: Page, shop: dict):
    page = page_without_js
    sign_in(page, shop["email"])
    page.goto(f"/portal/products/{shop['teapot']}/images")
    count = int(re.match(r"\d+", page.get_by_role("heading", level=2).first.inner_text())[0])

    upload(page, "plain.png", (250, 200, 10))

    expect(page).to_have_url(re.compile(rf"/portal/products/{shop['teapot']}/images$"))
    expect(page.get_by_role("status")).to_have_text("Image added.")
    expect(page.get_by_role("heading", name=f"{count + 1} of 12 images")).to_be_visible()
    page.get_by_role("button", name=f"Move up image {count + 1}").click()
    expect(page.get_by_role("status")).to_have_text("Image moved.")
    page.get_by_role("button", name=f"Delete image {count}").click()
    expect(page.get_by_role("status")).to_have_text("Image deleted.")
    expect(page.get_by_role("heading", name=f"{count} of 12 images")).to_be_visible()
