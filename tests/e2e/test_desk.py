"""The technicians' desk in a real Chromium: an overdue ticket shown in red and found with the
« Dépassés » queue, then two tickets assigned at once to a colleague with « Affecter à… ».

(axe checks the list and the « Affecter à… » page in test_accessibility.py, whose pages bypass
the CSP to load it.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.axe import horizontal_overflow
from tests.factories import PASSWORD, StaffFactory, make_ticket
from tickets import targets
from tickets.business_hours import business_seconds
from tickets.models import HistoryEntry, Priority, State, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RED = "rgb(176, 0, 32)"  # .target-late, #b00020 (static/css/ticket_desk.css)


def overdue_by(ticket: Ticket, hours: float) -> None:
    """Its creation moved back until its 8 h first-answer target is `hours` business hours past."""
    created = timezone.now()
    while business_seconds(created, timezone.now()) < (8 + hours) * 3600:
        created -= timedelta(minutes=30)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    HistoryEntry.objects.filter(ticket=ticket).update(created_at=created)
    targets.recount([ticket.pk])


def test_overdue_ticket_is_red_in_depasses_then_two_tickets_go_to_a_colleague(
    page: Page, live_server: Any, staff_user: Any, client_user: Any, shoot: Any
) -> None:
    base = live_server.url
    colleague = StaffFactory(first_name="Bruno", last_name="Collègue")
    late = make_ticket(
        reporter=client_user, summary="La caisse refuse les paiements", priority=Priority.NORMAL
    )
    overdue_by(late, 3)
    fresh = make_ticket(
        reporter=client_user, summary="Ajouter un logo sur la facture", priority=Priority.LOW
    )
    other = make_ticket(reporter=client_user, summary="Question sur l'export")

    page.goto(f"{base}/admin/login/?next=/admin/tickets/ticket/")
    page.get_by_label("Adresse e-mail").fill(staff_user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)

    # The overdue ticket says by how much, in red; the fresh one how long is left.
    late_row = rows.filter(has_text=late.display_number)
    delay = late_row.locator(".field-time_left .target")
    expect(delay).to_contain_text("dépassé de 3 h")
    assert delay.evaluate("e => getComputedStyle(e).color") == RED
    expect(rows.filter(has_text=fresh.display_number).locator(".target")).to_contain_text("reste")
    # The columns fit in a 1280 px window: the list does not scroll sideways.
    assert horizontal_overflow(page) == 0
    results = page.locator("#changelist .results")
    widths = results.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1], f"the list's columns scroll sideways: {widths}"
    shoot(page, "desk-01-liste")

    # « Dépassés », one click away above the list.
    page.locator(".ticket-queues").get_by_role("link", name="Dépassés", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(late.display_number)
    expect(page.locator(".ticket-queues a[aria-current=page]")).to_have_text("Dépassés")
    shoot(page, "desk-02-depasses")

    # Two tickets to a colleague at once.
    page.locator(".ticket-queues").get_by_role("link", name="Non affectés").click()
    expect(rows).to_have_count(3)
    for ticket in (late, other):
        page.locator(f'input[name="_selected_action"][value="{ticket.pk}"]').check()
    page.locator('select[name="action"]').first.select_option("assign_to")
    page.get_by_role("button", name="Exécuter").first.click()
    expect(page.get_by_role("heading", name="Affecter les tickets")).to_be_visible()
    expect(page.locator(".action-tickets li")).to_have_count(2)
    page.get_by_role("button", name="Affecter").click()
    expect(page.locator(".errorlist")).to_contain_text("Choisissez le technicien")
    page.get_by_label("Technicien").select_option(label="Bruno Collègue")
    shoot(page, "desk-03-affecter")
    page.get_by_role("button", name="Affecter").click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"2 tickets affectés à Bruno Collègue : {late.display_number}, {other.display_number}."
    )
    shoot(page, "desk-04-affectes")
    for ticket in (late, other):
        ticket.refresh_from_db()
        assert (ticket.handler, ticket.state) == (colleague, State.ASSIGNED)
    assert Ticket.objects.get(pk=fresh.pk).handler is None
