"""« Rapport de temps » in Chromium: a technician opens it from the admin's index, reads the
ledger's debits of last month in it, filters, downloads the CSV; the chart is looked at on a
screenshot. And a client rates the answer to a Résolu ticket from its page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum
from playwright.sync_api import Page, expect

from allowances.models import Kind, LedgerEntry
from allowances.month_end import close_month
from allowances.periods import current_period, format_period, period_label, previous_period
from atm_support.minutes import format_minutes
from tests.allowances.conftest import paris, resolved_ticket
from tests.e2e.axe import assert_accessible, axe_available
from tests.factories import PASSWORD, ClientFactory, OrganisationFactory, StaffFactory
from tickets.models import State
from tickets.satisfaction import Rating, rating_path, rating_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def admin_log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def portal_log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Accueil")).to_be_visible()


def debits(period: Any) -> dict[str, int]:
    rows = (
        LedgerEntry.objects.filter(kind=Kind.DEBIT, period=period)
        .values("organisation__name")
        .annotate(total=Sum("minutes"))
        .values_list("organisation__name", "total")
    )
    return {name: -int(total) for name, total in rows}


def test_time_report_shows_the_ledgers_debits_its_chart_and_exports_csv(
    page: Page, audit_page: Any, live_server: Any, shoot: Any, tmp_path: Path
) -> None:
    base = live_server.url
    last = previous_period(current_period())
    tom: Any = StaffFactory(email="tom@atm-consulting.fr", first_name="Tom", last_name="Martin")
    lea: Any = StaffFactory(email="lea@atm-consulting.fr", first_name="Léa", last_name="Roux")
    work: dict[str, list[tuple[Any, tuple[int, ...]]]] = {
        "Boulangerie Martin": [(tom, (50, 40)), (lea, (20,)), (tom, (95,)), (lea, (5,))],
        "Cabinet Durand": [(lea, (130, 22)), (tom, (61,))],
        "Pharmacie Leroy": [(tom, (35,))],
        "Atelier Bois et Compagnie du Grand Ouest": [(lea, (10, 10)), (tom, (240,))],
    }
    for name, tickets in work.items():
        reporter = ClientFactory(organisation=OrganisationFactory(name=name))
        for day, (technician, minutes) in enumerate(tickets, start=3):
            ticket = resolved_ticket(
                reporter=reporter,
                technician=technician,
                resolved_at=paris(last.year, last.month, day, 11),
                minutes=minutes,
                unbillable=(15,) if day == 3 else (),
            )
            rating_save(
                ticket=ticket,
                user=reporter,
                satisfied=day != 4,
                comment="" if day != 4 else "La solution a mis trois jours à arriver.",
            )
    close_month(period=last)  # the real month end, as beat runs it on the 1st
    expected = debits(last)
    assert len(expected) == 4

    admin_log_in(page, base, tom.email)
    page.get_by_role("link", name="Rapport de temps").click()
    expect(page.get_by_role("heading", name="Rapport de temps")).to_be_visible()
    expect(page.locator("#report-month")).to_have_text(period_label(last).capitalize())
    rows = page.locator("#time-report-organisations tbody tr")
    expect(rows).to_have_count(4)
    for index in range(4):
        row = rows.nth(index)
        name = row.locator("th").inner_text().strip()
        # What the page shows is what the ledger debited, in the ledger's own writing.
        assert row.locator("td.billable").inner_text() == format_minutes(expected[name]), name
        assert row.locator("td.debited").inner_text() == format_minutes(expected[name]), name
    expect(page.locator("#time-report-total td.billable")).to_have_text(
        format_minutes(sum(expected.values()))
    )
    # The chart: one bar per organisation, the longest for the most minutes.
    bars = page.locator("svg.time-report-svg g.bar")
    expect(bars).to_have_count(4)
    widths = [
        float(bars.nth(i).locator("rect.bar-billable").get_attribute("width") or 0)
        for i in range(4)
    ]
    assert widths == sorted(widths, reverse=True)
    by_technician = page.locator("#time-report-by-technician")
    expect(by_technician).to_contain_text("Tom Martin")
    expect(by_technician).to_contain_text("3 satisfaits, 2 pas satisfaits")
    expect(page.locator("#time-report-comments")).to_contain_text(
        "La solution a mis trois jours à arriver."
    )
    shoot(page, "time-report-01-month")

    with page.expect_download() as download_info:
        page.locator("#time-report-csv").click()
    download = download_info.value
    assert download.suggested_filename == f"rapport-temps-{format_period(last)}.csv"
    saved = tmp_path / "rapport.csv"
    download.save_as(saved)
    content = saved.read_bytes().decode("utf-8")
    assert content.startswith("\ufeffMois;Technicien;Organisation;Facturable (minutes)")
    lines = [line.split(";") for line in content.lstrip("\ufeff").splitlines()[1:]]
    per_organisation: dict[str, int] = {}
    for line in lines:
        per_organisation[line[2]] = per_organisation.get(line[2], 0) + int(line[3])
    assert per_organisation == expected

    # One technician: Léa's lines only.
    page.get_by_label("Technicien").select_option(label="Léa Roux")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#time-report-technicians tbody")).not_to_contain_text("Tom Martin")
    expect(page.locator("#time-report-technicians tbody")).to_contain_text("Léa Roux")
    shoot(page, "time-report-02-technician")

    # A month written wrongly: a French message, the page still there.
    page.goto(f"{base}/admin/allowances/timereportpage/?mois=2026-13")
    expect(page.locator("#time-report-filters")).to_contain_text(
        "Mois attendu au format AAAA-MM (par exemple 2026-03)."
    )

    if axe_available():
        audit = audit_page(tom)
        audit.goto(f"{base}/admin/allowances/timereportpage/?mois={format_period(last)}")
        assert_accessible(audit, "Rapport de temps")


def test_client_rates_the_answer_of_a_resolved_ticket_from_its_page(
    page: Page, audit_page: Any, live_server: Any, client_user: Any, shoot: Any
) -> None:
    base = live_server.url
    tom: Any = StaffFactory(email="tom@atm-consulting.fr", first_name="Tom", last_name="Martin")
    ticket = resolved_ticket(
        reporter=client_user,
        technician=tom,
        resolved_at=paris(2026, 11, 30, 10),
        minutes=(30,),
        summary="Les factures ne partent plus par e-mail",
    )
    assert ticket.state == State.RESOLVED
    portal_log_in(page, base, client_user.email)
    page.goto(f"{base}{ticket.get_absolute_url()}")
    panel = page.locator("#avis")
    expect(panel).to_contain_text("Le ticket est résolu : dites-nous si la réponse vous convient.")
    shoot(page, "rating-01-ticket-resolu")
    panel.get_by_label("Pas satisfait").check()
    panel.get_by_label("Commentaire (facultatif)").fill("La réponse est arrivée tard.")
    panel.get_by_role("button", name="Donner mon avis").click()
    expect(page.locator(".messages")).to_contain_text("Merci pour votre avis.")
    expect(page.locator("#rating-current")).to_contain_text("êtes pas satisfait de la réponse.")
    rating = Rating.objects.get()
    assert (rating.satisfied, rating.comment, rating.handler_id) == (
        False,
        "La réponse est arrivée tard.",
        tom.pk,
    )
    shoot(page, "rating-02-avis-donne")
    # The resolution mail's link opens the same form on its own page, the opinion shown.
    page.goto(f"{base}{rating_path(ticket=ticket, user=client_user)}")
    expect(page.get_by_role("heading", name="Donner votre avis")).to_be_visible()
    expect(page.get_by_label("Pas satisfait")).to_be_checked()
    shoot(page, "rating-03-lien-du-courriel")
    if axe_available():
        audit = audit_page(client_user)
        audit.goto(f"{base}{ticket.get_absolute_url()}")
        assert_accessible(audit, "Ticket résolu, « Votre avis »")
        audit.goto(f"{base}{rating_path(ticket=ticket, user=client_user)}")
        assert_accessible(audit, "Donner votre avis")
    # Another person's link: a French message, no form.
    page.goto(f"{base}{rating_path(ticket=ticket, user=tom)}")
    expect(page.locator("#rating-error")).to_contain_text(
        "Ce lien a été envoyé à une autre personne."
    )
