"""Catalog authoring services: a merchant's products created, edited, listed and published,
always scoped to the merchant, all or nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.catalog import authoring
from app.catalog.models import Product, ProductStatus, ProductVariant
from app.catalog.rules import InvalidProduct, ProductDraft, VariantDraft
from app.database import db
from app.orders import services as orders
from tests.support.buying import new_order
from tests.support.factories import make_category, make_merchant, make_product
from tests.support.queries import count_queries


@pytest.fixture()
def shirts(database):
    """A "Clothing > Shirts" category."""
    return make_category("Shirts", make_category("Clothing"))


def shirt_draft(category_id: int, **changes) -> ProductDraft:
    values = {
        "name": "Linen shirt",
        "description": "Cool in summer.",
        "category_id": category_id,
        "option_names": ("Size",),
        "attributes": (("Material", "Linen"),),
        "variants": (
            VariantDraft(sku="LIN-S", price="39.00", values=("S",), weight="300"),
            VariantDraft(sku="LIN-M", price="42.50", compare_at="50", values=("M",)),
        ),
    }
    return ProductDraft(**{**values, **changes})


def create(database, merchant, category, **changes) -> Product:
    product = authoring.create_from_draft(
        database,
        merchant_id=merchant.id,
        draft=shirt_draft(**{"category_id": category.id, **changes}),
        currency="USD",
    )
    database.commit()
    return product


def edit_draft(product: Product, **changes) -> ProductDraft:
    """The product's edit form as shown, with `changes`."""
    editor = authoring.product_editor(db.session, product.merchant_id, product.id)
    values = {
        field: getattr(editor.draft, field)
        for field in ("name", "description", "category_id", "option_names", "attributes")
    }
    values["variants"] = editor.draft.variants
    return ProductDraft(**{**values, **changes})


def product_count(database) -> int:
    return database.scalar(sa.select(sa.func.count(Product.id)))


def test_a_new_product_is_a_draft_with_its_variants_and_derived_columns(database, shirts):
    merchant = make_merchant()

    product = create(database, merchant, shirts)

    assert product.status == ProductStatus.DRAFT
    assert product.merchant_id == merchant.id
    assert product.root_category_id == shirts.parent_id
    assert product.price_amount == 3900
    assert {"Clothing", "Shirts", "Linen", "S", "M"} <= set(product.search_text.split())
    variants = product.variants
    assert [(v.sku, v.price_amount, v.compare_at_amount, v.weight_grams) for v in variants] == [
        ("LIN-S", 3900, None, 300),
        ("LIN-M", 4250, 5000, 0),
    ]
    assert {v.merchant_id for v in variants} == {merchant.id}
    assert [v.name for v in variants] == ["S", "M"]


def test_a_sku_of_another_product_of_the_merchant_is_refused_and_nothing_is_written(
    database, shirts
):
    merchant = make_merchant()
    create(database, merchant, shirts)

    with pytest.raises(InvalidProduct) as refused:
        create(
            database,
            merchant,
            shirts,
            name="Another shirt",
            variants=(
                VariantDraft(sku="NEW-1", price="10", values=("S",)),
                VariantDraft(sku="LIN-M", price="10", values=("M",)),
            ),
        )
    database.rollback()

    assert list(refused.value.errors) == ["variants-1-sku"]
    assert "Linen shirt" in refused.value.errors["variants-1-sku"][0]
    assert product_count(database) == 1


def test_the_same_sku_at_two_merchants_is_allowed(database, shirts):
    create(database, make_merchant(), shirts)
    create(database, make_merchant(), shirts)

    assert product_count(database) == 2


def test_an_unknown_category_is_refused(database, shirts):
    with pytest.raises(InvalidProduct) as refused:
        create(database, make_merchant(), shirts, category_id=shirts.id + 100)

    assert refused.value.errors == {"category_id": ["Choose a category from the list."]}


