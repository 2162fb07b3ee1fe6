"""Two imports of the same file for the same merchant at the same moment, on PostgreSQL: each
SKU is created once, the other import finds it, and neither import fails or rejects a row."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.catalog import importing
from app.catalog.models import CatalogImport, Product, ProductVariant
from app.inventory.models import StockLedgerEntry
from tests.integration.test_catalog_import import VALID
from tests.support.factories import make_category, make_merchant


def test_two_imports_of_one_file_at_once_create_each_sku_once(app, postgres):
    merchant = make_merchant()
    make_category("Shirts", parent=make_category("Clothing"))
    make_category("Mugs")
    records = [
        importing.start_import(postgres, merchant.id, None, f"copy-{n}.csv", VALID)
        for n in range(2)
    ]
    postgres.commit()
    ids = [record.id for record in records]
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=2)
    start = threading.Barrier(2)

    def run(import_id: int) -> None:
        with app.app_context(), Session(engine) as session:
            start.wait()
            importing.run_import(session, import_id, currency="USD")

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(run, ids))
    finally:
        engine.dispose()

    postgres.expire_all()
    results = postgres.execute(
        sa.select(
            CatalogImport.status,
            CatalogImport.created_count,
            CatalogImport.unchanged_count,
            CatalogImport.rejected_count,
        ).order_by(CatalogImport.id)
    ).all()
    assert [row.status for row in results] == ["done", "done"]
    assert sum(row.created_count for row in results) == 3
    assert sum(row.created_count + row.unchanged_count for row in results) == 6
    assert sum(row.rejected_count for row in results) == 0
    skus = postgres.scalars(
        sa.select(ProductVariant.sku).where(ProductVariant.merchant_id == merchant.id)
    ).all()
    assert sorted(skus) == ["MUG-1", "SH-M", "SH-S"]
    assert postgres.scalar(sa.select(sa.func.count()).select_from(Product)) == 2
    assert postgres.scalar(sa.select(sa.func.count()).select_from(StockLedgerEntry)) == 2
