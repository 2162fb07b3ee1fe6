"""Facet counts from the facet cube, without a database: every filter but the facet's own."""

from __future__ import annotations

import pytest

from app.search.rules import (
    PRICE_BUCKETS,
    RECORD,
    UNIT,
    Cell,
    Selection,
    parse_attributes,
    price_band,
    selected_bands,
    tally,
)

# Category 1 and 2, merchants 10 and 20, bands 1 ($25-$50) and 3 ($100-$200), stock or not.
CELLS = [
    Cell(category_id=1, merchant_id=10, band=1, in_stock=True, hits=5),
    Cell(category_id=1, merchant_id=10, band=1, in_stock=False, hits=2),
    Cell(category_id=1, merchant_id=20, band=3, in_stock=True, hits=3),
    Cell(category_id=2, merchant_id=20, band=1, in_stock=True, hits=7),
    Cell(category_id=2, merchant_id=10, band=3, in_stock=False, hits=1),
]


def test_without_filters_every_facet_counts_every_match():
    # when
    counted = tally(CELLS, Selection())

    # then
    assert counted.total == 18
    assert counted.categories == {1: 10, 2: 8}
    assert counted.merchants == {10: 8, 20: 10}
    assert counted.bands == {1: 14, 3: 4}
    assert counted.in_stock == 15


def test_each_facet_applies_every_filter_but_its_own():
    # when: category 1 and merchant 10 ticked
    counted = tally(CELLS, Selection(categories=frozenset({1}), merchants=frozenset({10})))

    # then
    assert counted.total == 7
    assert counted.categories == {1: 7, 2: 1}
    assert counted.merchants == {10: 7, 20: 3}
    assert counted.bands == {1: 7}
    assert counted.in_stock == 5


def test_the_stock_filter_counts_like_any_other():
    # when
    counted = tally(CELLS, Selection(in_stock=True, bands=frozenset({3})))

    # then
    assert counted.total == 3
    assert counted.in_stock == 3
    assert counted.bands == {1: 12, 3: 3}
    assert counted.categories == {1: 3}
    assert counted.merchants == {20: 3}


def test_a_filter_with_no_known_value_matches_nothing():
    # when
    counted = tally(CELLS, Selection(categories=frozenset()))

    # then
    assert counted.total == 0
    assert counted.categories == {1: 10, 2: 8}
    assert counted.merchants == {}
    assert counted.in_stock == 0


def test_no_cells_count_nothing():
    # when
    counted = tally([], Selection(in_stock=True))

    # then
    assert (counted.total, counted.in_stock) == (0, 0)
    assert not counted.categories and not counted.merchants and not counted.bands


@pytest.mark.parametrize(
    ("amount", "key"),
    [
        (0, "under-25"),
        (2499, "under-25"),
        (2500, "25-50"),
        (4999, "25-50"),
        (5000, "50-100"),
        (19999, "100-200"),
        (20000, "200-plus"),
        (10**9, "200-plus"),
    ],
)
def test_a_price_falls_in_the_bucket_of_its_band(amount, key):
    assert PRICE_BUCKETS[price_band(amount)].key == key


def test_selected_bands_follow_the_bucket_order_and_skip_unknown_keys():
    assert selected_bands(["200-plus", "nope", "under-25"]) == (0, 4)


COTTON, LINEN, LOOSE = ("Material", "Cotton"), ("Material", "Linen"), ("Fit", "Loose")
DRESSED = [
    Cell(1, 10, 1, True, 4, frozenset({COTTON})),
    Cell(1, 10, 1, False, 2, frozenset({LINEN})),
    Cell(1, 20, 3, True, 3, frozenset({COTTON, LOOSE})),
    Cell(1, 20, 3, True, 1, frozenset()),
]


def test_attribute_values_count_under_every_filter_but_their_own_attribute():
    # when: Material Cotton or Linen ticked, and Fit Loose
    materials = ("Material", frozenset({"Cotton", "Linen"}))
    counted = tally(DRESSED, Selection(attributes=(materials, ("Fit", frozenset({"Loose"})))))

    # then: only the loose cotton cell passes both; each name's counts drop its own filter
    assert counted.total == 3
    assert counted.attributes[COTTON] == 3 and counted.attributes[LINEN] == 0
    assert counted.attributes[LOOSE] == 3
    assert counted.merchants == {20: 3}


def test_attribute_lists_from_the_statement_split_into_pairs():
    joined = f"Material{UNIT}Cotton{RECORD}Fit{UNIT}Loose: relaxed"

    assert parse_attributes(joined) == {COTTON, ("Fit", "Loose: relaxed")}
    assert parse_attributes(None) == frozenset()
