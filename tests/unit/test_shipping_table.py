"""Table rates: zones by country, weight bands and their boundaries, the rest of the world,
heavier-than-the-last-band parcels, the file override, and broken files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.money import Money
from app.shipping.rules import Destination, NoShippingRate, ShipmentRequest
from app.shipping.services import quote_rates
from app.shipping.table import (
    DEFAULT_RATES_FILE,
    RateTableError,
    load_rate_table,
    weight_text,
)

SMALL_TABLE = """
currency = "USD"

[[zones]]
name = "Home"
countries = ["US"]

[[zones.services]]
name = "Standard"
carrier = "Test Post"
min_days = 3
max_days = 5
bands = [{ max_grams = 500, amount = 400 }, { max_grams = 2000, amount = 900 }]

[[zones.services]]
name = "Express Plus"
carrier = "Test Post"
min_days = 1
max_days = 1
extra_kg_amount = 150
bands = [{ max_grams = 1000, amount = 1500 }]
"""

SECOND_ZONE = """
[[zones]]
name = "Again"
countries = ["*"]

[[zones.services]]
name = "Surface"
carrier = "Test Post"
bands = [{ max_grams = 1000, amount = 100 }]
"""


def shipment(country: str = "US", grams: int = 1000) -> ShipmentRequest:
    return ShipmentRequest(
        merchant_id=7,
        merchant_name="Acme Outfitters",
        destination=Destination("Ann Lee", "1 Main St", "Springfield", "62701", country),
        weight_grams=grams,
        value=Money(4500, "USD"),
    )


def write_table(tmp_path: Path, text: str, name: str = "rates.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def prices(quotes) -> dict[str, int]:
    return {quote.rate_id: quote.amount.amount for quote in quotes}


@pytest.mark.parametrize(
    ("country", "standard", "express", "standard_days"),
    [
        ("US", 799, 1799, (3, 5)),
        ("CA", 1599, 2999, (5, 8)),
        ("MX", 1599, 2999, (5, 8)),
        ("DE", 2499, 4499, (7, 12)),
        ("GB", 2499, 4499, (7, 12)),
        ("JP", 3299, 5999, (10, 20)),
        ("BR", 3299, 5999, (10, 20)),
    ],
)
def test_the_shipped_table_prices_each_zone(country, standard, express, standard_days):
    quotes = quote_rates({}, shipment(country, grams=1500))

    assert [quote.rate_id for quote in quotes] == ["table:standard", "table:express"]
    assert prices(quotes) == {"table:standard": standard, "table:express": express}
    assert all(
        quote.provider == "table" and quote.carrier == "Marketplace Post" for quote in quotes
    )
    assert all(quote.amount.currency == "USD" for quote in quotes)
    assert (quotes[0].min_days, quotes[0].max_days) == standard_days


@pytest.mark.parametrize(
    ("grams", "standard"),
    [
        (0, 499),
        (1, 499),
        (500, 499),
        (501, 799),
        (2000, 799),
        (2001, 1199),
        (5000, 1199),
        (5001, 1699),
        (10000, 1699),
        (10001, 2999),
        (30000, 2999),
    ],
)
def test_a_band_includes_its_upper_limit(grams, standard):
    assert prices(quote_rates({}, shipment("US", grams)))["table:standard"] == standard


@pytest.mark.parametrize(
    ("grams", "standard"),
    [(30001, 2999 + 120), (31000, 2999 + 120), (31001, 2999 + 240), (45500, 2999 + 16 * 120)],
)
def test_above_the_last_band_each_started_kilogram_costs_extra(grams, standard):
    quotes = quote_rates({}, shipment("US", grams))

    assert prices(quotes) == {"table:standard": standard}


def test_a_service_without_extra_kilogram_pricing_stops_at_its_last_band(tmp_path):
    config = {"SHIPPING_RATES_FILE": str(write_table(tmp_path, SMALL_TABLE))}

    assert prices(quote_rates(config, shipment("US", 2000))) == {
        "table:standard": 900,
        "table:express-plus": 1500 + 150,
    }
    assert prices(quote_rates(config, shipment("US", 2001))) == {"table:express-plus": 1650 + 150}


def test_no_rate_when_no_service_takes_the_weight(tmp_path):
    text = SMALL_TABLE.replace("extra_kg_amount = 150\n", "")
    config = {"SHIPPING_RATES_FILE": str(write_table(tmp_path, text))}

    with pytest.raises(NoShippingRate, match=r"Acme Outfitters cannot ship .* 2\.001 kg to US"):
        quote_rates(config, shipment("US", 2001))


def test_no_rate_for_a_country_outside_every_zone_without_a_catch_all(tmp_path):
    config = {"SHIPPING_RATES_FILE": str(write_table(tmp_path, SMALL_TABLE))}

    with pytest.raises(NoShippingRate, match="to FR"):
        quote_rates(config, shipment("FR"))


def test_a_listed_country_wins_over_the_catch_all_wherever_it_comes(tmp_path):
    text = SMALL_TABLE.replace('countries = ["US"]', 'countries = ["*"]') + (
        '\n[[zones]]\nname = "France"\ncountries = ["FR"]\n\n[[zones.services]]\n'
        'name = "Colissimo"\ncarrier = "La Poste"\nbands = [{ max_grams = 5000, amount = 1234 }]\n'
    )
    config = {"SHIPPING_RATES_FILE": str(write_table(tmp_path, text))}

    (france,) = quote_rates(config, shipment("FR"))
    assert (france.rate_id, france.carrier, france.label()) == (
        "table:colissimo",
        "La Poste",
        "La Poste Colissimo",
    )
    assert set(prices(quote_rates(config, shipment("NZ")))) == {
        "table:standard",
        "table:express-plus",
    }


def test_the_file_override_replaces_the_shipped_table(tmp_path):
    config = {"SHIPPING_RATES_FILE": str(write_table(tmp_path, SMALL_TABLE))}

    quotes = quote_rates(config, shipment("US", 400))

    assert [(quote.label(), quote.amount) for quote in quotes] == [
        ("Test Post Standard, 3\u20135 days", Money(400, "USD")),
        ("Test Post Express Plus, 1 day", Money(1500, "USD")),
    ]


def test_an_edited_file_is_read_again(tmp_path):
    path = write_table(tmp_path, SMALL_TABLE)
    config = {"SHIPPING_RATES_FILE": str(path)}
    assert prices(quote_rates(config, shipment("US", 400)))["table:standard"] == 400

    path.write_text(SMALL_TABLE.replace("amount = 400", "amount = 450"), encoding="utf-8")
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))

    assert prices(quote_rates(config, shipment("US", 400)))["table:standard"] == 450


def test_the_table_must_be_in_the_store_currency(tmp_path):
    config = {"SHIPPING_RATES_FILE": str(write_table(tmp_path, SMALL_TABLE))}

    with pytest.raises(RateTableError, match="in USD but the store currency is EUR"):
        quote_rates({**config, "DEFAULT_CURRENCY": "EUR"}, shipment())


def test_the_shipped_file_is_valid_and_covers_the_whole_world():
    table = load_rate_table()

    assert DEFAULT_RATES_FILE.name == "rates.toml" and table.currency == "USD"
    assert sum(zone.is_catch_all for zone in table.zones) == 1


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ('currency = "USD"\nzones = [', "not valid TOML"),
        (SMALL_TABLE.replace('currency = "USD"\n', ""), "currency is missing"),
        (SMALL_TABLE.replace('currency = "USD"', 'currency = "dollars"'), "ISO 4217"),
        ('currency = "USD"\nzones = []\n', "zones: must be a non-empty array"),
        (
            SMALL_TABLE.replace("amount = 400", "amount = 4.00"),
            r"zones\[0\]\.services\[0\]\.bands\[0\]\.amount: must be a whole number.*not 4\.0",
        ),
        (
            SMALL_TABLE.replace("amount = 400", "amount = -400"),
            r"bands\[0\]\.amount: must be a whole number",
        ),
        (
            SMALL_TABLE.replace("max_grams = 2000", "max_grams = 500"),
            r"services\[0\]\.bands\[1\]\.max_grams: 500 must be more than the previous band's 500",
        ),
        (SMALL_TABLE.replace("max_grams = 500", "max_grams = 0"), "must be more than 0"),
        (
            SMALL_TABLE.replace("max_grams = 500,", "max_gram = 500,"),
            r"bands\[0\]: unknown key max_gram",
        ),
        (SMALL_TABLE.replace('carrier = "Test Post"\nmin_days', "min_days"), "carrier is missing"),
        (SMALL_TABLE.replace("min_days = 1", "min_days = 2"), r"min_days \(2\) is more than"),
        (SMALL_TABLE.replace('["US"]', '["us"]'), r"countries\[0\]: 'us' is neither"),
        (SMALL_TABLE.replace('["US"]', '["US", "US"]'), "listed twice"),
        (SMALL_TABLE.replace('["US"]', "[]"), "countries: must be a non-empty array"),
        (SMALL_TABLE.replace('"Express Plus"', '"standard"'), "two services have the same name"),
        (
            SMALL_TABLE + SECOND_ZONE.replace("*", "US"),
            "country US is in two zones, 'Home' and 'Again'",
        ),
        (
            SMALL_TABLE.replace('["US"]', '["*"]') + SECOND_ZONE,
            r"the catch-all \* is in two zones",
        ),
    ],
)
def test_a_broken_file_fails_with_a_message_saying_where(tmp_path, broken, message):
    path = write_table(tmp_path, broken)

    with pytest.raises(RateTableError, match=message) as failure:
        quote_rates({"SHIPPING_RATES_FILE": str(path)}, shipment())

    assert str(path) in str(failure.value)


def test_a_missing_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nowhere.toml"

    with pytest.raises(RateTableError, match=r"nowhere\.toml cannot be read"):
        quote_rates({"SHIPPING_RATES_FILE": str(missing)}, shipment())


@pytest.mark.parametrize(
    ("grams", "text"), [(0, "0 g"), (750, "750 g"), (1000, "1 kg"), (42500, "42.5 kg")]
)
def test_weights_read_naturally_in_messages(grams, text):
    assert weight_text(grams) == text
