"""Login throttling, counted in the cache (Redis in production).

Failures are counted in a fixed window for three keys: (account, IP), account and IP. The
(account, IP) limit is low, so guessing from one place is slow; the account limit is higher, so a
stranger elsewhere can hold a client for at most one window; the IP limit stops a spray of
accounts from one address. A successful login clears the account's counters.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from .models import normalize_email


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting X-Forwarded-For only for TRUSTED_PROXY_COUNT proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", "unknown"))


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int


def _counters(email: str, ip: str) -> list[_Counter]:
    account = hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]
    return [
        _Counter(
            f"login-throttle:acct-ip:{account}:{ip}", settings.LOGIN_THROTTLE_ACCOUNT_IP_LIMIT
        ),
        _Counter(f"login-throttle:acct:{account}", settings.LOGIN_THROTTLE_ACCOUNT_LIMIT),
        _Counter(f"login-throttle:ip:{ip}", settings.LOGIN_THROTTLE_IP_LIMIT),
    ]


def retry_after(email: str, ip: str) -> int:
    """Seconds until a login for `email` from `ip` is allowed again; 0 when it is allowed now."""
    now = time.time()
    wait = 0
    for counter in _counters(email, ip):
        values = cache.get_many([counter.key, counter.key + ":start"])
        if int(values.get(counter.key, 0)) >= counter.limit:
            started = float(values.get(counter.key + ":start", now))
            wait = max(wait, int(started + settings.LOGIN_THROTTLE_WINDOW - now) + 1)
    return wait


def record_failure(email: str, ip: str) -> None:
    window = settings.LOGIN_THROTTLE_WINDOW
    for counter in _counters(email, ip):
        # add() only sets the key when absent: the window starts at the first failure.
        if cache.add(counter.key + ":start", time.time(), window):
            cache.set(counter.key, 0, window)
        try:
            cache.incr(counter.key)
        except ValueError:  # expired between add() and incr()
            cache.set(counter.key, 1, window)


def record_success(email: str, ip: str) -> None:
    account_counters = _counters(email, ip)[:2]  # not the IP's: others may be guessing from it
    cache.delete_many([k for c in account_counters for k in (c.key, c.key + ":start")])
