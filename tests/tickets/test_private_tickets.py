"""Private tickets (MantisBT's private issues, view_state 50: developers only) never reach a
client: not in a page, a count, a search, the CSV, a file, the hours or a mail. Staff see them
everywhere in the admin, with a « Privé » column, filter and field.

The URL matrix of tests/tickets/test_tenancy.py checks every portal URL against such a ticket;
this file checks the reads that are no URL of their own (counts, hours, month end, mails, the
stats command) and the admin.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from allowances.ledger import revision_create
from allowances.models import Kind, LedgerEntry
from allowances.month_end import close_month
from allowances.selectors import balance_summary, pending_minutes, statement
from mail.models import Status
from notifications import delivery
from notifications.models import Notification
from notifications.selectors import TicketFacts, recipients_for
from tests.allowances.conftest import month, paris, resolved_ticket
from tests.factories import ClientFactory, StaffFactory, make_ticket
from tests.tickets.test_admin_change import page_data
from tests.utils import text
from tickets import counts, selectors
from tickets.editing import ticket_update_details
from tickets.models import HistoryEntry, State, Ticket
from tickets.stats import ticket_stats
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

HIDDEN = "Kerguelen-interne"  # words only the private ticket holds


@pytest.fixture
def technician() -> Any:
    return StaffFactory(email="tom@atm-consulting.fr")


@pytest.fixture
def private_ticket(client_user: Any, technician: Any) -> Ticket:
    """Boulangerie Martin's ticket, reported by Paul, made private, with a public note."""
    ticket = make_ticket(
        reporter=client_user,
        state=State.FEEDBACK,
        handler=technician,
        summary=f"{HIDDEN} facture",
        description=HIDDEN,
    )
    note_add(ticket=ticket, author=technician, text=f"{HIDDEN} relance facture", minutes_spent=45)
    Ticket.objects.filter(pk=ticket.pk).update(is_private=True)
    counts.recount([ticket.organisation_id])  # past the editing functions: counted again
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def public_ticket(client_user: Any) -> Ticket:
    return make_ticket(reporter=client_user, summary="Facture de mars introuvable")


