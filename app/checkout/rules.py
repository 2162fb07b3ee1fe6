"""Checkout rules that need no database: the checkout's progress, discounts, tax, totals."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.checkout.models import DiscountKind

DEFAULT_TAX_TABLE = Path(__file__).with_name("tax_rates.toml")


class TaxTableError(ValueError):
    """The tax rate file cannot be used."""


@dataclass
class CheckoutState:
    """Where one shopper's checkout stands; kept in the server-side session between steps."""

    token: str
    email: str = ""
    address: dict = field(default_factory=dict)
    quotes: dict = field(default_factory=dict)
    quote_key: str = ""
    shipping: dict = field(default_factory=dict)
    promo_code: str = ""

    def as_dict(self) -> dict:
        """Plain data for the session."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> CheckoutState:
        """Rebuild from the session; unknown keys are ignored."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    @property
    def has_address(self) -> bool:
        return bool(self.email and self.address)


def percent_of(amount: int, basis_points: int) -> int:
    """`amount * basis_points / 10000`, rounded half up, in integer arithmetic."""
    return (amount * basis_points + 5000) // 10000


def discount_amount(kind: str, value: int, goods: int) -> int:
    """What a promotion takes off `goods`: `value` is basis points (percent) or minor units."""
    if kind == DiscountKind.PERCENT:
        return min(goods, percent_of(goods, value))
    return min(goods, value)


@dataclass(frozen=True)
class TaxRate:
    """The tax of one destination."""

    label: str
    basis_points: int
    shipping_taxable: bool = False

    def tax_on(self, goods: int, shipping: int) -> int:
        """Tax on the discounted goods (plus shipping where it is taxable)."""
        base = goods + (shipping if self.shipping_taxable else 0)
        return percent_of(base, self.basis_points)


NO_TAX = TaxRate(label="Tax", basis_points=0)


@dataclass(frozen=True)
class TaxTable:
    """Tax rates by (country, region); region "" covers the whole country."""

    rates: dict[tuple[str, str], TaxRate]

    def rate_for(self, country: str, region: str) -> TaxRate:
        """The region's rate, else the country's, else no tax."""
        country, region = country.upper(), region.strip().upper()
        return self.rates.get((country, region)) or self.rates.get((country, "")) or NO_TAX


def load_tax_table(path: str | Path | None = None) -> TaxTable:
    """The tax table from `path` (TAX_RATES_FILE) or the default file shipped with the app."""
    resolved = Path(path) if path else DEFAULT_TAX_TABLE
    return _read_tax_table(str(resolved), resolved.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _read_tax_table(path: str, _modified_ns: int) -> TaxTable:
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise TaxTableError(f"cannot read tax rates from {path}: {error}") from error
    return parse_tax_table(data, path)


def parse_tax_table(data: dict, source: str = "tax table") -> TaxTable:
    """Validate the parsed TOML: each rate has a 2-letter country, a label and 0..10000 bp."""
    rates: dict[tuple[str, str], TaxRate] = {}
    for index, row in enumerate(data.get("rates", [])):
        where = f"{source}: rates[{index}]"
        country = str(row.get("country", "")).upper()
        points = row.get("basis_points")
        if len(country) != 2 or not country.isalpha():
            raise TaxTableError(f"{where}: country must be a two-letter code")
        if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 10000:
            raise TaxTableError(f"{where}: basis_points must be an integer from 0 to 10000")
        region = str(row.get("region", "")).strip().upper()
        label = str(row.get("label", "Tax")).strip() or "Tax"
        rates[(country, region)] = TaxRate(label, points, bool(row.get("shipping_taxable")))
    return TaxTable(rates)
