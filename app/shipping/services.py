"""Shipping rates for one merchant's shipment: the configured provider, the table as fallback.

Checkout calls `quote_rates`; it never hangs on a slow provider and never fails because a
provider did: Shippo problems (errors, garbage, slowness) fall back to the table rates.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from functools import partial
from typing import TypeVar

from app.shipping.rules import (
    Destination,
    NoShippingRate,
    RateQuote,
    ShipmentRequest,
)
from app.shipping.shippo_rates import ShippoSettings, quote_shippo_rates
from app.shipping.table import RateTable, RateTableError, load_rate_table

__all__ = [
    "Destination",
    "NoShippingRate",
    "RateQuote",
    "RateTableError",
    "ShipmentRequest",
    "call_within",
    "quote_rates",
    "store_rate_table",
]

PROVIDERS = ("table", "shippo")

log = logging.getLogger("marketplace.shipping")

Result = TypeVar("Result")


def quote_rates(config: Mapping, shipment: ShipmentRequest) -> list[RateQuote]:
    """Rates for one shipment, cheapest first. Uses SHIPPING_PROVIDER ("table" default, or
    "shippo"); a Shippo failure or a call slower than SHIPPING_TIMEOUT_SECONDS falls back to the
    table rates (logged as a warning). Never raises for provider problems; raises
    NoShippingRate (a clear message) only when no rate exists for the destination."""
    provider = config.get("SHIPPING_PROVIDER", "table")
    if provider not in PROVIDERS:
        raise ValueError(f"SHIPPING_PROVIDER must be 'table' or 'shippo', not {provider!r}")
    table = store_rate_table(config)
    if provider == "shippo":
        try:
            settings = ShippoSettings.from_config(config)
            return call_within(
                settings.timeout_seconds, partial(quote_shippo_rates, settings, shipment)
            )
        except TimeoutError:
            log.warning(
                "Shippo rates for merchant %s took longer than %s s; using the table rates",
                shipment.merchant_id,
                config.get("SHIPPING_TIMEOUT_SECONDS", 3),
            )
        except Exception:  # any provider failure: HTTP error, refused connection, bad answer
            log.warning(
                "Shippo rates for merchant %s failed; using the table rates",
                shipment.merchant_id,
                exc_info=True,
            )
    return table.quote(shipment)


def store_rate_table(config: Mapping) -> RateTable:
    """The table in SHIPPING_RATES_FILE (default: the packaged rates.toml), checked to be priced
    in the store currency (DEFAULT_CURRENCY)."""
    path = config.get("SHIPPING_RATES_FILE") or None
    table = load_rate_table(path)
    currency = config.get("DEFAULT_CURRENCY", "USD")
    if table.currency != currency:
        raise RateTableError(
            f"shipping rates are in {table.currency} but the store currency is {currency}"
        )
    return table


def call_within(seconds: float, function: Callable[[], Result]) -> Result:
    """Run `function` in a worker thread and return its result, or raise TimeoutError once
    `seconds` have passed without one (the thread is left to finish on its own)."""
    outcome: Future[Result] = Future()

    def run() -> None:
        try:
            outcome.set_result(function())
        except BaseException as error:
            outcome.set_exception(error)

    threading.Thread(target=run, name="shipping-rates", daemon=True).start()
    return outcome.result(timeout=seconds)
