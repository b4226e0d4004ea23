"""Helpers of the allowance tests: tickets resolved at a chosen instant with billable time, a
fixed clock in Paris, and hypothesis without an example database (the suite stays stateless)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from allowances.models import LedgerEntry
from allowances.periods import PARIS
from tests.factories import StaffFactory, make_ticket
from tickets.models import State, Ticket
from tickets.workflow import note_add, ticket_change_state

settings.register_profile(
    "allowances",
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("allowances")


def paris(*args: int) -> datetime:
    """An instant given as Paris wall-clock time: paris(2026, 3, 31, 23, 59, 59)."""
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def resolved_ticket(
    *,
    reporter: Any,
    resolved_at: datetime,
    minutes: tuple[int, ...] = (),
    unbillable: tuple[int, ...] = (),
    private: tuple[int, ...] = (),
    technician: Any = None,
    summary: str = "L'export comptable est vide",
) -> Ticket:
    """A ticket worked by a technician (notes with minutes) and resolved at `resolved_at`."""
    technician = technician or StaffFactory()
    ticket = make_ticket(
        reporter=reporter, state=State.ASSIGNED, handler=technician, summary=summary
    )
    for spent in minutes:
        note_add(ticket=ticket, author=technician, text="Analyse", minutes_spent=spent)
    for spent in unbillable:
        note_add(
            ticket=ticket, author=technician, text="Offert", minutes_spent=spent, is_billable=False
        )
    for spent in private:
        note_add(
            ticket=ticket, author=technician, text="Interne", minutes_spent=spent, is_private=True
        )
    ticket_change_state(ticket=ticket, to=State.RESOLVED, by=technician)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=resolved_at)
    ticket.refresh_from_db()
    return ticket


def ledger_snapshot(*organisations: Any) -> list[tuple[Any, ...]]:
    """The ledger as comparable facts (no ids or dates): what a run wrote, whatever its timing."""
    entries = LedgerEntry.objects.all()
    if organisations:
        entries = entries.filter(organisation__in=organisations)
    return sorted(
        (
            entry.organisation.name,
            entry.kind,
            entry.period,
            entry.ticket.summary if entry.ticket else "",
            entry.minutes,
        )
        for entry in entries.select_related("organisation", "ticket")
    )


def month(year: int, month_number: int) -> date:
    return date(year, month_number, 1)


@pytest.fixture
def technician() -> Any:
    return StaffFactory(email="tom@atm-consulting.fr")
