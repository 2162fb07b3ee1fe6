"""The search page: full page and htmx fragment from one URL, odd input, constant query count."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.catalog.models import Product
from app.database import db
from app.inventory.services import set_stock
from app.search.services import refresh_vocabulary
from tests.support.factories import make_category, make_merchant, make_product
from tests.support.queries import count_queries

HTMX = {"HX-Request": "true"}

NASTY_QUERIES = [
    "",
    " ",
    '"',
    '""',
    '"unbalanced phrase',
    "(",
    "((shirt",
    "shirt)",
    "-",
    "--",
    "-shirt",
    "- - -",
    ":",
    "shirt:*",
    "*",
    "a*b*",
    "&",
    "|",
    "!",
    "&|!",
    "shirt & !",
    "<->",
    "shirt <-> ",
    "NEAR(shirt jacket)",
    "shirt AND OR NOT",
    "NOT",
    "^shirt",
    "shirt:1",
    "'",
    "''; DROP TABLE products; --",
    "1' OR '1'='1",
    "%",
    "_",
    "%_%",
    "\\",
    "\\x00",
    "\t\n\r",
    "😀",
    "👕 shirt 👖",
    "\ufb01ne \uff53\uff48\uff49\uff52\uff54",
    "中文 商品",
    "مرحبا",
    "e\u0301",
    "\u202eevil",
    "\ufeffshirt",
    "x" * 10_000,
    "shirt " * 2_000,
    "a b c d e f g h i j k l m n o p",
    "the",
    "the and of",
    "²³ ½ ⅷ",
    "9" * 300,
    "<script>alert(1)</script>",
    "{{ 7 * 7 }}",
    "{% raw %}",
]


@pytest.fixture()
def catalogue(database):
    """Two shirts and a jacket from one merchant, in one category."""
    merchant = make_merchant("Northwind Outfitters")
    category = make_category("Tops")
    make_product(merchant=merchant, category=category, name="Oxford Shirt", prices=(4500,))
    make_product(merchant=merchant, category=category, name="Linen Shirt", prices=(3000,), stock=0)
    make_product(merchant=merchant, category=category, name="Denim Jacket", prices=(12000,))


def test_category_names_are_searchable(client, database):
    make_product(name="Harbor V-neck Tee", category=make_category("T-shirts"))

    html = client.get("/search?q=shirt").get_data(as_text=True)

    assert "Harbor V-neck Tee" in html


def test_full_page(client, catalogue):
    # when
    response = client.get("/search?q=shirt")

    # then
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<title>Search results for “shirt”" in html
    assert '<meta name="robots" content="noindex, follow">' in html
    assert re.search(r'<link rel="canonical" href="http://[^"]+/search\?q=shirt">', html)
    assert "<h1>Search results for “shirt”</h1>" in html
    assert "Oxford Shirt" in html and "Linen Shirt" in html
    assert "Denim Jacket" not in html


def test_the_filter_form_works_without_javascript(client, catalogue):
    # when
    html = client.get("/search?q=shirt").get_data(as_text=True)

    # then
    form = re.search(r"<form id=\"search-form\"[^>]*>", html).group()
    assert 'method="get"' in form and 'action="/search"' in form
    assert 'data-hx-get="/search"' in form and 'data-hx-trigger="change, submit"' in form
    assert 'data-hx-target="#search-results"' in form and 'data-hx-push-url="true"' in form
    assert '<input type="hidden" name="q" value="shirt">' in html
    assert '<input type="checkbox" name="category" value="tops">' in html
    assert '<input type="checkbox" name="merchant" value="northwind-outfitters">' in html
    assert '<input type="checkbox" name="price" value="25-50">' in html
    assert '<input type="checkbox" name="in_stock" value="1">' in html
    assert '<select id="search-sort" name="sort">' in html
    assert '<option value="relevance" selected>' in html
    assert 'type="submit"' in html
    assert 'id="results-heading" tabindex="-1" data-focus-after-swap' in html


def test_ticked_filters_stay_ticked(client, catalogue):
    # when
    html = client.get("/search?q=shirt&in_stock=1&price=25-50").get_data(as_text=True)

    # then
    assert '<input type="checkbox" name="in_stock" value="1" checked>' in html
    assert '<input type="checkbox" name="price" value="25-50" checked>' in html
    assert "Oxford Shirt" in html and "Linen Shirt" not in html
    assert '<a href="/search?q=shirt" data-hx-get="/search?q=shirt">Clear all filters</a>' in html


def test_htmx_gets_only_the_results_block(client, catalogue):
    # when
    response = client.get("/search?q=shirt&sort=price_asc", headers=HTMX)

    # then
    html = response.get_data(as_text=True).strip()
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert html.startswith('<form id="search-form"')
    assert "<html" not in html and "<h1>" not in html and 'id="search-results"' not in html
    assert html.index("Linen Shirt") < html.index("Oxford Shirt")
    assert 'name="category"' in html


def test_a_history_restore_gets_the_full_page(client, catalogue):
    # when
    response = client.get("/search?q=shirt", headers={**HTMX, "HX-History-Restore-Request": "true"})

    # then
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<!doctype html>")
    assert '<div id="search-results">' in html


def test_pagination_links_are_real_links_that_htmx_follows(client, database):
    # given
    merchant, category = make_merchant(), make_category()
    for number in range(30):
        make_product(merchant=merchant, category=category, name=f"Widget {number}")

    # when
    html = client.get("/search?q=widget&in_stock=1").get_data(as_text=True)

    # then
    url = "/search?q=widget&amp;in_stock=1&amp;page=2"
    assert f'<a href="{url}" data-hx-get="{url}"' in html
    assert "30 products, page 1 of 2" in html
    second = client.get("/search?q=widget&in_stock=1&page=2", headers=HTMX).get_data(as_text=True)
    assert second.count('class="product-card"') == 6


def test_a_misspelling_shows_the_correction(client, catalogue):
    # given
    refresh_vocabulary(db.session)
    db.session.commit()

    # when
    html = client.get("/search?q=jackte").get_data(as_text=True)

    # then
    assert "Showing results for “<strong>jacket</strong>”" in html
    assert "Denim Jacket" in html
    assert '<input type="hidden" name="q" value="jackte">' in html


def test_nothing_found(client, catalogue):
    # when
    html = client.get("/search?q=submarine&in_stock=1").get_data(as_text=True)

    # then
    assert "No products found" in html
    assert "Nothing matched “submarine” with these filters" in html


def test_browsing_without_text(client, catalogue):
    # when
    html = client.get("/search").get_data(as_text=True)

    # then
    assert "<title>Search · " in html
    assert "3 products" in html
    assert 'value="relevance"' not in html
    assert '<option value="newest" selected>' in html


@pytest.mark.parametrize("text", NASTY_QUERIES, ids=range(len(NASTY_QUERIES)))
def test_any_text_gets_a_page(client, catalogue, text):
    # when
    response = client.get("/search", query_string={"q": text})
    fragment = client.get("/search", query_string={"q": text}, headers=HTMX)

    # then
    assert response.status_code == 200
    assert fragment.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query_string", ["q=shirt%00jacket", "q=%00", "sort=%00", "unknown=1&another=%00"]
)
def test_a_nul_byte_anywhere_is_refused_cleanly(client, catalogue, query_string):
    # when
    response = client.get(f"/search?{query_string}")

    # then
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query_string",
    [
        "page=-1",
        "page=0",
        "page=abc",
        "page=99999999999999999999999",
        "page=1e9",
        "page=",
        "page=2&page=3",
        "sort=bogus",
        "sort=relevance",
        "sort=price_asc&sort=price_desc",
        "category=../../etc&merchant=%27%3B--",
        "category=" + "a" * 5000,
        "price=free&price=under-25&price=under-25",
        "in_stock=maybe",
        "in_stock=1&in_stock=0",
        "q=shirt&q=jacket",
        "q=%FF%FE",
        "q=%ED%A0%80",
        "&".join(f"category=c{number}" for number in range(500)),
        "&".join(f"q=w{number}" for number in range(200)),
    ],
)
def test_any_arguments_get_a_page(client, catalogue, query_string):
    # when
    response = client.get(f"/search?{query_string}")

    # then
    assert response.status_code == 200


def test_the_query_count_does_not_grow_with_the_results(app, client, database, monkeypatch):
    # given
    monkeypatch.setitem(app.config, "SEARCH_CACHE_SECONDS", 0)
    merchant, category = make_merchant(), make_category("Shirts")
    make_product(merchant=merchant, category=category, name="Lonely Gadget")
    for number in range(24):
        make_product(merchant=merchant, category=category, name=f"Pair Widget {number}")
    for number in range(24):
        make_product(
            merchant=make_merchant(),
            category=make_category(),
            name=f"Crowd Widget {number}",
            prices=(1000 + 2000 * number, 5000),
        )
    searches = {
        "one": "/search?q=gadget",
        "a page": "/search?q=pair",
        "two pages": "/search?q=widget",
        "second page": "/search?q=widget&page=2",
        "filtered": "/search?q=widget&in_stock=1&price=50-100",
    }
    for url in searches.values():
        client.get(url)

    # when
    counted = {}
    shown = {}
    for name, url in searches.items():
        with count_queries(db.engine) as queries:
            html = client.get(url).get_data(as_text=True)
        counted[name] = queries.count
        shown[name] = html.count('class="product-card"')

    # then
    assert shown == {"one": 1, "a page": 24, "two pages": 24, "second page": 24, "filtered": 22}
    assert len(set(counted.values())) == 1, counted


def test_a_repeated_search_reuses_the_counts_but_draws_fresh_cards(
    app, client, catalogue, monkeypatch
):
    # given
    monkeypatch.setitem(app.config, "SEARCH_CACHE_SECONDS", 30)
    client.get("/search?q=jacket")
    with count_queries(db.engine) as first:
        before = client.get("/search?q=shirt").get_data(as_text=True)
    oxford = db.session.scalar(sa.select(Product).where(Product.name == "Oxford Shirt"))
    set_stock(db.session, variant_id=oxford.variants[0].id, product_id=oxford.id, on_hand=0)
    db.session.commit()

    # when
    with count_queries(db.engine) as second:
        after = client.get("/search?q=shirt").get_data(as_text=True)

    # then
    assert (first.count, second.count) == (2, 1)
    assert "In stock only" in after and "2 products" in after
    assert before.count("Out of stock") == 1
    assert after.count("Out of stock") == 2


def test_without_the_cache_every_search_reads_the_database(app, client, catalogue, monkeypatch):
    # given
    monkeypatch.setitem(app.config, "SEARCH_CACHE_SECONDS", 0)
    client.get("/search?q=jacket")
    with count_queries(db.engine) as first:
        client.get("/search?q=shirt")

    # when
    with count_queries(db.engine) as second:
        client.get("/search?q=shirt")

    # then
    assert second.count == first.count == 2
