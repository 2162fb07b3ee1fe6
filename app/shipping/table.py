"""The built-in table-rate provider: zones by destination country, services priced by weight.

The table is data: `rates.toml` in this package, or the file SHIPPING_RATES_FILE names. It is
validated when loaded, so a broken file fails with a message that says where it is broken.
"""

from __future__ import annotations

import functools
import itertools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.money import Money
from app.shipping.rules import (
    COUNTRY_CODE,
    NoShippingRate,
    RateQuote,
    ShipmentRequest,
    cheapest_first,
    slug,
)

DEFAULT_RATES_FILE = Path(__file__).with_name("rates.toml")
CATCH_ALL = "*"
GRAMS_PER_KG = 1000
PROVIDER = "table"
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


class RateTableError(ValueError):
    """The rate table cannot be read or does not describe a valid table."""


@dataclass(frozen=True)
class WeightBand:
    """Parcels up to `max_grams` (inclusive) cost `amount` minor units."""

    max_grams: int
    amount: int


@dataclass(frozen=True)
class Service:
    """A service level (e.g. Standard) of one zone, priced by weight bands."""

    name: str
    carrier: str
    bands: tuple[WeightBand, ...]
    min_days: int | None = None
    max_days: int | None = None
    extra_kg_amount: int | None = None

    def price(self, weight_grams: int) -> int | None:
        """Minor units to ship a parcel this heavy, or None when the service does not take it.

        Above the last band each started kilogram adds `extra_kg_amount`; a service without it
        takes nothing heavier than its last band.
        """
        for band in self.bands:
            if weight_grams <= band.max_grams:
                return band.amount
        if self.extra_kg_amount is None:
            return None
        last = self.bands[-1]
        started_kilograms = -(-(weight_grams - last.max_grams) // GRAMS_PER_KG)
        return last.amount + started_kilograms * self.extra_kg_amount


@dataclass(frozen=True)
class Zone:
    """Destination countries sharing the same services and prices."""

    name: str
    countries: frozenset[str]
    services: tuple[Service, ...]

    @property
    def is_catch_all(self) -> bool:
        """Whether this is the "rest of world" zone."""
        return CATCH_ALL in self.countries


@dataclass(frozen=True)
class RateTable:
    """Every zone's services, all priced in one currency."""

    currency: str
    zones: tuple[Zone, ...]

    def zone_for(self, country: str) -> Zone | None:
        """The zone listing the country, else the catch-all zone, else None."""
        listed = next((zone for zone in self.zones if country in zone.countries), None)
        return listed or next((zone for zone in self.zones if zone.is_catch_all), None)

    def quote(self, shipment: ShipmentRequest) -> list[RateQuote]:
        """Every service of the destination's zone that takes the parcel, cheapest first."""
        zone = self.zone_for(shipment.destination.country)
        quotes = []
        for service in zone.services if zone else ():
            amount = service.price(shipment.weight_grams)
            if amount is not None:
                quotes.append(
                    RateQuote(
                        rate_id=f"{PROVIDER}:{slug(service.name)}",
                        provider=PROVIDER,
                        carrier=service.carrier,
                        service=service.name,
                        amount=Money(amount, self.currency),
                        min_days=service.min_days,
                        max_days=service.max_days,
                    )
                )
        if not quotes:
            raise NoShippingRate(
                f"{shipment.merchant_name} cannot ship a parcel of "
                f"{weight_text(shipment.weight_grams)} to {shipment.destination.country}: "
                "no shipping service takes it."
            )
        return cheapest_first(quotes)


def weight_text(grams: int) -> str:
    """A weight as text: "750 g" or "42.5 kg"."""
    if grams < GRAMS_PER_KG:
        return f"{grams} g"
    kilograms, rest = divmod(grams, GRAMS_PER_KG)
    return f"{kilograms}.{rest:03d}".rstrip("0").rstrip(".") + " kg"


def load_rate_table(path: str | Path | None = None) -> RateTable:
    """The validated table in `path` (by default the package's rates.toml); cached until the
    file changes. Raises RateTableError, naming the file and the broken entry."""
    path = Path(path) if path else DEFAULT_RATES_FILE
    try:
        status = path.stat()
    except OSError as error:
        raise RateTableError(f"shipping rates file {path} cannot be read: {error}") from error
    return read_rate_table(str(path), status.st_mtime_ns, status.st_size)


@functools.lru_cache(maxsize=8)
def read_rate_table(path: str, modified_ns: int, size: int) -> RateTable:
    """Read and validate one version (path, modification time, size) of a rate table file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise RateTableError(f"shipping rates file {path} cannot be read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise RateTableError(f"shipping rates file {path} is not valid TOML: {error}") from error
    return parse_rate_table(data, source=path)


def parse_rate_table(data: Mapping[str, Any], source: str = "rate table") -> RateTable:
    """Build a RateTable from parsed TOML, or raise RateTableError saying what is wrong where."""
    only_keys(data, {"currency", "zones"}, source)
    currency = text(required(data, "currency", source), f"{source}: currency")
    if not CURRENCY_CODE.match(currency):
        raise RateTableError(f"{source}: currency must be an ISO 4217 code such as USD")
    zones = tuple(
        parse_zone(entry, f"{source}: zones[{index}]")
        for index, entry in enumerate(array(required(data, "zones", source), f"{source}: zones"))
    )
    zone_of: dict[str, str] = {}
    for zone in zones:
        for country in zone.countries:
            if country in zone_of:
                what = "the catch-all *" if country == CATCH_ALL else f"country {country}"
                raise RateTableError(
                    f"{source}: {what} is in two zones, {zone_of[country]!r} and {zone.name!r}"
                )
            zone_of[country] = zone.name
    return RateTable(currency=currency, zones=zones)


def parse_zone(data: Any, where: str) -> Zone:
    """One [[zones]] entry."""
    data = table(data, where)
    only_keys(data, {"name", "countries", "services"}, where)
    name = text(required(data, "name", where), f"{where}.name")
    countries = array(required(data, "countries", where), f"{where}.countries")
    for index, country in enumerate(countries):
        if country != CATCH_ALL and not (isinstance(country, str) and COUNTRY_CODE.match(country)):
            raise RateTableError(
                f"{where}.countries[{index}]: {country!r} is neither an upper-case ISO 3166-1 "
                f'alpha-2 code nor "{CATCH_ALL}"'
            )
    if len(set(countries)) != len(countries):
        raise RateTableError(f"{where}.countries: a country is listed twice")
    services = tuple(
        parse_service(entry, f"{where}.services[{index}]")
        for index, entry in enumerate(array(required(data, "services", where), f"{where}.services"))
    )
    if len({slug(service.name) for service in services}) != len(services):
        raise RateTableError(f"{where}.services: two services have the same name")
    return Zone(name=name, countries=frozenset(countries), services=services)


def parse_service(data: Any, where: str) -> Service:
    """One [[zones.services]] entry."""
    data = table(data, where)
    only_keys(data, {"name", "carrier", "min_days", "max_days", "extra_kg_amount", "bands"}, where)
    name = text(required(data, "name", where), f"{where}.name")
    if not slug(name):
        raise RateTableError(f"{where}.name: needs at least one letter or digit")
    min_days = optional_count(data, "min_days", where)
    max_days = optional_count(data, "max_days", where)
    if min_days is not None and max_days is not None and min_days > max_days:
        raise RateTableError(f"{where}: min_days ({min_days}) is more than max_days ({max_days})")
    bands = tuple(
        parse_band(entry, f"{where}.bands[{index}]")
        for index, entry in enumerate(array(required(data, "bands", where), f"{where}.bands"))
    )
    for index, (previous, band) in enumerate(itertools.pairwise(bands), start=1):
        if band.max_grams <= previous.max_grams:
            raise RateTableError(
                f"{where}.bands[{index}].max_grams: {band.max_grams} must be more than the "
                f"previous band's {previous.max_grams}"
            )
    return Service(
        name=name,
        carrier=text(required(data, "carrier", where), f"{where}.carrier"),
        bands=bands,
        min_days=min_days,
        max_days=max_days,
        extra_kg_amount=optional_count(data, "extra_kg_amount", where),
    )


def parse_band(data: Any, where: str) -> WeightBand:
    """One weight band: { max_grams = ..., amount = ... }."""
    data = table(data, where)
    only_keys(data, {"max_grams", "amount"}, where)
    max_grams = count(required(data, "max_grams", where), f"{where}.max_grams")
    if max_grams == 0:
        raise RateTableError(f"{where}.max_grams: must be more than 0")
    return WeightBand(
        max_grams=max_grams, amount=count(required(data, "amount", where), f"{where}.amount")
    )


def required(data: Mapping[str, Any], key: str, where: str) -> Any:
    """The value of a key that must be present."""
    if key not in data:
        raise RateTableError(f"{where}: {key} is missing")
    return data[key]


def only_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    """Reject unknown keys (a misspelt key would otherwise be silently ignored)."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RateTableError(
            f"{where}: unknown key {', '.join(unknown)} (expected {', '.join(sorted(allowed))})"
        )


def table(value: Any, where: str) -> Mapping[str, Any]:
    """A TOML table."""
    if not isinstance(value, Mapping):
        raise RateTableError(f"{where}: must be a table")
    return value


def array(value: Any, where: str) -> list[Any]:
    """A non-empty TOML array."""
    if not isinstance(value, list) or not value:
        raise RateTableError(f"{where}: must be a non-empty array")
    return value


def text(value: Any, where: str) -> str:
    """A non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise RateTableError(f"{where}: must be a non-empty string")
    return value.strip()


def count(value: Any, where: str) -> int:
    """A whole number, zero or more (amounts are minor units: 499 is $4.99)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RateTableError(
            f"{where}: must be a whole number, 0 or more (amounts in minor units: 499, not 4.99),"
            f" not {value!r}"
        )
    return value


def optional_count(data: Mapping[str, Any], key: str, where: str) -> int | None:
    """A whole number if the key is present, else None."""
    return count(data[key], f"{where}.{key}") if key in data else None