def test_an_edit_changes_fields_prices_variants_and_keeps_the_slug(database, shirts):
    merchant = make_merchant()
    product = create(database, merchant, shirts)
    slug = product.slug
    small, medium = (variant.id for variant in product.variants)
    other_category = make_category("Summer")

    authoring.update_product(
        database,
        merchant_id=merchant.id,
        product_id=product.id,
        draft=edit_draft(
            product,
            name="Linen shirt, relaxed",
            category_id=other_category.id,
            option_names=("Colour", "Size"),
            attributes=(("Fabric", "Irish linen"),),
            variants=(
                VariantDraft(sku="LIN-M", price="35", values=("Sand", "M"), id=medium),
                VariantDraft(sku="LIN-S", price="", values=("", ""), id=small, remove=True),
                VariantDraft(sku="LIN-L", price="45", compare_at="60", values=("Sand", "L")),
            ),
        ),
    )
    database.commit()
    database.expire_all()

    product = database.get(Product, product.id)
    assert product.name == "Linen shirt, relaxed"
    assert product.slug == slug
    assert product.category_id == product.root_category_id == other_category.id
    assert product.price_amount == 3500
    assert [(v.id == medium, v.sku, v.name, v.position) for v in product.variants] == [
        (True, "LIN-M", "Sand / M", 0),
        (False, "LIN-L", "Sand / L", 1),
    ]
    assert [(o.name, o.value) for o in product.variants[0].options] == [
        ("Colour", "Sand"),
        ("Size", "M"),
    ]
    assert [(a.name, a.value) for a in product.attributes] == [("Fabric", "Irish linen")]
    words = product.search_text.split()
    assert "Summer" in words and "Sand" in words and "Linen" not in words
    assert database.get(ProductVariant, small) is None


def test_a_sku_can_move_from_a_removed_variant_to_a_new_one(database, shirts):
    merchant = make_merchant()
    product = create(database, merchant, shirts)
    small, medium = (variant.id for variant in product.variants)

    authoring.update_product(
        database,
        merchant_id=merchant.id,
        product_id=product.id,
        draft=edit_draft(
            product,
            variants=(
                VariantDraft(sku="LIN-S", price="1", values=("S",), id=small, remove=True),
                VariantDraft(sku="LIN-M", price="42.50", values=("M",), id=medium),
                VariantDraft(sku="LIN-S", price="40", values=("XS",)),
            ),
        ),
    )
    database.commit()

    skus = database.execute(
        sa.select(ProductVariant.sku, ProductVariant.id != small).order_by(ProductVariant.position)
    ).all()
    assert [tuple(row) for row in skus] == [("LIN-M", True), ("LIN-S", True)]


def test_a_variant_with_orders_is_kept_and_the_whole_edit_refused(database, shirts):
    merchant = make_merchant()
    product = make_product(merchant=merchant, category=shirts, prices=(1000, 2000))
    orders.place_order(database, new_order("order-1", [(product, 1)]))
    database.commit()
    ordered = product.variants[0]

    with pytest.raises(InvalidProduct) as refused:
        authoring.update_product(
            database,
            merchant_id=merchant.id,
            product_id=product.id,
            draft=edit_draft(
                product,
                name="Renamed",
                variants=tuple(
                    VariantDraft(
                        sku=variant.sku,
                        price="5",
                        values=variant.values,
                        id=variant.id,
                        remove=variant.id == ordered.id,
                    )
                    for variant in edit_draft(product).variants
                ),
            ),
        )
    database.rollback()
    database.expire_all()

    assert refused.value.errors == {
        "variants-0-remove": [
            "This variant has orders, so it stays: unpublish or archive the product instead."
        ]
    }
    product = database.get(Product, product.id)
    assert product.name != "Renamed"
    assert [variant.price_amount for variant in product.variants] == [1000, 2000]
    editor = authoring.product_editor(database, merchant.id, product.id)
    assert editor.ordered_variant_ids == {ordered.id}


def test_another_merchants_product_is_not_found_for_every_service(database, shirts):
    owner, intruder = make_merchant(), make_merchant()
    product = create(database, owner, shirts)
    draft = edit_draft(product, name="Mine now")

    for attempt in (
        lambda: authoring.product_for_merchant(database, intruder.id, product.id),
        lambda: authoring.product_editor(database, intruder.id, product.id),
        lambda: authoring.update_product(
            database, merchant_id=intruder.id, product_id=product.id, draft=draft
        ),
        lambda: authoring.publish_product(database, intruder.id, product.id),
        lambda: authoring.unpublish_product(database, intruder.id, product.id),
        lambda: authoring.archive_product(database, intruder.id, product.id),
    ):
        with pytest.raises(authoring.ProductNotFound):
            attempt()
    with pytest.raises(authoring.ProductNotFound):
        authoring.product_for_merchant(database, owner.id, product.id + 1000)
    database.rollback()
    database.expire_all()
    assert database.get(Product, product.id).status == ProductStatus.DRAFT
    assert database.get(Product, product.id).name == "Linen shirt"


