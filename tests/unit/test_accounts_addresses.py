"""Addresses per country: validation, normalisation, region choices and formatting."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from app.accounts.addresses import (
    InvalidAddress,
    address_lines,
    country_rules,
    normalized_address,
    one_line,
    region_field,
)
from app.accounts.countries import COUNTRIES
from app.accounts.rules import AddressFields

ILLINOIS = {
    "full_name": "Ann Lee",
    "line1": "1 Main St",
    "city": "Springfield",
    "region": "il",
    "postal_code": "62701",
    "country": "us",
}
LONDON = {
    "full_name": "Ann Lee",
    "line1": "10 Downing Street",
    "city": "London",
    "postal_code": "sw1a  2aa",
    "country": "GB",
}
BERLIN = {
    "full_name": "Max Muster",
    "line1": "Hauptstraße 1",
    "line2": "3. OG",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
}
TOKYO = {
    "full_name": "Taro Yamada",
    "line1": "1-2-3 Shibuya",
    "city": "Shibuya-ku",
    "region": "tokyo",
    "postal_code": "150-0002",
    "country": "JP",
}


def address(base: dict, **changes) -> AddressFields:
    return AddressFields(**{**base, **changes})


def problems_of(fields: AddressFields) -> dict[str, list[str]]:
    with pytest.raises(InvalidAddress) as raised:
        normalized_address(fields)
    return raised.value.problems


def test_a_us_address_is_cleaned_and_its_state_becomes_its_code():
    cleaned = normalized_address(address(ILLINOIS, full_name=" Ann Lee "))

    assert cleaned == AddressFields(
        full_name="Ann Lee",
        line1="1 Main St",
        city="Springfield",
        region="IL",
        postal_code="62701",
        country="US",
    )


@pytest.mark.parametrize(
    ("base", "typed", "stored"),
    [
        (ILLINOIS, "IL", "IL"),
        (ILLINOIS, "Illinois", "IL"),
        (ILLINOIS, " illinois ", "IL"),
        (TOKYO, "Tokyo", "東京都"),
        (TOKYO, "東京都", "東京都"),
    ],
)
def test_a_region_is_stored_as_its_key_however_it_is_named(base, typed, stored):
    assert normalized_address(address(base, region=typed)).region == stored


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"postal_code": "ABC"}, "postal_code", "Enter a valid ZIP code for Illinois, like 60000"),
        ({"postal_code": "10001"}, "postal_code", "Enter a valid ZIP code for Illinois"),
        ({"postal_code": ""}, "postal_code", "Enter the ZIP code."),
        ({"region": ""}, "region", "Choose the state."),
        ({"region": "Ilinois"}, "region", "Choose a state from the list."),
        ({"city": ""}, "city", "Enter the town or city."),
    ],
)
def test_a_us_address_needs_a_state_a_city_and_a_zip_code_of_that_state(changes, field, message):
    problems = problems_of(address(ILLINOIS, **changes))

    assert list(problems) == [field]
    assert problems[field][0].startswith(message)


def test_without_a_state_a_zip_code_is_checked_against_the_whole_country():
    assert problems_of(address(ILLINOIS, region="", postal_code="ABC")) == {
        "region": ["Choose the state."],
        "postal_code": ["Enter a valid ZIP code, like 95014 or 22162-1010."],
    }


def test_a_uk_postcode_is_checked_and_written_in_capitals_and_a_county_is_not_kept():
    cleaned = normalized_address(address(LONDON, region="Greater London"))

    assert (cleaned.postal_code, cleaned.region) == ("SW1A 2AA", "")
    assert problems_of(address(LONDON, postal_code="12345")) == {
        "postal_code": ["Enter a valid postal code, like EC1Y 8SY or GIR 0AA."]
    }


def test_countries_without_postal_codes_or_cities_do_not_ask_for_them():
    dubai = {**ILLINOIS, "country": "AE", "region": "Dubai", "city": "", "postal_code": ""}

    assert normalized_address(address(dubai)).region == "إمارة دبيّ"
    assert normalized_address(address(TOKYO, city="")).city == ""
    assert normalized_address(address(dubai, postal_code="12345")).postal_code == ""


def test_every_missing_field_every_address_needs_is_reported():
    assert set(problems_of(AddressFields("", "", "", "", ""))) == {
        "full_name",
        "line1",
        "country",
    }


def test_lengths_are_bounded_and_the_country_must_be_in_the_list():
    problems = problems_of(address(ILLINOIS, postal_code="1" * 21, line2="x" * 201, country="XX"))

    assert problems == {
        "postal_code": ["Use at most 20 characters."],
        "line2": ["Use at most 200 characters."],
        "country": ["Choose a country from the list."],
    }


@pytest.mark.parametrize("country", sorted(COUNTRIES))
def test_every_listed_country_needs_only_fields_the_forms_ask_for(country):
    rules = country_rules(country)

    assert rules.required <= {"full_name", "line1", "city", "region", "postal_code"}


def test_a_country_with_regions_offers_them_as_a_required_choice():
    states = region_field("US", "illinois")
    prefectures = region_field("JP")

    assert (states.label, states.required, states.selected) == ("State", True, "IL")
    assert ("IL", "Illinois") in states.choices
    assert (prefectures.label, prefectures.choices[12]) == ("Prefecture", ("東京都", "Tokyo"))


@pytest.mark.parametrize("country", ["GB", "DE", "XX", ""])
def test_elsewhere_the_region_is_optional_text(country):
    assert region_field(country, "Kent") == region_field("", "Kent")
    assert region_field(country, "Kent").choices == ()
    assert not region_field(country, "Kent").required


@pytest.mark.parametrize(
    ("base", "lines"),
    [
        (ILLINOIS, ["Ann Lee", "1 Main St", "Springfield, IL 62701", "United States"]),
        (LONDON, ["Ann Lee", "10 Downing Street", "London", "SW1A 2AA", "United Kingdom"]),
        (BERLIN, ["Max Muster", "Hauptstraße 1", "3. OG", "10115 Berlin", "Germany"]),
        (TOKYO, ["Taro Yamada", "1-2-3 Shibuya", "Shibuya-ku, Tokyo", "150-0002", "Japan"]),
    ],
)
def test_addresses_are_written_in_their_countrys_order(base, lines):
    normalized = normalized_address(address(base))
    snapshot = {name: getattr(normalized, name) for name in normalized.__dataclass_fields__}

    assert address_lines(snapshot) == lines
    assert address_lines(SimpleNamespace(**snapshot)) == lines
    assert one_line(snapshot) == ", ".join(lines)


def test_a_japanese_address_in_japanese_is_written_largest_part_first():
    written = {
        "full_name": "山田太郎",
        "line1": "渋谷1-2-3",
        "city": "渋谷区",
        "region": "東京都",
        "postal_code": "150-0002",
        "country": "JP",
    }

    assert address_lines(written) == [
        "〒150-0002",
        "東京都",
        "渋谷区",
        "渋谷1-2-3",
        "山田太郎",
        "Japan",
    ]


def test_an_address_saved_before_the_checks_is_still_written():
    old = {"full_name": "Ann", "line1": "1 Main St", "city": "Springfield", "country": "ZZ"}

    assert address_lines({**old, "region": "Illinois"}) == ["Ann", "1 Main St", "Springfield", "ZZ"]
    assert address_lines({**old, "country": "US", "region": "Illinois"})[2] == (
        "Springfield, Illinois"
    )


def test_the_address_data_is_read_without_a_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    country_rules.cache_clear()

    assert normalized_address(address(TOKYO)).region == "東京都"
    assert address_lines(normalized_address(address(ILLINOIS)))[2] == "Springfield, IL 62701"
