"""Money as integer minor units plus an ISO 4217 currency code; never a float."""

from __future__ import annotations

from dataclasses import dataclass

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
ZERO_DECIMAL_CURRENCIES = {"JPY", "KRW"}


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents) of one currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money amount must be an int of minor units")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._check_same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check_same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def _check_same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    @property
    def exponent(self) -> int:
        """Digits after the decimal point for this currency."""
        return 0 if self.currency in ZERO_DECIMAL_CURRENCIES else 2

    def format(self) -> str:
        """Human-readable text such as `$1,234.50`."""
        sign = "-" if self.amount < 0 else ""
        units, cents = divmod(abs(self.amount), 10**self.exponent)
        symbol = SYMBOLS.get(self.currency, self.currency + " ")
        text = f"{units:,}" if not self.exponent else f"{units:,}.{cents:0{self.exponent}d}"
        return f"{sign}{symbol}{text}"

    def decimal_string(self) -> str:
        """Plain decimal text without symbol or grouping, e.g. `1234.50` (for meta tags)."""
        units, cents = divmod(abs(self.amount), 10**self.exponent)
        text = str(units) if not self.exponent else f"{units}.{cents:0{self.exponent}d}"
        return ("-" if self.amount < 0 else "") + text

    def __str__(self) -> str:
        return self.format()


def parse_amount(text: str, currency: str) -> int:
    """Parse user text like `12.5` or `1,200` into minor units; raises ValueError on bad input."""
    cleaned = text.strip().replace(",", "").lstrip("$€£")
    if not cleaned:
        raise ValueError("empty amount")
    whole, _, fraction = cleaned.partition(".")
    exponent = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    if (not whole.isdigit() and whole != "") or (fraction and not fraction.isdigit()):
        raise ValueError(f"not an amount: {text!r}")
    if len(fraction) > exponent:
        raise ValueError(f"too many decimal places in {text!r}")
    return int(whole or "0") * 10**exponent + int((fraction or "0").ljust(exponent, "0") or "0")
