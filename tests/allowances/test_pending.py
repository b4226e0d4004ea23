"""Pending minutes (Accueil): billable minutes of the open tickets, rounded up per ticket to the
quarter hour, summed by the database."""

from __future__ import annotations

from typing import Any

import pytest

from allowances.ledger import rounded_debit
from allowances.selectors import pending_minutes
from tests.factories import ClientFactory, make_ticket
from tickets.models import State
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

# (state, [(minutes, billable, private)]) per ticket
TICKETS = [
    (State.ASSIGNED, [(1, True, False)]),  # 1 → 15
    (State.FEEDBACK, [(14, True, False), (1, True, True)]),  # 15 → 15 (private notes count)
    (State.ACKNOWLEDGED, [(16, True, False), (30, False, False)]),  # 16 → 30, the free 30 not
    (State.RESOLVED, [(29, True, False), (2, True, False)]),  # 31 → 45
    (State.NEW, [(0, True, False)]),  # nothing
    (State.CLOSED, [(60, True, False)]),  # closed: debited already, not pending
]


def test_rounded_per_ticket_then_summed(client_user: Any, staff_user: Any, other_organisation):
    expected = 0
    for state, notes in TICKETS:
        ticket = make_ticket(reporter=client_user)
        billable = 0
        for minutes, is_billable, is_private in notes:
            note_add(
                ticket=ticket,
                author=staff_user,
                text="Travail",
                minutes_spent=minutes,
                is_billable=is_billable,
                is_private=is_private,
            )
            billable += minutes if is_billable else 0
        ticket.state = state
        ticket.save(update_fields=["state"])
        if state != State.CLOSED:
            expected += rounded_debit(billable)
    stranger = make_ticket(reporter=ClientFactory(organisation=other_organisation))
    note_add(ticket=stranger, author=staff_user, text="Ailleurs", minutes_spent=45)

    assert expected == 15 + 15 + 30 + 45
    assert pending_minutes(client_user.organisation_id) == expected
    assert pending_minutes(other_organisation.pk) == 45


def test_nothing_pending_is_zero(client_user: Any):
    make_ticket(reporter=client_user, state=State.ASSIGNED)
    assert pending_minutes(client_user.organisation_id) == 0
