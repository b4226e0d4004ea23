"""Tunables of the outboxes' delivery, with their production defaults.

They apply to every outbox (the ticket notifications and the allowance mails alike); their names
say NOTIFICATIONS_ because the notifications were the first. Each can be overridden by a Django
setting of the same name (the tests shrink the delays so that an SMTP outage and its retries
take seconds, not hours).
"""

from __future__ import annotations

import random

from django.conf import settings

DEFAULTS: dict[str, float] = {
    # Backoff after the n-th temporary failure: min(BASE * 2**(n-1), MAX_DELAY) seconds, so with
    # the defaults 1, 2, 4, 8, 16, then 30 minutes: the 10 attempts span 2 h 31 min before the
    # row is marked FAILED (tests/notifications/test_settings.py checks it stays over two hours).
    "NOTIFICATIONS_RETRY_BASE": 60,
    "NOTIFICATIONS_RETRY_MAX_DELAY": 30 * 60,
    "NOTIFICATIONS_MAX_ATTEMPTS": 10,
    # A QUEUED row whose message should have run this long ago is re-enqueued by the sweeper.
    "NOTIFICATIONS_SWEEP_AFTER": 10 * 60,
    # Rows re-enqueued per sweep, so that a long outage is drained in bounded steps.
    "NOTIFICATIONS_SWEEP_BATCH": 1000,
    # A worker keeps its SMTP connection between mails, but not longer than this idle time
    # (servers drop idle clients after a while; reopening is cheaper than a failed send).
    "NOTIFICATIONS_SMTP_IDLE": 30,
}


def value(name: str) -> float:
    return float(getattr(settings, name, DEFAULTS[name]))


def retry_delay(failures: int) -> float:
    """Seconds to wait after the `failures`-th temporary failure (without jitter)."""
    base = value("NOTIFICATIONS_RETRY_BASE")
    exponent = min(max(failures - 1, 0), 30)  # 2**30 is beyond any sensible cap already
    return float(min(base * 2**exponent, value("NOTIFICATIONS_RETRY_MAX_DELAY")))


def retry_schedule() -> list[float]:
    """Every wait between the attempts of one outbox row, before it is given up."""
    return [retry_delay(n) for n in range(1, int(value("NOTIFICATIONS_MAX_ATTEMPTS")))]


def jittered(delay: float) -> float:
    """Up to 10 % more, so that the rows of one outage do not all retry at the same instant."""
    return delay * (1 + random.random() / 10)
