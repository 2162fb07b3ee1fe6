"""Portal routes of a product's images: another merchant's product or image is a 404."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.catalog.models import ProductImage
from app.merchants.models import Merchant
from tests.portal_access import RouteCase
from tests.support.factories import make_product


def owned_product(session: Session, merchant: Merchant) -> dict:
    """A product of `merchant`."""
    return {"product_id": make_product(merchant=merchant).id}


def owned_image(session: Session, merchant: Merchant) -> dict:
    """An image of a product of `merchant` (its file need not exist for these requests)."""
    product = make_product(merchant=merchant)
    image = ProductImage(product_id=product.id, storage_key="0" * 32, alt_text="A picture")
    session.add(image)
    session.flush()
    return {"product_id": product.id, "image_id": image.id}


CASES = [
    RouteCase("portal.images", owned=owned_product),
    RouteCase("portal.images_upload", "POST", owned=owned_product),
    RouteCase(
        "portal.images_update", "POST", owned=owned_image, data={"alt_text": "Another picture"}
    ),
    RouteCase("portal.images_move", "POST", owned=owned_image, data={"direction": "up"}),
    RouteCase("portal.images_delete", "POST", owned=owned_image),
]
