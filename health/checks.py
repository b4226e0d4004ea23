"""The checks behind /sante/: each says ok, warning or fail, with a few numbers and no secret.

What a check may show is limited to what an anonymous visitor may learn: statuses, durations,
ages, a month. Never an organisation, an address, a count per client, a host name, a URL or a
library version; an error is described by its kind, not by its message (a Redis or PostgreSQL
error message names the host and the port).

Every check is bounded in time, so that a hung service makes the endpoint answer « fail » rather
than hang with it: Redis is asked with its own client (short socket timeouts, no retry), and the
SQL runs under `statement_timeout` and `lock_timeout` (a migration holding a lock on an outbox
table, for instance). The connection to PostgreSQL itself is the web request's, as for any page.

The thresholds below are the defaults; a Django setting of the same name overrides each.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.retry import Retry

from accounts.models import Organisation
from allowances.models import AllowanceMail, Kind, LedgerEntry
from allowances.periods import current_period, period_start, previous_period
from atm_support.celery import app as celery_app
from mail.models import Status
from notifications.models import Notification

from .models import Heartbeat

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, float] = {
    # Seconds a Redis PING may take to connect, then to answer (each); no retry.
    "HEALTH_REDIS_TIMEOUT": 1.0,
    # Milliseconds any SQL statement of the checks may take, lock waits included.
    "HEALTH_SQL_TIMEOUT_MS": 1000,
    # The heartbeat is sent every minute: late after 3 missed beats, dead after 10 minutes.
    "HEALTH_HEARTBEAT_WARNING": 3 * 60,
    "HEALTH_HEARTBEAT_FAIL": 10 * 60,
    # A mail still QUEUED after 10 minutes has failed at least once (the sweepers' delay); after
    # an hour, the SMTP server or the worker has been away for too long.
    "HEALTH_MAIL_WARNING": 10 * 60,
    "HEALTH_MAIL_FAIL": 60 * 60,
    # The month end runs on the 1st at 00:05 (Paris) for up to an hour, with retries: hours
    # after the month began before its predecessor not being closed is a failure.
    "HEALTH_MONTH_END_GRACE": 6 * 60 * 60,
}

# The details are in French, whatever the visitor's language: they are read by the operators and
# matched by monitors, and must not change with a cookie.
TIMED_OUT = "pas de réponse dans le délai"
UNREACHABLE = "injoignable"
DATABASE_DOWN = "base de données indisponible"
EAGER = "sans worker : les tâches s'exécutent dans le processus web"


def value(name: str) -> float:
    return float(getattr(settings, name, DEFAULTS[name]))


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAIL = "fail"


SEVERITY = {Level.OK: 0, Level.WARNING: 1, Level.FAIL: 2}


@dataclass(frozen=True)
class Check:
    status: Level
    fields: dict[str, Any] = field(default_factory=dict)
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        detail = {"detail": self.detail} if self.detail else {}
        return {"status": self.status.value, **self.fields, **detail}


def _described(error: BaseException) -> str:
    """What kind of failure, in words that name no host, port or user."""
    cause = error.__cause__ or error
    if isinstance(error, redis.TimeoutError | TimeoutError) or getattr(cause, "pgcode", None) in {
        "57014",  # query_canceled: statement_timeout
        "55P03",  # lock_not_available: lock_timeout
    }:
        return TIMED_OUT
    if isinstance(error, redis.ConnectionError | ConnectionError):
        return UNREACHABLE
    return f"erreur ({type(error).__name__})"


def _milliseconds(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


# --- Redis ----------------------------------------------------------------------------------


def _ping(url: str) -> Check:
    timeout = value("HEALTH_REDIS_TIMEOUT")
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        # One try: a redis.Redis(host=...) built without `retry` retries a timeout up to ten
        # times with backoff (14 s for a 1 s timeout, measured); from_url does not, today.
        retry=Retry(NoBackoff(), 0),
    )
    start = time.perf_counter()
    try:
        client.ping()
    except Exception as error:
        logger.warning("Health: PING failed (%s)", type(error).__name__)
        return Check(Level.FAIL, detail=_described(error))
    finally:
        client.close()
    return Check(Level.OK, {"duration_ms": _milliseconds(start)})


def broker() -> Check:
    if celery_app.conf.task_always_eager:
        return Check(Level.OK, detail="sans broker : les tâches s'exécutent dans le processus web")
    url = str(celery_app.conf.broker_url).split(";")[0]
    if not url.startswith(("redis://", "rediss://")):
        return Check(Level.WARNING, detail="broker autre que Redis : non vérifié")
    return _ping(url)


def cache() -> Check:
    if not isinstance(caches["default"], RedisCache):
        return Check(Level.OK, detail="cache en mémoire locale")
    location = settings.CACHES["default"]["LOCATION"]
    # Django's own reading of LOCATION: the first server is the one written to.
    servers = re.split("[;,]", location) if isinstance(location, str) else list(location)
    return _ping(servers[0])


# --- PostgreSQL -----------------------------------------------------------------------------


@contextmanager
def _bounded_transaction() -> Iterator[None]:
    """One transaction for the SQL checks, each statement under the timeouts (SET LOCAL)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            limit = f"{int(value('HEALTH_SQL_TIMEOUT_MS'))}ms"
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true),"
                    " set_config('lock_timeout', %s, true)",
                    [limit, limit],
                )
        yield


def _age(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, int((now - moment).total_seconds()))


