"""Response targets: kept on the ticket by the workflow (equal to a recount from the notes and
the history), the clock stopping while the ticket waits on the client, the list's « délai »
column, its filters and the « réponse client » marker."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from tests.factories import StaffFactory, make_ticket
from tests.utils import text
from tickets import targets
from tickets.business_hours import add_business_hours, business_seconds
from tickets.editing import ticket_update_details
from tickets.models import HistoryEntry, Priority, State, Ticket
from tickets.services import ticket_create
from tickets.workflow import note_add, ticket_assign, ticket_change_state, tickets_close_resolved

pytestmark = pytest.mark.django_db

LIST = "/admin/tickets/ticket/"


def kept(ticket: Ticket) -> dict[str, Any]:
    ticket = Ticket.objects.get(pk=ticket.pk)
    return {name: getattr(ticket, name) for name in targets.TARGET_FIELDS}


def assert_recount_agrees(ticket: Ticket) -> None:
    """What the workflow kept equals what `recount` rebuilds from the notes and history (to the
    second: the history row is written microseconds after the state moved)."""
    before = kept(ticket)
    assert targets.recount([ticket.pk]) == 1
    after = kept(ticket)
    for name, value in before.items():
        other = after[name]
        if isinstance(value, int):
            assert abs(value - other) <= 1, name
        elif value is None or other is None:
            assert value == other, name
        else:
            assert abs((value - other).total_seconds()) <= 1, name


def backdate(ticket: Ticket, **business_hours_ago: float) -> None:
    """Move the ticket's creation back, its deadlines rebuilt (as the migration does)."""
    hours = business_hours_ago["hours"]
    created = timezone.now()
    # Back by whole calendar days until that many business hours lie between.
    while business_seconds(created, timezone.now()) < hours * 3600:
        created -= timedelta(hours=1)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    HistoryEntry.objects.filter(ticket=ticket).update(created_at=created)
    targets.recount([ticket.pk])


def test_a_new_ticket_is_due_within_its_prioritys_targets(client_user, category):
    ticket = ticket_create(
        reporter=client_user,
        category=category,
        summary="Caisse bloquée",
        description="Plus rien ne passe.",
        priority=Priority.URGENT,
    )
    target = targets.target_for(Priority.URGENT)
    assert ticket.response_due_at == add_business_hours(
        ticket.created_at, target.first_answer.total_seconds() / 3600
    )
    assert ticket.resolution_due_at == add_business_hours(ticket.created_at, 16)
    assert ticket.due_at == ticket.response_due_at
    assert kept(ticket)["due_at"] == ticket.due_at
    assert_recount_agrees(ticket)


def test_targets_come_from_the_settings(settings, client_user, category):
    settings.TICKET_RESPONSE_TARGETS = {Priority.NORMAL: (3, 30)}
    ticket = ticket_create(reporter=client_user, category=category, summary="a", description="b")
    assert ticket.response_due_at == add_business_hours(ticket.created_at, 3)
    assert ticket.resolution_due_at == add_business_hours(ticket.created_at, 30)
    # The others keep their defaults.
    assert targets.target_for(Priority.LOW).resolution == timedelta(hours=80)


def test_targets_read_from_the_environment(monkeypatch, settings):
    from atm_support.settings import env_list, parse_targets

    monkeypatch.setenv("TICKET_RESPONSE_TARGETS", "urgent=1.5/12, low=24/100")
    settings.TICKET_RESPONSE_TARGETS = parse_targets(env_list("TICKET_RESPONSE_TARGETS"))
    assert targets.target_for(Priority.URGENT) == targets.Target(
        timedelta(hours=1.5), timedelta(hours=12)
    )
    assert targets.target_for(Priority.LOW).first_answer == timedelta(hours=24)
    assert targets.target_for(Priority.NORMAL).first_answer == timedelta(hours=8)
    with pytest.raises(ValueError, match="priority=answer/resolution"):
        parse_targets(["urgent=deux heures"])
    settings.TICKET_RESPONSE_TARGETS = {"pressée": (1, 2)}
    with pytest.raises(ImproperlyConfigured, match="unknown priority"):
        targets.targets()


