"""Without a broker (REDIS_URL unset: `make run`), tasks run in-process after commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command

from atm_support.celery import app as celery_app
from mail.models import Status
from notifications.models import Notification
from tests.conftest import _free_port
from tickets.models import State
from tickets.workflow import ticket_change_state

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def test_eager_mode_sends_after_commit_in_process(eager, smtp, cast):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)

    # Already there when the change returns: nothing waits for a worker.
    assert len(smtp.messages) == 5
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    [mail] = smtp.to(cast.reporter.email)
    assert mail.subject.endswith("— Commentaire")


def test_eager_mode_keeps_what_smtp_refused_for_the_sweep_command(eager, smtp, settings, cast):
    working = settings.MAILERS
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _free_port(), "timeout": 1},
        }
    }

    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)  # does not raise

    rows = Notification.objects.all()
    assert {(n.status, n.attempts) for n in rows} == {(Status.QUEUED, 1)}
    settings.MAILERS = working
    Notification.objects.update(due_at=rows[0].created_at)  # due now, not after the backoff
    call_command("notifications_sweep")
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    assert len(smtp.messages) == 5
