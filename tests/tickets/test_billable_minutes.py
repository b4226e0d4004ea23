"""Ticket.billable_minutes, kept by the triggers of tickets migration 0016 on every write of the
notes: the workflow's, a bulk INSERT's (the MantisBT import, the benchmark), QuerySet.update()
and delete(); each time compared with the sum recounted from the notes."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from tests.factories import make_ticket
from tickets.counts import recount_billable_minutes
from tickets.models import Note, Ticket
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db


def kept_and_recounted() -> tuple[dict[int, int], dict[int, int]]:
    kept = dict(Ticket.objects.values_list("pk", "billable_minutes"))
    recounted = {pk: 0 for pk in kept}
    sums = (
        Note.objects.filter(is_billable=True).values("ticket_id").annotate(m=Sum("minutes_spent"))
    )
    for row in sums:
        recounted[row["ticket_id"]] = row["m"] or 0
    return kept, recounted


def assert_kept() -> dict[int, int]:
    kept, recounted = kept_and_recounted()
    assert kept == recounted
    assert recount_billable_minutes() == 0
    return kept


def test_the_recount_repairs_what_went_past_the_triggers(client_user: Any, staff_user: Any):
    ticket = make_ticket(reporter=client_user)
    note_add(ticket=ticket, author=staff_user, text="Analyse", minutes_spent=20)
    other = make_ticket(reporter=client_user)
    Ticket.objects.filter(pk=ticket.pk).update(billable_minutes=3)
    Ticket.objects.filter(pk=other.pk).update(billable_minutes=9)

    assert recount_billable_minutes() == 2
    assert assert_kept() == {ticket.pk: 20, other.pk: 0}


def test_every_kind_of_note_write_keeps_the_tickets_sum(client_user: Any, staff_user: Any):
    first, second = (make_ticket(reporter=client_user) for _ in range(2))
    note_add(ticket=first, author=staff_user, text="Analyse", minutes_spent=20)
    note_add(ticket=first, author=staff_user, text="Offert", minutes_spent=10, is_billable=False)
    note_add(ticket=first, author=staff_user, text="Interne", minutes_spent=5, is_private=True)
    assert assert_kept()[first.pk] == 25  # the private note's time is billed too

    # A multi-row INSERT (as the MantisBT import and the benchmark write notes).
    Note.objects.bulk_create(
        [
            Note(ticket=ticket, organisation=ticket.organisation, author=staff_user,
                 text="Lot", minutes_spent=minutes, is_billable=billable)
            for ticket, minutes, billable in [
                (first, 7, True), (second, 30, True), (second, 45, False), (second, 0, True)
            ]
        ]
    )  # fmt: skip
    assert assert_kept() == {first.pk: 32, second.pk: 30}

    notes = Note.objects.filter(ticket=second)
    notes.filter(minutes_spent=45).update(is_billable=True)  # made billable
    assert assert_kept()[second.pk] == 75
    notes.filter(minutes_spent=30).update(minutes_spent=35)  # time corrected
    assert assert_kept()[second.pk] == 80
    Note.objects.filter(ticket=first, minutes_spent=20).update(is_billable=False)  # offered
    assert assert_kept()[first.pk] == 12
    Note.objects.filter(ticket=first, minutes_spent=7).update(ticket=second)  # moved
    assert assert_kept() == {first.pk: 5, second.pk: 87}
    Note.objects.filter(ticket=second, minutes_spent=45).delete()
    assert assert_kept() == {first.pk: 5, second.pk: 42}
    Note.objects.all().delete()
    assert assert_kept() == {first.pk: 0, second.pk: 0}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's row versions")
def test_a_change_that_moves_no_billable_minute_leaves_the_ticket_alone(
    client_user: Any, staff_user: Any
):
    """A note's text edited, a non-billable note written: the ticket's row is not rewritten
    (its row version, xmin, stays), so such writes cost nothing more and lock nothing more."""
    ticket = make_ticket(reporter=client_user)
    note_add(ticket=ticket, author=staff_user, text="Analyse", minutes_spent=20)

    def version() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT xmin::text FROM tickets_ticket WHERE id = %s", [ticket.pk])
            return str(cursor.fetchone()[0])

    before = version()
    Note.objects.filter(ticket=ticket).update(text="Analyse détaillée")
    Note.objects.create(
        ticket=ticket, organisation=ticket.organisation, author=staff_user, text="Offert",
        minutes_spent=15, is_billable=False,
    )  # fmt: skip
    assert version() == before
    Note.objects.filter(ticket=ticket, is_billable=True).update(minutes_spent=25)
    assert version() != before
    assert assert_kept()[ticket.pk] == 25


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two PostgreSQL sessions at once")
@pytest.mark.django_db(transaction=True)
def test_two_writers_at_the_same_instant_both_count(client_user: Any, staff_user: Any):
    """Two transactions insert billable notes on one ticket at the same time, past the
    workflow's lock (bulk INSERTs, as the import does): the second trigger waits for the first
    one's row lock, then adds to the committed sum; nothing is lost."""
    ticket = make_ticket(reporter=client_user)
    ready = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(minutes: int) -> None:
        try:
            with transaction.atomic():
                ready.wait(timeout=10)
                Note.objects.bulk_create(
                    [
                        Note(ticket=ticket, organisation=ticket.organisation, author=staff_user,
                             text="Lot", minutes_spent=minutes)
                        for _ in range(5)
                    ]
                )  # fmt: skip
                time.sleep(0.2)  # both INSERTs in flight before either commits
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    writers = [threading.Thread(target=write, args=(minutes,)) for minutes in (7, 11)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    assert errors == []
    assert assert_kept()[ticket.pk] == 5 * 7 + 5 * 11