def signed_in(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_client_sees_no_private_ticket_of_their_own_organisation_staff_do(
    client_user, staff_user, private_ticket, public_ticket
):
    visible = selectors.tickets_visible_to(client_user)
    assert list(visible) == [public_ticket]
    counts = selectors.state_counts(client_user)
    assert counts["feedback"] == 0
    assert counts["new"] == 1
    assert list(selectors.awaiting_client(client_user)) == []
    boxes = {key: tickets for key, _title, tickets in selectors.my_view_boxes(client_user)}
    assert boxes["feedback"] == []
    assert private_ticket not in selectors.reported_by(client_user)
    assert private_ticket not in selectors.recently_modified(client_user)
    assert set(selectors.tickets_visible_to(staff_user)) == {private_ticket, public_ticket}
    assert selectors.state_counts(staff_user)["feedback"] == 1


def test_home_and_my_view_neither_count_nor_show_a_private_ticket(
    client_user, private_ticket, public_ticket
):
    browser = signed_in(client_user)
    home = browser.get("/")
    counts = {state.value: total for state, total in home.context["counts"]}
    assert counts["feedback"] == 0
    assert HIDDEN not in text(home)
    assert private_ticket.display_number not in text(home)
    page = text(browser.get("/mon-affichage/"))
    assert public_ticket.display_number in page
    assert HIDDEN not in page
    assert private_ticket.display_number not in page


def test_a_public_note_of_a_private_ticket_does_not_make_it_match_the_search(
    client_user, private_ticket, public_ticket
):
    browser = signed_in(client_user)
    by_note = text(browser.get("/tickets/", {"q": "relance"}))
    assert private_ticket.display_number not in by_note
    found = text(browser.get("/tickets/", {"q": "facture", "state": ["new", "feedback"]}))
    assert public_ticket.display_number in found
    assert private_ticket.display_number not in found
    assert HIDDEN not in found
    assert private_ticket.display_number not in text(
        browser.get("/tickets/", {"q": str(private_ticket.number)})
    )


def test_the_csv_export_leaves_private_tickets_out(client_user, private_ticket, public_ticket):
    browser = signed_in(client_user)
    response = browser.get("/tickets/", {"format": "csv", "state": ["new", "feedback"]})
    body = b"".join(response.streaming_content).decode()
    assert public_ticket.display_number in body
    assert private_ticket.display_number not in body
    assert HIDDEN not in body


def test_the_ticket_page_and_the_number_box_of_a_private_ticket_are_a_404(
    client_user, private_ticket
):
    browser = signed_in(client_user)
    assert browser.get(private_ticket.get_absolute_url()).status_code == 404
    jump = browser.get("/recherche/", {"q": private_ticket.display_number})
    assert jump["Location"].startswith("/tickets/?q=")
    posted = browser.post(private_ticket.get_absolute_url(), {"text": "Une réponse"})
    assert posted.status_code == 404
    assert not private_ticket.notes.filter(text="Une réponse").exists()
    follow = browser.post(f"/tickets/{private_ticket.number}/suivi/", {"action": "follow"})
    assert follow.status_code == 404
    assert not private_ticket.followers.exists()


def test_pending_minutes_of_a_private_ticket_are_not_the_clients(
    client_user, technician, private_ticket, public_ticket
):
    note_add(ticket=public_ticket, author=technician, text="Analyse", minutes_spent=20)
    assert pending_minutes(client_user.organisation_id) == 30  # 20 → 30; not the private 45
    assert balance_summary(client_user.organisation_id).pending == 30


def test_month_end_closes_a_private_ticket_without_debiting_or_listing_it(
    organisation, client_user, technician, staff_user
):
    revision_create(
        organisation=organisation,
        minutes_per_month=120,
        effective_from=month(2026, 3),
        by=staff_user,
        now=paris(2026, 3, 1),
    )
    close_month(now=paris(2026, 3, 1, 0, 5))
    public = resolved_ticket(
        reporter=client_user, technician=technician, resolved_at=paris(2026, 3, 10), minutes=(30,)
    )
    private = resolved_ticket(
        reporter=client_user,
        technician=technician,
        resolved_at=paris(2026, 3, 12),
        minutes=(90,),
        summary=f"{HIDDEN} migration",
    )
    Ticket.objects.filter(pk=private.pk).update(is_private=True)

    report = close_month(now=paris(2026, 4, 1, 0, 5))

    private.refresh_from_db()
    public.refresh_from_db()
    assert (private.state, public.state) == (State.CLOSED, State.CLOSED)
    [month_done] = report.months
    assert [t.pk for t in month_done.tickets] == [public.pk]
    assert month_done.private_closed == 1
    debits = LedgerEntry.objects.filter(kind=Kind.DEBIT)
    assert list(debits.values_list("ticket_id", "minutes")) == [(public.pk, -30)]
    found = statement(organisation.pk, month(2026, 3))
    assert found is not None
    assert [line.entry.ticket_id for line in found.lines if line.entry.ticket_id] == [public.pk]
    page = text(signed_in(client_user).get("/releve-heures/2026-03/"))
    assert public.display_number in page
    assert private.display_number not in page
    assert HIDDEN not in page


def test_only_staff_are_chosen_to_be_mailed_about_a_private_ticket(
    client_user, technician, private_ticket
):
    follower = ClientFactory(organisation=client_user.organisation, follow_all_tickets=True)
    facts = TicketFacts(
        private_ticket.pk,
        private_ticket.organisation_id,
        private_ticket.reporter_id,
        private_ticket.handler_id,
        private_ticket.is_private,
    )
    chosen = {r.user_id for r in recipients_for(ticket=facts, actor_id=None)}
    assert chosen == {technician.pk}
    assert client_user.pk not in chosen
    assert follower.pk not in chosen


def test_no_outbox_row_is_written_for_a_client_of_a_private_ticket(
    client_user, technician, private_ticket
):
    other_staff = StaffFactory()
    note_add(ticket=private_ticket, author=other_staff, text="Relecture")
    rows = Notification.objects.filter(event__note__text="Relecture")
    recipients = set(rows.values_list("recipient_id", flat=True))
    assert recipients == {technician.pk}


def test_a_ticket_made_private_before_the_mail_leaves_mails_no_client(
    smtp, client_user, technician, public_ticket
):
    note_add(ticket=public_ticket, author=technician, text="Le correctif est en production.")
    row = Notification.objects.get(recipient=client_user)
    assert row.status == Status.QUEUED  # sent after commit, which this test never reaches
    delivery._events.clear()
    delivery._events.get(row.event_id)  # a worker's cache, holding the ticket still public
    Ticket.objects.filter(pk=public_ticket.pk).update(is_private=True)

    delivery.deliver(row.pk)

    row.refresh_from_db()
    assert row.status == Status.NO_ACCESS
    assert "ticket privé" in row.last_error
    assert not smtp.to(client_user.email)
    delivery._events.clear()


def test_ticket_stats_leave_private_tickets_out_unless_asked(
    organisation, private_ticket, public_ticket
):
    _rows, total = ticket_stats(organisation=organisation)
    assert total.total == 1
    assert total.counts["feedback"] == 0
    _rows, total = ticket_stats(organisation=organisation, include_private=True)
    assert total.total == 2
    out = io.StringIO()
    call_command("ticket_stats", "--csv", "--include-private", stdout=out)
    assert "Boulangerie Martin" in out.getvalue()


def test_the_privacy_change_shows_in_the_admin_history_not_in_the_clients(
    client_user, staff_user, public_ticket
):
    ticket_update_details(ticket=public_ticket, by=staff_user, changes={"is_private": True})
    ticket_update_details(ticket=public_ticket, by=staff_user, changes={"is_private": False})
    entry = HistoryEntry.objects.filter(ticket=public_ticket, field="is_private").first()
    assert entry is not None
    assert (entry.old_value, entry.new_value) == ("non", "oui")
    page = text(signed_in(client_user).get(public_ticket.get_absolute_url()))
    assert "Privé" not in page
    admin_page = text(
        signed_in(staff_user).get(f"/admin/tickets/ticket/{public_ticket.pk}/change/")
    )
    assert "Privé" in admin_page


def test_admin_lists_filters_and_edits_private_tickets(staff_user, private_ticket, public_ticket):
    browser = signed_in(staff_user)
    listing = browser.get("/admin/tickets/ticket/", {"state": "all", "is_private__exact": "1"})
    assert listing.status_code == 200
    page = text(listing)
    assert private_ticket.display_number in page
    assert public_ticket.display_number not in page
    assert "Privé" in page  # the column and the filter
    change = browser.get(f"/admin/tickets/ticket/{public_ticket.pk}/change/")
    form = change.context["adminform"].form
    assert "is_private" in form.fields
    assert "resolution" in form.fields
    data = page_data(public_ticket, is_private="on")
    saved = browser.post(f"/admin/tickets/ticket/{public_ticket.pk}/change/", data)
    assert saved.status_code == 302, text(saved)[:3000]
    public_ticket.refresh_from_db()
    assert public_ticket.is_private
    assert (
        not selectors.tickets_visible_to(public_ticket.reporter)
        .filter(pk=public_ticket.pk)
        .exists()
    )


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        # Plain index scans too: with the table's statistics of an earlier test (autovacuum
        # runs during the suite) the planner may prefer the organisation_id index; what is
        # asserted is that a covering index answers alone, not the planner's cost guess.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_clients_counts_and_list_order_still_read_the_covering_indexes_alone(
    client_user, private_ticket, public_ticket
):
    """`is_private` is in the INCLUDE of ticket_org_state and ticket_org_updated: leaving the
    private tickets out costs no visit to the table. (« Accueil » reads its counters, which
    keep the public tickets apart: tests/tickets/test_state_counts.py.)"""
    with CaptureQueriesContext(connection) as captured:
        selectors.state_counts(client_user)
    (query,) = captured.captured_queries
    assert "tickets_statecount" in query["sql"]
    assert "is_private" in query["sql"]
    per_state = (
        selectors.tickets_visible_to(client_user).values("state").annotate(n=Count("*")).order_by()
    )
    plan = _plan(str(per_state.query))
    assert "Index Only Scan using ticket_org_state" in plan, plan
    ids = (
        selectors.tickets_visible_to(client_user)
        .order_by("-updated_at", "-number")
        .values_list("pk", flat=True)
    )
    plan = _plan(str(ids[:50].query))
    assert "Index Only Scan using ticket_org_updated" in plan, plan
