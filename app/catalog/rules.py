"""Catalog rules that need no database: "from" prices, searchable text (and slugs, re-exported)."""

from __future__ import annotations

from collections.abc import Iterable

from app.platform.slugs import slugify

__all__ = ["lowest_price", "search_text", "slugify", "variant_name"]


def variant_name(option_values: Iterable[str]) -> str:
    """What shoppers see for a variant, e.g. "M / Navy"; "Default" when it has no options."""
    return " / ".join(option_values) or "Default"


def lowest_price(prices: Iterable[int]) -> int:
    """The "from" price of a product: its cheapest variant, 0 when it has none."""
    return min(prices, default=0)


def search_text(
    attributes: Iterable[tuple[str, str]],
    options: Iterable[tuple[str, str]],
    category_names: Iterable[str] = (),
) -> str:
    """The extra searchable text of a product, deduplicated: its category names (so "shirt"
    finds what sits under T-shirts), attribute values and variant option values."""
    seen: dict[str, None] = {}
    values = [*category_names, *(value for _name, value in [*attributes, *options])]
    for value in values:
        cleaned = value.strip()
        if cleaned and cleaned.lower() not in {key.lower() for key in seen}:
            seen[cleaned] = None
    return " ".join(seen)
