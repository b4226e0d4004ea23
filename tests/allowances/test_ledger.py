"""The ledger: append-only, one credit per month, one debit per ticket, balance = sum, and the
same truths over random sequences of credits, debits, adjustments and revisions (hypothesis)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from allowances import alerts
from allowances.ledger import (
    AllowanceError,
    adjustment_create,
    allowance_for,
    balance_of,
    revision_create,
    rounded_debit,
)
from allowances.models import (
    AllowanceMail,
    AllowanceRevision,
    BalanceLevelChange,
    Kind,
    LedgerEntry,
    Level,
)
from allowances.month_end import close_month
from allowances.periods import next_period, period_of, period_start
from allowances.selectors import months, statement
from atm_support.db import AppendOnlyError
from tests.allowances.conftest import month, paris, resolved_ticket
from tests.factories import ClientFactory, OrganisationFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@given(st.integers(min_value=0, max_value=100_000))
def test_debit_is_rounded_up_to_the_quarter_hour(minutes: int) -> None:
    debit = rounded_debit(minutes)
    assert debit % 15 == 0
    assert minutes <= debit < minutes + 15


@pytest.mark.parametrize(("minutes", "debit"), [(0, 0), (1, 15), (15, 15), (16, 30), (46, 60)])
def test_debit_examples(minutes: int, debit: int) -> None:
    assert rounded_debit(minutes) == debit


def test_a_second_credit_for_the_same_month_is_impossible(organisation: Any) -> None:
    LedgerEntry.objects.create(
        organisation=organisation, kind=Kind.CREDIT, period=month(2026, 3), minutes=60
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            organisation=organisation, kind=Kind.CREDIT, period=month(2026, 3), minutes=60
        )


def test_a_second_debit_of_the_same_ticket_is_impossible(
    organisation: Any, client_user: Any
) -> None:
    ticket = resolved_ticket(reporter=client_user, resolved_at=paris(2026, 3, 3))
    LedgerEntry.objects.create(
        organisation=organisation,
        kind=Kind.DEBIT,
        period=month(2026, 3),
        minutes=-15,
        ticket=ticket,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            organisation=organisation,
            kind=Kind.DEBIT,
            period=month(2026, 4),
            minutes=-15,
            ticket=ticket,
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": Kind.ADJUSTMENT, "minutes": 30, "memo": ""},  # an adjustment needs a memo
        {"kind": Kind.CREDIT, "minutes": -30},  # a credit never takes hours
        {"kind": Kind.DEBIT, "minutes": -30},  # a debit names its ticket
        {"kind": Kind.ADJUSTMENT, "minutes": 30, "memo": "x", "period": date(2026, 3, 2)},
    ],
)
def test_the_database_refuses_malformed_entries(organisation: Any, fields: dict[str, Any]) -> None:
    fields.setdefault("period", month(2026, 3))
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(organisation=organisation, **fields)


def test_entries_and_revisions_are_append_only(organisation: Any, staff_user: Any) -> None:
    entry = adjustment_create(
        organisation=organisation, minutes=30, memo="Geste commercial", by=staff_user
    )
    revision = revision_create(
        organisation=organisation,
        minutes_per_month=60,
        effective_from=next_period(month(2030, 1)),
        by=staff_user,
    ).revision
    for row in (entry, revision):
        with pytest.raises(AppendOnlyError):
            row.save()
        with pytest.raises(AppendOnlyError):
            row.delete()
    # Below the ORM too: PostgreSQL's trigger refuses UPDATE and DELETE.
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            LedgerEntry.objects.filter(pk=entry.pk).update(minutes=3000)
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            AllowanceRevision.objects.filter(pk=revision.pk).delete()
    assert LedgerEntry.objects.get(pk=entry.pk).minutes == 30


def test_adjustment_needs_a_memo_and_staff(
    organisation: Any, staff_user: Any, client_user: Any
) -> None:
    with pytest.raises(AllowanceError):
        adjustment_create(organisation=organisation, minutes=30, memo="  ", by=staff_user)
    with pytest.raises(AllowanceError):
        adjustment_create(organisation=organisation, minutes=30, memo="Cadeau", by=client_user)
    with pytest.raises(AllowanceError):
        adjustment_create(organisation=organisation, minutes=0, memo="Rien", by=staff_user)
    assert not LedgerEntry.objects.exists()


def test_revision_takes_effect_from_the_current_or_a_later_month(
    organisation: Any, staff_user: Any
) -> None:
    now = paris(2026, 5, 20)
    with pytest.raises(AllowanceError, match="mois en cours"):
        revision_create(
            organisation=organisation,
            minutes_per_month=60,
            effective_from=month(2026, 4),
            by=staff_user,
            now=now,
        )
    revision_create(
        organisation=organisation,
        minutes_per_month=60,
        effective_from=month(2026, 7),
        by=staff_user,
        now=now,
    )
    # A later decision wins from its own month on; the older revision stays as history.
    revision_create(
        organisation=organisation,
        minutes_per_month=120,
        effective_from=month(2026, 6),
        by=staff_user,
        now=now,
    )
    assert [allowance_for(organisation.pk, month(2026, m)) for m in (5, 6, 7, 8)] == [
        0,
        120,
        120,
        120,
    ]
    assert AllowanceRevision.objects.filter(organisation=organisation).count() == 2


# --- Random sequences -------------------------------------------------------------------------

FIRST = month(2026, 1)


@dataclass(frozen=True)
class Revise:
    organisation: int
    minutes: int
    months_ahead: int


@dataclass(frozen=True)
class Adjust:
    organisation: int
    minutes: int


@dataclass(frozen=True)
class Work:
    """A ticket resolved this month with these billable minutes."""

    organisation: int
    minutes: tuple[int, ...]


@dataclass(frozen=True)
class MonthEnd:
    runs: int  # 0: missed (the next one catches up), 1: on time, 2: run twice


operations = st.one_of(
    st.builds(Revise, st.integers(0, 1), st.sampled_from([0, 30, 60, 120, 150]), st.integers(0, 2)),
    st.builds(Adjust, st.integers(0, 1), st.integers(-300, 300).filter(bool)),
    st.builds(Work, st.integers(0, 1), st.lists(st.integers(0, 200), max_size=3).map(tuple)),
    st.builds(MonthEnd, st.sampled_from([0, 1, 1, 2])),
)


@settings(max_examples=40)
@given(st.lists(operations, min_size=1, max_size=14))
def test_random_sequences_keep_the_ledger_true(staff_user: Any, steps: list[Any]) -> None:
    with transaction.atomic():
        check_sequence(staff_user, steps)
        transaction.set_rollback(True)


def check_sequence(staff_user: Any, steps: list[Any]) -> None:
    organisations = [OrganisationFactory(name=f"Client {n}") for n in range(2)]
    reporters = [ClientFactory(organisation=o) for o in organisations]
    current = FIRST
    now = paris(2026, 1, 1, 9)
    expected_debits: dict[int, int] = {}
    for step in steps:
        organisation = organisations[getattr(step, "organisation", 0)]
        # The organisations whose ledger this step wrote to: their level must be fresh.
        written = [organisation]
        if isinstance(step, Revise):
            effective = current
            for _ in range(step.months_ahead):
                effective = next_period(effective)
            revision_create(
                organisation=organisation,
                minutes_per_month=step.minutes,
                effective_from=effective,
                by=staff_user,
                now=now,
            )
        elif isinstance(step, Adjust):
            adjustment_create(
                organisation=organisation,
                minutes=step.minutes,
                memo="Geste",
                by=staff_user,
                now=now,
            )
        elif isinstance(step, Work):
            ticket = resolved_ticket(
                reporter=reporters[step.organisation],
                technician=staff_user,
                resolved_at=now,
                minutes=step.minutes,
            )
            expected_debits[ticket.pk] = -rounded_debit(sum(step.minutes))
            written = []
        else:
            current = next_period(current)
            now = period_start(current).replace(minute=5)
            for _ in range(step.runs):
                close_month(now=now)
            written = organisations if step.runs else []
        assert_ledger_truths(organisations, now, written)
    # Catch up what the missed runs left, then every resolved ticket was debited exactly once.
    now = period_start(next_period(current)).replace(minute=5)
    close_month(now=now)
    assert_ledger_truths(organisations, now, organisations)
    debits = dict(LedgerEntry.objects.filter(kind=Kind.DEBIT).values_list("ticket_id", "minutes"))
    assert debits == expected_debits
    assert not Ticket.objects.filter(pk__in=expected_debits, state="resolved").exists()


def assert_ledger_truths(organisations: list[Any], now: Any, written: list[Any]) -> None:
    for organisation in organisations:
        entries = list(LedgerEntry.objects.filter(organisation=organisation))
        total = sum(entry.minutes for entry in entries)
        # Balance = sum of entries, whichever way it is read.
        assert balance_of(organisation.pk) == total
        history = months(organisation.pk)
        assert (history[0].closing if history else 0) == total
        if history:
            last = statement(organisation.pk, history[0].period)
            assert last is not None
            assert last.closing == total
        # No double entry: one credit per month, one debit per ticket.
        credits = Counter(e.period for e in entries if e.kind == Kind.CREDIT)
        assert all(count == 1 for count in credits.values())
        debits = Counter(e.ticket_id for e in entries if e.kind == Kind.DEBIT)
        assert all(count == 1 for count in debits.values())
        # Each credited month got exactly the allowance in force for it, revisions included.
        for period in credits:
            granted = sum(
                e.minutes
                for e in entries
                if e.period == period
                and (e.kind == Kind.CREDIT or (e.kind == Kind.ADJUSTMENT and e.revision_id))
            )
            assert granted == allowance_for(organisation.pk, period), period
        # After a write, the recorded level is where the balance stands against the allowance.
        if organisation in written:
            assert alerts.current_level(organisation.pk) == alerts.level_for(
                total, allowance_for(organisation.pk, period_of(now))
            )
        # One warning per crossing (per recipient), never one for an improvement.
        changes = list(BalanceLevelChange.objects.filter(organisation=organisation).order_by("pk"))
        previous = Level.OK
        for change in changes:
            warned = AllowanceMail.objects.filter(level_change=change).exists()
            assert warned == alerts.is_crossing(previous, Level(change.level))
            previous = Level(change.level)
