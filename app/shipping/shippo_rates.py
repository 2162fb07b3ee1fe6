"""The Shippo provider: live carrier rates for a shipment, through the official `shippo` SDK."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

import requests
import shippo
from shippo.models import components
from shippo.sdkconfiguration import SERVERS

from app.money import Money
from app.shipping.rules import (
    RateQuote,
    ShipmentRequest,
    cheapest_first,
    minor_units,
)

PROVIDER = "shippo"
SIZE = r"\s*([0-9]+(?:\.[0-9]+)?)\s*"
PARCEL_DIMENSIONS = re.compile(f"^{SIZE}x{SIZE}x{SIZE}$")

log = logging.getLogger("marketplace.shipping")


class ShippoError(RuntimeError):
    """Shippo is not configured, or gave no rate the store can offer."""


@dataclass(frozen=True)
class Origin:
    """The platform-wide ship-from address (SHIPPING_ORIGIN_*)."""

    name: str
    street: str
    city: str
    region: str
    postal_code: str
    country: str
    email: str


@dataclass(frozen=True)
class ShippoSettings:
    """What a Shippo rate request needs from the app config."""

    api_key: str
    server_url: str
    origin: Origin
    parcel_cm: tuple[str, str, str]
    timeout_seconds: float
    currency: str

    @classmethod
    def from_config(cls, config: Mapping) -> ShippoSettings:
        """Read SHIPPO_*, SHIPPING_ORIGIN_*, SHIPPING_PARCEL_CM and SHIPPING_TIMEOUT_SECONDS."""
        api_key = config.get("SHIPPO_API_KEY", "")
        if not api_key:
            raise ShippoError("SHIPPING_PROVIDER is 'shippo' but SHIPPO_API_KEY is not set")
        dimensions = PARCEL_DIMENSIONS.match(config.get("SHIPPING_PARCEL_CM", "30x20x10"))
        if not dimensions:
            raise ShippoError(
                "SHIPPING_PARCEL_CM must look like 30x20x10 (length x width x height)"
            )
        return cls(
            api_key=api_key,
            server_url=config.get("SHIPPO_SERVER_URL") or SERVERS[0],
            origin=Origin(
                name=config.get("SHIPPING_ORIGIN_NAME", ""),
                street=config.get("SHIPPING_ORIGIN_STREET", ""),
                city=config.get("SHIPPING_ORIGIN_CITY", ""),
                region=config.get("SHIPPING_ORIGIN_REGION", ""),
                postal_code=config.get("SHIPPING_ORIGIN_POSTAL_CODE", ""),
                country=config.get("SHIPPING_ORIGIN_COUNTRY", "US"),
                email=config.get("SHIPPING_ORIGIN_EMAIL", ""),
            ),
            parcel_cm=dimensions.groups(),
            timeout_seconds=float(config.get("SHIPPING_TIMEOUT_SECONDS", 3)),
            currency=config.get("DEFAULT_CURRENCY", "USD"),
        )


class TimeoutSession(requests.Session):
    """A requests session that gives up on any connect or read slower than `timeout` seconds.

    The SDK sends without a timeout of its own; this is the session it is given instead.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        """Send with this session's timeout unless the caller gave one."""
        kwargs.setdefault("timeout", self.timeout)
        return super().send(request, **kwargs)


def quote_shippo_rates(settings: ShippoSettings, shipment: ShipmentRequest) -> list[RateQuote]:
    """Create a Shippo shipment synchronously and turn its rates into quotes, cheapest first.

    Raises whatever the SDK raises (HTTP errors, timeouts, unparseable answers) and ShippoError
    when no rate is usable; the caller falls back to the table rates.
    """
    client = shippo.Shippo(
        api_key_header=settings.api_key,
        server_url=settings.server_url,
        client=TimeoutSession(settings.timeout_seconds),
    )
    created = client.shipments.create(shipment_request(settings, shipment))
    quotes = [quote for rate in created.rates or () if (quote := rate_quote(rate, settings))]
    if not quotes:
        notes = "; ".join(message.text or "" for message in created.messages or ())
        raise ShippoError(f"Shippo returned no usable rate ({notes or 'no message'})")
    return cheapest_first(quotes)


def shipment_request(
    settings: ShippoSettings, shipment: ShipmentRequest
) -> components.ShipmentCreateRequest:
    """The SDK request: ship-from and ship-to addresses and one parcel, rated synchronously."""
    origin, destination = settings.origin, shipment.destination
    length, width, height = settings.parcel_cm
    return components.ShipmentCreateRequest(
        address_from=components.AddressCreateRequest(
            name=origin.name or None,
            street1=origin.street or None,
            city=origin.city or None,
            state=origin.region or None,
            zip=origin.postal_code or None,
            country=origin.country,
            email=origin.email or None,
        ),
        address_to=components.AddressCreateRequest(
            name=destination.name,
            street1=destination.line1,
            street2=destination.line2 or None,
            city=destination.city,
            state=destination.region or None,
            zip=destination.postal_code,
            country=destination.country,
            phone=destination.phone or None,
            email=destination.email or None,
        ),
        parcels=[
            components.ParcelCreateRequest(
                mass_unit=components.WeightUnitEnum.G,
                weight=str(shipment.weight_grams),
                distance_unit=components.DistanceUnitEnum.CM,
                length=length,
                width=width,
                height=height,
            )
        ],
        async_=False,
        metadata=f"merchant {shipment.merchant_id}",
    )


def rate_quote(rate: components.Rate, settings: ShippoSettings) -> RateQuote | None:
    """The quote for one Shippo rate, or None (logged) when it cannot be charged exactly in the
    store currency."""
    if rate.currency != settings.currency:
        log.warning("skipping Shippo rate %s in %s", rate.object_id, rate.currency)
        return None
    try:
        amount = minor_units(rate.amount, settings.currency)
    except ValueError:
        log.warning("skipping Shippo rate %s: amount %r", rate.object_id, rate.amount)
        return None
    return RateQuote(
        rate_id=f"{PROVIDER}:{rate.object_id}",
        provider=PROVIDER,
        carrier=rate.provider,
        service=rate.servicelevel.name or rate.servicelevel.token or "",
        amount=Money(amount, settings.currency),
        min_days=rate.estimated_days,
        max_days=rate.estimated_days,
    )
