"""Shipping rules that need no database or network: shipments, quotes and their amounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.money import ZERO_DECIMAL_CURRENCIES, Money

COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
EN_DASH = "\u2013"
DECIMAL_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]+)?$")


class NoShippingRate(LookupError):
    """No shipping service takes this shipment to its destination."""


@dataclass(frozen=True)
class Destination:
    """Where a shipment goes; `country` is an ISO 3166-1 alpha-2 code."""

    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""
    phone: str = ""
    email: str = ""

    def __post_init__(self) -> None:
        country = self.country.strip().upper()
        if not COUNTRY_CODE.match(country):
            raise ValueError(f"not an ISO 3166-1 alpha-2 country code: {self.country!r}")
        object.__setattr__(self, "country", country)


@dataclass(frozen=True)
class ShipmentRequest:
    """One merchant's part of an order, to be shipped as one parcel."""

    merchant_id: int
    merchant_name: str
    destination: Destination
    weight_grams: int
    value: Money

    def __post_init__(self) -> None:
        if isinstance(self.weight_grams, bool) or not isinstance(self.weight_grams, int):
            raise TypeError("weight_grams must be an int")
        if self.weight_grams < 0:
            raise ValueError(f"weight_grams cannot be negative: {self.weight_grams}")


@dataclass(frozen=True)
class RateQuote:
    """One way to ship a shipment, with its price and transit time."""

    rate_id: str
    provider: str
    carrier: str
    service: str
    amount: Money
    min_days: int | None
    max_days: int | None

    def label(self) -> str:
        """Text such as "USPS Priority Mail, 2-3 days" (the range joined by an en dash)."""
        name = f"{self.carrier} {self.service}"
        transit = transit_time(self.min_days, self.max_days)
        return f"{name}, {transit}" if transit else name


def transit_time(min_days: int | None, max_days: int | None) -> str:
    """Transit time as text: "2-3 days" (en dash), "1 day", "up to 5 days", "at least 2 days", or ""
    when unknown."""
    if min_days is None and max_days is None:
        return ""
    if min_days is None:
        return f"up to {days(max_days)}"
    if max_days is None:
        return f"at least {days(min_days)}"
    if min_days == max_days:
        return days(min_days)
    return f"{min_days}{EN_DASH}{max_days} days"


def days(count: int) -> str:
    """A day count as text: "1 day" or "N days"."""
    return "1 day" if count == 1 else f"{count} days"


def cheapest_first(quotes: list[RateQuote]) -> list[RateQuote]:
    """Quotes by price, then by speed (unknown transit times last), then by id."""
    return sorted(
        quotes,
        key=lambda quote: (
            quote.amount.amount,
            quote.max_days if quote.max_days is not None else float("inf"),
            quote.rate_id,
        ),
    )


def minor_units(text: str, currency: str) -> int:
    """Exact minor units of a decimal string such as "12.50" (no float on the way).

    Trailing zeros beyond the currency's digits are fine ("7.5000" is 750 cents); a fraction of a
    minor unit ("7.505") cannot be charged exactly and raises ValueError.
    """
    cleaned = text.strip()
    if not DECIMAL_AMOUNT.match(cleaned):
        raise ValueError(f"not a decimal amount: {text!r}")
    exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    try:
        scaled = Decimal(cleaned).scaleb(exponent)
    except InvalidOperation as error:
        raise ValueError(f"not a decimal amount: {text!r}") from error
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of {currency} minor units")
    return int(scaled)


def slug(name: str) -> str:
    """A lower-case identifier for a service name: "Express Plus" -> "express-plus"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
