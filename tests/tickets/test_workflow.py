from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from atm_support.db import AppendOnlyError
from tests.factories import CategoryFactory, ClientFactory, make_ticket
from tickets.events import EventKind, TicketEvent, ticket_event
from tickets.models import HistoryEntry, State, Ticket
from tickets.services import ticket_create
from tickets.workflow import (
    Actor,
    WorkflowError,
    is_allowed,
    note_add,
    ticket_assign,
    ticket_change_state,
)

S = State
OPEN = [S.NEW, S.ACKNOWLEDGED, S.ASSIGNED, S.FEEDBACK, S.RESOLVED]

# (from, to, actor, allowed): the whole table, every pair for every actor.
TABLE = [
    (old, new, actor, expected)
    for old in State
    for new in State
    for actor, expected in [
        (Actor.STAFF, old != new and old in OPEN and new in OPEN),
        (
            Actor.CLIENT,
            old in (S.FEEDBACK, S.RESOLVED) and new in (S.ASSIGNED, S.NEW),
        ),
        (Actor.SYSTEM, (old, new) in {(S.RESOLVED, S.CLOSED), (S.FEEDBACK, S.RESOLVED)}),
    ]
]


@pytest.mark.parametrize(("old", "new", "actor", "allowed"), TABLE)
def test_transition_table(old, new, actor, allowed):
    assert is_allowed(old, new, actor) is allowed


def test_closed_is_read_only_for_everybody():
    assert not any(is_allowed(S.CLOSED, new, actor) for new in State for actor in Actor)


@pytest.fixture
def captured() -> Any:
    events: list[TicketEvent] = []

    def receiver(sender: Any, event: TicketEvent, **kwargs: Any) -> None:
        events.append(event)

    ticket_event.connect(receiver, dispatch_uid="test-capture")
    yield events
    ticket_event.disconnect(dispatch_uid="test-capture")


