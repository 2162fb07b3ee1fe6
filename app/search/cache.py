"""A short-lived cache of search outcomes in Redis, shared by every worker.

Popular searches repeat; their facet counts and page of ids are kept for SEARCH_CACHE_SECONDS
(default 30; 0 turns the cache off) so a burst of the same search costs one database pass.
Product cards are always read fresh among visible products: a merchant's unpublished product
leaves the results at once, while a newly published one (or a price change's effect on the order
and the price facet) shows within that lifetime. Any Redis trouble is a cache miss, never an
error page.
"""

from __future__ import annotations

import hashlib
import json
import logging

import redis

KEY_PREFIX = "search:v1:"

log = logging.getLogger("marketplace")


class ResultCache:
    """JSON values under hashed keys, each kept for `seconds`."""

    def __init__(self, client: redis.Redis, seconds: int) -> None:
        self.client = client
        self.seconds = seconds

    @staticmethod
    def key(parts: object) -> str:
        """A short Redis key for any JSON-serialisable description of a search."""
        text = json.dumps(parts, sort_keys=True, ensure_ascii=False)
        return KEY_PREFIX + hashlib.sha256(text.encode()).hexdigest()

    def load(self, key: str) -> dict | None:
        """The stored value, or None when absent, unreadable or Redis is unavailable."""
        try:
            raw = self.client.get(key)
        except redis.RedisError:
            log.warning("search cache unavailable", exc_info=True)
            return None
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def store(self, key: str, value: dict) -> None:
        """Keep `value` for the cache's lifetime (silently skipped when Redis is unavailable)."""
        try:
            self.client.set(key, json.dumps(value, ensure_ascii=False), ex=self.seconds)
        except redis.RedisError:
            log.warning("search cache unavailable", exc_info=True)