def test_the_workflow_keeps_the_fields_a_recount_finds(client_user, staff_user):
    ticket = make_ticket(reporter=client_user, priority=Priority.HIGH)
    note_add(ticket=ticket, author=client_user, text="Précision du client")
    assert_recount_agrees(ticket)
    note_add(ticket=ticket, author=staff_user, text="Piste interne", is_private=True)
    assert kept(ticket)["first_staff_answer_at"] is None  # a private note answers nobody
    ticket_assign(ticket=ticket, handler=staff_user, by=staff_user)
    note = note_add(ticket=ticket, author=staff_user, text="Nous regardons.")
    fields = kept(ticket)
    assert fields["first_staff_answer_at"] == note.created_at
    assert fields["due_at"] == fields["resolution_due_at"]
    assert_recount_agrees(ticket)

    # Waiting on the client: the clock stops. Three business days pass.
    note_add(ticket=ticket, author=staff_user, text="Une question ?", move_to=State.FEEDBACK)
    assert kept(ticket)["due_at"] is None
    assert_recount_agrees(ticket)
    stopped = timezone.now() - timedelta(days=5)
    Ticket.objects.filter(pk=ticket.pk).update(clock_stopped_at=stopped)
    HistoryEntry.objects.filter(ticket=ticket, field="state", new_value=State.FEEDBACK).update(
        created_at=stopped
    )
    before = kept(ticket)["resolution_due_at"]
    note_add(ticket=ticket, author=client_user, text="Voici la réponse")
    ticket.refresh_from_db()
    assert ticket.state == State.ASSIGNED
    paused = business_seconds(stopped, timezone.now())
    assert ticket.target_paused_seconds == pytest.approx(paused, abs=2)
    assert ticket.resolution_due_at > before
    assert ticket.due_at == ticket.resolution_due_at
    assert_recount_agrees(ticket)

    # Résolu stops it too; a client who reopens starts it again; Fermé has no target.
    note_add(ticket=ticket, author=staff_user, text="Corrigé.", move_to=State.RESOLVED)
    assert kept(ticket)["due_at"] is None
    note_add(ticket=ticket, author=client_user, text="Toujours pas", reopen=True)
    assert kept(ticket)["due_at"] is not None
    assert_recount_agrees(ticket)
    ticket_update_details(ticket=ticket.pk, by=staff_user, changes={"priority": Priority.LOW})
    low = kept(ticket)
    assert low["resolution_due_at"] > ticket.resolution_due_at
    assert_recount_agrees(ticket)
    ticket_change_state(ticket=ticket, to=State.RESOLVED, by=staff_user)
    tickets_close_resolved(
        organisation_id=ticket.organisation_id,
        resolved_before=timezone.now() + timedelta(days=1),
        now=timezone.now(),
    )
    assert kept(ticket)["due_at"] is None
    assert kept(ticket)["resolution_due_at"] is None
    assert_recount_agrees(ticket)


def test_recount_all_rebuilds_every_ticket_in_batches(client_user, staff_user):
    tickets = [make_ticket(reporter=client_user) for _ in range(5)]
    note_add(ticket=tickets[0], author=staff_user, text="Réponse")
    note_add(ticket=tickets[1], author=client_user, text="Relance")
    expected = {t.pk: kept(t) for t in tickets}
    Ticket.objects.update(
        first_staff_answer_at=None, last_client_note_at=None, due_at=None, response_due_at=None
    )
    assert targets.recount_all(batch=2) == 5
    assert {t.pk: kept(t) for t in tickets} == expected


def row_of(page: str, ticket: Ticket) -> str:
    start = page.index(f">{ticket.display_number}<")
    return page[start : page.index("</tr>", start)]