@pytest.mark.django_db
class TestChanges:
    def test_staff_change_writes_history_and_publishes(self, client_user, staff_user, captured):
        ticket = make_ticket(reporter=client_user)
        captured.clear()

        ticket_change_state(ticket=ticket, to=S.ACKNOWLEDGED, by=staff_user)

        ticket.refresh_from_db()
        assert ticket.state == S.ACKNOWLEDGED
        assert ticket.version == 2
        entry = HistoryEntry.objects.filter(ticket=ticket, field="state").get()
        assert (entry.actor, entry.old_value, entry.new_value) == (
            staff_user,
            "new",
            "acknowledged",
        )
        assert captured == [
            TicketEvent(
                kind=EventKind.STATE_CHANGED,
                ticket_id=ticket.pk,
                actor_id=staff_user.pk,
                old_state="new",
                new_state="acknowledged",
            )
        ]

    def test_refused_change_leaves_no_trace(self, client_user, captured):
        ticket = make_ticket(reporter=client_user)
        captured.clear()
        with pytest.raises(WorkflowError, match="Impossible de passer"):
            ticket_change_state(ticket=ticket, to=S.RESOLVED, by=client_user)
        ticket.refresh_from_db()
        assert ticket.state == S.NEW
        assert not HistoryEntry.objects.filter(field="state").exists()
        assert captured == []

    def test_assigned_needs_a_handler(self, client_user, staff_user):
        ticket = make_ticket(reporter=client_user)
        with pytest.raises(WorkflowError, match="responsable"):
            ticket_change_state(ticket=ticket, to=S.ASSIGNED, by=staff_user)

    @pytest.mark.parametrize("start", [S.NEW, S.ACKNOWLEDGED])
    def test_setting_a_handler_makes_it_assigned(self, client_user, staff_user, start):
        ticket = make_ticket(reporter=client_user, state=start)
        ticket_assign(ticket=ticket, handler=staff_user, by=staff_user)
        ticket.refresh_from_db()
        assert (ticket.state, ticket.handler) == (S.ASSIGNED, staff_user)
        assert set(HistoryEntry.objects.filter(ticket=ticket).values_list("field", flat=True)) >= {
            "handler",
            "state",
        }

    def test_a_client_cannot_assign(self, client_user, staff_user):
        ticket = make_ticket(reporter=client_user)
        with pytest.raises(WorkflowError):
            ticket_assign(ticket=ticket, handler=staff_user, by=client_user)

    def test_client_note_on_feedback_ticket_reassigns_it(self, client_user, staff_user):
        ticket = make_ticket(reporter=client_user, state=S.FEEDBACK, handler=staff_user)
        note_add(ticket=ticket, author=client_user, text="Voici la capture demandée.")
        ticket.refresh_from_db()
        assert ticket.state == S.ASSIGNED
        assert ticket.public_note_count == 1

    def test_client_note_on_feedback_without_handler_makes_it_new(self, client_user):
        ticket = make_ticket(reporter=client_user, state=S.FEEDBACK)
        note_add(ticket=ticket, author=client_user, text="Réponse")
        ticket.refresh_from_db()
        assert ticket.state == S.NEW

    def test_client_reopens_a_resolved_ticket_with_a_note(self, client_user, staff_user):
        ticket = make_ticket(reporter=client_user, state=S.RESOLVED, handler=staff_user)
        note_add(ticket=ticket, author=client_user, text="Toujours en panne.", reopen=True)
        ticket.refresh_from_db()
        assert ticket.state == S.ASSIGNED
        assert ticket.resolved_at is None

    def test_client_cannot_reopen_an_open_ticket(self, client_user):
        ticket = make_ticket(reporter=client_user, state=S.ACKNOWLEDGED)
        with pytest.raises(WorkflowError, match="résolu"):
            note_add(ticket=ticket, author=client_user, text="x", reopen=True)

    def test_client_note_on_an_open_ticket_keeps_its_state(self, client_user, staff_user):
        ticket = make_ticket(reporter=client_user, state=S.ASSIGNED, handler=staff_user)
        note_add(ticket=ticket, author=client_user, text="Un détail de plus.")
        ticket.refresh_from_db()
        assert ticket.state == S.ASSIGNED

    def test_closed_ticket_accepts_no_note(self, client_user, staff_user):
        ticket = make_ticket(reporter=client_user, state=S.CLOSED)
        for author in (client_user, staff_user):
            with pytest.raises(WorkflowError, match="fermé"):
                note_add(ticket=ticket, author=author, text="Encore ?")
        with pytest.raises(WorkflowError):
            ticket_assign(ticket=ticket, handler=staff_user, by=staff_user)

    def test_client_cannot_set_private_or_time(self, client_user):
        ticket = make_ticket(reporter=client_user)
        note = note_add(
            ticket=ticket,
            author=client_user,
            text="Note",
            is_private=True,
            minutes_spent=90,
            is_billable=True,
        )
        assert (note.is_private, note.minutes_spent, note.is_billable) == (False, 0, False)

    def test_private_staff_note_is_not_counted_for_clients(self, client_user, staff_user):
        ticket = make_ticket(reporter=client_user)
        note_add(
            ticket=ticket, author=staff_user, text="Interne", is_private=True, minutes_spent=30
        )
        ticket.refresh_from_db()
        assert ticket.public_note_count == 0

    def test_client_of_another_organisation_cannot_add_a_note(
        self, client_user, other_organisation
    ):
        stranger = ClientFactory(organisation=other_organisation)
        ticket = make_ticket(reporter=client_user)
        with pytest.raises(WorkflowError):
            note_add(ticket=ticket, author=stranger, text="Coucou")

    def test_stale_version_is_refused(self, client_user, staff_user):
        ticket = make_ticket(reporter=client_user)
        ticket_change_state(ticket=ticket, to=S.ACKNOWLEDGED, by=staff_user)
        with pytest.raises(WorkflowError, match="modifié entre-temps"):
            ticket_change_state(
                ticket=ticket, to=S.FEEDBACK, by=staff_user, expected_version=ticket.version
            )

    def test_history_is_append_only(self, client_user):
        ticket = make_ticket(reporter=client_user)
        entry = HistoryEntry.objects.filter(ticket=ticket).first()
        assert entry is not None
        entry.new_value = "falsifié"
        with pytest.raises(AppendOnlyError):
            entry.save()
        with pytest.raises(AppendOnlyError):
            entry.delete()


@pytest.mark.django_db(transaction=True)
def test_ticket_numbers_stay_sequential_under_concurrent_creation(organisation):
    category = CategoryFactory(name="Anomalie")
    reporters = [ClientFactory(organisation=organisation) for _ in range(4)]
    errors: list[BaseException] = []

    def create_many(reporter: Any) -> None:
        try:
            for i in range(10):
                ticket_create(
                    reporter=reporter, category=category, summary=f"T{i}", description="d"
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create_many, args=(r,)) for r in reporters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + 40))


@pytest.mark.django_db
def test_number_is_shown_padded_to_seven_digits(client_user):
    ticket = make_ticket(reporter=client_user)
    assert ticket.display_number == f"{ticket.number:07d}"
    assert len(ticket.display_number) == 7


@pytest.mark.django_db
def test_staff_member_is_never_a_reporter(staff_user):
    with pytest.raises(ValueError, match="client"):
        ticket_create(
            reporter=staff_user,
            category=CategoryFactory(name="Question"),
            summary="x",
            description="y",
        )


@pytest.mark.django_db
def test_choice_labels_follow_the_active_language(client_user):
    from django.utils import translation

    ticket = make_ticket(reporter=client_user, state=State.FEEDBACK)
    assert ticket.get_state_display() == "Commentaire"
    assert ticket.get_priority_display() == "normale"
    with translation.override("en"):
        assert ticket.get_state_display() == "Feedback"
    assert ticket.get_absolute_url() == f"/tickets/{ticket.number}/"
