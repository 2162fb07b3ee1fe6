"""Hot storefront pages send a small, constant number of SQL statements (no N+1)."""

from __future__ import annotations

import pytest

from app.database import db
from tests.support.factories import make_category, make_merchant, make_product
from tests.support.queries import count_queries


def fill_category(slug_name: str, count: int) -> None:
    """A category holding `count` products from several merchants, with variants."""
    category = make_category(slug_name)
    merchants = [make_merchant() for _ in range(3)]
    for number in range(count):
        make_product(
            category=category,
            merchant=merchants[number % 3],
            prices=(1000 + number, 1500 + number),
            stock=(number % 4, 3),
            attributes={"Material": "Wool"},
        )


def statements_for(client, url: str) -> int:
    """Statements sent while serving `url` (after one warm-up request for caches)."""
    assert client.get(url).status_code == 200
    with count_queries(db.engine) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return queries.count


@pytest.mark.parametrize("url", ["/c/few", "/c/few?sort=price_desc", "/c/few?page=1"])
def test_category_page_sends_the_same_statements_for_1_and_48_products(client, url):
    # given one category with 1 product and another with 48 (24 shown per page)
    fill_category("Few", 1)
    fill_category("Many", 48)
    # when
    few = statements_for(client, url)
    many = statements_for(client, url.replace("few", "many"))
    # then
    assert few == many
    assert many <= 3


def test_category_second_page_is_also_constant(client):
    fill_category("Many", 48)

    assert statements_for(client, "/c/many?page=2") <= 3


def test_home_and_product_pages_are_constant(client):
    fill_category("Few", 1)
    fill_category("Many", 48)
    product = make_product(prices=(100, 200, 300, 400, 500, 600), stock=(1, 2, 3, 4, 5, 6))

    assert statements_for(client, "/") <= 3
    assert statements_for(client, f"/p/{product.slug}") <= 7


def test_filtered_category_page_sends_the_same_statements_for_1_and_48_products(client):
    fill_category("Few", 1)
    fill_category("Many", 48)
    filters = "in_stock=1&price=under-25&attr=Material:Wool&sort=name"

    few = statements_for(client, f"/c/few?{filters}")
    many = statements_for(client, f"/c/many?{filters}")

    assert few == many <= 2