def test_an_overdue_ticket_is_in_depasses_and_says_by_how_much_in_red(
    client, staff_user, client_user
):
    late = make_ticket(reporter=client_user, summary="En retard", priority=Priority.NORMAL)
    backdate(late, hours=10)  # 8 h to answer: 2 business hours late
    fresh = make_ticket(reporter=client_user, summary="Tout frais", priority=Priority.LOW)
    waiting = make_ticket(reporter=client_user, summary="Chez le client", priority=Priority.NORMAL)
    backdate(waiting, hours=10)
    ticket_assign(ticket=waiting, handler=staff_user, by=staff_user)
    note_add(ticket=waiting, author=staff_user, text="Question ?", move_to=State.FEEDBACK)
    client.force_login(staff_user)

    page = text(client.get(LIST))
    row = row_of(page, late)
    assert re.search(r'class="target target-late"[^>]*>dépassé de 2 h( \d\d)?<small>réponse', row)
    assert "target-late" not in row_of(page, fresh)
    assert "reste 16 h" in row_of(page, fresh) or "reste 15 h" in row_of(page, fresh)
    assert "target-none" in row_of(page, waiting)  # the clock stands still

    overdue = text(client.get(LIST, {"target": "late"}))
    assert late.display_number in overdue
    assert fresh.display_number not in overdue
    assert waiting.display_number not in overdue
    # The colour is the stylesheet's, red; the words say it as well.
    css = (Path(django_settings.BASE_DIR) / "static/css/ticket_desk.css").read_text()
    assert "css/ticket_desk.css" in page
    assert re.search(r"\.target-late \{ color: #b00020; \}", css)


def test_soon_overdue_and_who_it_waits_on(client, staff_user, client_user):
    soon = make_ticket(reporter=client_user, priority=Priority.IMMEDIATE)  # 1 h to answer
    later = make_ticket(reporter=client_user, priority=Priority.LOW)
    asked = make_ticket(reporter=client_user, state=State.FEEDBACK, handler=staff_user)
    client.force_login(staff_user)

    def listed(**params: str) -> str:
        return text(client.get(LIST, params))

    page = listed(target="soon")
    assert soon.display_number in page
    assert later.display_number not in page
    assert "target-soon" in row_of(listed(), soon)
    team = listed(waiting="team")
    assert soon.display_number in team
    assert asked.display_number not in team
    waiting_client = listed(waiting="client")
    assert asked.display_number in waiting_client
    assert soon.display_number not in waiting_client
    for label in ("Dépassés", "Bientôt dépassés", "En attente de l'équipe", "En attente du client"):
        assert label in page


def test_client_reply_marker_shows_when_the_client_wrote_last(client, staff_user, client_user):
    answered = make_ticket(reporter=client_user, summary="Répondu")
    note_add(ticket=answered, author=client_user, text="Bonjour")
    note_add(ticket=answered, author=staff_user, text="Nous regardons")
    replied = make_ticket(reporter=client_user, summary="Relancé")
    note_add(ticket=replied, author=staff_user, text="Pouvez-vous préciser ?")
    note_add(ticket=replied, author=client_user, text="Oui : voici")
    # A private note of the team does not answer the client.
    note_add(ticket=replied, author=staff_user, text="Note interne", is_private=True)
    client.force_login(staff_user)

    page = text(client.get(LIST))
    assert "réponse client" in row_of(page, replied)
    assert "réponse client" not in row_of(page, answered)


def test_list_shows_the_age(client, staff_user, client_user):
    ticket = make_ticket(reporter=client_user)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(days=3))
    client.force_login(staff_user)
    row = row_of(text(client.get(LIST)), ticket)
    assert re.search(r'class="field-age"><span title="Créé le [^"]+">3 j</span>', row)


def test_format_business():
    assert targets.format_business(45 * 60) == "45 min"
    assert targets.format_business(-(2 * 3600 + 15 * 60)) == "2 h 15"
    assert targets.format_business(3 * 3600) == "3 h"
    assert targets.format_business(5 * 9 * 3600) == "5 j ouvrés"


@pytest.fixture
def category() -> Any:
    from tests.factories import CategoryFactory

    return CategoryFactory(name="Anomalie")


def test_other_staff_count_as_staff(client_user):
    ticket = make_ticket(reporter=client_user)
    note_add(ticket=ticket, author=StaffFactory(), text="Réponse d'un collègue")
    assert kept(ticket)["first_staff_answer_at"] is not None
