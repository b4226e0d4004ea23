"""The health endpoint /sante/ (health/): real PostgreSQL, Redis and Celery worker.

An uptime monitor reads it without an account: HTTP 200 while nothing fails, 503 otherwise, each
check with its status (ok / warning / fail), and nothing a stranger should learn (no organisation,
e-mail address, count per client, host name or version).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from allowances.models import AllowanceMail, Kind, LedgerEntry, MailKind
from allowances.periods import PARIS, current_period, previous_period
from atm_support.celery import app as celery_app
from health import checks
from health.models import Heartbeat
from health.tasks import heartbeat
from notifications.models import Event, Notification, Reason
from notifications.models import Kind as EventKind
from notifications.outbox import muted
from tests.factories import ClientFactory, make_ticket
from tests.notifications.conftest import (
    Broker,
    Worker,
    broker_url,
    point_celery_at,
    wait_until,
    worker_environment,
)

URL = "/sante/"
# How long a request may take before the test calls it hung: far above the endpoint's own
# timeouts (about 1 s per check), far below what an unbounded Redis client waits (forever).
HANG_GUARD = 30


def get(client: Client, method: str = "get") -> tuple[int, dict[str, Any], Any]:
    response = getattr(client, method)(URL)
    body = json.loads(response.content) if response.content else {}
    return response.status_code, body, response


def get_or_hang(client: Client) -> tuple[int, dict[str, Any], Any]:
    """GET in a thread: a hung endpoint fails the test instead of blocking the suite."""
    outcome: list[tuple[int, dict[str, Any], Any]] = []
    thread = threading.Thread(target=lambda: outcome.append(get(client)), daemon=True)
    thread.start()
    thread.join(HANG_GUARD)
    assert outcome, f"/sante/ did not answer within {HANG_GUARD} s"
    return outcome[0]


def beat(age: timedelta) -> None:
    Heartbeat.objects.update_or_create(
        name=Heartbeat.WORKER, defaults={"beat_at": timezone.now() - age}
    )


@pytest.fixture(scope="module")
def real_worker(django_db_setup: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """`celery worker` with production settings, on a Redis database of its own (the broker of
    the notification tests: REDIS_URL's database minus one, or TEST_CELERY_BROKER_URL)."""
    broker = Broker(broker_url())
    broker.flush()
    previous = celery_app.conf.broker_url
    point_celery_at(broker.url)
    env = worker_environment(broker.url)
    worker = Worker(env, tmp_path_factory.mktemp("celery") / "worker.log", concurrency=1)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        point_celery_at(previous)
        broker.flush()


@pytest.fixture
def fresh_heartbeat() -> None:
    beat(timedelta(seconds=5))


@pytest.fixture
def tenants(
    organisation: Organisation, other_organisation: Organisation, client_user: User
) -> dict[str, Any]:
    """Two clients' data the endpoint must never show: names, addresses, a ticket."""
    other = ClientFactory(email="sophie@cabinet-durand.fr", organisation=other_organisation)
    with muted():
        ticket = make_ticket(reporter=client_user, summary="Facture 2026-117 bloquée")
    # Both organisations closed last month: the month end is up to date.
    for org in (organisation, other_organisation):
        LedgerEntry.objects.create(
            organisation=org, kind=Kind.CREDIT, period=current_period(), minutes=600
        )
    return {"ticket": ticket, "users": [client_user, other]}


def queue_notification(ticket: Any, recipient: User, age: timedelta) -> Notification:
    event = Event.objects.create(ticket=ticket, kind=EventKind.NOTE_ADDED)
    created = timezone.now() - age
    return Notification.objects.create(
        event=event,
        recipient=recipient,
        reason=Reason.REPORTER,
        created_at=created,
        due_at=created,
    )


def private_strings(tenants: dict[str, Any]) -> list[str]:
    users = tenants["users"]
    return [
        *(user.email for user in users),
        *(user.organisation.name for user in users),
        "boulangerie",
        "durand",
        tenants["ticket"].summary,
        settings.SITE_URL,
        "127.0.0.1",
        "redis://",
        "postgres",
    ]


# --- Everything up --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_all_ok_with_a_real_worker_heartbeat(
    client: Client, real_worker: Worker, tenants: dict[str, Any]
) -> None:
    heartbeat.delay()  # what beat sends every minute, run by the real worker
    wait_until(lambda: Heartbeat.objects.filter(name=Heartbeat.WORKER).exists(), what="a beat")

    status, body, response = get(client)

    assert status == 200, body
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "broker": "ok",
        "cache": "ok",
        "worker": "ok",
        "notifications": "ok",
        "allowance_mails": "ok",
        "month_end": "ok",
    }
    assert body["checks"]["database"]["duration_ms"] >= 0
    assert body["checks"]["worker"]["age_s"] >= 0
    assert body["checks"]["notifications"]["oldest_queued_age_s"] is None
    last_month = previous_period(current_period())
    assert body["checks"]["month_end"]["last_closed"] == f"{last_month:%Y-%m}"
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_head_answers_with_the_status_of_get(
    client: Client, fresh_heartbeat: None, tenants: dict[str, Any]
) -> None:
    response = client.head(URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    beat(timedelta(hours=1))
    assert client.head(URL).status_code == 503


@pytest.mark.django_db
def test_other_methods_are_refused(client: Client) -> None:
    assert client.post(URL).status_code == 405


@pytest.mark.django_db
def test_url_is_named(client: Client) -> None:
    assert reverse("health") == URL


# --- No account, nothing private --------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_access_shows_ages_but_nothing_private(
    client: Client, fresh_heartbeat: None, tenants: dict[str, Any]
) -> None:
    ticket, (paul, sophie) = tenants["ticket"], tenants["users"]
    queue_notification(ticket, paul, timedelta(minutes=20))
    AllowanceMail.objects.create(
        kind=MailKind.STATEMENT,
        organisation=sophie.organisation,
        recipient=sophie,
        period=previous_period(current_period()),
        balance=-120,
        created_at=timezone.now() - timedelta(minutes=30),
    )

    status, body, response = get(client)

    assert status == 200  # warnings only
    assert body["checks"]["notifications"]["status"] == "warning"
    assert body["checks"]["notifications"]["oldest_queued_age_s"] >= 20 * 60
    assert body["checks"]["allowance_mails"]["status"] == "warning"
    assert body["checks"]["allowance_mails"]["oldest_queued_age_s"] >= 30 * 60
    text = response.content.decode().lower()
    for secret in private_strings(tenants):
        assert secret.lower() not in text, secret
    # An age per outbox, no count, no list of rows.
    assert set(body["checks"]["notifications"]) == {"status", "oldest_queued_age_s", "detail"}
    assert "sessionid" not in response.cookies
    assert "csrftoken" not in response.cookies


