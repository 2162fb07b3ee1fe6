"""Catalog rules that need no database: slugs, "from" prices and searchable text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

SLUG_MAX = 200


def slugify(text: str) -> str:
    """`"Café Crème 2"` -> `"cafe-creme-2"`; never empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "item"


def lowest_price(prices: Iterable[int]) -> int:
    """The "from" price of a product: its cheapest variant, 0 when it has none."""
    return min(prices, default=0)


def search_text(attributes: Iterable[tuple[str, str]], options: Iterable[tuple[str, str]]) -> str:
    """The extra searchable text of a product: attribute and variant option values, deduplicated."""
    seen: dict[str, None] = {}
    for _name, value in [*attributes, *options]:
        cleaned = value.strip()
        if cleaned and cleaned.lower() not in {key.lower() for key in seen}:
            seen[cleaned] = None
    return " ".join(seen)
