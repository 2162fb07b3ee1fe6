"""Checkout arithmetic: discounts, tax by destination, the tax file's validation."""

from __future__ import annotations

import pytest

from app.checkout.models import DiscountKind
from app.checkout.rules import (
    CheckoutState,
    TaxTableError,
    discount_amount,
    load_tax_table,
    parse_tax_table,
    percent_of,
)


@pytest.mark.parametrize(
    ("amount", "points", "expected"),
    [(1000, 725, 73), (1999, 1000, 200), (1, 5000, 1), (0, 2000, 0), (333, 3333, 111)],
)
def test_percent_rounds_half_up_in_integers(amount, points, expected):
    assert percent_of(amount, points) == expected


def test_discounts_never_exceed_the_goods():
    assert discount_amount(DiscountKind.PERCENT, 1500, 2000) == 300
    assert discount_amount(DiscountKind.FIXED, 500, 2000) == 500
    assert discount_amount(DiscountKind.FIXED, 5000, 2000) == 2000
    assert discount_amount(DiscountKind.PERCENT, 10000, 2000) == 2000


def test_default_tax_table_by_region_then_country():
    table = load_tax_table()
    california = table.rate_for("us", "ca")
    assert (california.label, california.basis_points) == ("California sales tax", 725)
    assert california.tax_on(10000, 1000) == 725
    assert table.rate_for("US", "OR").basis_points == 0
    vat = table.rate_for("GB", "")
    assert vat.tax_on(10000, 1000) == 2200


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"country": "USA", "basis_points": 100}, "two-letter"),
        ({"country": "US", "basis_points": 10001}, "0 to 10000"),
        ({"country": "US", "basis_points": "7.25"}, "integer"),
    ],
)
def test_broken_tax_rows_are_refused(row, message):
    with pytest.raises(TaxTableError, match=message):
        parse_tax_table({"rates": [row]})


def test_tax_file_override(tmp_path):
    path = tmp_path / "tax.toml"
    path.write_text('[[rates]]\ncountry = "NL"\nlabel = "BTW"\nbasis_points = 2100\n')
    assert load_tax_table(path).rate_for("NL", "").label == "BTW"
    path.write_text("[[rates]\n")
    with pytest.raises(TaxTableError, match="cannot read"):
        load_tax_table(path)


def test_checkout_state_round_trips_and_ignores_unknown_keys():
    state = CheckoutState(token="abc", email="a@example.com", address={"city": "Oslo"})
    data = {**state.as_dict(), "stale": 1}
    assert CheckoutState.from_dict(data) == state
    assert state.has_address
