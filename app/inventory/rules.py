"""Stock rules that need no database: what a shopper is told about availability."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class StockLevel(enum.StrEnum):
    """The three states a shopper sees."""

    IN_STOCK = "in_stock"
    LOW = "low"
    OUT = "out"


@dataclass(frozen=True, slots=True)
class StockState:
    """Availability of a variant (or the best variant of a product) as shown to shoppers."""

    available: int
    low_stock_threshold: int

    @property
    def level(self) -> StockLevel:
        if self.available <= 0:
            return StockLevel.OUT
        if self.available <= self.low_stock_threshold:
            return StockLevel.LOW
        return StockLevel.IN_STOCK

    @property
    def in_stock(self) -> bool:
        return self.available > 0

    @property
    def label(self) -> str:
        """Text such as "In stock", "Only 3 left" or "Out of stock"."""
        if self.level is StockLevel.OUT:
            return "Out of stock"
        if self.level is StockLevel.LOW:
            return f"Only {self.available} left"
        return "In stock"


OUT_OF_STOCK = StockState(available=0, low_stock_threshold=0)
