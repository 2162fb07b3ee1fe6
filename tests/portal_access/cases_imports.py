"""Portal routes of the catalogue import and export pages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.catalog.models import CatalogImport, ImportStatus
from app.merchants.models import Merchant
from tests.portal_access import RouteCase


def an_import(session: Session, merchant: Merchant) -> dict:
    record = CatalogImport(
        merchant_id=merchant.id,
        filename="catalogue.csv",
        content=b"sku,product_handle,product_name,category,price\nA,a,A,mugs,1\n",
        status=ImportStatus.DONE,
        total_rows=1,
        processed_rows=1,
    )
    session.add(record)
    session.flush()
    return {"import_id": record.id}


CASES = [
    RouteCase("portal.imports"),
    RouteCase("portal.imports_upload", method="POST"),
    RouteCase("portal.imports_detail", owned=an_import),
    RouteCase("portal.imports_report", owned=an_import),
    RouteCase("portal.imports_sample"),
    RouteCase("portal.imports_export"),
]
