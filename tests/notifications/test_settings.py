"""The delivery settings keep their promises: at-least-once Celery, retries over two hours."""

from __future__ import annotations

import itertools

from django.conf import settings

from atm_support.celery import app as celery_app
from mail import conf
from mail.sending import is_temporary


def test_retries_back_off_exponentially_up_to_a_cap_over_at_least_two_hours():
    schedule = conf.retry_schedule()

    assert schedule[:3] == [60, 120, 240]
    assert max(schedule) == conf.value("NOTIFICATIONS_RETRY_MAX_DELAY") == 30 * 60
    assert all(later >= earlier for earlier, later in itertools.pairwise(schedule))
    assert sum(schedule) >= 2 * 60 * 60
    assert sum(schedule) <= 3 * 60 * 60
    assert conf.jittered(100) <= 110


def test_redis_does_not_redeliver_before_the_longest_countdown():
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["visibility_timeout"] > 2 * conf.value("NOTIFICATIONS_RETRY_MAX_DELAY")
    # Connecting to a broker that is away is bounded: a web request does not hang on it.
    assert options["socket_connect_timeout"] <= 3
    assert options["socket_timeout"] <= 10


def registered_tasks() -> dict[str, object]:
    """The tasks a worker registers: autodiscovery imports every app's tasks module at start
    (run alone, this file would otherwise see only those some other test imported)."""
    celery_app.loader.import_default_modules()
    return dict(celery_app.tasks)


def test_every_beat_entry_names_a_registered_task():
    tasks = registered_tasks()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in tasks, name


def test_celery_is_configured_for_at_least_once_json_tasks():
    conf_ = celery_app.conf
    assert conf_.task_serializer == "json"
    assert conf_.accept_content == ["json"]
    assert conf_.task_acks_late is True
    assert conf_.task_reject_on_worker_lost is True
    assert conf_.worker_prefetch_multiplier == 1
    assert 0 < conf_.task_soft_time_limit < conf_.task_time_limit
    task = registered_tasks()["notifications.tasks.send_notification"]
    assert task.acks_late
    assert task.reject_on_worker_lost


def test_beat_runs_the_sweeper_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["mail-sweep-outboxes"]
    assert entry["task"] in registered_tasks()
    assert entry["schedule"] == 60


def test_smtp_failures_are_told_apart():
    import smtplib

    assert is_temporary(ConnectionRefusedError())
    assert is_temporary(TimeoutError())
    assert is_temporary(smtplib.SMTPServerDisconnected("gone"))
    assert is_temporary(smtplib.SMTPDataError(451, b"later"))
    assert not is_temporary(smtplib.SMTPDataError(554, b"spam"))
    assert not is_temporary(smtplib.SMTPSenderRefused(553, b"no", "a@b.c"))
    assert not is_temporary(smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"unknown")}))
    assert is_temporary(smtplib.SMTPRecipientsRefused({"a@b.c": (452, b"full")}))
    # The server refusing us altogether is the operator's to fix: retried meanwhile.
    assert is_temporary(smtplib.SMTPAuthenticationError(535, b"bad credentials"))
    assert not is_temporary(ValueError("Invalid address"))