def test_a_variant_id_of_another_product_is_refused(database, shirts):
    merchant = make_merchant()
    product = create(database, merchant, shirts)
    other = make_product(merchant=merchant, category=shirts)

    with pytest.raises(InvalidProduct) as refused:
        authoring.update_product(
            database,
            merchant_id=merchant.id,
            product_id=product.id,
            draft=edit_draft(
                product,
                option_names=(),
                variants=(VariantDraft(sku="X", price="1", id=other.variants[0].id),),
            ),
        )

    assert list(refused.value.errors) == [""]


def test_publish_unpublish_and_archive(database, shirts):
    merchant = make_merchant()
    product = create(database, merchant, shirts)

    assert authoring.publish_product(database, merchant.id, product.id).is_published
    assert authoring.unpublish_product(database, merchant.id, product.id).status == "draft"
    assert authoring.archive_product(database, merchant.id, product.id).status == "archived"
    assert authoring.publish_product(database, merchant.id, product.id).is_published


def names(page) -> list[str]:
    return [row.name for row in page.items]


def test_the_list_filters_by_text_status_category_and_stock(database, shirts):
    merchant = make_merchant()
    mugs = make_category("Mugs")
    plenty = make_product(merchant=merchant, category=shirts, name="Oxford shirt", stock=50)
    few = make_product(merchant=merchant, category=shirts, name="Flannel shirt", stock=2)
    make_product(merchant=merchant, category=mugs, name="Big mug", stock=0)
    archived = make_product(merchant=merchant, category=mugs, name="Old mug", published=False)
    authoring.archive_product(database, merchant.id, archived.id)
    make_product(merchant=merchant, category=mugs, name="New mug", published=False)
    make_product(name="Someone else's shirt", category=shirts)
    database.commit()

    def listed(**filters) -> list[str]:
        return names(authoring.merchant_products(database, merchant.id, **filters))

    assert listed() == ["New mug", "Big mug", "Flannel shirt", "Oxford shirt"]
    assert listed(search="SHIRT") == ["Flannel shirt", "Oxford shirt"]
    assert listed(search=few.variants[0].sku.lower()) == ["Flannel shirt"]
    assert listed(search="%") == []
    assert listed(status="archived") == ["Old mug"]
    assert listed(status="draft") == ["New mug"]
    assert listed(status="published") == ["Big mug", "Flannel shirt", "Oxford shirt"]
    assert listed(category_id=shirts.parent_id) == ["Flannel shirt", "Oxford shirt"]
    assert listed(category_id=mugs.id) == ["New mug", "Big mug"]
    assert listed(stock_state="in_stock") == ["New mug", "Oxford shirt"]
    assert listed(stock_state="low") == ["Flannel shirt"]
    assert listed(stock_state="out") == ["Big mug"]
    row = authoring.merchant_products(database, merchant.id, search="Oxford").items[0]
    assert (row.id, row.category_name, row.variant_count, row.stock.available) == (
        plenty.id,
        "Shirts",
        1,
        50,
    )


def test_the_list_pages_and_a_page_past_the_last_shows_the_last(database, shirts):
    merchant = make_merchant()
    for number in range(5):
        make_product(merchant=merchant, category=shirts, name=f"Shirt {number}")

    second = authoring.merchant_products(database, merchant.id, page=2, per_page=2)
    past = authoring.merchant_products(database, merchant.id, page=9, per_page=2)

    assert (names(second), second.total, second.pages) == (["Shirt 2", "Shirt 1"], 5, 3)
    assert (names(past), past.page) == (["Shirt 0"], 3)


@pytest.mark.parametrize(
    ("filters", "rows", "statements"),
    [
        ({}, 50, 1),
        ({"search": "shirt", "stock_state": "in_stock"}, 50, 1),
        ({"search": "shirt", "stock_state": "low"}, 0, 2),
    ],
    ids=["page", "filtered page", "nothing found: the count is asked"],
)
def test_the_list_costs_the_same_statements_however_many_products(
    database, shirts, filters, rows, statements
):
    merchant = make_merchant()
    for number in range(60):
        make_product(merchant=merchant, category=shirts, name=f"Shirt {number}", prices=(100, 200))
    merchant_id = merchant.id
    database.commit()

    with count_queries(db.engine) as queries:
        page = authoring.merchant_products(database, merchant_id, per_page=50, **filters)

    assert queries.count == statements, queries
    assert (len(page.items), page.total) == (rows, 60 if rows else 0)
