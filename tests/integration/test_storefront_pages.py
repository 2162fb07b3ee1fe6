"""Storefront pages: home, category, product (with variant choice), 404s and SEO tags."""

from __future__ import annotations

import json
import re

import pytest

from app.catalog.models import ProductStatus
from app.database import db
from app.merchants.models import MerchantStatus
from tests.support.factories import make_category, make_merchant, make_product


def test_home_shows_featured_new_arrivals_and_categories(client):
    # given
    clothing = make_category("Clothing")
    make_product(name="Plain Tee", category=clothing, featured=True)
    make_product(name="Newest Hoodie", category=clothing)
    # when
    page = client.get("/")
    # then
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Featured" in html and "Plain Tee" in html
    assert "New arrivals" in html and "Newest Hoodie" in html
    assert 'href="/c/clothing"' in html


def test_home_hides_drafts_and_products_of_suspended_merchants(client):
    suspended = make_merchant("Gone Shop")
    make_product(name="Secret Draft", published=False)
    make_product(name="Suspended Thing", merchant=suspended)
    suspended.status = MerchantStatus.SUSPENDED
    db.session.commit()

    html = client.get("/").get_data(as_text=True)

    assert "Secret Draft" not in html
    assert "Suspended Thing" not in html


def test_category_page_lists_its_own_and_subcategory_products(client):
    clothing = make_category("Clothing")
    tees = make_category("T-shirts", parent=clothing)
    make_product(name="Top Level Scarf", category=clothing)
    make_product(name="Striped Tee", category=tees)
    make_product(name="Unrelated Kettle")

    html = client.get("/c/clothing").get_data(as_text=True)

    assert "Top Level Scarf" in html and "Striped Tee" in html
    assert "Unrelated Kettle" not in html
    assert "2 products" in html
    assert 'href="/c/t-shirts"' in html


def test_category_sorts_by_price_and_pages(client):
    category = make_category("Books")
    for price in (500, 300, 900):
        make_product(name=f"Book {price}", category=category, prices=(price,))

    html = client.get("/c/books?sort=price_asc").get_data(as_text=True)

    assert html.index("Book 300") < html.index("Book 500") < html.index("Book 900")


def test_category_pagination_shows_the_second_page(client):
    category = make_category("Toys")
    for number in range(30):
        make_product(name=f"Toy {number:02d}", category=category)

    first = client.get("/c/toys").get_data(as_text=True)
    second = client.get("/c/toys?page=2").get_data(as_text=True)

    assert first.count('class="product-card"') == 24
    assert second.count('class="product-card"') == 6
    assert 'rel="next"' in first and 'aria-current="page">2<' in second


def test_category_page_links_keep_the_sort_and_leave_defaults_out(client):
    category = make_category("Games")
    for number in range(60):
        make_product(name=f"Game {number:02d}", category=category)

    newest = client.get("/c/games?page=2").get_data(as_text=True)
    by_price = client.get("/c/games?page=2&sort=price_desc").get_data(as_text=True)

    assert '<link rel="prev" href="/c/games">' in newest
    assert '<link rel="next" href="/c/games?page=3">' in newest
    assert '<link rel="prev" href="/c/games?sort=price_desc">' in by_price
    assert '<link rel="next" href="/c/games?page=3&amp;sort=price_desc">' in by_price
    assert 'href="/c/games?page=3&amp;sort=price_desc" data-hx-get=' in by_price


@pytest.mark.parametrize("query", ["page=abc", "page=-4", "page=99999999999", "page="])
def test_category_survives_odd_query_strings(client, query):
    make_product(category=make_category("Garden"))

    assert client.get(f"/c/garden?{query}", follow_redirects=True).status_code == 200


def test_a_nul_byte_in_the_query_is_a_bad_request(client):
    make_product(category=make_category("Garden"))

    assert client.get("/c/garden?sort=%00drop").status_code == 400


def test_category_htmx_request_gets_only_the_results_fragment(client):
    make_product(name="Fragment Lamp", category=make_category("Lighting"))

    response = client.get("/c/lighting?sort=name", headers={"HX-Request": "true"})

    html = response.get_data(as_text=True)
    assert "Fragment Lamp" in html
    assert "<html" not in html and "site-header" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_unknown_category_and_product_are_404_pages(client):
    for url in ("/c/nope", "/p/nope"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)


def test_draft_product_page_is_404(client):
    product = make_product(published=False)

    assert client.get(f"/p/{product.slug}").status_code == 404
    assert product.status == ProductStatus.DRAFT


