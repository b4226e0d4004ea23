"""Delivery under faults, with a real worker, Redis and SMTP server: SMTP down, SMTP refusing,
the broker unreachable at commit time, workers killed with SIGKILL.

The workers run tests/notifications/worker_settings.py: retries every 0.2 to 0.5 s, 8 attempts,
sweeper threshold 0.5 s. The sweeper is run here the way beat runs it (a published task).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time

import pytest
from django.test import Client

from mail.models import Status
from mail.outbox import PATIENT
from mail.tasks import sweep_outboxes
from notifications.models import Notification
from tests.factories import ClientFactory
from tests.notifications.conftest import notifications_muted, point_celery_at, wait_until
from tickets.models import State
from tickets.workflow import note_add, ticket_change_state

pytestmark = pytest.mark.django_db(transaction=True)


def statuses() -> dict[str, str]:
    return dict(Notification.objects.values_list("recipient__email", "status"))


def all_sent(count: int) -> bool:
    rows = statuses()
    return len(rows) == count and set(rows.values()) == {Status.SENT}


def beat() -> None:
    """What celery beat does every minute in production."""
    sweep_outboxes.apply_async(**PATIENT)


def expected_recipients(cast) -> list[str]:
    return [user.email for user in (*cast.clients, *cast.staff)]


def test_smtp_down_then_back_delivers_everything_once(worker, outbox_smtp, cast):
    outbox_smtp.down()

    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)

    # Every row has failed at least twice, and waits for its next try.
    wait_until(
        lambda: (
            Notification.objects.count() == 5
            and not Notification.objects.filter(attempts__lt=2).exists()
        ),
        what="two failed attempts per row",
    )
    assert set(statuses().values()) == {Status.QUEUED}
    assert "ConnectionRefusedError" in Notification.objects.first().last_error

    outbox_smtp.up()
    wait_until(lambda: all_sent(5), what="every row SENT")
    assert sorted(r for m in outbox_smtp.messages for r in m.rcpt_tos) == sorted(
        expected_recipients(cast)
    )


def test_temporary_refusal_is_retried_until_accepted(worker, outbox_smtp, cast):
    outbox_smtp.rcpt_reply = "451 4.3.0 Mailbox busy, try again later"

    note_add(ticket=cast.ticket, author=cast.actor, text="Correctif en test.")
    wait_until(
        lambda: Notification.objects.filter(attempts__gte=2).count() == 5,
        what="two refused attempts per row",
    )
    outbox_smtp.rcpt_reply = ""

    wait_until(lambda: all_sent(5), what="every row SENT")
    assert outbox_smtp.by_message_id().most_common(1)[0][1] == 1


def test_smtp_outage_longer_than_the_retries_marks_failed(worker, outbox_smtp, cast):
    outbox_smtp.down()

    note_add(ticket=cast.ticket, author=cast.actor, text="Personne ne lira ceci.")

    wait_until(lambda: set(statuses().values()) == {Status.FAILED}, timeout=20, what="rows FAILED")
    assert set(Notification.objects.values_list("attempts", flat=True)) == {8}


def test_permanent_refusal_fails_at_once_and_staff_resend_it(worker, outbox_smtp, cast, staff_user):
    outbox_smtp.refused = {cast.reporter.email}

    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)

    wait_until(
        lambda: sorted(statuses().values()) == [Status.FAILED] + [Status.SENT] * 4,
        what="one row FAILED, four SENT",
    )
    failed = Notification.objects.get(status=Status.FAILED)
    assert failed.recipient == cast.reporter
    assert failed.attempts == 1
    assert "550" in failed.last_error
    assert Notification.objects.filter(status=Status.SENT).count() == 4

    # Staff find it in the admin, and send it again once the mailbox is fixed.
    admin = Client()
    admin.force_login(staff_user)
    page = admin.get("/admin/notifications/notification/?status__exact=failed")
    assert page.status_code == 200
    assert cast.reporter.email in page.content.decode()
    assert cast.handler.email not in page.content.decode()
    outbox_smtp.refused = set()
    response = admin.post(
        "/admin/notifications/notification/",
        {"action": "resend", "_selected_action": [failed.pk]},
    )
    assert response.status_code == 302

    [mail] = outbox_smtp.wait_for(cast.reporter.email)
    wait_until(lambda: all_sent(5), what="every row SENT")
    assert mail.message["Message-ID"] == f"<notification-{failed.pk}@atm-consulting.fr>"


def test_broker_unreachable_at_commit_then_the_sweeper_delivers(
    worker, outbox_smtp, cast, broker, caplog
):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.handler)
    wait_until(lambda: all_sent(4), what="set-up mails")
    Notification.objects.all().delete()
    outbox_smtp.clear()
    browser = Client()
    browser.force_login(cast.reporter)
    broker.proxy.down()

    # The client answers from the portal while Redis cannot be reached.
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="notifications.outbox"):
        response = browser.post(f"/tickets/{cast.ticket.number}/", {"text": "Voici ma réponse."})
    elapsed = time.monotonic() - started

    assert response.status_code == 302  # the answer is saved, the page does not fail
    assert elapsed < 1.5, f"the request waited {elapsed:.2f} s for the broker"
    assert "Broker unreachable" in caplog.text
    cast.ticket.refresh_from_db()
    assert cast.ticket.state == State.ASSIGNED
    assert set(statuses().values()) == {Status.QUEUED}
    time.sleep(0.7)  # nothing was published: nothing arrives
    assert not outbox_smtp.messages

    broker.proxy.up()
    beat()

    mail = outbox_smtp.wait_for(cast.handler.email)[0]
    assert "Voici ma réponse." in mail.text
    wait_until(lambda: all_sent(4), what="every row SENT")
    assert outbox_smtp.by_message_id().most_common(1)[0][1] == 1


def test_a_hung_broker_holds_a_request_two_seconds_at_most(outbox_smtp, cast, broker):
    """Redis accepting connections but answering nothing (a frozen host, a full proxy)."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # the kernel completes the handshakes; nobody ever reads or answers
    point_celery_at(f"redis://127.0.0.1:{hung.getsockname()[1]}/0")
    try:
        started = time.monotonic()
        ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)
        elapsed = time.monotonic() - started
    finally:
        point_celery_at(broker.proxied_url)
        hung.close()

    assert elapsed < 3, f"the change waited {elapsed:.2f} s for the broker"
    assert set(statuses().values()) == {Status.QUEUED}


