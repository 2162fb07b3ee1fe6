"""Demo product drafts: deterministic, varied, and shaped like real catalog data."""

from __future__ import annotations

import random

import pytest

from app.demo import generator
from app.demo.generator import VariantDraft
from app.demo.wordlists import COLOUR, DEPARTMENTS, Axis


def drafts(count: int = 1500, seed: int = 42) -> list[generator.ProductDraft]:
    return list(generator.draft_products(random.Random(seed), count))


@pytest.fixture(scope="module")
def sample() -> list[generator.ProductDraft]:
    return drafts()


def test_the_same_seed_gives_the_same_products():
    assert drafts(200, seed=7) == drafts(200, seed=7)


def test_another_seed_gives_other_products():
    first, second = drafts(50, seed=1), drafts(50, seed=2)

    assert [draft.name for draft in first] != [draft.name for draft in second]


def test_every_category_gets_products(sample):
    leaves = {leaf.name for department in DEPARTMENTS for leaf in department.leaves}

    assert {draft.leaf.name for draft in sample} == leaves


def test_each_product_has_one_to_six_variants_with_the_same_option_names(sample):
    for draft in sample:
        assert 1 <= len(draft.variants) <= generator.MAX_VARIANTS
        option_names = {tuple(name for name, _ in variant.options) for variant in draft.variants}
        assert len(option_names) == 1
        combinations = [variant.options for variant in draft.variants]
        assert len(set(combinations)) == len(combinations)


def test_products_with_axes_get_several_variants_often(sample):
    with_axes = [draft for draft in sample if draft.leaf.axes]

    assert sum(len(draft.variants) > 1 for draft in with_axes) > len(with_axes) / 2


def test_prices_are_positive_shop_prices_in_minor_units(sample):
    prices = [variant.price_amount for draft in sample for variant in draft.variants]

    assert all(isinstance(price, int) and price >= 99 and price % 100 == 99 for price in prices)


def test_about_one_product_in_ten_is_featured(sample):
    share = sum(draft.featured for draft in sample) / len(sample)

    assert 0.06 < share < 0.14


def test_stock_has_plenty_low_and_out_of_stock_variants(sample):
    units = [variant.on_hand for draft in sample for variant in draft.variants]

    assert any(count == 0 for count in units)
    assert any(0 < count <= generator.LOW_STOCK_THRESHOLD for count in units)
    assert sum(count > generator.LOW_STOCK_THRESHOLD for count in units) > len(units) / 2
    assert any(all(variant.on_hand == 0 for variant in draft.variants) for draft in sample)


def test_products_have_attributes_and_descriptions(sample):
    for draft in sample:
        names = [name for name, _ in draft.attributes]
        assert ("Author" in names) if draft.department.books else ("Brand" in names)
        assert len(names) == len(set(names))
        assert draft.description.count(".") >= 3
        assert ".." not in draft.description


def test_products_point_at_one_to_three_distinct_pictures(sample):
    for draft in sample:
        assert 1 <= len(draft.image_slots) <= 3
        assert len(set(draft.image_slots)) == len(draft.image_slots)
        assert all(0 <= slot < generator.IMAGES_PER_LEAF for slot in draft.image_slots)


def test_ages_spread_over_about_four_months(sample):
    ages = [draft.age_seconds for draft in sample]

    assert 0 <= min(ages) < 7 * 24 * 3600
    assert 110 * 24 * 3600 < max(ages) < generator.AGE_SECONDS


def test_option_picks_never_exceed_six_variants():
    rng = random.Random(3)
    axes = (Axis("Size", tuple("ABCDEFGH"), consecutive=True), COLOUR, COLOUR)

    for _ in range(500):
        assert 1 <= len(generator.pick_options(rng, axes)) <= generator.MAX_VARIANTS


def test_consecutive_axes_pick_a_run_of_values():
    rng = random.Random(5)
    sizes = Axis("Size", ("XS", "S", "M", "L", "XL"), consecutive=True)

    for _ in range(200):
        values = [options[0][1] for options in generator.pick_options(rng, (sizes,))]
        start = sizes.values.index(values[0])
        assert values == list(sizes.values[start : start + len(values)])


@pytest.mark.parametrize(
    ("amount", "expected"), [(2437, 2499), (2400, 2499), (2499, 2499), (12, 99), (0, 99)]
)
def test_charm_price(amount, expected):
    assert generator.charm_price(amount) == expected


def test_variant_name_joins_its_option_values():
    assert VariantDraft((("Size", "M"), ("Colour", "Navy")), 1999, 200, 3).name == "M / Navy"
    assert VariantDraft((), 1999, 200, 3).name == "Default"


def test_price_factors_scale_variant_prices():
    bulbs = next(
        leaf for department in DEPARTMENTS for leaf in department.leaves if leaf.name == "Lighting"
    )
    combinations = [(("Bulb", "Warm white"),), (("Bulb", "Colour"),)]

    (_, warm), (_, colour) = generator.variant_prices(random.Random(1), bulbs, combinations)

    assert colour > warm
