"""Search service on a real database: matching, ranking, facets, sorting, pages, spelling."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from app.catalog.models import Category, Product
from app.merchants.models import Merchant, MerchantStatus
from app.search import statements
from app.search.models import SearchTerm
from app.search.rules import SearchQuery, parse_search_args
from app.search.services import SearchResults, refresh_vocabulary, search_products
from tests.support.factories import make_category, make_merchant, make_product


@dataclass
class Shop:
    """A small catalogue with products that must never show."""

    clothing: Category
    shirts: Category
    jackets: Category
    kitchen: Category
    northwind: Merchant
    acme: Merchant
    oxford: Product
    linen: Product
    jacket: Product
    knife: Product


@pytest.fixture()
def shop(database) -> Shop:
    """Four visible products, plus a draft and one from a suspended merchant."""
    clothing = make_category("Clothing")
    shirts = make_category("Shirts", parent=clothing)
    jackets = make_category("Jackets", parent=clothing)
    kitchen = make_category("Kitchen")
    northwind = make_merchant("Northwind Outfitters")
    acme = make_merchant("Acme Home")
    suspended = make_merchant("Shady Traders")
    oxford = make_product(
        merchant=northwind,
        category=shirts,
        name="Oxford Shirt",
        description="A crisp button-down for the office.",
        prices=(4500, 4900),
        options=({"Colour": "Burgundy"}, {"Colour": "Navy"}),
        attributes={"Material": "Cotton"},
        stock=10,
    )
    linen = make_product(
        merchant=northwind,
        category=shirts,
        name="Linen Shirt",
        description="Light and airy for summer.",
        prices=(3000,),
        stock=0,
    )
    jacket = make_product(
        merchant=acme,
        category=jackets,
        name="Denim Jacket",
        description="Pairs well with any shirt.",
        prices=(12000,),
        stock=5,
    )
    knife = make_product(
        merchant=acme,
        category=kitchen,
        name="Chef Knife",
        description="Forged blade with a walnut handle.",
        prices=(8000,),
        attributes={"Material": "Steel"},
        stock=3,
    )
    make_product(merchant=northwind, category=shirts, name="Draft Shirt Zebra", published=False)
    make_product(merchant=suspended, category=shirts, name="Smuggled Shirt Zebra")
    suspended.status = MerchantStatus.SUSPENDED
    database.commit()
    return Shop(clothing, shirts, jackets, kitchen, northwind, acme, oxford, linen, jacket, knife)


def search(database, **args) -> SearchResults:
    """Run a search from query-string style arguments."""
    return search_products(database, parse_search_args(args))


def names(results: SearchResults) -> list[str]:
    return [card.name for card in results.products.items]


def counts(values) -> dict[str, int]:
    return {value.value: value.count for value in values}


def test_name_matches_rank_above_description_matches(database, shop):
    # when
    results = search(database, q="shirt")

    # then
    assert set(names(results)[:2]) == {"Oxford Shirt", "Linen Shirt"}
    assert names(results)[2:] == ["Denim Jacket"]
    assert results.products.total == 3
    assert results.query.sort == "relevance"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cotton", ["Oxford Shirt"]),
        ("burgundy", ["Oxford Shirt"]),
        ("walnut", ["Chef Knife"]),
        ("shir", ["Linen Shirt", "Oxford Shirt", "Denim Jacket"]),
        ("oxf", ["Oxford Shirt"]),
        ("shirts", ["Linen Shirt", "Oxford Shirt", "Denim Jacket"]),
        ("shirt -linen", ["Oxford Shirt", "Denim Jacket"]),
        ('"denim jacket"', ["Denim Jacket"]),
        ('"jacket denim"', []),
        ("OXFORD   shirt", ["Oxford Shirt"]),
    ],
)
def test_text_matching(database, shop, text, expected):
    # when
    results = search(database, q=text)

    # then
    assert sorted(names(results)) == sorted(expected)


def test_drafts_and_products_of_inactive_merchants_never_show(database, shop):
    # when
    results = search(database, q="zebra")
    everything = search(database)

    # then
    assert results.products.total == 0
    assert everything.products.total == 4
    assert "shady-traders" not in counts(everything.facets.merchants)


def test_facet_counts_without_filters(database, shop):
    # when
    results = search(database, q="shirt")

    # then
    facets = results.facets
    assert counts(facets.categories) == {"shirts": 2, "jackets": 1}
    assert {value.value: value.context for value in facets.categories} == {
        "shirts": "Clothing",
        "jackets": "Clothing",
    }
    assert counts(facets.merchants) == {"northwind-outfitters": 2, "acme-home": 1}
    assert counts(facets.prices) == {"25-50": 2, "100-200": 1}
    assert facets.in_stock.count == 2
    assert not any(value.selected for value in facets.categories + facets.merchants + facets.prices)


def test_each_facet_counts_every_filter_but_its_own(database, shop):
    # when
    results = search(database, q="shirt", category="shirts")

    # then
    facets = results.facets
    assert sorted(names(results)) == ["Linen Shirt", "Oxford Shirt"]
    assert counts(facets.categories) == {"shirts": 2, "jackets": 1}
    assert [value.value for value in facets.categories if value.selected] == ["shirts"]
    assert counts(facets.merchants) == {"northwind-outfitters": 2}
    assert counts(facets.prices) == {"25-50": 2}
    assert facets.in_stock.count == 1


def test_in_stock_filter_and_its_count(database, shop):
    # when
    results = search(database, in_stock="1")

    # then
    assert sorted(names(results)) == ["Chef Knife", "Denim Jacket", "Oxford Shirt"]
    assert results.facets.in_stock.count == 3
    assert results.facets.in_stock.selected
    assert counts(results.facets.categories) == {"shirts": 1, "jackets": 1, "kitchen": 1}


def test_price_buckets_combine_as_alternatives(database, shop):
    # when
    results = search(database, price=["under-25", "25-50", "100-200"])

    # then
    assert sorted(names(results)) == ["Denim Jacket", "Linen Shirt", "Oxford Shirt"]
    assert counts(results.facets.prices) == {"under-25": 0, "25-50": 2, "50-100": 1, "100-200": 1}


def test_merchant_and_category_filters_combine(database, shop):
    # when
    results = search(database, merchant="acme-home", category=["jackets", "kitchen"])

    # then
    assert sorted(names(results)) == ["Chef Knife", "Denim Jacket"]
    assert counts(results.facets.merchants) == {"acme-home": 2}
    assert counts(results.facets.categories) == {"jackets": 1, "kitchen": 1}


def test_a_ticked_value_with_no_results_still_shows(database, shop):
    # when
    results = search(database, q="knife", category="shirts", merchant="northwind-outfitters")

    # then
    assert results.products.total == 0
    shirts = next(value for value in results.facets.categories if value.value == "shirts")
    assert (shirts.count, shirts.selected, shirts.label) == (0, True, "Shirts")
    northwind = next(v for v in results.facets.merchants if v.value == "northwind-outfitters")
    assert (northwind.count, northwind.selected) == (0, True)


def test_unknown_filter_values_match_nothing_and_break_nothing(database, shop):
    # when
    results = search(database, category="no-such-category", merchant="nobody")

    # then
    assert results.products.total == 0
    assert results.facets.categories == []
    assert results.facets.merchants == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["Linen Shirt", "Oxford Shirt", "Chef Knife", "Denim Jacket"]),
        ("price_desc", ["Denim Jacket", "Chef Knife", "Oxford Shirt", "Linen Shirt"]),
        ("newest", ["Chef Knife", "Denim Jacket", "Linen Shirt", "Oxford Shirt"]),
    ],
)
def test_sorts(database, shop, sort, expected):
    # when
    results = search(database, sort=sort)

    # then
    assert names(results) == expected
    assert results.query.sort == sort


def test_newest_first_without_text(database, shop):
    # when
    results = search(database)

    # then
    assert results.query.sort == "newest"
    assert names(results)[0] == "Chef Knife"


def test_pages_of_24_and_a_page_past_the_end_shows_the_last(database):
    # given
    merchant, category = make_merchant(), make_category()
    for number in range(30):
        make_product(merchant=merchant, category=category, name=f"Widget {number:02d}")

    # when
    first = search(database, q="widget", sort="price_asc")
    second = search(database, q="widget", sort="price_asc", page="2")
    beyond = search(database, q="widget", sort="price_asc", page="99")

    # then
    assert (len(first.products.items), first.products.total, first.products.pages) == (24, 30, 2)
    assert len(second.products.items) == 6
    assert second.query.page == 2
    assert beyond.query.page == 2
    assert names(beyond) == names(second)
    assert not set(names(first)) & set(names(second))


def test_a_misspelt_search_shows_results_for_the_correction(database, shop):
    # given
    refresh_vocabulary(database)
    database.commit()

    # when
    results = search(database, q="oxfrod shrit")

    # then
    assert results.corrected_text == "oxford shirt"
    assert results.matched_text == "oxford shirt"
    assert results.query.text == "oxfrod shrit"
    assert names(results) == ["Oxford Shirt"]


def test_no_correction_when_nothing_is_close(database, shop):
    # given
    refresh_vocabulary(database)
    database.commit()

    # when
    results = search(database, q="qwxzv")

    # then
    assert results.corrected_text is None
    assert results.products.total == 0


def test_a_correction_keeps_the_filters(database, shop):
    # given
    refresh_vocabulary(database)
    database.commit()

    # when
    results = search(database, q="jaket", category="shirts")

    # then
    assert results.products.total == 0
    assert results.corrected_text is None


def test_vocabulary_holds_words_of_visible_products_only(database, shop):
    # when
    stored = refresh_vocabulary(database)
    database.commit()

    # then
    terms = dict(database.execute(sa.select(SearchTerm.term, SearchTerm.documents)).all())
    assert stored == len(terms)
    assert terms["shirt"] == 3
    assert {"burgundy", "cotton", "walnut", "oxford"} <= set(terms)
    assert "zebra" not in terms
    assert "smuggled" not in terms


def test_refreshing_twice_replaces_the_vocabulary(database, shop):
    # given
    refresh_vocabulary(database)
    shop.knife.status = "draft"
    database.commit()

    # when
    refresh_vocabulary(database)
    database.commit()

    # then
    terms = set(database.scalars(sa.select(SearchTerm.term)))
    assert "walnut" not in terms
    assert "oxford" in terms


def test_the_index_follows_product_changes(database, shop):
    # given
    shop.oxford.name = "Flannel Overshirt"
    database.commit()

    # when
    renamed = search(database, q="flannel")
    old_name = search(database, q="oxford")
    database.delete(shop.knife)
    database.commit()
    deleted = search(database, q="walnut")

    # then
    assert names(renamed) == ["Flannel Overshirt"]
    assert old_name.products.total == 0
    assert deleted.products.total == 0


def test_the_service_accepts_a_query_built_in_code(database, shop):
    # when
    results = search_products(database, SearchQuery(text="knife", sort="relevance"))

    # then
    assert names(results) == ["Chef Knife"]


@pytest.fixture(params=[statements.RECENT_WINDOW, 5, 40])
def recent_window(request, monkeypatch):
    """Best-match pages looking first at the given number of newest products."""
    statements.page_statement.cache_clear()
    monkeypatch.setattr(statements, "RECENT_WINDOW", request.param)
    yield request.param
    statements.page_statement.cache_clear()


def test_best_match_pages_run_through_name_matches_then_the_others(database, recent_window):
    # given: 42 products named for the word and, between them, 8 that only mention it
    merchant, category = make_merchant(), make_category()
    for number in range(50):
        named = number % 6 != 5
        make_product(
            merchant=merchant,
            category=category,
            name=f"Lantern {number:02d}" if named else f"Camp Light {number:02d}",
            description="Bright." if named else "A lantern for the tent.",
        )

    # when: page 2 ends the named ones and starts the others, page 3 is past them
    pages = [search(database, q="lantern", page=str(page)) for page in (1, 2, 3)]

    # then
    shown = [name for page in pages for name in names(page)]
    assert [page.products.total for page in pages] == [50, 50, 50]
    assert [len(page.products.items) for page in pages] == [24, 24, 2]
    assert len(set(shown)) == 50
    assert all(name.startswith("Lantern") for name in shown[:42])
    assert all(name.startswith("Camp Light") for name in shown[42:])
    assert shown[:42] == sorted(shown[:42], reverse=True)