def test_worker_killed_after_smtp_accepted_resends_that_one_mail(worker, outbox_smtp, cast):
    """The duplicate window, forced: the SMTP server has the mail, its sender dies before
    recording SENT. The task comes back (acks_late, reject_on_worker_lost): one duplicate."""
    killed: list[int] = []

    def kill_the_sender(mail) -> None:
        if not killed:
            killed.extend(worker.children())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    outbox_smtp.on_data = kill_the_sender
    note_add(ticket=cast.ticket, author=cast.actor, text="Un seul destinataire ?")

    wait_until(lambda: all_sent(5), timeout=20, what="every row SENT")
    counts = outbox_smtp.by_message_id()
    assert killed
    assert len(counts) == 5  # nothing lost
    duplicates = sum(n - 1 for n in counts.values())
    assert 1 <= duplicates <= len(killed)
    print(f"\nkilled {len(killed)} pool process(es) after SMTP acceptance: {duplicates} dup")


def test_worker_killed_mid_batch_loses_nothing(worker, outbox_smtp, organisation, cast):
    with notifications_muted():
        followers = [
            ClientFactory(organisation=organisation, follow_all_tickets=True) for _ in range(30)
        ]
    outbox_smtp.delay = 0.03  # a batch of 35 takes about half a second on two processes

    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)
    wait_until(lambda: len(outbox_smtp.messages) >= 10, what="the batch under way")
    worker.kill()  # main process and pool, SIGKILL: its reserved messages stay unacked
    sent_before = len(outbox_smtp.messages)
    assert sent_before < 35
    worker.start()

    # Beat's sweeper re-enqueues what the dead worker held (Redis would only redeliver it
    # after the visibility timeout, hours later).
    deadline = time.monotonic() + 30
    while not all_sent(35) and time.monotonic() < deadline:
        beat()
        time.sleep(0.5)

    assert all_sent(35)
    counts = outbox_smtp.by_message_id()
    assert len(counts) == 35  # nothing lost
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= 2  # at most one per killed pool process, in the window
    assert {r for m in outbox_smtp.messages for r in m.rcpt_tos} >= {f.email for f in followers}
    print(f"\nSIGKILL after {sent_before}/35 mails: {duplicates} duplicate(s)")
