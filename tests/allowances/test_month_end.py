"""The month-end job: closing, debits, credits, statements; run twice, crashed, late, dry."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allowances import month_end
from allowances.ledger import balance_of, revision_create
from allowances.models import AllowanceMail, Kind, LedgerEntry, MailKind
from allowances.month_end import MonthEndError, close_month
from tests.allowances.conftest import ledger_snapshot, month, paris, resolved_ticket
from tests.factories import ClientFactory, OrganisationFactory, StaffFactory
from tickets.models import HistoryEntry, State, Ticket
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

APRIL_1 = paris(2026, 4, 1, 0, 5)  # the beat run closing March 2026


@pytest.fixture
def contract(organisation: Any, staff_user: Any) -> Any:
    """Boulangerie Martin: 2 h a month since January 2026 (credited for March already)."""
    revision_create(
        organisation=organisation,
        minutes_per_month=120,
        effective_from=month(2026, 1),
        by=staff_user,
        now=paris(2026, 1, 5),
    )
    close_month(now=paris(2026, 2, 1, 0, 5))
    close_month(now=paris(2026, 3, 1, 0, 5))
    return organisation


def test_month_end_closes_resolved_tickets_debits_rounded_time_and_credits_the_new_month(
    contract: Any, client_user: Any, technician: Any
) -> None:
    balance_before = balance_of(contract.pk)
    first = resolved_ticket(
        reporter=client_user,
        technician=technician,
        resolved_at=paris(2026, 3, 10, 9),
        minutes=(20, 25),  # 45 → 45
        unbillable=(30,),  # not counted
        private=(1,),  # billable although private: 46 → 1 h
    )
    second = resolved_ticket(
        reporter=client_user, technician=technician, resolved_at=paris(2026, 3, 31, 23, 59, 59)
    )

    report = close_month(now=APRIL_1)

    assert report.period == month(2026, 3)
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.state == State.CLOSED
        assert ticket.closed_at == APRIL_1
        # The workflow's history row: by the system (no actor), Résolu → Fermé.
        assert HistoryEntry.objects.filter(
            ticket=ticket, field="state", old_value="resolved", new_value="closed", actor=None
        ).exists()
    debits = dict(LedgerEntry.objects.filter(kind=Kind.DEBIT).values_list("ticket_id", "minutes"))
    assert debits == {first.pk: -60, second.pk: 0}
    credit = LedgerEntry.objects.get(kind=Kind.CREDIT, period=month(2026, 4))
    assert credit.minutes == 120
    assert credit.author is None
    assert LedgerEntry.objects.get(ticket=first).period == month(2026, 3)
    assert balance_of(contract.pk) == balance_before - 60 + 120
    # One statement for the client user, none per closed ticket from the month end.
    mails = AllowanceMail.objects.filter(kind=MailKind.STATEMENT)
    assert [(m.recipient_id, m.period, m.balance) for m in mails] == [
        (client_user.pk, month(2026, 3), balance_before + 60)
    ]


def test_a_ticket_resolved_after_the_last_second_of_the_month_waits_for_the_next(
    contract: Any, client_user: Any
) -> None:
    late = resolved_ticket(reporter=client_user, resolved_at=paris(2026, 4, 1, 0, 0, 0))
    close_month(now=APRIL_1)
    late.refresh_from_db()
    assert late.state == State.RESOLVED
    assert not LedgerEntry.objects.filter(ticket=late).exists()
    close_month(now=paris(2026, 5, 1, 0, 5))
    late.refresh_from_db()
    assert late.state == State.CLOSED
    assert LedgerEntry.objects.get(ticket=late).period == month(2026, 4)


def test_only_resolved_tickets_are_closed(contract: Any, client_user: Any, technician: Any) -> None:
    reopened = resolved_ticket(reporter=client_user, resolved_at=paris(2026, 3, 2), minutes=(30,))
    note_add(ticket=reopened, author=client_user, text="Toujours en panne", reopen=True)
    close_month(now=APRIL_1)
    reopened.refresh_from_db()
    assert reopened.state == State.ASSIGNED
    assert not LedgerEntry.objects.filter(ticket=reopened).exists()


def test_running_twice_changes_nothing_more(contract: Any, client_user: Any) -> None:
    resolved_ticket(reporter=client_user, resolved_at=paris(2026, 3, 2), minutes=(50,))
    first = close_month(now=APRIL_1)
    snapshot = ledger_snapshot()
    mails = AllowanceMail.objects.count()
    with CaptureQueriesContext(connection) as queries:
        second = close_month(now=paris(2026, 4, 1, 9))
    assert first.tickets_closed == 1
    assert (second.months, second.tickets_closed) == ([], 0)
    assert second.already_done == second.organisations
    assert ledger_snapshot() == snapshot
    assert AllowanceMail.objects.count() == mails
    assert len(queries) <= 3  # organisations, last credits: nothing locked, nothing written


def test_a_crash_halfway_is_resumed_to_the_ledger_of_a_clean_run(
    monkeypatch: pytest.MonkeyPatch, staff_user: Any
) -> None:
    organisations = [OrganisationFactory(name=f"Client {n}") for n in range(4)]
    for organisation in organisations:
        revision_create(
            organisation=organisation,
            minutes_per_month=60,
            effective_from=month(2026, 3),
            by=staff_user,
            now=paris(2026, 3, 1, 9),
        )
        resolved_ticket(
            reporter=ClientFactory(organisation=organisation),
            resolved_at=paris(2026, 3, 15),
            minutes=(10,),
            summary=f"Ticket de {organisation.name}",
        )
    reference: list[Any] = []

    # A clean run, rolled back, gives the reference ledger.
    from django.db import transaction

    with transaction.atomic():
        close_month(now=APRIL_1)
        reference = ledger_snapshot()
        transaction.set_rollback(True)

    real_queue = month_end.mails.queue_statements
    calls = {"n": 0}

    def crash_on_third(**kwargs: Any) -> list[int]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker lost")
        return real_queue(**kwargs)

    monkeypatch.setattr(month_end.mails, "queue_statements", crash_on_third)
    with pytest.raises(RuntimeError, match="worker lost"):
        close_month(now=APRIL_1)
    # Two organisations done, whole; the third rolled back (its tickets still Résolu).
    assert LedgerEntry.objects.filter(kind=Kind.CREDIT, period=month(2026, 4)).count() == 2
    assert Ticket.objects.filter(state=State.RESOLVED).count() == 2

    monkeypatch.setattr(month_end.mails, "queue_statements", real_queue)
    report = close_month(now=paris(2026, 4, 1, 0, 20))
    assert len(report.months) == 2
    assert ledger_snapshot() == reference
    assert Ticket.objects.filter(state=State.RESOLVED).count() == 0


def test_three_missed_months_give_the_ledger_of_three_on_time_runs(staff_user: Any) -> None:
    organisation = OrganisationFactory(name="Cabinet Durand")
    reporter = ClientFactory(organisation=organisation)
    revision_create(
        organisation=organisation,
        minutes_per_month=60,
        effective_from=month(2026, 1),
        by=staff_user,
        now=paris(2026, 1, 3),
    )
    # Revised while the job was down: 90 min from March on.
    revision_create(
        organisation=organisation,
        minutes_per_month=90,
        effective_from=month(2026, 3),
        by=staff_user,
        now=paris(2026, 2, 10),
    )
    for resolved, minutes in [
        (paris(2026, 1, 20), (10,)),
        (paris(2026, 1, 31, 23, 59, 59), (61,)),
        (paris(2026, 2, 28, 23, 0), (15,)),
        (paris(2026, 3, 29, 2, 30), (14, 2)),  # the night of the DST change
        (paris(2026, 3, 31, 23, 59, 59), (100,)),
    ]:
        resolved_ticket(
            reporter=reporter, resolved_at=resolved, minutes=minutes, summary=f"{resolved:%F %T}"
        )
    from django.db import transaction

    with transaction.atomic():
        for now in (paris(2026, 2, 1, 0, 5), paris(2026, 3, 1, 0, 5), APRIL_1):
            close_month(now=now)
        on_time = ledger_snapshot()
        on_time_mails = sorted(
            AllowanceMail.objects.values_list("recipient_id", "period", "balance")
        )
        transaction.set_rollback(True)

    report = close_month(now=paris(2026, 4, 3, 14))  # three months late, one run
    assert [m.period for m in report.months] == [month(2026, 1), month(2026, 2), month(2026, 3)]
    assert ledger_snapshot() == on_time
    assert sorted(AllowanceMail.objects.values_list("recipient_id", "period", "balance")) == (
        on_time_mails
    )
    credits = dict(LedgerEntry.objects.filter(kind=Kind.CREDIT).values_list("period", "minutes"))
    assert credits == {
        month(2026, 1): 60,
        month(2026, 2): 60,
        month(2026, 3): 90,
        month(2026, 4): 90,
    }


def test_dry_run_reports_what_it_would_do_and_writes_nothing(
    contract: Any, client_user: Any
) -> None:
    ticket = resolved_ticket(reporter=client_user, resolved_at=paris(2026, 3, 2), minutes=(50,))
    before = ledger_snapshot()
    report = close_month(now=APRIL_1, dry_run=True)
    assert report.tickets_closed == 1
    assert report.minutes_debited == 60
    assert report.months[0].credit == 120
    assert report.months[0].statements == 1
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED
    assert ledger_snapshot() == before
    assert not AllowanceMail.objects.exists()
    assert not HistoryEntry.objects.filter(ticket=ticket, new_value="closed").exists()


def test_a_month_not_over_cannot_be_closed(contract: Any) -> None:
    with pytest.raises(MonthEndError):
        close_month(period=month(2026, 4), now=APRIL_1)


def test_query_count_grows_with_organisations_not_tickets(staff_user: Any) -> None:
    from django.db import transaction

    def queries_for(organisations: int, tickets_each: int) -> int:
        with transaction.atomic():
            for n in range(organisations):
                organisation = OrganisationFactory(name=f"Client {n}")
                reporter = ClientFactory(organisation=organisation)
                for t in range(tickets_each):
                    resolved_ticket(
                        reporter=reporter,
                        technician=staff_user,
                        resolved_at=paris(2026, 3, 5),
                        minutes=(t + 1,),
                    )
            with CaptureQueriesContext(connection) as queries:
                report = close_month(now=APRIL_1)
            assert report.tickets_closed == organisations * tickets_each
            transaction.set_rollback(True)
        return len(queries)

    assert queries_for(3, 1) == queries_for(3, 15)
    per_organisation = queries_for(4, 2) - queries_for(3, 2)
    assert queries_for(10, 2) == queries_for(3, 2) + 7 * per_organisation
    # 21: « Accueil »'s counters moved in the close's transaction (tickets/counts.py).
    assert per_organisation <= 21


def test_new_organisation_without_allowance_gets_a_zero_credit_marking_the_month_closed(
    client_user: Any,
) -> None:
    ticket = resolved_ticket(reporter=client_user, resolved_at=paris(2026, 3, 2), minutes=(5,))
    close_month(now=APRIL_1)
    assert list(LedgerEntry.objects.values_list("kind", "period", "minutes")) == [
        (Kind.DEBIT, month(2026, 3), -15),
        (Kind.CREDIT, month(2026, 4), 0),
    ]
    assert LedgerEntry.objects.get(ticket=ticket).minutes == -15
    assert balance_of(client_user.organisation_id) == -15


def test_revision_for_the_current_month_after_its_credit_adjusts_the_difference(
    contract: Any, staff_user: Any
) -> None:
    close_month(now=APRIL_1)  # credits April with 120
    result = revision_create(
        organisation=contract,
        minutes_per_month=180,
        effective_from=month(2026, 4),
        by=staff_user,
        now=paris(2026, 4, 10),
    )
    assert result.entry is not None
    assert (result.entry.kind, result.entry.minutes, result.entry.period) == (
        Kind.ADJUSTMENT,
        60,
        month(2026, 4),
    )
    # Revised again the same month, down this time: only the new difference.
    result = revision_create(
        organisation=contract,
        minutes_per_month=90,
        effective_from=month(2026, 4),
        by=staff_user,
        now=paris(2026, 4, 11),
    )
    assert result.entry is not None
    assert result.entry.minutes == -90
    april = LedgerEntry.objects.filter(period=month(2026, 4))
    assert sum(april.values_list("minutes", flat=True)) == 90


def test_staff_closing_never_happens_twice_even_if_a_debit_exists(
    contract: Any, client_user: Any
) -> None:
    """The unique index is the last word: a debit for the ticket already there aborts the
    organisation's month (and leaves it whole), whatever the code above it believed."""
    ticket = resolved_ticket(reporter=client_user, resolved_at=paris(2026, 3, 2), minutes=(5,))
    LedgerEntry.objects.create(
        organisation=contract, kind=Kind.DEBIT, period=month(2026, 2), minutes=-15, ticket=ticket
    )
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        close_month(now=APRIL_1)
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED
    assert not LedgerEntry.objects.filter(kind=Kind.CREDIT, period=month(2026, 4)).exists()


def test_statement_goes_only_to_active_client_users_who_want_it(
    contract: Any, client_user: Any
) -> None:
    from allowances.models import StatementOptOut

    colleague = ClientFactory(organisation=contract)
    StatementOptOut.objects.create(user_id=colleague.pk)
    ClientFactory(organisation=contract, is_active=False)
    StaffFactory()
    close_month(now=APRIL_1)
    assert list(
        AllowanceMail.objects.filter(kind=MailKind.STATEMENT).values_list("recipient", flat=True)
    ) == [client_user.pk]
