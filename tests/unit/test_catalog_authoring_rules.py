"""What makes a product a merchant may save: every problem named by its form field, no database."""

from __future__ import annotations

import pytest

from app.catalog.rules import (
    ProductDraft,
    VariantDraft,
    check_product,
    product_problems,
)


def draft(**changes) -> ProductDraft:
    """A valid two-variant T-shirt, with `changes`."""
    values = {
        "name": "Linen shirt",
        "description": "Cool in summer.",
        "category_id": 7,
        "option_names": ("Size", "", ""),
        "attributes": (("Material", "Linen"),),
        "variants": (
            VariantDraft(sku="LIN-S", price="39.00", values=("S", "", "")),
            VariantDraft(sku="LIN-M", price="42.50", compare_at="50", weight="300", values=("M",)),
        ),
    }
    return ProductDraft(**{**values, **changes})


def test_a_valid_draft_gives_checked_values_in_minor_units():
    values, problems = check_product(draft(), "USD")

    assert problems == {}
    assert values.name == "Linen shirt"
    assert values.category_id == 7
    assert values.attributes == (("Material", "Linen"),)
    assert [
        (v.sku, v.price_amount, v.compare_at_amount, v.weight_grams) for v in values.variants
    ] == [
        ("LIN-S", 3900, None, 0),
        ("LIN-M", 4250, 5000, 300),
    ]
    assert [v.options for v in values.variants] == [(("Size", "S"),), (("Size", "M"),)]


def test_text_is_trimmed():
    values, _ = check_product(
        draft(
            name="  Linen shirt ",
            option_names=(),
            variants=(VariantDraft(sku=" A-1 ", price=" 5 "),),
        ),
        "USD",
    )

    assert values.name == "Linen shirt"
    assert values.variants[0].sku == "A-1"
    assert values.variants[0].price_amount == 500


def test_every_problem_is_reported_at_once_by_field():
    problems = product_problems(
        draft(
            name="",
            category_id=None,
            variants=(
                VariantDraft(sku="", price="abc", values=("S",)),
                VariantDraft(sku="X", price="10", compare_at="9.99", weight="heavy", values=("",)),
            ),
        ),
        "USD",
    )

    assert problems == {
        "name": ["Enter the product's name."],
        "category_id": ["Choose a category."],
        "variants-0-sku": ["Enter a SKU."],
        "variants-0-price": ["Enter a price such as 12.50."],
        "variants-1-compare_at": [
            "The compare-at price must be higher than the price (or left empty)."
        ],
        "variants-1-weight": ["Enter the weight in whole grams, such as 250."],
        "variants-1-option1": ["Enter this variant's Size."],
    }


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("", "Enter a price."),
        ("0", "Enter a price above zero."),
        ("-5", "Enter a price such as 12.50."),
        ("1.234", "Enter a price such as 12.50."),
        ("1e3", "Enter a price such as 12.50."),
        ("9999999999", "Enter a smaller price."),
    ],
)
def test_prices_must_be_positive_amounts_of_the_currency(price, message):
    problems = product_problems(
        draft(variants=(VariantDraft(sku="A", price=price),), option_names=()), "USD"
    )

    assert problems == {"variants-0-price": [message]}


def test_compare_at_equal_to_the_price_is_refused_and_empty_is_fine():
    same = draft(variants=(VariantDraft(sku="A", price="10", compare_at="10.00"),), option_names=())
    empty = draft(variants=(VariantDraft(sku="A", price="10", compare_at=" "),), option_names=())

    assert list(product_problems(same, "USD")) == ["variants-0-compare_at"]
    assert product_problems(empty, "USD") == {}


def test_a_sku_twice_in_one_product_is_refused_on_the_second_row():
    problems = product_problems(
        draft(
            variants=(
                VariantDraft(sku="A", price="1", values=("S",)),
                VariantDraft(sku="A", price="1", values=("M",)),
            )
        ),
        "USD",
    )

    assert problems == {"variants-1-sku": ["Another variant of this product has this SKU."]}


def test_two_variants_with_the_same_options_are_refused():
    problems = product_problems(
        draft(
            variants=(
                VariantDraft(sku="A", price="1", values=("M",)),
                VariantDraft(sku="B", price="1", values=("m",)),
            )
        ),
        "USD",
    )

    assert problems == {"variants-1-option1": ["Another variant has the same options."]}


def test_several_variants_need_a_named_option():
    problems = product_problems(
        draft(
            option_names=(),
            variants=(VariantDraft(sku="A", price="1"), VariantDraft(sku="B", price="2")),
        ),
        "USD",
    )

    assert problems == {
        "option1_name": ["Name an option (such as Size) so shoppers can tell the variants apart."]
    }


def test_a_value_for_an_unnamed_option_is_refused():
    problems = product_problems(
        draft(variants=(VariantDraft(sku="A", price="1", values=("S", "Red")),)), "USD"
    )

    assert problems == {
        "variants-0-option2": ["Name this option above the variants, or clear the value."]
    }


def test_blank_new_rows_are_ignored_but_a_product_needs_one_variant():
    blank = VariantDraft()
    kept, problems = check_product(
        draft(variants=(VariantDraft(sku="A", price="1", values=("S",)), blank)), "USD"
    )

    assert problems == {}
    assert len(kept.variants) == 1
    assert product_problems(draft(variants=(blank,)), "USD") == {
        "variants": ["A product needs at least one variant: give it a SKU and a price."]
    }


def test_removed_rows_are_listed_by_row_and_not_checked():
    values, problems = check_product(
        draft(
            variants=(
                VariantDraft(sku="A", price="1", values=("S",), id=11),
                VariantDraft(sku="", price="junk", values=("",), id=12, remove=True),
            )
        ),
        "USD",
    )

    assert problems == {}
    assert values.removed == {1: 12}
    assert [variant.id for variant in values.variants] == [11]


def test_removing_every_variant_is_refused():
    problems = product_problems(
        draft(variants=(VariantDraft(sku="A", price="1", values=("S",), id=11, remove=True),)),
        "USD",
    )

    assert list(problems) == ["variants"]


def test_option_names_must_differ():
    problems = product_problems(draft(option_names=("Size", "size", "")), "USD")

    assert problems["option2_name"] == ["Another option has this name already."]


def test_half_filled_or_repeated_attributes_are_refused_and_empty_rows_skipped():
    values, problems = check_product(
        draft(attributes=(("Material", "Linen"), ("", ""), ("", "Blue"), ("material", "x"))),
        "USD",
    )

    assert values is None
    assert problems == {
        "attributes-2-name": ["Name this attribute (such as Material), or clear its value."],
        "attributes-3-name": ["Another attribute has this name already."],
    }


def test_lengths_are_bounded():
    problems = product_problems(
        draft(name="n" * 201, variants=(VariantDraft(sku="s" * 65, price="1", values=("S",)),)),
        "USD",
    )

    assert problems == {
        "name": ["Use at most 200 characters."],
        "variants-0-sku": ["Use at most 64 characters."],
    }


def test_zero_decimal_currencies_take_whole_amounts():
    values, _ = check_product(
        draft(variants=(VariantDraft(sku="A", price="1500", values=("S",)),)), "JPY"
    )

    assert values.variants[0].price_amount == 1500
    assert product_problems(
        draft(variants=(VariantDraft(sku="A", price="15.5", values=("S",)),)), "JPY"
    ) == {"variants-0-price": ["Enter a price such as 12.50."]}
