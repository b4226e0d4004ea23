"""`close_month` and `allowance_report`, as ops run them."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from allowances.ledger import revision_create
from allowances.models import LedgerEntry
from allowances.periods import current_period, format_period, previous_period
from tests.allowances.conftest import paris, resolved_ticket
from tests.factories import ClientFactory, OrganisationFactory
from tickets.models import State

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def last_month(organisation: Any, client_user: Any, staff_user: Any) -> Any:
    last = previous_period(current_period())
    before = previous_period(last)
    revision_create(
        organisation=organisation,
        minutes_per_month=60,
        effective_from=before,
        by=staff_user,
        now=paris(before.year, before.month, 2),
    )
    call_command("close_month", "--period", format_period(before), stdout=io.StringIO())
    resolved_ticket(
        reporter=client_user,
        resolved_at=paris(last.year, last.month, 5),
        minutes=(70,),
        summary="Relance TVA",
    )
    return last


def test_close_month_dry_run_prints_and_writes_nothing(last_month: Any) -> None:
    before = LedgerEntry.objects.count()
    out = run("close_month", "--dry-run")
    assert f"{format_period(last_month)} Boulangerie Martin : 1 ticket(s) fermé(s)" in out
    assert "(1 h 15)" in out
    assert "Simulation — Mois" in out
    assert "Rien n'a été écrit ni envoyé." in out
    assert LedgerEntry.objects.count() == before


def test_close_month_then_again_does_nothing(last_month: Any, client_user: Any) -> None:
    out = run("close_month", "--period", format_period(last_month))
    assert "1 ticket(s) fermé(s)" in out
    assert "crédit" in out
    assert client_user.reported_tickets.get().state == State.CLOSED
    out = run("close_month")
    assert "Rien à faire" in out


def test_close_month_refuses_a_month_not_over_and_a_bad_month() -> None:
    with pytest.raises(CommandError, match="pas terminé"):
        call_command("close_month", "--period", format_period(current_period()))
    with pytest.raises(CommandError, match="AAAA-MM"):
        call_command("close_month", "--period", "mars")


def test_allowance_report_table_and_csv(last_month: Any, staff_user: Any) -> None:
    OrganisationFactory(name="Sans contrat")
    ClientFactory(organisation=OrganisationFactory(name="Autre"))
    run("close_month")
    table = run("allowance_report", "--period", format_period(last_month))
    assert f"Crédit d'heures — {format_period(last_month)}" in table
    assert "Boulangerie Martin" in table
    out = run("allowance_report", "--period", format_period(last_month), "--csv")
    rows = list(csv.reader(io.StringIO(out), delimiter=";"))
    assert rows[0][0] == "organisation"
    martin = next(row for row in rows if row[0] == "Boulangerie Martin")
    # forfait, début, crédit, tickets, décompté, ajustements, fin
    assert martin[1:] == ["60", "60", "60", "1", "75", "0", "45"]
    # Lowest closing balance first.
    closings = [int(row[-1]) for row in rows[1:]]
    assert closings == sorted(closings)
