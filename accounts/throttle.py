"""Attempt limits counted in the `counters` cache (the broker's Redis, which never evicts, in
production; settings.CACHES says why): password checks and reset mails.

Every password check (portal login, admin login, « Mon compte ») goes through
`accounts.backends.ThrottledEmailBackend`, which counts the attempt here BEFORE the password is
hashed, and refuses without checking it once a counter is at its limit. Counting first, in one
atomic step, is what makes the limit hold under parallel requests: checking a counter, hashing
for half a second, then counting the failure let every request that arrived meanwhile through.

Password attempts are counted in a fixed window for three keys: (account, IP), account and IP.
The (account, IP) limit is low, so guessing from one place is slow; the account limit is higher,
so a stranger elsewhere can hold a client for at most one window; the IP limit stops a spray of
accounts from one address. A right password clears the account's counters and takes its own
attempt back from the IP's (successes from a shared office address do not add up).

Reset mails (« Mot de passe oublié ») are counted the same way, per address and per IP.

django-ratelimit and django-axes were considered: the first counts every call and cannot take a
success back, the second checks its lock before the password and counts after, which is the race
this module exists to close.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.http import HttpRequest

from .models import normalize_email

# Refuse (count nothing) if any counter is at its limit; otherwise count one on each. One script,
# so no other request can slip between the check and the count. KEYS: the counters;
# ARGV[1]: the window in milliseconds; ARGV[1 + i]: the limit of KEYS[i]. Returns the
# milliseconds until the fullest blocking counter resets, 0 when the attempt was counted.
_TAKE = """
local wait = 0
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or 0) >= tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, ARGV[1])
      ttl = tonumber(ARGV[1])
    end
    wait = math.max(wait, ttl)
  end
end
if wait > 0 then
  return wait
end
for _, key in ipairs(KEYS) do
  -- The window starts at the first attempt; a key without expiry never lingers.
  if redis.call('INCR', key) == 1 or redis.call('PTTL', key) < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
  end
end
return 0
"""
# Give one attempt back, never below zero and never creating a key.
_GIVE_BACK = """
local n = tonumber(redis.call('GET', KEYS[1]) or 0)
if n > 0 then
  redis.call('DECR', KEYS[1])
end
return n
"""

# Without Redis the cache is this process's memory (LocMemCache): a lock makes check-and-count
# atomic among its threads, and there is no other process sharing the counters.
_local_lock = threading.Lock()
_scripts: dict[str, Any] = {}

# Where the backend leaves, on the request, how long a refused check must wait.
_REFUSED_ATTR = "_password_check_refused_for"


@dataclass(frozen=True)
class Counter:
    key: str
    limit: int


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting X-Forwarded-For only for TRUSTED_PROXY_COUNT proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def _account(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]


def login_counters(email: str, ip: str) -> list[Counter]:
    """The password-check counters: (account, IP), account, IP, in that order."""
    account = _account(email)
    return [
        Counter(f"login-throttle:acct-ip:{account}:{ip}", settings.LOGIN_THROTTLE_ACCOUNT_IP_LIMIT),
        Counter(f"login-throttle:acct:{account}", settings.LOGIN_THROTTLE_ACCOUNT_LIMIT),
        Counter(f"login-throttle:ip:{ip}", settings.LOGIN_THROTTLE_IP_LIMIT),
    ]


def reset_counters(email: str, ip: str) -> list[Counter]:
    """The reset-mail counters: address, IP."""
    return [
        Counter(
            f"reset-throttle:email:{_account(email)}", settings.PASSWORD_RESET_THROTTLE_EMAIL_LIMIT
        ),
        Counter(f"reset-throttle:ip:{ip}", settings.PASSWORD_RESET_THROTTLE_IP_LIMIT),
    ]


def _cache() -> Any:
    return caches["counters"]


def _redis() -> Any | None:
    """The redis-py client behind the counters' cache, or None when it is not Redis."""
    backend = _cache()
    if not isinstance(backend, DjangoRedisCache):
        return None
    # atm_support.cache keeps one client per pool, so this is cheap.
    return backend._cache.get_client(write=True)


def _run(source: str, client: Any, keys: list[str], args: list[int]) -> int:
    # A Script runs EVALSHA and loads the script again if Redis forgot it (restart, flush).
    script = _scripts.get(source)
    if script is None:
        script = _scripts[source] = client.register_script(source)
    return int(script(keys=keys, args=args, client=client))


def take(counters: list[Counter], window: int) -> int:
    """Count one attempt on every counter, unless one is at its limit: then count nothing.

    Returns 0 when the attempt was counted, else the seconds until the blocking counters reset.
    """
    client = _redis()
    if client is not None:
        keys = [_cache().make_and_validate_key(c.key) for c in counters]
        limits = [c.limit for c in counters]
        wait_ms = _run(_TAKE, client, keys, [window * 1000, *limits])
        return math.ceil(wait_ms / 1000) if wait_ms > 0 else 0
    with _local_lock:
        now = time.monotonic()
        values = _cache().get_many([c.key for c in counters])
        current = {
            c.key: values[c.key] if values.get(c.key, (0, 0))[1] > now else (0, now + window)
            for c in counters
        }
        blocked = [current[c.key][1] - now for c in counters if current[c.key][0] >= c.limit]
        if blocked:
            return max(1, math.ceil(max(blocked)))
        for key, (count, ends) in current.items():
            _cache().set(key, (count + 1, ends), timeout=max(1, math.ceil(ends - now)))
    return 0


def counted(counter: Counter) -> int:
    """How many attempts `counter` holds now."""
    value = _cache().get(counter.key, 0)
    return int(value[0] if isinstance(value, tuple) else value)


def _give_back(counter: Counter) -> None:
    client = _redis()
    if client is not None:
        _run(_GIVE_BACK, client, [_cache().make_and_validate_key(counter.key)], [])
        return
    with _local_lock:
        value = _cache().get(counter.key)
        now = time.monotonic()
        if value and value[0] > 0 and value[1] > now:
            _cache().set(
                counter.key, (value[0] - 1, value[1]), timeout=max(1, math.ceil(value[1] - now))
            )


def login_attempt(email: str, ip: str) -> int:
    """Count a password check for `email` from `ip` before it is made: 0 when it may be made,
    else the seconds to wait (the password must then not be checked)."""
    return take(login_counters(email, ip), settings.LOGIN_THROTTLE_WINDOW)


def login_succeeded(email: str, ip: str) -> None:
    """The password was right: clear the account's counters, take the attempt back from the
    IP's (not clear it: others may be guessing from there)."""
    account_ip, account, ip_counter = login_counters(email, ip)
    _cache().delete_many([account_ip.key, account.key])
    _give_back(ip_counter)


def password_check_allowed(request: HttpRequest, email: str) -> bool:
    """Count a password check made for `request`; when refused, remember for how long, for the
    form that shows the message (refused_for)."""
    wait = login_attempt(email, client_ip(request))
    setattr(request, _REFUSED_ATTR, wait)
    return wait == 0


def refused_for(request: HttpRequest | None) -> int:
    """Seconds the last password check of `request` was refused for; 0 if it was not refused."""
    return int(getattr(request, _REFUSED_ATTR, 0) or 0)


def reset_mail_allowed(email: str, ip: str) -> bool:
    """Count a « Mot de passe oublié » request; False once the address or the IP has had its
    share of mails in the window (the caller then sends nothing, and says nothing)."""
    return take(reset_counters(email, ip), settings.PASSWORD_RESET_THROTTLE_WINDOW) == 0
