"""A notification is sent only if its recipient may still read what it shows when it leaves.

Rows are queued while the broker is unreachable (the sweeper sends them later, as in
production), the recipient's rights change meanwhile, then the real worker sends what is due.
A recipient who lost access gets nothing; the row says so in the admin and is never sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from mail.models import Status
from mail.outbox import PATIENT
from mail.tasks import sweep_outboxes
from notifications.models import Notification
from tests.notifications.conftest import Broker, wait_until
from tests.utils import text
from tickets.models import State
from tickets.workflow import note_add, ticket_change_state

pytestmark = pytest.mark.django_db(transaction=True)

NO_ACCESS = "Destinataire sans accès au ticket au moment de l'envoi"


def _queued_while_the_broker_is_away(broker: Broker, change: Callable[[], Any]) -> None:
    broker.proxy.down()
    try:
        change()
    finally:
        broker.proxy.up()
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.QUEUED}


def _send_what_is_due() -> None:
    """Beat's sweeper, until no row waits (it takes rows overdue by 0.5 s in the workers)."""

    def nothing_queued() -> bool:
        if Notification.objects.filter(status=Status.QUEUED).exists():
            sweep_outboxes.apply_async(**PATIENT)
            return False
        return True

    wait_until(nothing_queued, timeout=20, what="every row handled")


def _public_note(cast: Any) -> None:
    note_add(ticket=cast.ticket, author=cast.actor, text="Le correctif est en production.")


def _private_note(cast: Any) -> None:
    note_add(ticket=cast.ticket, author=cast.actor, text="Entre nous : à revoir.", is_private=True)


def _state_change(cast: Any) -> None:
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)


def _moved(cast: Any, home: Any, elsewhere: Any) -> Any:
    cast.commenter.organisation = elsewhere
    cast.commenter.save()
    return cast.commenter


def _deactivated(cast: Any, home: Any, elsewhere: Any) -> Any:
    cast.follower.is_active = False
    cast.follower.save()
    return cast.follower


def _demoted_at_home(cast: Any, home: Any, elsewhere: Any) -> Any:
    """A technician whose account is kept as a client of the ticket's own organisation."""
    cast.staff_commenter.is_staff = False
    cast.staff_commenter.organisation = home
    cast.staff_commenter.save()
    return cast.staff_commenter


def _demoted_elsewhere(cast: Any, home: Any, elsewhere: Any) -> Any:
    cast.staff_commenter.is_staff = False
    cast.staff_commenter.organisation = elsewhere
    cast.staff_commenter.save()
    return cast.staff_commenter


@pytest.mark.parametrize(
    ("event", "lose_access", "because"),
    [
        pytest.param(_public_note, _moved, "organisation", id="client-moved-elsewhere"),
        pytest.param(_state_change, _deactivated, "désactivé", id="client-deactivated"),
        pytest.param(_private_note, _demoted_at_home, "note privée", id="staff-demoted-private"),
        pytest.param(_public_note, _demoted_elsewhere, "organisation", id="staff-demoted-public"),
    ],
)
def test_a_recipient_who_lost_access_before_sending_gets_nothing(
    worker, outbox_smtp, broker, cast, organisation, other_organisation, event, lose_access, because
):
    _queued_while_the_broker_is_away(broker, lambda: event(cast))
    queued = dict(Notification.objects.values_list("recipient_id", "pk"))
    user = lose_access(cast, organisation, other_organisation)
    assert user.pk in queued
    others = [u for u in cast.everyone if u.pk in queued and u.pk != user.pk]
    assert others  # the still-allowed recipients of the same event

    _send_what_is_due()

    row = Notification.objects.get(pk=queued[user.pk])
    assert row.status == Status.NO_ACCESS
    assert row.last_error.startswith(NO_ACCESS)
    assert because in row.last_error
    assert row.attempts == 0
    assert row.sent_to == ""
    for other in others:
        [mail] = outbox_smtp.wait_for(other.email)
        assert cast.ticket.display_number in mail.subject
        assert Notification.objects.get(pk=queued[other.pk]).status == Status.SENT
    assert not outbox_smtp.to(user.email)


def test_a_client_moved_within_reach_still_gets_the_mail(
    worker, outbox_smtp, broker, cast, organisation
):
    """The same checks let through a technician who became a client of the ticket's
    organisation: the mail then links to the portal, not to the admin."""
    _queued_while_the_broker_is_away(broker, lambda: _public_note(cast))
    cast.handler.is_staff = False
    cast.handler.organisation = organisation
    cast.handler.save()

    _send_what_is_due()

    [mail] = outbox_smtp.wait_for(cast.handler.email)
    assert "Le correctif est en production." in mail.text
    assert not any("/admin/" in link for link in mail.links())
    assert Notification.objects.get(recipient=cast.handler).status == Status.SENT


def test_a_row_without_access_shows_in_the_admin_and_is_never_resent(
    worker, outbox_smtp, broker, cast, organisation, other_organisation, staff_user
):
    _queued_while_the_broker_is_away(broker, lambda: _public_note(cast))
    _moved(cast, organisation, other_organisation)
    _send_what_is_due()
    row = Notification.objects.get(recipient=cast.commenter)
    assert row.status == Status.NO_ACCESS

    admin = Client()
    admin.force_login(staff_user)
    page = text(admin.get("/admin/notifications/notification/?status__exact=no_access"))
    assert str(cast.commenter) in page
    assert "sans accès au ticket" in page
    assert str(cast.reporter) not in page

    response = admin.post(
        "/admin/notifications/notification/",
        {"action": "resend", "index": "0", "_selected_action": [row.pk]},
        follow=True,
    )

    assert "n'ont pas été renvoyées" in text(response)
    row.refresh_from_db()
    assert row.status == Status.NO_ACCESS
    sweep_outboxes.apply_async(**PATIENT)
    sent = len(outbox_smtp.messages)
    _send_what_is_due()
    assert len(outbox_smtp.messages) == sent
    assert not outbox_smtp.to(cast.commenter.email)
