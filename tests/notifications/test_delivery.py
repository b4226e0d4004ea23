"""End to end with a real worker, Redis and SMTP: who receives what, once."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from mail.models import Status
from notifications.models import Notification
from tests.notifications.conftest import wait_until
from tickets.models import State
from tickets.workflow import note_add, ticket_change_state

pytestmark = pytest.mark.django_db(transaction=True)


def all_sent(expected: int) -> bool:
    statuses = list(Notification.objects.values_list("status", flat=True))
    return len(statuses) == expected and set(statuses) == {Status.SENT}


def test_state_change_mails_each_expected_recipient_exactly_once(worker, outbox_smtp, cast):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)

    expected = [*cast.clients, *cast.staff]
    for user in expected:
        outbox_smtp.wait_for(user.email)
    wait_until(lambda: all_sent(len(expected)), what="every row SENT")
    # Nothing more arrives: one mail each, none to the others.
    time.sleep(0.3)
    received = sorted(rcpt for mail in outbox_smtp.messages for rcpt in mail.rcpt_tos)
    assert received == sorted(user.email for user in expected)
    assert all(len(mail.rcpt_tos) == 1 for mail in outbox_smtp.messages)


def test_private_note_reaches_no_client(worker, outbox_smtp, cast):
    note_add(ticket=cast.ticket, author=cast.actor, text="Entre nous : à refaire.", is_private=True)

    for user in cast.staff:
        [mail] = outbox_smtp.wait_for(user.email)
        assert "Entre nous : à refaire." in mail.text
        assert "Note privée" in mail.subject
    wait_until(lambda: all_sent(len(cast.staff)), what="every row SENT")
    time.sleep(0.3)
    received = {rcpt for mail in outbox_smtp.messages for rcpt in mail.rcpt_tos}
    assert received == {user.email for user in cast.staff}


def test_a_rolled_back_change_sends_nothing(worker, outbox_smtp, cast):
    class Abort(Exception):
        pass

    def change_then_fail() -> None:
        with transaction.atomic():
            ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)
            raise Abort

    with pytest.raises(Abort):
        change_then_fail()

    assert not Notification.objects.exists()
    # A later committed change goes through the same queue: once its mail is in, the rolled
    # back one would have been too.
    note_add(ticket=cast.ticket, author=cast.actor, text="Témoin.")
    outbox_smtp.wait_for(cast.handler.email)
    wait_until(lambda: all_sent(len([*cast.clients, *cast.staff])), what="every row SENT")
    assert all("Commentaire" not in mail.subject for mail in outbox_smtp.messages)
    assert all("Nouvelle note" in mail.subject for mail in outbox_smtp.messages)
    assert len(outbox_smtp.to(cast.handler.email)) == 1
