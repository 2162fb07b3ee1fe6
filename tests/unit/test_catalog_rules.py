"""Catalog rules: slugs, "from" prices, searchable text."""

import pytest

from app.catalog.rules import lowest_price, search_text, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Café Crème 2", "cafe-creme-2"),
        ("  --Hello,   World!-- ", "hello-world"),
        ("日本", "item"),
        ("", "item"),
        ("a" * 300, "a" * 200),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_lowest_price_is_the_cheapest_variant_or_zero():
    assert lowest_price([1500, 999, 2000]) == 999
    assert lowest_price([]) == 0


def test_search_text_deduplicates_values_case_insensitively():
    text = search_text(
        [("Material", "Cotton"), ("Brand", "Acme")], [("Colour", "cotton"), ("Size", "M")]
    )
    assert text == "Cotton Acme M"


def test_search_text_includes_category_names_first():
    text = search_text([("Material", "Cotton")], [], ["Clothing", "T-shirts"])
    assert text == "Clothing T-shirts Cotton"
