"""A small per-process TTL cache for data that changes rarely (the category tree)."""

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
