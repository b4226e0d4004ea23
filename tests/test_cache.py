"""The project's Redis cache backend (atm_support/cache.py): Django's, one client per pool."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCacheClient

from atm_support.cache import RedisCache


@pytest.fixture
def redis_cache() -> RedisCache:
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        pytest.skip("the suite runs without REDIS_URL")
    return backend


def test_one_client_serves_every_call(redis_cache: RedisCache) -> None:
    client = redis_cache._cache
    assert isinstance(client, RedisCacheClient)
    assert client.get_client("a") is client.get_client("b", write=True)


def test_it_is_still_the_redis_cache(redis_cache: RedisCache) -> None:
    redis_cache.set("cache-test", {"page": "<p>é</p>"}, timeout=30)
    assert redis_cache.get("cache-test") == {"page": "<p>é</p>"}
    assert redis_cache.add("cache-test", 1) is False
    redis_cache.set("cache-counter", 41)
    assert redis_cache.incr("cache-counter") == 42
    assert redis_cache.get_many(["cache-test", "nothing"]) == {"cache-test": {"page": "<p>é</p>"}}
    redis_cache.delete_many(["cache-test", "cache-counter"])
    assert redis_cache.get("cache-test") is None