@pytest.mark.django_db
def test_a_signed_in_client_gets_the_same_anonymous_answer(
    client: Client, fresh_heartbeat: None, tenants: dict[str, Any]
) -> None:
    anonymous = get(client)[1]
    client.force_login(tenants["users"][0])
    signed_in = get(client)[1]
    for body in (anonymous, signed_in):
        del body["checked_at"]
        for check in body["checks"].values():
            check.pop("duration_ms", None)
            check.pop("age_s", None)
            check.pop("last_heartbeat", None)
    assert signed_in == anonymous


# --- Redis down or hung: 503, quickly -------------------------------------------------------


@pytest.fixture
def broker_at() -> Iterator[Callable[[str], None]]:
    previous = celery_app.conf.broker_url

    def point(url: str) -> None:
        celery_app.conf.update(broker_url=url)

    yield point
    celery_app.conf.update(broker_url=previous)


def redis_cache(location: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "atm_support.cache.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "atm",
        }
    }


@pytest.mark.django_db(transaction=True)
def test_redis_refusing_connections_gives_503(
    client: Client,
    fresh_heartbeat: None,
    closed_port: int,
    broker_at: Callable[[str], None],
) -> None:
    broker_at(f"redis://127.0.0.1:{closed_port}/0")
    # Only around the request: the suite's own cache clearing needs the real Redis after it.
    with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{closed_port}/1")):
        status, body, response = get_or_hang(client)

    assert status == 503
    assert body["status"] == "fail"
    assert body["checks"]["broker"]["status"] == "fail"
    assert body["checks"]["cache"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"
    assert "no-store" in response["Cache-Control"]
    assert str(closed_port) not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_redis_that_never_answers_gives_503_within_the_timeouts(
    client: Client,
    fresh_heartbeat: None,
    silent_port: int,
    broker_at: Callable[[str], None],
) -> None:
    broker_at(f"redis://127.0.0.1:{silent_port}/0")
    # Only around the request: the suite's own cache clearing needs the real Redis after it.
    with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{silent_port}/1")):
        status, body, _ = get_or_hang(client)

    assert status == 503
    for name in ("broker", "cache"):
        assert body["checks"][name]["status"] == "fail"
        assert body["checks"][name]["detail"] == "pas de réponse dans le délai"
    assert body["checks"]["database"]["status"] == "ok"


# --- A table locked by a migration: that check fails, the endpoint answers ---------------------


@pytest.mark.django_db(transaction=True)
def test_a_locked_outbox_table_fails_its_check_without_hanging(
    client: Client, fresh_heartbeat: None
) -> None:
    db = connection.settings_dict
    locker = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"],
    )
    try:
        with locker.cursor() as cursor:  # what a migration rewriting the table holds
            cursor.execute("LOCK TABLE notifications_notification IN ACCESS EXCLUSIVE MODE")
        status, body, _ = get_or_hang(client)
    finally:
        locker.rollback()
        locker.close()

    assert status == 503
    assert body["checks"]["notifications"] == {
        "status": "fail",
        "oldest_queued_age_s": None,
        "detail": "pas de réponse dans le délai",
    }
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["allowance_mails"]["status"] == "ok"


