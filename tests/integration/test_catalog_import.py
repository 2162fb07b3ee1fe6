"""Catalogue CSV import and export: files refused whole, rows imported or rejected one by one,
stock set through the ledger, a second run changing nothing, and an export that imports back
unchanged."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from app.catalog import exporting, importing
from app.catalog import import_rules as format_rules
from app.catalog import rules as catalog_rules
from app.catalog.models import (
    CatalogImport,
    CatalogImportRow,
    Product,
    ProductAttribute,
    ProductVariant,
    VariantOption,
)
from app.inventory.models import StockItem, StockLedgerEntry
from app.merchants.models import Merchant
from app.platform.models import OutboxEvent
from tests.support.factories import make_category, make_merchant, make_product
from tests.support.portal import make_staff, make_user

HEADER = (
    "sku,product_handle,product_name,description,category,status,option1_name,option1_value,"
    "price,compare_at_price,weight_grams,stock_on_hand,low_stock_threshold,attributes"
)


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def run(database, merchant: Merchant, content: bytes, user_id: int | None = None):
    record = importing.start_import(database, merchant.id, user_id, "catalogue.csv", content)
    database.commit()
    importing.run_import(database, record.id, currency="USD")
    database.refresh(record)
    return record


def outcomes(database, record) -> dict[int, tuple[str, str, str]]:
    rows = database.scalars(
        sa.select(CatalogImportRow).where(CatalogImportRow.import_id == record.id)
    )
    return {row.line: (row.sku, row.outcome, row.reason) for row in rows}


def merchant_variants(database, merchant: Merchant) -> dict[str, ProductVariant]:
    variants = database.scalars(
        sa.select(ProductVariant).where(ProductVariant.merchant_id == merchant.id)
    )
    return {variant.sku: variant for variant in variants}


@pytest.fixture()
def shop(database):
    merchant = make_merchant()
    clothing = make_category("Clothing")
    make_category("Shirts", parent=clothing)
    make_category("Mugs")
    database.commit()
    return merchant


VALID = csv_bytes(
    'SH-S,linen-shirt,Linen shirt,"Cool, light.",shirts,published,Size,S,29.99,39.99,180,4,2,'
    "Material=Linen; Fit=Slim",
    "SH-M,linen-shirt,Linen shirt,,shirts,,Size,M,31.50,,190,7,,",
    "MUG-1,Big Mug,Big mug,A mug.,mugs,draft,,,9,,350,,,",
)


def test_a_valid_file_creates_products_variants_and_stock(database, shop):
    user = make_user(database)

    record = run(database, shop, VALID, user.id)

    assert (record.status, record.error) == ("done", "")
    assert (record.total_rows, record.processed_rows, record.created_count) == (3, 3, 3)
    assert outcomes(database, record) == {
        2: ("SH-S", "created", ""),
        3: ("SH-M", "created", ""),
        4: ("MUG-1", "created", ""),
    }
    shirt = database.scalar(sa.select(Product).where(Product.slug == "linen-shirt"))
    assert (shirt.merchant_id, shirt.name, shirt.description, shirt.status) == (
        shop.id,
        "Linen shirt",
        "Cool, light.",
        "published",
    )
    assert shirt.price_amount == 2999
    assert shirt.category.slug == "shirts" and shirt.root_category_id == shirt.category.parent_id
    assert [(a.name, a.value) for a in shirt.attributes] == [("Material", "Linen"), ("Fit", "Slim")]
    assert "Linen" in shirt.search_text and "Clothing" in shirt.search_text
    variants = merchant_variants(database, shop)
    small, medium = variants["SH-S"], variants["SH-M"]
    assert (small.name, small.price_amount, small.compare_at_amount, small.weight_grams) == (
        "S",
        2999,
        3999,
        180,
    )
    assert [(o.name, o.value) for o in medium.options] == [("Size", "M")]
    assert (small.position, medium.position) == (0, 1)
    mug = database.scalar(sa.select(Product).where(Product.slug == "big-mug"))
    assert (mug.status, mug.price_amount, mug.variants[0].name) == ("draft", 900, "Default")
    stock = {item.variant_id: item for item in database.scalars(sa.select(StockItem))}
    assert (stock[small.id].on_hand, stock[small.id].low_stock_threshold) == (4, 2)
    assert (stock[medium.id].on_hand, stock[medium.id].low_stock_threshold) == (7, 5)
    assert stock[variants["MUG-1"].id].on_hand == 0
    ledger = database.execute(
        sa.select(
            StockLedgerEntry.variant_id,
            StockLedgerEntry.on_hand_delta,
            StockLedgerEntry.reason,
            StockLedgerEntry.reference,
            StockLedgerEntry.actor_id,
        )
    ).all()
    assert sorted(ledger) == sorted(
        [
            (small.id, 4, "import", f"import:{record.id}", user.id),
            (medium.id, 7, "import", f"import:{record.id}", user.id),
        ]
    )


def test_running_the_same_file_again_changes_nothing(database, shop):
    run(database, shop, VALID)
    before = database.execute(
        sa.select(Product.id, Product.updated_at, Product.search_text).order_by(Product.id)
    ).all()
    ledger_rows = database.scalar(sa.select(sa.func.count()).select_from(StockLedgerEntry))

    again = run(database, shop, VALID)

    assert (again.status, again.unchanged_count, again.created_count, again.updated_count) == (
        "done",
        3,
        0,
        0,
    )
    assert {outcome for _, outcome, _ in outcomes(database, again).values()} == {"unchanged"}
    assert (
        database.execute(
            sa.select(Product.id, Product.updated_at, Product.search_text).order_by(Product.id)
        ).all()
        == before
    )
    assert database.scalar(sa.select(sa.func.count()).select_from(StockLedgerEntry)) == ledger_rows


def test_changed_rows_update_by_sku_and_stock_changes_go_through_the_ledger(database, shop):
    run(database, shop, VALID)
    changed = csv_bytes(
        'SH-S,linen-shirt,Linen shirt,"Cool, light.",shirts,published,Size,S,24.00,39.99,180,'
        "10,2,Material=Linen; Fit=Slim",
        "SH-M,linen-shirt,Linen shirt,,shirts,,Size,M,31.50,,190,7,,",
        "MUG-1,big-mug,Big mug,A mug.,mugs,published,,,9,,350,,,",
        "SH-L,linen-shirt,Linen shirt,,shirts,,Size,L,33,,200,1,,",
    )

    record = run(database, shop, changed)

    assert outcomes(database, record) == {
        2: ("SH-S", "updated", ""),
        3: ("SH-M", "unchanged", ""),
        4: ("MUG-1", "updated", ""),
        5: ("SH-L", "created", ""),
    }
    variants = merchant_variants(database, shop)
    shirt = database.get(Product, variants["SH-S"].product_id)
    assert (variants["SH-S"].price_amount, shirt.price_amount) == (2400, 2400)
    assert variants["SH-L"].product_id == shirt.id and variants["SH-L"].position == 2
    mug = database.get(Product, variants["MUG-1"].product_id)
    assert mug.status == "published"
    deltas = database.execute(
        sa.select(StockLedgerEntry.on_hand_delta).where(
            StockLedgerEntry.variant_id == variants["SH-S"].id
        )
    ).scalars()
    assert sorted(deltas) == [4, 6]
    assert database.get(StockItem, variants["SH-S"].id).on_hand == 10


def test_bad_rows_are_reported_with_line_and_reason_while_good_rows_import(database, shop):
    content = csv_bytes(
        "OK-1,good,Good thing,,mugs,published,,,5.00,,,3,,",
        "BAD-1,bad,Bad price,,mugs,,,,five,,,,,",
        "BAD-2,bad2,No category,,nowhere,,,,5,,,,,",
        "OK-1,dup,Duplicate,,mugs,,,,5,,,,,",
        "BAD-3,bad3,Bad status,,mugs,sold,,,5,,,,,",
        "BAD-4,bad4,Option,,mugs,,Size,,5,,,,,",
        ",nosku,No SKU,,mugs,,,,5,,,,,",
        "BAD-5,bad5,Stock,,mugs,,,,5,,,-3,,",
        "BAD-6,bad6,Cheap,,mugs,,,,5,4,,,,",
        "OK-2,good,Good thing,Other text,mugs,,,,6,,,,,",
        "OK-3,good,Good thing,,mugs,,,,7,,,,,Colour",
    )

    record = run(database, shop, content)

    report = outcomes(database, record)
    assert report[2] == ("OK-1", "created", "")
    assert report[3][1:] == (
        "rejected",
        "price 'five' is not a price: write a decimal number such as 19.99.",
    )
    assert report[4][1:] == ("rejected", "There is no category 'nowhere'.")
    assert report[5] == ("OK-1", "rejected", "The SKU is also on line 2.")
    assert "status must be draft, published or archived" in report[6][2]
    assert report[7][2] == "option1_value is empty but option1_name is 'Size'."
    assert report[8] == ("", "rejected", "sku is empty.")
    assert report[9][2] == "stock_on_hand '-3' is not a whole number of 0 or more."
    assert report[10][2] == "compare_at_price must be higher than price (or empty)."
    assert report[11][2] == "description differs from line 2, the product's first row."
    assert report[12][2].startswith("attributes: 'Colour' is not a Name=Value pair")
    assert (record.created_count, record.rejected_count, record.processed_rows) == (1, 10, 11)
    assert set(merchant_variants(database, shop)) == {"OK-1"}


def test_stock_below_what_is_reserved_is_rejected(database, shop):
    run(database, shop, VALID)
    variant = merchant_variants(database, shop)["SH-M"]
    database.get(StockItem, variant.id).reserved = 5
    database.commit()

    record = run(
        database, shop, csv_bytes("SH-M,linen-shirt,Linen shirt,,shirts,,Size,M,31.50,,190,2,,")
    )

    assert outcomes(database, record)[2] == (
        "SH-M",
        "rejected",
        "stock_on_hand 2 is below the 5 units reserved by unpaid orders.",
    )
    assert database.get(StockItem, variant.id).on_hand == 7


def test_another_merchants_sku_is_a_different_sku(database, shop):
    other = make_merchant()
    database.commit()
    run(database, other, VALID)

    record = run(database, shop, VALID)

    assert record.created_count == 3
    assert set(merchant_variants(database, other)) == {"SH-S", "SH-M", "MUG-1"}
    assert set(merchant_variants(database, shop)) == {"SH-S", "SH-M", "MUG-1"}
    slugs = set(database.scalars(sa.select(Product.slug).where(Product.merchant_id == shop.id)))
    assert "linen-shirt" not in slugs and len(slugs) == 2


def test_progress_is_committed_part_by_part_without_splitting_a_product(
    database, shop, monkeypatch
):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    lines = [
        f"P{n}-{v},prod-{n},Product {n},,mugs,,Size,S{v},{n}.00,,,{v},,"
        for n in range(1, 6)
        for v in (1, 2, 3)
    ]
    seen = []
    real_save = importing.save_part

    def save_part(session, record, part):
        real_save(session, record, part)
        seen.append(record.processed_rows)

    monkeypatch.setattr(importing, "save_part", save_part)

    record = run(database, shop, csv_bytes(*lines))

    assert seen == [3, 6, 9, 12, 15]
    assert record.created_count == 15
    products = database.scalars(sa.select(Product).where(Product.merchant_id == shop.id)).all()
    assert sorted(len(product.variants) for product in products) == [3, 3, 3, 3, 3]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "This is not a CSV file: it looks like a PNG image."),
        (b"%PDF-1.7\n", "This is not a CSV file: it looks like a PDF document."),
        (b"sku,price\x00\n", "contains binary data"),
        (
            "sku,product_handle,product_name,category,price\nA,b,Caf\u00e9,mugs,1\n".encode(
                "latin-1"
            ),
            "The file is not UTF-8 text (line 2",
        ),
        (
            b"sku,handle,product_name,category,colour\nA,b,c,mugs,red\n",
            "missing columns: product_handle, price; unknown columns: handle, colour",
        ),
        (b"", "The file is empty"),
        (b"sku,product_handle,product_name,category,price\n", "no rows to import"),
        (b'sku,product_handle,product_name,category,price\n"A,b\n', "is not valid CSV"),
    ],
    ids=["png", "pdf", "nul", "latin-1", "columns", "empty", "header-only", "quotes"],
)
def test_files_that_cannot_be_imported_are_refused_with_nothing_stored(
    database, shop, content, message
):
    with pytest.raises(format_rules.FileRefused, match=message.replace("(", r"\(")):
        importing.start_import(database, shop.id, None, "upload.csv", content)
    database.rollback()

    assert database.scalar(sa.select(sa.func.count()).select_from(CatalogImport)) == 0


def test_an_oversized_file_is_refused(database, shop):
    content = (
        csv_bytes(*["X,y,z,,mugs,,,,1,,,,," for _ in range(1)]) + b"#" * format_rules.MAX_BYTES
    )

    with pytest.raises(format_rules.FileRefused, match=r"the largest file we import is 5\.0 MiB"):
        importing.start_import(database, shop.id, None, "big.csv", content)


def test_too_many_rows_are_refused(database, shop):
    content = csv_bytes(*["X,y,z,,mugs,,,,1,,,,,"] * 4)

    with pytest.raises(format_rules.FileRefused, match="more than 3 rows"):
        format_rules.read_table(content, max_rows=3)


def test_a_byte_order_mark_and_columns_in_any_order_are_accepted(database, shop):
    content = "\ufeffPrice,Category,SKU,Product_Name,Product_Handle\r\n4.5,mugs,BOM-1,Cup,cup\r\n"

    record = run(database, shop, content.encode())

    assert outcomes(database, record) == {2: ("BOM-1", "created", "")}


def test_an_export_imports_back_unchanged(database, shop):
    category = make_category("Lamps")
    make_product(
        merchant=shop,
        category=category,
        name='Lamp "Nova" & <b>co</b>',
        description="Line one,\nline two; with = signs",
        prices=(1999, 2499),
        stock=(3, 0),
        options=({"Size": "S", "Colour": "Red"}, {"Size": "L", "Colour": "Blue"}),
        attributes={"Material": "Brass; steel", "Bulb": "E27=yes"},
    )
    make_product(merchant=shop, category=category, published=False)
    make_product(category=category)
    run(database, shop, VALID)
    exported = "".join(exporting.export_csv(database, shop.id))
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 6

    record = run(database, shop, exported.encode())

    assert (record.status, record.unchanged_count, record.rejected_count) == ("done", 6, 0)


def test_attribute_and_option_rows_follow_the_file(database, shop):
    run(database, shop, VALID)
    content = csv_bytes(
        'SH-S,linen-shirt,Linen shirt,"Cool, light.",shirts,published,Colour,Red,29.99,39.99,180,'
        "4,2,Fit=Loose",
        "SH-M,linen-shirt,Linen shirt,,shirts,,Size,M,31.50,,190,7,,",
    )

    record = run(database, shop, content)

    assert [outcome for _, outcome, _ in outcomes(database, record).values()] == [
        "updated",
        "unchanged",
    ]
    variant = merchant_variants(database, shop)["SH-S"]
    options = database.execute(
        sa.select(VariantOption.name, VariantOption.value).where(
            VariantOption.variant_id == variant.id
        )
    ).all()
    assert (options, variant.name) == ([("Colour", "Red")], "Red")
    attributes = database.execute(
        sa.select(ProductAttribute.name, ProductAttribute.value).where(
            ProductAttribute.product_id == variant.product_id
        )
    ).all()
    assert attributes == [("Fit", "Loose")]


def test_hostile_values_are_escaped_in_the_report_page(app, database, shop):
    staff = make_staff(app, database, shop)
    content = csv_bytes(
        '<b>&"x"</b>,evil,<script>alert(1)</script> & "quotes",,mugs,'
        "<script>alert(2)</script>,,,1,,,,,",
    )
    record = run(database, shop, content, staff.user.id)

    page = staff.client.get(f"/portal/imports/{record.id}").get_data(as_text=True)

    assert "<script>alert(2)</script>" not in page and '<b>&"x"</b>' not in page
    assert "&lt;b&gt;&amp;&#34;x&#34;&lt;/b&gt;" in page
    assert "not &#39;&lt;script&gt;alert(2)&lt;/script&gt;&#39;." in page


def test_stock_falling_to_the_threshold_by_an_import_alerts_once_and_bumps_the_version(
    database, shop
):
    run(database, shop, VALID)
    variant = merchant_variants(database, shop)["SH-S"]
    version = database.get(StockItem, variant.id).version
    low = csv_bytes(
        'SH-S,linen-shirt,Linen shirt,"Cool, light.",shirts,published,Size,S,29.99,39.99,180,2,2,'
        "Material=Linen; Fit=Slim",
    )

    first = run(database, shop, low)
    second = run(database, shop, low)

    assert (first.updated_count, second.unchanged_count) == (1, 1)
    events = database.scalars(sa.select(OutboxEvent).where(OutboxEvent.name == "StockLow")).all()
    assert [(event.payload["variant_id"], event.payload["available"]) for event in events] == [
        (variant.id, 2)
    ]
    item = database.get(StockItem, variant.id)
    database.refresh(item)
    assert (item.on_hand, item.version, item.low_stock_alerted) == (2, version + 1, True)


def test_imported_products_are_found_by_storefront_search_and_drafts_are_not(app, database, shop):
    run(database, shop, VALID)

    html = app.test_client().get("/search?q=linen").get_data(as_text=True)
    drafts = app.test_client().get("/search?q=mug").get_data(as_text=True)

    assert "Linen shirt" in html
    assert "Big mug" not in drafts


def test_variants_past_the_editors_limit_are_rejected(database, shop, monkeypatch):
    monkeypatch.setattr(catalog_rules, "MAX_VARIANTS", 2)
    run(database, shop, VALID)
    more = csv_bytes("SH-L,linen-shirt,Linen shirt,,shirts,,Size,L,33,,200,1,,")

    record = run(database, shop, more)

    assert outcomes(database, record) == {
        2: ("SH-L", "rejected", "A product has at most 2 variants.")
    }


def test_an_unexpected_error_fails_the_import_with_a_message_and_keeps_saved_parts(
    database, shop, monkeypatch
):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    real_apply = importing.apply_part
    parts_done = []

    def apply_part(session, record, groups, currency):
        if parts_done:
            raise RuntimeError("database went away")
        parts_done.append(groups)
        return real_apply(session, record, groups, currency)

    monkeypatch.setattr(importing, "apply_part", apply_part)

    record = run(database, shop, VALID)

    assert record.status == "failed"
    assert record.error.startswith("The import stopped after 2 rows because of an error on our")
    assert set(merchant_variants(database, shop)) == {"SH-S", "SH-M"}
    assert record.finished_at is not None
