"""The project's Redis cache backend (atm_support/cache.py): Django's, one client per pool; and
CACHE_URL, which gives it a Redis of its own, apart from Celery's broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCacheClient

from atm_support.cache import RedisCache

ROOT = Path(__file__).resolve().parent.parent


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


REDIS_A = "redis://broker.example:6379/0"
REDIS_B = "redis://cache.example:6379/0"


def settings_with(**variables: str) -> dict[str, object]:
    """What settings.py makes of these variables (REDIS_URL, CACHE_URL…), in a fresh process."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL", "PAGE_CACHE"}
    }
    env.update(variables, DJANGO_SETTINGS_MODULE="atm_support.settings")
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'backend': s.CACHES['default']['BACKEND'],"
        "'location': s.CACHES['default'].get('LOCATION', ''),"
        "'counters': s.CACHES['counters'].get('LOCATION', ''),"
        "'broker': s.CELERY_BROKER_URL, 'page_cache': s.PAGE_CACHE}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    values: dict[str, object] = json.loads(result.stdout)
    return values


@pytest.mark.parametrize(
    ("variables", "location", "broker", "page_cache", "counters"),
    [
        pytest.param({"REDIS_URL": REDIS_A}, REDIS_A, REDIS_A, True, REDIS_A, id="one-redis"),
        pytest.param(
            {"REDIS_URL": REDIS_A, "CACHE_URL": REDIS_B},
            REDIS_B,
            REDIS_A,
            True,
            REDIS_A,
            id="two-redis",
        ),
        pytest.param(
            {"CACHE_URL": REDIS_B}, REDIS_B, "memory://localhost/", True, REDIS_B, id="cache-only"
        ),
        pytest.param({}, "", "memory://localhost/", False, "", id="none"),
    ],
)
def test_cache_url_gives_the_cache_its_own_redis(
    variables, location, broker, page_cache, counters
) -> None:
    """CACHE_URL moves Django's cache (and so the page cache) without moving Celery's broker;
    the attempt counters stay with the broker, in the Redis that never evicts."""
    found = settings_with(**variables)
    assert found["location"] == location
    assert found["counters"] == counters
    assert found["backend"] == (
        "atm_support.cache.RedisCache"
        if location
        else "django.core.cache.backends.locmem.LocMemCache"
    )
    assert found["broker"] == broker
    assert found["page_cache"] is page_cache