# --- The worker's heartbeat -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("age", "check_status", "http_status"),
    [
        (timedelta(seconds=30), "ok", 200),
        (timedelta(minutes=5), "warning", 200),
        (timedelta(minutes=20), "fail", 503),
    ],
)
def test_heartbeat_age_decides_the_worker_status(
    client: Client, age: timedelta, check_status: str, http_status: int
) -> None:
    beat(age)
    status, body, _ = get(client)
    assert body["checks"]["worker"]["status"] == check_status
    assert body["checks"]["worker"]["age_s"] >= int(age.total_seconds())
    assert status == http_status


@pytest.mark.django_db
def test_no_heartbeat_ever_is_a_failure(client: Client) -> None:
    status, body, _ = get(client)
    assert status == 503
    assert body["checks"]["worker"] == {
        "status": "fail",
        "last_heartbeat": None,
        "age_s": None,
        "detail": "aucun battement reçu du worker",
    }


@pytest.mark.django_db
def test_heartbeat_task_records_the_time() -> None:
    heartbeat.apply()
    first = Heartbeat.objects.get(name=Heartbeat.WORKER).beat_at
    heartbeat.apply()
    assert Heartbeat.objects.get().beat_at >= first  # one row, moved forward


def test_beat_sends_the_heartbeat_every_minute_and_drops_stale_ones() -> None:
    entry: dict[str, Any] = settings.CELERY_BEAT_SCHEDULE["health-heartbeat"]
    celery_app.loader.import_default_modules()
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == 60
    # A message that waited longer than a beat (worker down) is useless: not run late in a row.
    assert 0 < entry["options"]["expires"] <= 60


# --- Mails waiting --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_mail_queued_for_two_hours_fails_by_its_age_only(
    client: Client, fresh_heartbeat: None, tenants: dict[str, Any]
) -> None:
    ticket, (paul, _sophie) = tenants["ticket"], tenants["users"]
    queue_notification(ticket, paul, timedelta(hours=2))
    queue_notification(ticket, tenants["users"][1], timedelta(minutes=1))
    sent = queue_notification(ticket, paul, timedelta(hours=5))
    Notification.objects.filter(pk=sent.pk).update(status="sent")  # only QUEUED rows count

    status, body, response = get(client)

    assert status == 503
    check = body["checks"]["notifications"]
    assert check["status"] == "fail"
    assert 2 * 3600 <= check["oldest_queued_age_s"] < 5 * 3600
    assert paul.email not in response.content.decode()


