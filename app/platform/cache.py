"""A small per-process TTL cache for data that changes rarely.

What it keeps, and for how long (each process on its own, so a change can take that long to
show everywhere):
- `catalog:tree`: the category tree (navigation, the portal's category choices), for
  CATALOG_CACHE_SECONDS (default 60). Categories change only through admins and the seeder;
  no merchant edit changes the tree.
- `catalog:facets:<slug>`: an unfiltered category page's facet counts, for CATALOG_CACHE_SECONDS.
  A merchant's publish, unpublish or price change shows in these counts within that time; the
  page's product cards, its total and the product page itself are read fresh on every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")


def cached(key: str, seconds: int, produce: Callable[[], T]) -> T:
    """Return the cached value for `key`, producing it again once it is `seconds` old."""
    store: dict = current_app.extensions.setdefault("marketplace_cache", {})
    entry = store.get(key)
    now = time.monotonic()
    if entry is not None and entry[0] > now:
        return entry[1]
    value = produce()
    if seconds > 0:
        store[key] = (now + seconds, value)
    return value


def invalidate(prefix: str) -> None:
    """Drop every cached entry whose key starts with `prefix`."""
    store: dict = current_app.extensions.setdefault("marketplace_cache", {})
    for key in [key for key in store if key.startswith(prefix)]:
        del store[key]
