"""« Accueil »'s tickets per state come from counters kept with each change (tickets/counts.py):
after every kind of change they equal a recount of the tickets."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import CategoryFactory, ClientFactory, StaffFactory
from tickets import counts, selectors
from tickets.counts import StateCount
from tickets.editing import ticket_update_details
from tickets.models import State, Ticket
from tickets.services import next_number, ticket_create
from tickets.workflow import (
    WorkflowError,
    note_add,
    ticket_assign,
    ticket_change_state,
    tickets_close_resolved,
)

pytestmark = pytest.mark.django_db


def kept() -> dict[tuple[int, str, bool], int]:
    """The counters, zeros left out."""
    return {
        (row.organisation_id, row.state, row.is_private): row.count
        for row in StateCount.objects.all()
        if row.count
    }


def recounted() -> dict[tuple[int, str, bool], int]:
    """COUNT … GROUP BY over the tickets: what the counters must say."""
    rows = (
        Ticket.objects.values("organisation_id", "state", "is_private")
        .annotate(total=Count("*"))
        .order_by()
    )
    return {(r["organisation_id"], r["state"], r["is_private"]): r["total"] for r in rows}


def counted_per_view(user: Any) -> dict[str, int]:
    """What « Accueil » counted before the counters: the visible tickets per state."""
    rows = selectors.tickets_visible_to(user).values("state").annotate(total=Count("*"))
    found = {row["state"]: row["total"] for row in rows.order_by()}
    return {state.value: found.get(state.value, 0) for state in State}


def report(reporter: Any, summary: str = "Le module Factures plante") -> Ticket:
    return ticket_create(
        reporter=reporter,
        category=CategoryFactory(name="Anomalie"),
        summary=summary,
        description="Erreur 500 à la validation.",
    )


def rolled_back(change: Callable[[], object]) -> None:
    with transaction.atomic():
        change()
        raise RuntimeError


def test_counters_equal_a_recount_after_every_kind_of_change(
    client_user, organisation, other_organisation
):
    staff = StaffFactory()
    other_client = ClientFactory(organisation=other_organisation)
    # Created by clients of two organisations.
    first, second, third, fourth = (report(client_user, f"Ticket {n}") for n in range(4))
    elsewhere = report(other_client)
    assert kept() == recounted()
    assert kept()[(organisation.pk, State.NEW, False)] == 4

    # Staff moves: En analyse, Affecté by assigning, Commentaire by a note, Résolu.
    ticket_change_state(ticket=first, to=State.ACKNOWLEDGED, by=staff)
    ticket_assign(ticket=second, handler=staff, by=staff)
    note_add(ticket=second, author=staff, text="Quelle version ?", move_to=State.FEEDBACK)
    ticket_change_state(ticket=third, to=State.RESOLVED, by=staff)
    ticket_change_state(ticket=elsewhere, to=State.FEEDBACK, by=staff)
    assert kept() == recounted()

    # Client moves: answering a Commentaire (back to Affecté), reopening a Résolu one.
    note_add(ticket=second, author=client_user, text="La 18.0.2")
    note_add(ticket=third, author=client_user, text="Toujours là", reopen=True)
    assert Ticket.objects.get(pk=third.pk).state == State.NEW
    # The system: an unanswered Commentaire resolved, with its note.
    ticket_assign(ticket=fourth, handler=staff, by=staff)
    ticket_change_state(ticket=fourth, to=State.FEEDBACK, by=staff)
    note_add(
        ticket=fourth,
        author=staff,
        text="Sans réponse : résolu.",
        move_to=State.RESOLVED,
        move_by_system=True,
    )
    assert kept() == recounted()

    # Private and back, then private while resolved (the month end closes it as such).
    ticket_update_details(ticket=first, by=staff, changes={"is_private": True})
    assert kept() == recounted()
    assert selectors.state_counts(client_user)["acknowledged"] == 0
    ticket_update_details(ticket=first, by=staff, changes={"is_private": False})
    ticket_change_state(ticket=first, to=State.RESOLVED, by=staff)
    ticket_update_details(ticket=fourth, by=staff, changes={"is_private": True})
    assert kept() == recounted()

    # A change refused or rolled back moves no counter.
    before = kept()
    with pytest.raises(WorkflowError):
        ticket_change_state(ticket=second, to=State.CLOSED, by=staff)
    with pytest.raises(RuntimeError):
        rolled_back(lambda: ticket_change_state(ticket=second, to=State.RESOLVED, by=staff))
    with pytest.raises(RuntimeError):
        rolled_back(lambda: report(client_user))
    assert kept() == before

    # Month end: the Résolu tickets closed in one UPDATE, the private one among them.
    later = timezone.now() + timedelta(days=40)
    with transaction.atomic():
        closed = tickets_close_resolved(
            organisation_id=organisation.pk, resolved_before=later, now=later
        )
    assert {pk for pk, _number, _summary in closed} == {first.pk, fourth.pk}
    assert kept() == recounted()
    assert (organisation.pk, State.CLOSED, True) in kept()

    # The MantisBT import writes tickets in bulk, past these functions, then recounts.
    category: Any = CategoryFactory(name="Anomalie")
    Ticket.objects.bulk_create(
        Ticket(
            number=next_number(),
            organisation=organisation,
            reporter=client_user,
            category=category,
            summary=f"Importé {n}",
            description="De MantisBT.",
            state=State.CLOSED,
            is_private=n == 0,
        )
        for n in range(3)
    )
    Ticket.objects.filter(pk=elsewhere.pk).update(state=State.CLOSED)
    assert kept() != recounted()  # what the recount is for
    counts.recount()
    assert kept() == recounted()

    for user in (client_user, other_client, staff):
        assert selectors.state_counts(user) == counted_per_view(user)
    assert selectors.state_counts(client_user) == {
        "new": 1,  # third, reopened
        "acknowledged": 0,
        "assigned": 1,  # second
        "feedback": 0,
        "resolved": 0,
        "closed": 3,  # first and two imported; fourth and one imported are private
    }


def test_recount_of_some_organisations_leaves_the_others_alone(
    client_user, organisation, other_organisation
):
    other_client = ClientFactory(organisation=other_organisation)
    mine, theirs = report(client_user), report(other_client)
    Ticket.objects.filter(pk__in=[mine.pk, theirs.pk]).update(state=State.FEEDBACK)

    counts.recount([organisation.pk])

    assert selectors.state_counts(client_user)["feedback"] == 1
    assert selectors.state_counts(other_client)["new"] == 1  # not recounted: still stale
    counts.recount([])
    counts.recount()
    assert kept() == recounted()


def test_accueil_counts_in_one_query_on_the_counters_index(client_user):
    report(client_user)
    with CaptureQueriesContext(connection) as captured:
        assert selectors.state_counts(client_user)["new"] == 1
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        # The table is tiny: what is asserted is that its key can answer, not the cost guess.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + query["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "state_count_key" in plan, plan


def test_recount_command_repairs_the_counters_and_says_how_many_were_wrong(client_user):
    ticket = report(client_user)
    Ticket.objects.filter(pk=ticket.pk).update(state=State.FEEDBACK)
    out = io.StringIO()

    call_command("recount_states", stdout=out)

    assert out.getvalue() == "Tickets par état recomptés : 2 compteur(s) corrigé(s).\n"
    assert kept() == recounted()
    out = io.StringIO()
    call_command("recount_states", "--organisation", str(client_user.organisation_id), stdout=out)
    assert "0 compteur(s)" in out.getvalue()
