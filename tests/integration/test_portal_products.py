"""The portal's product pages: list, filters and pages, create and edit with variants, publish,
unpublish and archive; another merchant's product is a 404; a merchant's change shows on the
storefront at once (product page) or within the caches' documented lifetimes (category facets)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.catalog.models import Product, ProductStatus, ProductVariant
from app.database import db
from app.platform import cache
from tests.support.factories import make_category, make_product
from tests.support.portal import Staff, make_staff
from tests.support.queries import count_queries

HTMX = {"HX-Request": "true"}
HOSTILE = '<script>alert(1)</script> & "q"'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;q&#34;"


@pytest.fixture()
def staff(app, database) -> Staff:
    return make_staff(app, database)


@pytest.fixture()
def shirts(database):
    category = make_category("Shirts", make_category("Clothing"))
    database.commit()
    return category


def new_product_form(category_id: int, **changes) -> dict:
    return {
        "name": "Linen shirt",
        "description": "Cool in summer.",
        "category_id": str(category_id),
        "option1_name": "Size",
        "attributes-0-name": "Material",
        "attributes-0-value": "Linen",
        "variants-0-sku": "LIN-S",
        "variants-0-price": "39.00",
        "variants-0-option1": "S",
        "variants-1-sku": "LIN-M",
        "variants-1-price": "42.50",
        "variants-1-compare_at": "50",
        "variants-1-weight": "300",
        "variants-1-option1": "M",
        **changes,
    }


def edit_form(product: Product, **changes) -> dict:
    """The edit form as the page shows it for `product`, with `changes`."""
    data = {
        "name": product.name,
        "description": product.description,
        "category_id": str(product.category_id),
    }
    for index, variant in enumerate(product.variants):
        data |= {
            f"variants-{index}-id": str(variant.id),
            f"variants-{index}-sku": variant.sku,
            f"variants-{index}-price": variant.price.decimal_string(),
            f"variants-{index}-weight": str(variant.weight_grams),
        }
        for axis, option in enumerate(variant.options, start=1):
            data[f"option{axis}_name"] = option.name
            data[f"variants-{index}-option{axis}"] = option.value
    return data | changes


def the_product(database, name: str) -> Product:
    database.expire_all()
    return database.scalars(sa.select(Product).where(Product.name == name)).one()


def body(response) -> str:
    return response.get_data(as_text=True)


def test_the_list_shows_only_the_merchants_products_newest_first(staff, shirts):
    make_product(merchant=staff.merchant, category=shirts, name="Oxford shirt")
    make_product(merchant=staff.merchant, category=shirts, name="Flannel shirt")
    make_product(category=shirts, name="Someone else's shirt")

    response = staff.client.get("/portal/products")

    page = body(response)
    assert response.status_code == 200
    assert page.index("Flannel shirt") < page.index("Oxford shirt")
    assert "Someone else" not in page
    assert "2 products" in page
    assert '<th scope="col">Stock</th>' in page


def test_filters_work_as_a_plain_get_form_and_htmx_gets_only_the_table(staff, shirts):
    make_product(merchant=staff.merchant, category=shirts, name="Oxford shirt", stock=50)
    make_product(merchant=staff.merchant, category=shirts, name="Flannel shirt", stock=0)
    make_product(merchant=staff.merchant, category=shirts, name="Draft shirt", published=False)

    full = staff.client.get("/portal/products?stock=out&status=published")
    fragment = staff.client.get("/portal/products?search=oxford", headers=HTMX)

    assert "Flannel shirt" in body(full) and "Oxford shirt" not in body(full)
    assert '<option value="out" selected>' in body(full)
    assert "<html" not in body(fragment)
    assert 'id="product-results"' in body(fragment)
    assert "Oxford shirt" in body(fragment) and "Flannel shirt" not in body(fragment)
    assert fragment.headers["Vary"] == "HX-Request" or "HX-Request" in fragment.headers["Vary"]


def test_pages_keep_the_filters_in_their_links(staff, shirts):
    for number in range(27):
        make_product(merchant=staff.merchant, category=shirts, name=f"Shirt {number}")

    first = body(staff.client.get("/portal/products?search=shirt"))
    second = body(staff.client.get("/portal/products?search=shirt&page=2"))

    assert "page 1 of 2" in first
    assert 'href="/portal/products?search=shirt&amp;page=2"' in first
    assert "Shirt 1<" in second and "Shirt 26<" not in second


def list_queries(staff: Staff, products: int, shirts) -> int:
    for number in range(products):
        make_product(merchant=staff.merchant, category=shirts, name=f"P{number}", prices=(1, 2))
    db.session.commit()
    staff.client.get("/portal/products")
    with count_queries(db.engine) as queries:
        response = staff.client.get("/portal/products")
    assert response.status_code == 200
    return queries.count


def test_the_list_page_costs_the_same_queries_for_60_products_as_for_6(app, database, shirts):
    few = list_queries(make_staff(app, database), 6, shirts)
    many = list_queries(make_staff(app, database), 60, shirts)

    assert few == many


def test_a_product_with_variants_is_created_as_a_draft(staff, shirts, database):
    response = staff.client.post("/portal/products/new", data=new_product_form(shirts.id))

    product = the_product(database, "Linen shirt")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/portal/products/{product.id}")
    assert product.merchant_id == staff.merchant.id
    assert product.status == ProductStatus.DRAFT
    assert [
        (v.sku, v.name, v.price_amount, v.compare_at_amount, v.weight_grams)
        for v in product.variants
    ] == [
        ("LIN-S", "S", 3900, None, 0),
        ("LIN-M", "M", 4250, 5000, 300),
    ]
    page = body(staff.client.get(response.headers["Location"]))
    assert "Product saved as a draft" in page
    assert 'value="LIN-M"' in page


def test_a_refused_product_keeps_what_was_typed_with_errors_next_to_the_fields(
    staff, shirts, database
):
    response = staff.client.post(
        "/portal/products/new",
        data=new_product_form(shirts.id, **{"variants-1-compare_at": "10", "name": ""}),
    )

    page = body(response)
    assert response.status_code == 422
    assert 'id="variants-1-compare_at-error"' in page
    assert 'aria-describedby="variants-1-compare_at-error"' in page
    assert "The compare-at price must be higher than the price" in page
    assert "Enter the product&#39;s name." in page
    assert 'value="LIN-M"' in page and 'value="42.50"' in page
    assert database.scalar(sa.select(sa.func.count(Product.id))) == 0


def test_a_sku_clash_within_the_merchant_is_refused_next_to_the_field(staff, shirts, database):
    make_product(merchant=staff.merchant, category=shirts, name="Old shirt")
    taken = database.scalar(sa.select(ProductVariant.sku))

    response = staff.client.post(
        "/portal/products/new", data=new_product_form(shirts.id, **{"variants-0-sku": taken})
    )

    page = body(response)
    assert response.status_code == 422
    assert 'id="variants-0-sku-error"' in page
    assert "Your product \u201cOld shirt\u201d has this SKU already" in page
    assert database.scalar(sa.select(sa.func.count(Product.id))) == 1


def test_the_same_sku_at_two_merchants_is_allowed(app, database, shirts):
    make_product(category=shirts, name="Their shirt")
    taken = database.scalar(sa.select(ProductVariant.sku))
    staff = make_staff(app, database)

    response = staff.client.post(
        "/portal/products/new", data=new_product_form(shirts.id, **{"variants-0-sku": taken})
    )

    assert response.status_code == 303
    assert the_product(database, "Linen shirt").variants[0].sku == taken


def test_another_variant_row_is_added_without_javascript_and_with_htmx(staff, shirts, database):
    data = new_product_form(shirts.id, add_variant="y")

    plain = staff.client.post("/portal/products/new", data=data)
    swapped = staff.client.post("/portal/products/new", data=data, headers=HTMX)

    assert plain.status_code == 200
    assert 'name="variants-2-sku"' in body(plain) and "<html" in body(plain)
    assert 'value="LIN-M"' in body(plain)
    assert swapped.status_code == 200
    assert "<html" not in body(swapped)
    assert body(swapped).lstrip().startswith('<div id="variants"')
    assert 'name="variants-2-sku"' in body(swapped)
    assert re.search(
        r'autofocus[^>]*name="variants-2-sku"|name="variants-2-sku"[^>]*autofocus', body(swapped)
    )
    assert database.scalar(sa.select(sa.func.count(Product.id))) == 0


def test_an_edit_saves_fields_and_variants(staff, shirts, database):
    product = make_product(merchant=staff.merchant, category=shirts, prices=(1000, 2000))
    url = f"/portal/products/{product.id}"
    form = edit_form(
        product,
        name="Renamed shirt",
        **{
            "variants-0-price": "9.50",
            "variants-1-remove": "y",
            "variants-2-sku": "NEW-XL",
            "variants-2-price": "30",
            "variants-2-option1": "XL",
        },
    )

    page = staff.client.get(url)
    boosted = staff.client.get(url, headers=HTMX)
    response = staff.client.post(url, data=form)

    assert page.status_code == 200 and f'value="{product.variants[0].sku}"' in body(page)
    assert "<html" in body(boosted)
    assert response.status_code == 303
    product = the_product(database, "Renamed shirt")
    assert [(v.sku, v.price_amount) for v in product.variants] == [
        (form["variants-0-sku"], 950),
        ("NEW-XL", 3000),
    ]
    assert product.price_amount == 950
    assert "Changes saved." in body(staff.client.get(url))


def test_publish_unpublish_and_archive_show_on_the_storefront_at_once(
    staff, shirts, database, client
):
    product = make_product(merchant=staff.merchant, category=shirts, published=False)
    storefront = f"/p/{product.slug}"
    actions = f"/portal/products/{product.id}"

    assert client.get(storefront).status_code == 404
    assert staff.client.post(f"{actions}/publish").status_code == 303
    assert client.get(storefront).status_code == 200
    assert staff.client.post(f"{actions}/unpublish").status_code == 303
    assert client.get(storefront).status_code == 404
    staff.client.post(f"{actions}/publish")
    assert staff.client.post(f"{actions}/archive").status_code == 303
    assert client.get(storefront).status_code == 404
    assert the_product(database, product.name).status == ProductStatus.ARCHIVED
    assert product.name not in body(staff.client.get("/portal/products"))
    assert product.name in body(staff.client.get("/portal/products?status=archived"))


def test_a_price_change_is_on_the_product_page_at_once(staff, shirts, client):
    product = make_product(merchant=staff.merchant, category=shirts, prices=(1999,))
    storefront = f"/p/{product.slug}"
    assert "$19.99" in body(client.get(storefront))

    response = staff.client.post(
        f"/portal/products/{product.id}", data=edit_form(product, **{"variants-0-price": "24.50"})
    )

    assert response.status_code == 303
    page = body(client.get(storefront))
    assert "$24.50" in page and "$19.99" not in page


def test_the_category_facets_catch_up_within_their_documented_lifetime(
    app, staff, shirts, client, monkeypatch
):
    """Unfiltered category facets are kept per process for CATALOG_CACHE_SECONDS; the cards
    themselves are read fresh."""
    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    make_product(category=shirts, name="Another shop's shirt")
    product = make_product(merchant=staff.merchant, category=shirts, published=False)
    shop_facet = f'name="merchant" value="{staff.merchant.slug}"'
    assert shop_facet not in body(client.get(f"/c/{shirts.slug}"))

    staff.client.post(f"/portal/products/{product.id}/publish")
    meanwhile = body(client.get(f"/c/{shirts.slug}"))
    clock[0] += app.config["CATALOG_CACHE_SECONDS"] + 1
    later = body(client.get(f"/c/{shirts.slug}"))

    assert product.name in meanwhile
    assert shop_facet in later


def test_an_unpublished_product_leaves_cached_search_results_at_once(app, staff, shirts, client):
    assert app.config["SEARCH_CACHE_SECONDS"] > 0
    product = make_product(merchant=staff.merchant, category=shirts, name="Seersucker shirt")
    assert product.name in body(client.get("/search?q=seersucker"))

    staff.client.post(f"/portal/products/{product.id}/unpublish")

    assert product.name not in body(client.get("/search?q=seersucker"))


def test_another_merchants_product_is_not_found(app, database, staff, shirts):
    theirs = make_product(category=shirts, name="Their shirt", published=False)
    url = f"/portal/products/{theirs.id}"

    assert staff.client.get(url).status_code == 404
    assert staff.client.post(url, data=edit_form(theirs, name="Mine")).status_code == 404
    assert staff.client.post(f"{url}/publish").status_code == 404
    assert staff.client.get("/portal/products/999999").status_code == 404
    product = the_product(database, "Their shirt")
    assert product.status == ProductStatus.DRAFT


def test_a_hostile_name_is_escaped_in_the_portal_and_the_storefront(
    staff, shirts, database, client
):
    response = staff.client.post(
        "/portal/products/new", data=new_product_form(shirts.id, name=HOSTILE)
    )
    product = the_product(database, HOSTILE)
    staff.client.post(f"/portal/products/{product.id}/publish")

    pages = {
        "portal list": staff.client.get("/portal/products"),
        "portal edit": staff.client.get(response.headers["Location"]),
        "category card": client.get(f"/c/{shirts.slug}"),
        "search results": client.get("/search?q=linen"),
    }

    for where, page in pages.items():
        assert page.status_code == 200, where
        assert ESCAPED in body(page), where
        assert "<script>alert(1)" not in body(page), where
