"""Money: integer minor units, formatting and parsing."""

import pytest

from app.money import Money, parse_amount


def test_formats_minor_units_with_symbol_and_grouping():
    assert Money(123450, "USD").format() == "$1,234.50"
    assert Money(-5, "EUR").format() == "-€0.05"
    assert Money(1500, "JPY").format() == "JPY 1,500"


def test_decimal_string_has_no_symbol_or_grouping():
    assert Money(123450, "USD").decimal_string() == "1234.50"
    assert Money(7, "USD").decimal_string() == "0.07"


def test_arithmetic_keeps_currency_and_refuses_to_mix():
    assert Money(100, "USD") + Money(250, "USD") == Money(350, "USD")
    assert Money(100, "USD") * 3 == Money(300, "USD")
    with pytest.raises(ValueError):
        Money(100, "USD") + Money(100, "EUR")


@pytest.mark.parametrize("amount", [1.5, "100", True])
def test_rejects_non_integer_amounts(amount):
    with pytest.raises(TypeError):
        Money(amount, "USD")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12.5", 1250), ("1,200", 120000), ("$0.99", 99), ("7", 700), (".5", 50)],
)
def test_parse_amount(text, expected):
    assert parse_amount(text, "USD") == expected


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1.2.3", "-5", "1e3"])
def test_parse_amount_rejects_bad_input(text):
    with pytest.raises(ValueError):
        parse_amount(text, "USD")