def test_product_page_shows_variants_price_stock_and_merchant(client):
    product = make_product(
        name="Hoodie",
        merchant=make_merchant("Northwind"),
        prices=(4000, 4500),
        stock=(0, 3),
        options=({"Size": "M"}, {"Size": "XL"}),
        attributes={"Material": "Cotton"},
    )

    html = client.get(f"/p/{product.slug}").get_data(as_text=True)

    assert "Sold by Northwind" in html
    assert "M (out of stock)" in html
    assert "$45.00" in html and "Only 3 left" in html  # first in-stock variant is chosen
    assert "Material" in html and "Cotton" in html


def test_choosing_a_variant_without_js_renders_its_price_and_stock(client):
    product = make_product(
        prices=(4000, 4500), stock=(7, 0), options=({"Size": "M"}, {"Size": "XL"})
    )
    xl = product.variants[1]

    html = client.get(f"/p/{product.slug}?variant={xl.id}").get_data(as_text=True)

    assert "$45.00" in html and "Out of stock" in html
    assert re.search(rf'value="{xl.id}"\s+checked', html)


def test_choosing_a_variant_with_htmx_returns_the_panel_and_an_oob_image(client):
    product = make_product(prices=(4000, 4500), options=({"Size": "M"}, {"Size": "XL"}))
    xl = product.variants[1]

    response = client.get(f"/p/{product.slug}?variant={xl.id}", headers={"HX-Request": "true"})

    html = response.get_data(as_text=True)
    assert 'id="variant-panel"' in html and "$45.00" in html
    assert 'data-hx-swap-oob="true"' in html
    assert "<html" not in html


def test_variant_of_another_product_is_ignored(client):
    product = make_product(prices=(1000,))
    other = make_product(prices=(9999,))

    html = client.get(f"/p/{product.slug}?variant={other.variants[0].id}").get_data(as_text=True)

    assert "$10.00" in html and "$99.99" not in html


def test_product_page_has_seo_tags_and_structured_data(client):
    product = make_product(name="Linen Shirt", description="A breezy shirt for summer days.")

    html = client.get(f"/p/{product.slug}").get_data(as_text=True)

    assert "<title>Linen Shirt" in html
    assert '<meta name="description" content="A breezy shirt for summer days.">' in html
    assert f'<link rel="canonical" href="http://localhost/p/{product.slug}">' in html
    assert '<meta property="og:type" content="product">' in html
    payload = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(payload)
    assert data["@type"] == "Product" and data["offers"][0]["price"] == "19.99"


def test_sitemap_lists_categories_and_visible_products(client):
    category = make_category("Kitchen")
    visible = make_product(category=category)
    draft = make_product(category=category, published=False)

    response = client.get("/sitemap.xml")

    xml = response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    assert "http://localhost/c/kitchen" in xml
    assert f"/p/{visible.slug}</loc>" in xml and f"/p/{draft.slug}<" not in xml


def test_robots_txt_points_to_the_sitemap(client):
    text = client.get("/robots.txt").get_data(as_text=True)

    assert "Sitemap: http://localhost/sitemap.xml" in text
    assert "Disallow: /account/" in text


@pytest.mark.parametrize("slug", ["plain-tee-2", "odd slug/ü"])
def test_product_url_matches_url_for(app, slug):
    from flask import url_for

    from app.catalog.views import product_url

    with app.test_request_context("/"):
        assert product_url(slug) == url_for("catalog.product", slug=slug)


def test_category_page_past_the_end_redirects_to_the_last_page(client):
    category = make_category("Games")
    merchant = make_merchant("Dice Shop")
    for number in range(26):
        make_product(name=f"Game {number}", category=category, merchant=merchant)

    past = client.get("/c/games?page=999&sort=price_desc")
    filtered = client.get("/c/games?page=5&merchant=dice-shop")
    last = client.get(past.headers["Location"]).get_data(as_text=True)

    assert past.status_code == 302
    assert past.headers["Location"] == "/c/games?page=2&sort=price_desc"
    assert filtered.headers["Location"] == "/c/games?page=2&merchant=dice-shop"
    assert "26 products" in last and last.count('class="product-card"') == 2
    assert "No products in this category yet" not in last


def test_an_empty_category_is_page_one_only(client):
    make_category("Empty")
    db.session.commit()

    assert client.get("/c/empty?page=2").headers["Location"] == "/c/empty"
    assert "No products in this category yet" in client.get("/c/empty").get_data(as_text=True)