def worker(*, now: datetime) -> Check:
    if celery_app.conf.task_always_eager:
        return Check(Level.OK, detail=EAGER)
    beat_at = (
        Heartbeat.objects.filter(name=Heartbeat.WORKER).values_list("beat_at", flat=True).first()
    )
    if beat_at is None:
        return Check(
            Level.FAIL,
            {"last_heartbeat": None, "age_s": None},
            "aucun battement reçu du worker",
        )
    age = _age(beat_at, now) or 0
    fields = {"last_heartbeat": beat_at.isoformat(timespec="seconds"), "age_s": age}
    if age > value("HEALTH_HEARTBEAT_FAIL"):
        return Check(Level.FAIL, fields, "worker ou beat arrêté")
    if age > value("HEALTH_HEARTBEAT_WARNING"):
        return Check(Level.WARNING, fields, "battement en retard")
    return Check(Level.OK, fields)


def _outbox(model: type[Notification] | type[AllowanceMail], now: datetime) -> Check:
    # Served by the partial index on QUEUED rows: the few waiting, whatever the table's size.
    oldest = model.objects.filter(status=Status.QUEUED).aggregate(oldest=Min("created_at"))
    age = _age(oldest["oldest"], now)
    fields = {"oldest_queued_age_s": age}
    if age is not None and age > value("HEALTH_MAIL_FAIL"):
        return Check(Level.FAIL, fields, "e-mail en attente depuis plus d'une heure")
    if age is not None and age > value("HEALTH_MAIL_WARNING"):
        return Check(Level.WARNING, fields, "e-mail en attente depuis plus de 10 minutes")
    return Check(Level.OK, fields)


def notifications(*, now: datetime) -> Check:
    return _outbox(Notification, now)


def allowance_mails(*, now: datetime) -> Check:
    return _outbox(AllowanceMail, now)


def month_end(*, now: datetime | None = None) -> Check:
    """The month closed for every organisation, against the month that should be.

    A month is closed for an organisation exactly when the next month's credit exists
    (allowances.month_end); organisations never credited (a new contract) do not count.
    """
    now = now or timezone.now()
    current = current_period(now)
    expected = previous_period(current)
    latest_credit = (
        LedgerEntry.objects.filter(organisation=OuterRef("pk"), kind=Kind.CREDIT)
        .order_by("-period")
        .values("period")[:1]
    )
    # One index probe per organisation (ledger_org_period), not a scan of the ledger.
    opened: date | None = (
        Organisation.objects.annotate(last=Subquery(latest_credit))
        .filter(last__isnull=False)
        .aggregate(first=Min("last"))["first"]
    )
    fields: dict[str, Any] = {"last_closed": None, "expected": f"{expected:%Y-%m}"}
    if opened is None:
        return Check(Level.OK, fields, "aucune fin de mois encore")
    closed = previous_period(opened)
    fields["last_closed"] = f"{closed:%Y-%m}"
    if closed >= expected:
        return Check(Level.OK, fields)
    grace = timedelta(seconds=value("HEALTH_MONTH_END_GRACE"))
    if closed == previous_period(expected) and now < period_start(current) + grace:
        return Check(Level.OK, fields, "fin de mois en cours")
    return Check(Level.FAIL, fields, "fin de mois en retard : lancer manage.py close_month")


# --- All of them ----------------------------------------------------------------------------

# The checks that need the database, and what each shows when it cannot be asked.
SQL_CHECKS: dict[str, tuple[Callable[..., Check], dict[str, Any]]] = {
    "worker": (worker, {"last_heartbeat": None, "age_s": None}),
    "notifications": (notifications, {"oldest_queued_age_s": None}),
    "allowance_mails": (allowance_mails, {"oldest_queued_age_s": None}),
    "month_end": (month_end, {"last_closed": None, "expected": None}),
}


def _guarded(run: Callable[[], Check], failed: dict[str, Any]) -> Check:
    """A check never raises: its failure is its result."""
    try:
        return run()
    except Exception as error:
        logger.warning("Health check failed (%s)", type(error).__name__)
        return Check(Level.FAIL, failed, _described(error))


def run_all() -> dict[str, Any]:
    now = timezone.now()
    results: dict[str, Check] = {}
    try:
        with _bounded_transaction():
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            results["database"] = Check(Level.OK, {"duration_ms": _milliseconds(start)})
            for name, (check, failed) in SQL_CHECKS.items():
                results[name] = _guarded(_in_savepoint(check, now), failed)
    except Exception as error:  # connection refused, server gone: never a 500
        logger.warning("Health: database check failed (%s)", type(error).__name__)
        results["database"] = Check(Level.FAIL, detail=_described(error))
        for name, (_check, failed) in SQL_CHECKS.items():
            results.setdefault(name, Check(Level.FAIL, failed, DATABASE_DOWN))
    results["broker"] = _guarded(broker, {})
    results["cache"] = _guarded(cache, {})
    order = ["database", "broker", "cache", *SQL_CHECKS]
    overall = max((check.status for check in results.values()), key=SEVERITY.__getitem__)
    return {
        "status": overall.value,
        "checked_at": now.isoformat(timespec="seconds"),
        "checks": {name: results[name].as_dict() for name in order},
    }


def _in_savepoint(check: Callable[..., Check], now: datetime) -> Callable[[], Check]:
    """A timed-out statement aborts its savepoint only: the next check still runs."""

    def run() -> Check:
        with transaction.atomic():
            return check(now=now)

    return run
