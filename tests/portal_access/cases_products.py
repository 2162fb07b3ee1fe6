"""Portal routes of the merchant's products: another merchant's product is a 404."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.merchants.models import Merchant
from tests.portal_access import RouteCase
from tests.support.factories import make_product


def owned_product(session: Session, merchant: Merchant) -> dict:
    """A product of `merchant`."""
    return {"product_id": make_product(merchant=merchant).id}


CASES = [
    RouteCase("portal.products"),
    RouteCase("portal.products_new"),
    RouteCase("portal.products_new", "POST", data={"name": "A new thing"}),
    RouteCase("portal.products_edit", owned=owned_product),
    RouteCase("portal.products_edit", "POST", owned=owned_product, data={"name": "Renamed"}),
    RouteCase("portal.products_publish", "POST", owned=owned_product),
    RouteCase("portal.products_unpublish", "POST", owned=owned_product),
    RouteCase("portal.products_archive", "POST", owned=owned_product),
]
