"""The portal's import and export pages: upload, progress (htmx fragment and a page that
refreshes itself without JS), the report download, refused files, the streamed export, the
sample file, and another merchant's imports answered as missing."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from app.catalog import import_rules
from app.catalog.models import CatalogImport, ImportStatus, Product
from app.merchants.models import Merchant
from tests.support.factories import make_category, make_merchant, make_product
from tests.support.portal import Staff, make_staff

HTMX = {"HX-Request": "true"}
VALID = (
    b"sku,product_handle,product_name,category,price,stock_on_hand\n"
    b"CUP-1,cup,Cup,mugs,4.50,3\n"
    b"CUP-2,cup,Cup,mugs,5.50,\n"
    b"BAD-1,bad,Bad,nowhere,1,\n"
)


@pytest.fixture()
def staff(app, database) -> Staff:
    make_category("Mugs")
    database.commit()
    return make_staff(app, database, make_merchant())


def upload(client, content: bytes, filename: str = "catalogue.csv"):
    """Post the file; closing the answer runs the import job queued "after the response"."""
    response = client.post(
        "/portal/imports",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    response.close()
    return response


def an_import(database, merchant: Merchant, **fields) -> CatalogImport:
    record = CatalogImport(
        merchant_id=merchant.id,
        filename="stock.csv",
        content=VALID,
        **{"status": ImportStatus.RUNNING, "total_rows": 1000, "processed_rows": 250, **fields},
    )
    database.add(record)
    database.commit()
    return record


def imports_count(database) -> int:
    return database.scalar(sa.select(sa.func.count()).select_from(CatalogImport))


def test_the_page_documents_the_format_and_offers_the_downloads(staff):
    response = staff.client.get("/portal/imports")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert '<label for="import-file">CSV file</label>' in page
    for column in ("sku", "product_handle", "stock_on_hand", "attributes"):
        assert f"<code>{column}</code>" in page
    assert "/portal/imports/sample.csv" in page and "/portal/imports/export.csv" in page
    assert "<code>mugs</code>" in page


def test_an_upload_is_imported_by_the_job_and_the_page_shows_the_result(staff, database):
    response = upload(staff.client, VALID)

    assert response.status_code == 303
    record = database.scalar(sa.select(CatalogImport))
    assert response.headers["Location"].endswith(f"/portal/imports/{record.id}")
    database.refresh(record)
    assert (record.status, record.created_count, record.rejected_count) == ("done", 2, 1)
    assert record.user_id == staff.user.id
    page = staff.client.get(f"/portal/imports/{record.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and "data-hx-trigger" not in page
    assert '<progress id="import-progress" max="3" value="3"' in page
    assert "There is no category &#39;nowhere&#39;." in page
    assert f"/portal/imports/{record.id}/report.csv" in page
    products = database.scalars(
        sa.select(Product.name).where(Product.merchant_id == staff.merchant.id)
    )
    assert list(products) == ["Cup"]


def test_a_running_import_polls_with_htmx_and_refreshes_without_js(staff, database):
    record = an_import(database, staff.merchant)

    page = staff.client.get(f"/portal/imports/{record.id}").get_data(as_text=True)
    fragment = staff.client.get(f"/portal/imports/{record.id}", headers=HTMX).get_data(as_text=True)

    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert '<progress id="import-progress" max="1000" value="250"' in page
    assert "250 of 1,000 rows (25 %)" in page
    assert "<html" not in fragment and "<noscript>" not in fragment
    assert 'data-hx-trigger="every 1s"' in fragment and 'data-hx-swap="outerHTML"' in fragment
    assert f'data-hx-get="/portal/imports/{record.id}"' in fragment
    assert '<progress id="import-progress" max="1000" value="250"' in fragment


def test_a_finished_import_stops_the_polling(staff, database):
    record = an_import(database, staff.merchant, status=ImportStatus.DONE, processed_rows=1000)

    fragment = staff.client.get(f"/portal/imports/{record.id}", headers=HTMX).get_data(as_text=True)

    assert "data-hx-trigger" not in fragment
    assert "1,000 of 1,000 rows (100 %)" in fragment


def test_the_report_downloads_as_csv(staff, database):
    upload(staff.client, VALID)
    record = database.scalar(sa.select(CatalogImport))

    response = staff.client.get(f"/portal/imports/{record.id}/report.csv")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert list(csv.reader(io.StringIO(response.get_data(as_text=True)))) == [
        ["line", "sku", "outcome", "reason"],
        ["2", "CUP-1", "created", ""],
        ["3", "CUP-2", "created", ""],
        ["4", "BAD-1", "rejected", "There is no category 'nowhere'."],
    ]


@pytest.mark.parametrize(
    ("content", "filename", "status", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "photo.csv", 422, "it looks like a PNG image"),
        (b"name,colour\nA,red\n", "c.csv", 422, "missing columns: sku, product_handle"),
        (
            "sku,product_handle,product_name,category,price\nA,b,Caf\u00e9,mugs,1\n".encode(
                "cp1252"
            ),
            "c.csv",
            422,
            "The file is not UTF-8 text",
        ),
        (
            b"sku,product_handle,product_name,category,price\n"
            + b"A,b,c,mugs,1\n" * (import_rules.MAX_BYTES // 13 + 1),
            "big.csv",
            413,
            "the largest file we import is 5.0 MiB",
        ),
    ],
    ids=["image", "columns", "encoding", "oversized"],
)
def test_refused_files_show_why_next_to_the_field_and_store_nothing(
    staff, database, content, filename, status, message
):
    response = upload(staff.client, content, filename)

    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert 'id="import-file-error"' in page and message in page
    assert 'aria-describedby="import-file-hint import-file-error"' in page
    assert imports_count(database) == 0


def test_an_upload_without_a_file_is_refused(staff, database):
    response = staff.client.post("/portal/imports", data={})

    assert response.status_code == 422
    assert "Choose a CSV file to import." in response.get_data(as_text=True)
    assert imports_count(database) == 0


def test_the_export_streams_only_this_merchants_catalogue(staff, database):
    category = make_category("Lamps")
    make_product(merchant=staff.merchant, category=category, name="Own lamp", prices=(1000, 1200))
    make_product(category=category, name="Someone else's lamp")

    response = staff.client.get("/portal/imports/export.csv")

    assert response.status_code == 200 and response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(row["product_name"], row["price"]) for row in rows] == [
        ("Own lamp", "10.00"),
        ("Own lamp", "12.00"),
    ]


def test_the_sample_file_imports_cleanly(staff, database):
    make_category("T-shirts")
    database.commit()
    sample = staff.client.get("/portal/imports/sample.csv")
    assert sample.status_code == 200

    upload(staff.client, sample.get_data())

    record = database.scalar(sa.select(CatalogImport))
    assert (record.status, record.created_count, record.rejected_count) == ("done", 4, 0)


def test_another_merchants_import_and_report_are_missing(app, staff, database):
    record = an_import(database, make_merchant())

    assert staff.client.get(f"/portal/imports/{record.id}").status_code == 404
    assert staff.client.get(f"/portal/imports/{record.id}/report.csv").status_code == 404
    own = an_import(database, staff.merchant)
    assert staff.client.get(f"/portal/imports/{own.id}/report.csv").status_code == 200


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(staff, database):
    response = upload(staff.client, b"x" * (4 * import_rules.MAX_BYTES + 256 * 1024), "huge.csv")

    assert response.status_code == 413
    assert imports_count(database) == 0
