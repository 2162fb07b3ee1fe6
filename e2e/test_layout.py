"""Phone layout: at 360 CSS pixels wide nothing scrolls sideways; screenshots for a human eye.

Each page leaves /tmp/e2e-shots/<page>-360.png (first screen) and <page>-360-full.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from e2e.checks import wait_until_settled
from e2e.store import Store
from e2e.visits import VISITS

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path("/tmp/e2e-shots")
PHONE = {"width": 360, "height": 740}
PAGES = ["home", "category", "product", "search-with-facets"]


@pytest.fixture(scope="module")
def phone_page(open_context) -> Page:
    """A page in a phone-sized viewport."""
    return open_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone_screen(phone_page: Page, store: Store, name: str):
    VISITS[name](phone_page, store)
    wait_until_settled(phone_page)

    scroll_width = phone_page.evaluate("document.documentElement.scrollWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone_page.screenshot(path=SCREENSHOTS / f"{name}-360.png")
    phone_page.screenshot(path=SCREENSHOTS / f"{name}-360-full.png", full_page=True)

    assert scroll_width <= PHONE["width"], (
        f"{name} is {scroll_width}px wide at a {PHONE['width']}px viewport "
        f"(see {SCREENSHOTS / f'{name}-360-full.png'})"
    )
