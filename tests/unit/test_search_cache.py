"""The search result cache: JSON in Redis, and a miss (never an error) when Redis fails."""

from __future__ import annotations

import fakeredis
import redis

from app.search.cache import KEY_PREFIX, ResultCache


class BrokenRedis:
    """A Redis client whose server is gone."""

    def get(self, name):
        raise redis.ConnectionError("connection refused")

    def set(self, name, value, ex=None):
        raise redis.ConnectionError("connection refused")


def test_values_come_back_until_they_expire():
    # given
    client = fakeredis.FakeRedis()
    cache = ResultCache(client, seconds=30)
    key = ResultCache.key(["products", {"q": "shirt"}])

    # when
    cache.store(key, {"total": 3, "ids": [1, 2, 3]})

    # then
    assert cache.load(key) == {"total": 3, "ids": [1, 2, 3]}
    assert 0 < client.ttl(key) <= 30


def test_keys_are_short_and_depend_on_every_part():
    # given
    shirt = ResultCache.key(["products", {"q": "shirt", "page": "2"}])

    # then
    assert shirt.startswith(KEY_PREFIX) and len(shirt) == len(KEY_PREFIX) + 64
    assert shirt == ResultCache.key(["products", {"page": "2", "q": "shirt"}])
    assert shirt != ResultCache.key(["products", {"q": "shirt", "page": "3"}])


def test_unknown_and_unreadable_entries_are_misses():
    # given
    client = fakeredis.FakeRedis()
    cache = ResultCache(client, seconds=30)
    client.set(KEY_PREFIX + "garbage", b"\xff not json")

    # then
    assert cache.load(KEY_PREFIX + "absent") is None
    assert cache.load(KEY_PREFIX + "garbage") is None


def test_a_dead_redis_is_a_miss_not_an_error(caplog):
    # given
    cache = ResultCache(BrokenRedis(), seconds=30)

    # when
    cache.store("search:v1:x", {"total": 1})
    loaded = cache.load("search:v1:x")

    # then
    assert loaded is None
    assert "search cache unavailable" in caplog.text
