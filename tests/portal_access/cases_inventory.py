"""The inventory routes: the table, one row (edit fragment or page), its edit, bulk, ledger."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.merchants.models import Merchant
from tests.portal_access import RouteCase
from tests.support.factories import make_product


def a_variant(session: Session, merchant: Merchant) -> dict:
    """A variant with stock of the merchant."""
    product = make_product(merchant=merchant, stock=8)
    return {"variant_id": product.variants[0].id}


EDIT = {"on_hand": "9", "low_stock_threshold": "2", "version": "1", "note": "count"}

CASES = [
    RouteCase("portal.inventory"),
    RouteCase("portal.inventory_row", owned=a_variant),
    RouteCase("portal.inventory_edit", "POST", owned=a_variant, data=EDIT),
    RouteCase(
        "portal.inventory_bulk",
        "POST",
        data={"variant_id": "1", "mode": "change", "amount": "1", "note": "recount"},
    ),
    RouteCase("portal.inventory_ledger", owned=a_variant),
]
