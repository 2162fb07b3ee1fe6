"""URL slugs from names."""

from __future__ import annotations

import re
import unicodedata

SLUG_MAX = 200


def slugify(text: str) -> str:
    """`"Café Crème 2"` -> `"cafe-creme-2"`; never empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "item"
