"""Category pages have the search facets (shop, price, stock, attributes), in the URL, with htmx
and without JavaScript, and a sitemap page for people."""

from __future__ import annotations

import re

from tests.support.factories import make_category, make_merchant, make_product


def fill_clothing():
    """Clothing with T-shirts and Hoodies from two shops, in several materials and prices."""
    clothing = make_category("Clothing")
    tees = make_category("T-shirts", parent=clothing)
    hoodies = make_category("Hoodies", parent=clothing)
    north, south = make_merchant("North Shop"), make_merchant("South Shop")
    make_product(
        name="Cotton Tee",
        category=tees,
        merchant=north,
        prices=(1500,),
        attributes={"Material": "Cotton"},
    )
    make_product(
        name="Linen Tee",
        category=tees,
        merchant=south,
        prices=(3000,),
        stock=0,
        attributes={"Material": "Linen"},
    )
    make_product(
        name="Cotton Hoodie",
        category=hoodies,
        merchant=south,
        prices=(6000,),
        attributes={"Material": "Cotton", "Fit": "Loose"},
    )
    make_product(
        name="Wool Scarf",
        category=clothing,
        merchant=north,
        prices=(2000,),
        attributes={"Material": "Wool"},
    )
    make_product(name="Unrelated Kettle", merchant=north, attributes={"Material": "Cotton"})


def names(html: str) -> set[str]:
    return set(re.findall(r"<h3>([^<]+)</h3>", html))


def facet_count(html: str, name: str, value: str) -> str:
    """The count printed beside a facet checkbox."""
    match = re.search(
        rf'name="{name}" value="{re.escape(value)}"[^>]*> <span>[^\n]*?'
        r'<span class="facet-count">\((\d+)',
        html,
    )
    assert match, f"no {name}={value} facet"
    return match.group(1)


def test_an_unfiltered_category_shows_facets_counted_over_its_products(client):
    fill_clothing()

    html = client.get("/c/clothing").get_data(as_text=True)

    assert "4 products" in html
    assert facet_count(html, "merchant", "north-shop") == "2"
    assert facet_count(html, "merchant", "south-shop") == "2"
    assert facet_count(html, "price", "under-25") == "2"
    assert facet_count(html, "in_stock", "1") == "3"
    assert facet_count(html, "attr", "Material:Cotton") == "2"
    assert facet_count(html, "attr", "Fit:Loose") == "1"
    assert facet_count(html, "category", "t-shirts") == "2"


def test_filters_narrow_the_products_and_count_each_facet_without_its_own_filter(client):
    fill_clothing()

    html = client.get("/c/clothing?attr=Material:Cotton&attr=Material:Linen&in_stock=1").get_data(
        as_text=True
    )

    assert names(html) == {"Cotton Tee", "Cotton Hoodie"}
    assert "2 products" in html
    # Material counts ignore the Material filter but apply the stock filter
    assert facet_count(html, "attr", "Material:Cotton") == "2"
    assert facet_count(html, "attr", "Material:Wool") == "1"
    assert 'value="Material:Linen" checked' in html
    # Availability counts ignore the stock filter: Linen Tee (out of stock) counts
    assert facet_count(html, "in_stock", "1") == "2"
    assert 'href="/c/clothing" data-hx-get="/c/clothing">Clear all filters' in html


def test_shop_and_price_filters_and_sort_combine_on_a_subcategory(client):
    fill_clothing()

    html = client.get(
        "/c/t-shirts?merchant=south-shop&merchant=north-shop&price=25-50&sort=name"
    ).get_data(as_text=True)

    assert names(html) == {"Linen Tee"}
    assert '<option value="name" selected>' in html


def test_filters_that_match_nothing_say_so(client):
    fill_clothing()

    html = client.get("/c/hoodies?attr=Material:Wool").get_data(as_text=True)

    assert "0 products" in html and "No products match these filters" in html
    assert "No products in this category yet" not in html


def test_filter_form_works_without_js_and_updates_with_htmx_and_the_url(client):
    fill_clothing()

    page = client.get("/c/clothing").get_data(as_text=True)
    fragment = client.get(
        "/c/clothing?merchant=north-shop", headers={"HX-Request": "true"}
    ).get_data(as_text=True)

    form = page.split('<form id="category-filters"')[1].split(">")[0]
    assert 'method="get" action="/c/clothing"' in form
    assert 'data-hx-get="/c/clothing"' in form and 'data-hx-push-url="true"' in form
    assert '<details class="filters">' in page and "<summary" in page
    assert "<html" not in fragment and names(fragment) == {"Cotton Tee", "Wool Scarf"}


def test_page_links_keep_the_filters(client):
    category = make_category("Books")
    shop = make_merchant("Book Shop")
    for number in range(30):
        make_product(
            name=f"Book {number}",
            category=category,
            merchant=shop,
            attributes={"Format": "Paperback"},
        )

    html = client.get("/c/books?attr=Format:Paperback&sort=price_asc").get_data(as_text=True)

    assert 'href="/c/books?page=2&amp;sort=price_asc&amp;attr=Format%3APaperback"' in html


def test_attribute_filters_work_in_search_too(client):
    fill_clothing()

    html = client.get("/search?q=cotton&attr=Material:Cotton&attr=Fit:Loose").get_data(as_text=True)

    assert names(html) == {"Cotton Hoodie"}


def test_the_footer_links_an_html_sitemap_of_the_categories(client):
    fill_clothing()

    home = client.get("/").get_data(as_text=True)
    sitemap = client.get("/sitemap")

    assert '<a href="/sitemap">Sitemap</a>' in home
    assert sitemap.mimetype == "text/html"
    html = sitemap.get_data(as_text=True)
    assert 'href="/c/clothing"' in html and 'href="/c/t-shirts"' in html


def test_attribute_names_and_values_are_escaped_and_filter_as_given(client):
    category = make_category("Odd")
    make_product(name="Odd One", category=category, attributes={"Fit<i>": '<b>"Snug" & co</b>'})
    make_product(name="Plain One", category=category, attributes={"Fit<i>": "Loose"})

    page = client.get("/c/odd").get_data(as_text=True)
    filtered = client.get("/c/odd", query_string={"attr": 'Fit<i>:<b>"Snug" & co</b>'}).get_data(
        as_text=True
    )

    assert "<b>" not in page and "<legend>Fit&lt;i&gt;</legend>" in page
    assert 'value="Fit&lt;i&gt;:&lt;b&gt;&#34;Snug&#34; &amp; co&lt;/b&gt;"' in page
    assert names(filtered) == {"Odd One"}
