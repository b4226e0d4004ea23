"""Who gets an outbox row for each kind of change (rows only: sending is tested elsewhere)."""

from __future__ import annotations

import pytest

from mail.models import Status
from notifications.models import Event, Kind, Notification, Reason
from tests.factories import ClientFactory, make_ticket
from tickets.models import State
from tickets.services import ticket_create
from tickets.workflow import note_add, ticket_assign, ticket_change_state

pytestmark = pytest.mark.django_db


def rows_for(event: Event) -> dict[str, str]:
    return {n.recipient.email: n.reason for n in event.notifications.select_related("recipient")}


def emails(users) -> set[str]:
    return {u.email for u in users}


def test_state_change_queues_one_row_per_follower_and_handler_never_the_author(cast):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)

    event = Event.objects.get()
    assert (event.kind, event.old_state, event.new_state) == (
        Kind.STATE_CHANGED,
        State.ASSIGNED,
        State.FEEDBACK,
    )
    assert rows_for(event) == {
        cast.handler.email: Reason.HANDLER,
        cast.reporter.email: Reason.REPORTER,
        cast.commenter.email: Reason.NOTE_AUTHOR,
        cast.staff_commenter.email: Reason.NOTE_AUTHOR,
        cast.follower.email: Reason.ORGANISATION,
    }
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.QUEUED}


def test_the_author_of_the_change_is_not_mailed_even_as_a_follower(cast):
    note_add(ticket=cast.ticket, author=cast.handler, text="Je regarde.")

    assert set(rows_for(Event.objects.get())) == emails(
        [cast.reporter, cast.commenter, cast.staff_commenter, cast.follower]
    )


def test_private_note_queues_rows_for_staff_only(cast):
    note_add(ticket=cast.ticket, author=cast.actor, text="Le client a tort.", is_private=True)

    event = Event.objects.get()
    assert event.is_private
    assert set(rows_for(event)) == emails([cast.handler, cast.staff_commenter])


def test_client_answer_that_moves_the_ticket_is_one_event(cast):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.handler)
    Event.objects.all().delete()

    note_add(ticket=cast.ticket, author=cast.follower, text="Voici la capture.")

    event = Event.objects.get()
    assert (event.kind, event.old_state, event.new_state) == (
        Kind.NOTE_ADDED,
        State.FEEDBACK,
        State.ASSIGNED,
    )
    assert event.note.text == "Voici la capture."
    # Léa wrote the note: not mailed; everybody else who follows is, once.
    assert set(rows_for(event)) == emails(
        [cast.handler, cast.reporter, cast.commenter, cast.staff_commenter]
    )


def test_a_note_and_a_later_state_change_stay_two_events(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # two requests: two commits
        note_add(ticket=cast.ticket, author=cast.actor, text="Correctif livré.")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_state(ticket=cast.ticket, to=State.RESOLVED, by=cast.actor)

    assert sorted(Event.objects.values_list("kind", flat=True)) == [
        Kind.NOTE_ADDED,
        Kind.STATE_CHANGED,
    ]


def test_assigning_a_new_ticket_tells_the_new_handler_and_the_reporter(cast, organisation):
    reporter = ClientFactory(organisation=organisation)
    ticket = make_ticket(reporter=reporter)
    Event.objects.all().delete()

    ticket_assign(ticket=ticket, handler=cast.handler, by=cast.actor)

    event = Event.objects.get()
    assert event.new_state == State.ASSIGNED
    assert rows_for(event) == {
        cast.handler.email: Reason.HANDLER,
        reporter.email: Reason.REPORTER,
        cast.follower.email: Reason.ORGANISATION,
    }


def test_a_new_ticket_is_announced_to_those_following_the_whole_organisation(cast):
    from tests.factories import CategoryFactory

    ticket_create(
        reporter=cast.bystander,
        category=CategoryFactory(name="Question"),
        summary="Export comptable",
        description="Comment exporter ?",
    )

    event = Event.objects.get(kind=Kind.CREATED)
    assert event.new_state == State.NEW
    assert rows_for(event) == {cast.follower.email: Reason.ORGANISATION}


def test_system_changes_have_no_author_to_leave_out(cast):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.handler)
    ticket_change_state(ticket=cast.ticket, to=State.RESOLVED, by=None)

    event = Event.objects.get(new_state=State.RESOLVED)
    assert event.actor is None
    assert cast.handler.email in rows_for(event)


def test_unticking_follow_all_stops_organisation_wide_mails_only(cast):
    cast.follower.follow_all_tickets = False
    cast.follower.save()
    cast.reporter.follow_all_tickets = False  # still the reporter: still mailed
    cast.reporter.save()

    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)

    recipients = set(rows_for(Event.objects.get()))
    assert cast.follower.email not in recipients
    assert cast.reporter.email in recipients


def test_a_client_moved_to_another_organisation_stops_following(cast, other_organisation):
    cast.commenter.organisation = other_organisation
    cast.commenter.save()

    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)

    assert cast.commenter.email not in rows_for(Event.objects.get())


def test_a_failed_change_leaves_no_row(cast):
    from tickets.workflow import WorkflowError

    with pytest.raises(WorkflowError):
        ticket_change_state(ticket=cast.ticket, to=State.CLOSED, by=cast.actor)

    assert not Event.objects.exists()
    assert not Notification.objects.exists()


def test_auto_resolve_mails_once_with_its_note(cast):
    """The daily auto-resolve writes its note then a system change to Résolu: one mail each."""
    from datetime import timedelta

    from django.utils import timezone

    from tickets.autoresolve import autoresolve_feedback

    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.handler)
    before = set(Event.objects.values_list("pk", flat=True))

    resolved = autoresolve_feedback(days=30, now=timezone.now() + timedelta(days=31))

    assert [item.pk for item in resolved] == [cast.ticket.pk]
    events = Event.objects.exclude(pk__in=before)
    assert len(events) == 1
    event = events.get()
    assert (event.kind, event.old_state, event.new_state) == (
        Kind.NOTE_ADDED,
        State.FEEDBACK,
        State.RESOLVED,
    )
    assert cast.reporter.email in rows_for(event)
    assert cast.handler.email in rows_for(event)
    counts = Notification.objects.filter(event__in=events).values_list("recipient", flat=True)
    assert len(counts) == len(set(counts))


def test_a_system_change_after_another_tickets_note_keeps_its_own_mail(cast):
    from django.db import transaction

    other = make_ticket(reporter=cast.reporter, state=State.ASSIGNED, handler=cast.handler)
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.handler)
    with transaction.atomic():
        note_add(ticket=other, author=cast.handler, text="Sur un autre ticket")
        ticket_change_state(ticket=cast.ticket, to=State.RESOLVED, by=None)

    assert Event.objects.filter(ticket=cast.ticket, new_state=State.RESOLVED).count() == 1
    assert Event.objects.get(ticket=other, kind=Kind.NOTE_ADDED).new_state == ""