# --- The month end --------------------------------------------------------------------------


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def credit(organisation: Organisation, year: int, month: int) -> None:
    LedgerEntry.objects.create(
        organisation=organisation,
        kind=Kind.CREDIT,
        period=date(year, month, 1),
        minutes=600,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "status", "last_closed"),
    [
        # November closed (December credited): on time all through December.
        (paris(2026, 12, 1, 0, 30), "ok", "2026-11"),
        (paris(2026, 12, 31, 23, 59), "ok", "2026-11"),
        # 1 January, 00:05: the job runs; December is not closed yet, normal for a few hours.
        (paris(2027, 1, 1, 3, 0), "ok", "2026-11"),
        # Still not closed at noon on the 1st: someone must look.
        (paris(2027, 1, 1, 12, 0), "fail", "2026-11"),
    ],
)
def test_month_end_is_late_after_the_grace_hours(
    organisation: Organisation, now: datetime, status: str, last_closed: str
) -> None:
    credit(organisation, 2026, 11)
    credit(organisation, 2026, 12)
    result = checks.month_end(now=now)
    assert result.status == status
    assert result.fields["last_closed"] == last_closed


@pytest.mark.django_db
def test_month_end_reports_the_month_closed_for_every_organisation(
    organisation: Organisation, other_organisation: Organisation
) -> None:
    credit(organisation, 2026, 12)
    credit(other_organisation, 2026, 11)  # the month end failed for this one
    result = checks.month_end(now=paris(2026, 12, 15))
    assert result.status == "fail"
    assert result.fields == {"last_closed": "2026-10", "expected": "2026-11"}


@pytest.mark.django_db
def test_month_end_before_any_is_not_an_alarm(organisation: Organisation) -> None:
    result = checks.month_end(now=paris(2026, 12, 15))
    assert result.status == "ok"
    assert result.fields["last_closed"] is None


@pytest.mark.django_db
def test_month_end_three_months_late_gives_503(
    client: Client, fresh_heartbeat: None, organisation: Organisation
) -> None:
    stale = previous_period(previous_period(current_period()))
    credit(organisation, stale.year, stale.month)
    status, body, _ = get(client)
    assert status == 503
    assert body["checks"]["month_end"]["status"] == "fail"
    assert body["checks"]["month_end"]["last_closed"] == f"{previous_period(stale):%Y-%m}"


# --- make run: no broker, no Redis ----------------------------------------------------------


@pytest.fixture
def without_broker(settings: Any) -> Iterator[None]:
    """What `make run` has without REDIS_URL (atm_support/settings.py)."""
    conf = celery_app.conf
    previous = {"task_always_eager": conf.task_always_eager, "broker_url": conf.broker_url}
    conf.update(task_always_eager=True, broker_url="memory://localhost/")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    yield
    conf.update(previous)


@pytest.mark.django_db
def test_without_a_broker_it_says_so_and_stays_up(client: Client, without_broker: None) -> None:
    status, body, _ = get(client)
    assert status == 200, body
    assert body["checks"]["broker"] == {
        "status": "ok",
        "detail": "sans broker : les tâches s'exécutent dans le processus web",
    }
    assert body["checks"]["cache"] == {"status": "ok", "detail": "cache en mémoire locale"}
    assert body["checks"]["worker"] == {
        "status": "ok",
        "detail": "sans worker : les tâches s'exécutent dans le processus web",
    }


@pytest.mark.django_db
def test_plain_http_probe_is_not_redirected_to_https(settings: Any, fresh_heartbeat: None) -> None:
    """A healthcheck inside the container speaks HTTP to gunicorn, behind SECURE_HTTPS=1 too."""
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # its middleware is built at the first request, with these settings
    assert client.get("/connexion/").status_code == 301  # every other page goes to HTTPS
    assert client.get(URL).status_code == 200
