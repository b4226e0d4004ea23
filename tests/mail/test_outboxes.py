"""One mail pipeline (mail/): every outbox, the ticket notifications and the allowance mails,
shares the worker process's SMTP session, the sweeper and « Renvoyer »."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from allowances.models import AllowanceMail, MailKind
from allowances.periods import current_period
from allowances.tasks import send_allowance_mails
from mail import smtp as mail_smtp
from mail.models import Status
from mail.outbox import outboxes, requeue
from mail.tasks import sweep_outboxes
from notifications.models import Notification
from notifications.tasks import send_notification
from tests.conftest import SMTPSink
from tests.factories import ClientFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(client_user: Any) -> Any:
    return ClientFactory(organisation=client_user.organisation, follow_all_tickets=True)


@pytest.fixture
def rows(client_user: Any, colleague: Any) -> tuple[Notification, AllowanceMail]:
    """One queued row in each outbox: a new ticket's mail to a colleague who follows all the
    organisation's tickets, a client's statement."""
    make_ticket(reporter=client_user)
    notification = Notification.objects.get(recipient=colleague)
    allowance = AllowanceMail.objects.create(
        kind=MailKind.STATEMENT,
        organisation=client_user.organisation,
        recipient=client_user,
        period=current_period(),
        balance=0,
    )
    return notification, allowance


def test_both_outboxes_send_through_the_worker_process_one_smtp_session(
    rows: tuple[Notification, AllowanceMail], smtp: SMTPSink
) -> None:
    notification, allowance = rows
    session = mail_smtp.session
    session.close()
    opened, sent = session.opened, session.sent
    try:
        # As a worker runs them (not in-process): each task takes the process's session.
        assert send_notification.run(notification.pk) == "sent"
        assert send_allowance_mails.run([allowance.pk]) == 1
        assert (session.opened, session.sent) == (opened + 1, sent + 2)
    finally:
        session.close()
    assert len(smtp.to(notification.recipient.email)) == 1
    assert len(smtp.to(allowance.recipient.email)) == 1
    statuses = {
        Notification.objects.get(pk=notification.pk).status,
        AllowanceMail.objects.get(pk=allowance.pk).status,
    }
    assert statuses == {Status.SENT}


def test_one_sweeper_takes_the_overdue_rows_of_every_outbox(
    rows: tuple[Notification, AllowanceMail],
) -> None:
    assert set(outboxes()) == {Notification, AllowanceMail}
    long_ago = timezone.now() - timedelta(hours=1)
    for row in rows:
        type(row).objects.filter(pk=row.pk).update(due_at=long_ago)
    assert sweep_outboxes(older_than=60) == 2
    for row in rows:
        row.refresh_from_db()
        assert row.status == Status.QUEUED
        assert row.due_at > long_ago  # not taken again before another delay
    assert sweep_outboxes(older_than=60) == 0
    tasks = [str(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert [task for task in tasks if "sweep" in task] == ["mail.tasks.sweep_outboxes"]


@pytest.mark.parametrize("model", [Notification, AllowanceMail])
def test_renvoyer_requeues_failed_and_cancelled_rows_after_commit_and_nothing_else(
    rows: tuple[Notification, AllowanceMail],
    model: type[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    row = next(row for row in rows if isinstance(row, model))
    long_ago = timezone.now() - timedelta(hours=1)
    model.objects.filter(pk=row.pk).update(status=Status.FAILED, attempts=10, due_at=long_ago)
    for status in (Status.SENT, Status.NO_ACCESS, Status.QUEUED):
        model.objects.filter(pk=row.pk).update(status=status)
        with django_capture_on_commit_callbacks() as callbacks:
            assert requeue(model.objects.all()) == 0
        assert callbacks == []
        assert model.objects.get(pk=row.pk).status == status
    for status in (Status.FAILED, Status.CANCELLED):
        model.objects.filter(pk=row.pk).update(status=status, attempts=10, due_at=long_ago)
        with django_capture_on_commit_callbacks() as callbacks:
            assert requeue(model.objects.all()) == 1
        assert len(callbacks) == 1  # published once the transaction commits, not before
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.QUEUED, 0)
        assert row.due_at > long_ago  # due now: the sweeper's clock starts again
