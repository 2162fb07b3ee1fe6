"""Shipping rules without database or network: shipments, quote labels, exact amounts,
ordering, and running a provider call against a deadline."""

from __future__ import annotations

import threading

import pytest

from app.money import Money
from app.shipping.rules import (
    Destination,
    RateQuote,
    ShipmentRequest,
    cheapest_first,
    minor_units,
    slug,
)
from app.shipping.services import call_within
from tests.support.waiting import HANG_GUARD_SECONDS


def destination(country: str = "US") -> Destination:
    return Destination("Ann Lee", "1 Main St", "Springfield", "62701", country)


def quote(rate_id: str, cents: int, min_days: int | None = 2, max_days: int | None = 3):
    return RateQuote(
        rate_id, "shippo", "USPS", "Priority Mail", Money(cents, "USD"), min_days, max_days
    )


def test_destination_country_is_normalised_to_upper_case():
    assert destination(" gb ").country == "GB"


@pytest.mark.parametrize("country", ["USA", "U", "", "1A", "é"])
def test_destination_country_must_be_an_alpha_2_code(country):
    with pytest.raises(ValueError, match="country code"):
        destination(country)


@pytest.mark.parametrize(
    ("weight", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_shipment_weight_is_whole_grams_zero_or_more(weight, error):
    with pytest.raises(error):
        ShipmentRequest(1, "Acme", destination(), weight, Money(1000, "USD"))


@pytest.mark.parametrize(
    ("min_days", "max_days", "label"),
    [
        (2, 3, "USPS Priority Mail, 2\u20133 days"),
        (1, 1, "USPS Priority Mail, 1 day"),
        (4, 4, "USPS Priority Mail, 4 days"),
        (None, 5, "USPS Priority Mail, up to 5 days"),
        (2, None, "USPS Priority Mail, at least 2 days"),
        (None, None, "USPS Priority Mail"),
    ],
)
def test_quote_label_names_carrier_service_and_transit_time(min_days, max_days, label):
    assert quote("shippo:r1", 750, min_days, max_days).label() == label


def test_quotes_are_ordered_by_price_then_speed_then_id():
    slow = quote("b", 500, 5, 8)
    fast = quote("c", 500, 1, 2)
    unknown = quote("a", 500, None, None)
    dear = quote("d", 900, 1, 1)

    assert cheapest_first([dear, unknown, slow, fast]) == [fast, slow, unknown, dear]


@pytest.mark.parametrize(
    ("text", "currency", "cents"),
    [
        ("7.50", "USD", 750),
        ("7.5", "USD", 750),
        ("7.5000", "USD", 750),
        ("12", "USD", 1200),
        ("0.01", "USD", 1),
        ("0", "USD", 0),
        ("123456789.99", "USD", 12345678999),
        ("1500", "JPY", 1500),
        ("1500.00", "JPY", 1500),
    ],
)
def test_decimal_amounts_become_exact_minor_units(text, currency, cents):
    assert minor_units(text, currency) == cents


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("7.505", "USD"),
        ("0.001", "USD"),
        ("1500.5", "JPY"),
        ("-1.00", "USD"),
        ("1e3", "USD"),
        ("NaN", "USD"),
        ("1,000.00", "USD"),
        ("", "USD"),
        ("$5", "USD"),
        (".5", "USD"),
    ],
)
def test_amounts_that_are_not_exact_minor_units_are_refused(text, currency):
    with pytest.raises(ValueError):
        minor_units(text, currency)


def test_service_slugs_are_lower_case_identifiers():
    assert slug("Express Plus") == "express-plus"
    assert slug("  Next-Day (AM) ") == "next-day-am"


def test_call_within_returns_the_result_or_raises_the_error():
    assert call_within(HANG_GUARD_SECONDS, lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        call_within(HANG_GUARD_SECONDS, lambda: 1 / 0)


def test_call_within_gives_up_without_waiting_for_a_stuck_call():
    release = threading.Event()
    finished = threading.Event()

    def stuck() -> str:
        release.wait()
        finished.set()
        return "too late"

    try:
        with pytest.raises(TimeoutError):
            call_within(0.05, stuck)
        assert not finished.is_set()
    finally:
        release.set()
