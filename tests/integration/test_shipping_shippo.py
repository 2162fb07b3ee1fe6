"""Shippo rates through the official SDK, against a local HTTP stand-in for api.goshippo.com,
and the fall back to the table rates when Shippo fails, answers garbage, is slow or is down."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from app.config import load_settings
from app.money import Money
from app.shipping.rules import Destination, ShipmentRequest
from app.shipping.services import quote_rates
from tests.support.stand_in import StandIn, refusing_base_url, serving

TABLE_RATE_IDS = ["table:standard", "table:express"]


@pytest.fixture()
def shippo() -> Iterator[StandIn]:
    """A local HTTP server on 127.0.0.1 standing in for the Shippo API."""
    with serving(status=201) as stand_in:
        yield stand_in


def config_for(base_url: str, **overrides) -> dict:
    return {
        "SHIPPING_PROVIDER": "shippo",
        "SHIPPING_TIMEOUT_SECONDS": 3.0,
        "SHIPPO_API_KEY": "shippo_test_5f6a7b",
        "SHIPPO_SERVER_URL": base_url,
        "SHIPPING_PARCEL_CM": "30x20x10",
        "SHIPPING_ORIGIN_NAME": "Marketplace Fulfilment",
        "SHIPPING_ORIGIN_STREET": "215 Clayton St",
        "SHIPPING_ORIGIN_CITY": "San Francisco",
        "SHIPPING_ORIGIN_REGION": "CA",
        "SHIPPING_ORIGIN_POSTAL_CODE": "94117",
        "SHIPPING_ORIGIN_COUNTRY": "US",
        "SHIPPING_ORIGIN_EMAIL": "shipping@shop.example",
        "DEFAULT_CURRENCY": "USD",
        **overrides,
    }


SHIPMENT = ShipmentRequest(
    merchant_id=7,
    merchant_name="Acme Outfitters",
    destination=Destination(
        name="Ann Lee",
        line1="1 Main St",
        line2="Apt 4",
        city="Springfield",
        region="IL",
        postal_code="62701",
        country="US",
        phone="+1 217 555 0100",
        email="ann@example.com",
    ),
    weight_grams=1250,
    value=Money(4500, "USD"),
)


def address(**fields) -> dict:
    return {
        "object_id": "addr_0001",
        "is_complete": True,
        "validation_results": {},
        "test": True,
        **fields,
    }


def rate(object_id: str, provider: str, service: str, amount: str, days: int, **extra) -> dict:
    return {
        "object_id": object_id,
        "object_created": "2024-05-02T10:15:00.000Z",
        "object_owner": "merchant@shop.example",
        "shipment": "shp_8f2c",
        "attributes": [],
        "amount": amount,
        "amount_local": amount,
        "currency": "USD",
        "currency_local": "USD",
        "provider": provider,
        "provider_image_75": "https://shippo-static.example/logo_75.png",
        "provider_image_200": "https://shippo-static.example/logo_200.png",
        "servicelevel": {"name": service, "token": service.lower().replace(" ", "_"), "terms": ""},
        "estimated_days": days,
        "duration_terms": f"Delivery in {days} days.",
        "carrier_account": "ca_0001",
        "zone": "1",
        "messages": [],
        "test": True,
        **extra,
    }


def shipment_answer(rates: list[dict], messages: list[dict] | None = None) -> bytes:
    return json.dumps(
        {
            "object_id": "shp_8f2c",
            "object_created": "2024-05-02T10:15:00.000Z",
            "object_updated": "2024-05-02T10:15:01.000Z",
            "object_owner": "merchant@shop.example",
            "status": "SUCCESS",
            "metadata": "merchant 7",
            "shipment_date": "2024-05-02T10:15:00.000Z",
            "address_from": address(name="Marketplace Fulfilment", country="US"),
            "address_to": address(name="Ann Lee", country="US"),
            "address_return": address(name="Marketplace Fulfilment", country="US"),
            "parcels": [
                {
                    "object_id": "prc_0001",
                    "object_state": "VALID",
                    "mass_unit": "g",
                    "weight": "1250",
                    "distance_unit": "cm",
                    "length": "30",
                    "width": "20",
                    "height": "10",
                    "test": True,
                }
            ],
            "carrier_accounts": [],
            "messages": messages or [],
            "rates": rates,
            "extra": {},
            "test": True,
        }
    ).encode()


THREE_RATES = [
    rate("rate_ups_ground", "UPS", "Ground", "12.35", 5),
    rate("rate_usps_priority", "USPS", "Priority Mail", "7.50", 2),
    rate("rate_usps_express", "USPS", "Priority Mail Express", "26.1000", 1),
]


def test_rates_come_from_a_shippo_shipment(shippo):
    shippo.body = shipment_answer(THREE_RATES)

    quotes = quote_rates(config_for(shippo.base_url), SHIPMENT)

    assert [(quote.rate_id, quote.amount, quote.label()) for quote in quotes] == [
        ("shippo:rate_usps_priority", Money(750, "USD"), "USPS Priority Mail, 2 days"),
        ("shippo:rate_ups_ground", Money(1235, "USD"), "UPS Ground, 5 days"),
        ("shippo:rate_usps_express", Money(2610, "USD"), "USPS Priority Mail Express, 1 day"),
    ]
    assert {quote.provider for quote in quotes} == {"shippo"}


def test_the_request_carries_the_key_both_addresses_and_the_parcel(shippo):
    shippo.body = shipment_answer(THREE_RATES)

    quote_rates(config_for(shippo.base_url), SHIPMENT)

    (request,) = shippo.received
    assert (request.method, request.path) == ("POST", "/shipments")
    assert request.headers["authorization"] == "ShippoToken shippo_test_5f6a7b"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body["address_from"] == {
        "name": "Marketplace Fulfilment",
        "street1": "215 Clayton St",
        "city": "San Francisco",
        "state": "CA",
        "zip": "94117",
        "country": "US",
        "email": "shipping@shop.example",
    }
    assert body["address_to"] == {
        "name": "Ann Lee",
        "street1": "1 Main St",
        "street2": "Apt 4",
        "city": "Springfield",
        "state": "IL",
        "zip": "62701",
        "country": "US",
        "phone": "+1 217 555 0100",
        "email": "ann@example.com",
    }
    assert body["parcels"] == [
        {
            "mass_unit": "g",
            "weight": "1250",
            "distance_unit": "cm",
            "length": "30",
            "width": "20",
            "height": "10",
        }
    ]
    assert body["async"] is False
    assert body["metadata"] == "merchant 7"


def test_empty_optional_address_fields_are_left_out(shippo):
    shippo.body = shipment_answer(THREE_RATES)
    plain = ShipmentRequest(
        merchant_id=7,
        merchant_name="Acme Outfitters",
        destination=Destination("Bo Chen", "9 Rue Oberkampf", "Paris", "75011", "FR"),
        weight_grams=300,
        value=Money(1200, "USD"),
    )

    quote_rates(config_for(shippo.base_url, SHIPPING_ORIGIN_EMAIL=""), plain)

    body = shippo.received[0].json()
    assert body["address_to"] == {
        "name": "Bo Chen",
        "street1": "9 Rue Oberkampf",
        "city": "Paris",
        "zip": "75011",
        "country": "FR",
    }
    assert "email" not in body["address_from"]


def test_rates_that_cannot_be_charged_exactly_in_the_store_currency_are_skipped(shippo, caplog):
    shippo.body = shipment_answer(
        [
            rate("rate_eur", "DHL", "Paket", "9.90", 4, currency="EUR"),
            rate("rate_fraction", "UPS", "Ground", "12.355", 5),
            rate("rate_usd", "USPS", "Ground Advantage", "6.05", 4),
        ]
    )

    with caplog.at_level(logging.WARNING, logger="marketplace.shipping"):
        quotes = quote_rates(config_for(shippo.base_url), SHIPMENT)

    assert [quote.rate_id for quote in quotes] == ["shippo:rate_usd"]
    assert "rate_eur" in caplog.text and "rate_fraction" in caplog.text


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (500, "application/json", b'{"detail": "Internal error"}'),
        (503, "text/html", b"<h1>Service Unavailable</h1>"),
        (401, "application/json", b'{"detail": "Invalid token"}'),
        (201, "application/json", b"{not json"),
        (201, "application/json", b'{"unexpected": "shape"}'),
        (201, "text/html", b"<html>maintenance</html>"),
        (201, "application/json", shipment_answer([], [{"text": "No carrier serves this"}])),
    ],
    ids=[
        "http-500",
        "http-503-html",
        "http-401",
        "garbage-json",
        "wrong-shape",
        "not-json",
        "no-rates",
    ],
)
def test_a_failing_shippo_falls_back_to_the_table_rates(shippo, caplog, status, content_type, body):
    shippo.status, shippo.content_type, shippo.body = status, content_type, body

    with caplog.at_level(logging.WARNING, logger="marketplace.shipping"):
        quotes = quote_rates(config_for(shippo.base_url), SHIPMENT)

    assert [quote.rate_id for quote in quotes] == TABLE_RATE_IDS
    assert len(shippo.received) == 1
    assert "using the table rates" in caplog.text


def test_a_slow_shippo_is_abandoned_for_the_table_rates(shippo, caplog):
    shippo.hang = True
    shippo.body = shipment_answer(THREE_RATES)

    with caplog.at_level(logging.WARNING, logger="marketplace.shipping"):
        quotes = quote_rates(config_for(shippo.base_url, SHIPPING_TIMEOUT_SECONDS=0.2), SHIPMENT)

    assert [quote.rate_id for quote in quotes] == TABLE_RATE_IDS
    assert len(shippo.wait_for_requests(1)) == 1 and not shippo.answered.is_set()
    assert "using the table rates" in caplog.text


def test_an_unreachable_shippo_falls_back_to_the_table_rates(caplog):
    with caplog.at_level(logging.WARNING, logger="marketplace.shipping"):
        quotes = quote_rates(config_for(refusing_base_url()), SHIPMENT)

    assert [quote.rate_id for quote in quotes] == TABLE_RATE_IDS
    assert "ConnectionError" in caplog.text


def test_shippo_without_an_api_key_uses_the_table_rates_without_calling_out(shippo, caplog):
    with caplog.at_level(logging.WARNING, logger="marketplace.shipping"):
        quotes = quote_rates(config_for(shippo.base_url, SHIPPO_API_KEY=""), SHIPMENT)

    assert [quote.rate_id for quote in quotes] == TABLE_RATE_IDS
    assert shippo.received == [] and "SHIPPO_API_KEY" in caplog.text


def test_an_unknown_provider_name_is_a_configuration_error():
    with pytest.raises(ValueError, match="SHIPPING_PROVIDER must be 'table' or 'shippo'"):
        quote_rates({"SHIPPING_PROVIDER": "pigeon"}, SHIPMENT)


def test_settings_from_the_environment_reach_shippo(shippo, tmp_path):
    shippo.body = shipment_answer(THREE_RATES)
    settings = load_settings(
        tmp_path,
        {
            "SHIPPING_PROVIDER": "shippo",
            "SHIPPING_TIMEOUT_SECONDS": "1.5",
            "SHIPPING_PARCEL_CM": "25 x 15.5 x 5",
            "SHIPPO_API_KEY": "shippo_live_9c8d",
            "SHIPPO_SERVER_URL": shippo.base_url,
            "SHIPPING_ORIGIN_STREET": "1 Dock Rd",
            "SHIPPING_ORIGIN_CITY": "Oakland",
            "SHIPPING_ORIGIN_POSTAL_CODE": "94607",
        },
    )

    quotes = quote_rates(settings, SHIPMENT)

    assert quotes[0].rate_id == "shippo:rate_usps_priority"
    (request,) = shippo.received
    assert request.headers["authorization"] == "ShippoToken shippo_live_9c8d"
    body = request.json()
    assert body["address_from"] == {
        "name": "Marketplace",
        "street1": "1 Dock Rd",
        "city": "Oakland",
        "zip": "94607",
        "country": "US",
    }
    assert (body["parcels"][0]["length"], body["parcels"][0]["width"]) == ("25", "15.5")
    assert body["parcels"][0]["height"] == "5"


def test_default_settings_quote_table_rates(tmp_path):
    settings = load_settings(tmp_path, {})

    assert [quote.rate_id for quote in quote_rates(settings, SHIPMENT)] == TABLE_RATE_IDS
    assert settings["SHIPPING_TIMEOUT_SECONDS"] == 3.0
    assert settings["SHIPPO_SERVER_URL"] == "https://api.goshippo.com"


def test_a_malformed_parcel_size_falls_back_to_the_table_rates(shippo, caplog):
    config = config_for(shippo.base_url, SHIPPING_PARCEL_CM="big")

    with caplog.at_level(logging.WARNING, logger="marketplace.shipping"):
        quotes = quote_rates(config, SHIPMENT)

    assert [quote.rate_id for quote in quotes] == TABLE_RATE_IDS
    assert shippo.received == [] and "SHIPPING_PARCEL_CM" in caplog.text
