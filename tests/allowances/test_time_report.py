"""« Rapport de temps »: its billable figures are the month end's debits (the real close_month),
split between technicians with the rounding given to one of them; the CSV; the month's chart;
the admin page (staff only, filters, bad input); a query count that does not grow with tickets."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext

from allowances.models import Kind, LedgerEntry
from allowances.month_end import close_month
from allowances.time_report import CSV_HEADER, chart, report_csv, time_report
from tests.allowances.conftest import month, paris, resolved_ticket
from tests.factories import ClientFactory, OrganisationFactory, StaffFactory
from tests.utils import text
from tickets.models import State, Ticket
from tickets.satisfaction import rating_save
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

MARCH, APRIL = month(2026, 3), month(2026, 4)
MARCH_END = paris(2026, 4, 1, 0, 5)  # the beat run closing March
PAGE = "/admin/allowances/timereportpage/"


def ledger_debits(period: Any) -> dict[int, int]:
    """The month end's debits of `period` per organisation, positive minutes."""
    rows = (
        LedgerEntry.objects.filter(kind=Kind.DEBIT, period=period)
        .values("organisation_id")
        .annotate(total=Sum("minutes"))
        .values_list("organisation_id", "total")
    )
    return {organisation: -int(total) for organisation, total in rows}


@pytest.fixture
def team() -> dict[str, Any]:
    return {
        "tom": StaffFactory(email="tom@atm-consulting.fr", first_name="Tom", last_name="Martin"),
        "lea": StaffFactory(email="lea@atm-consulting.fr", first_name="Léa", last_name="Roux"),
    }


@pytest.fixture
def march(client_user: Any, other_organisation: Any, team: dict[str, Any]) -> dict[str, Any]:
    """March 2026 at Boulangerie Martin and Cabinet Durand, closed by the real month end."""
    tom, lea = team["tom"], team["lea"]
    other_client = ClientFactory(organisation=other_organisation)
    shared = resolved_ticket(
        reporter=client_user,
        technician=tom,
        resolved_at=paris(2026, 3, 10, 9),
        minutes=(20, 25),  # Tom 45 billable
        unbillable=(30,),  # Tom 30 offered
        summary="Partagé",
    )
    # Léa's 10 minutes on Tom's ticket, written before it was resolved.
    Ticket.objects.filter(pk=shared.pk).update(state=State.ASSIGNED)
    note_add(ticket=shared, author=lea, text="Vérifié", minutes_spent=10)
    Ticket.objects.filter(pk=shared.pk).update(
        state=State.RESOLVED, resolved_at=paris(2026, 3, 10, 9)
    )
    small = resolved_ticket(
        reporter=client_user, technician=lea, resolved_at=paris(2026, 3, 12), minutes=(7,)
    )
    empty = resolved_ticket(
        reporter=client_user, technician=lea, resolved_at=paris(2026, 3, 31, 23)
    )
    other = resolved_ticket(
        reporter=other_client, technician=tom, resolved_at=paris(2026, 3, 3), minutes=(61,)
    )
    private = resolved_ticket(
        reporter=client_user, technician=tom, resolved_at=paris(2026, 3, 20), minutes=(40,)
    )
    Ticket.objects.filter(pk=private.pk).update(is_private=True)
    april = resolved_ticket(
        reporter=client_user, technician=tom, resolved_at=paris(2026, 4, 1, 0, 1), minutes=(10,)
    )
    for satisfied, ticket in ((True, shared), (True, small), (False, other)):
        comment = "" if satisfied else "Réponse trop lente <b>vraiment</b>"
        rating_save(ticket=ticket, user=ticket.reporter, satisfied=satisfied, comment=comment)
    close_month(period=MARCH, now=MARCH_END)
    return {
        "shared": shared,
        "small": small,
        "empty": empty,
        "other": other,
        "private": private,
        "april": april,
        "a": client_user.organisation,
        "b": other_organisation,
    }


def test_billable_per_organisation_equals_the_month_ends_debits(march: dict[str, Any]) -> None:
    report = time_report(MARCH)

    billable = {total.organisation_id: total.billable for total in report.organisations}
    assert billable == ledger_debits(MARCH)
    # 45 + 10 → 1 h (Partagé), 7 → 15 (small), 0 (empty); 61 → 1 h 15 (Cabinet Durand).
    assert billable == {march["a"].pk: 75, march["b"].pk: 75}
    totals = {total.organisation_id: total for total in report.organisations}
    assert totals[march["a"].pk].debited == 75
    assert totals[march["a"].pk].pending == 0
    # Every ticket of the month, the one without time and the private one included.
    assert totals[march["a"].pk].tickets == 4
    assert totals[march["b"].pk].tickets == 1
    # Tom's offered 30 min, and the private ticket's 40, never debited.
    assert totals[march["a"].pk].non_billable == 70
    assert report.billable == 150


def test_technicians_share_the_ticket_and_the_rounding_goes_to_the_one_with_most_time(
    march: dict[str, Any], team: dict[str, Any]
) -> None:
    report = time_report(MARCH)
    lines = {(line.technician, line.organisation): line for line in report.lines}
    tom_a = lines[("Tom Martin", "Boulangerie Martin")]
    lea_a = lines[("Léa Roux", "Boulangerie Martin")]
    # Partagé: 55 min → debited 60; Tom (45) takes the 5 minutes of rounding, Léa keeps her 10.
    assert tom_a.billable == 50
    # Léa's small ticket: 7 → 15, hers alone.
    assert lea_a.billable == 10 + 15
    assert (tom_a.tickets, lea_a.tickets) == (2, 2)  # Partagé and the private one; Partagé, small
    assert tom_a.non_billable == 30 + 40
    assert lines[("Tom Martin", "Cabinet Durand")].billable == 75
    # The technicians add up to each organisation's figure, hence to the ledger.
    for total in report.organisations:
        assert total.billable == sum(
            line.billable for line in report.lines if line.organisation_id == total.organisation_id
        )
    # A technician's report: only their lines, the organisation figures theirs too.
    lea_only = time_report(MARCH, technician_id=team["lea"].pk)
    assert {line.technician for line in lea_only.lines} == {"Léa Roux"}
    assert [(t.organisation, t.billable, t.tickets) for t in lea_only.organisations] == [
        ("Boulangerie Martin", 25, 2)
    ]
    b_only = time_report(MARCH, organisation_id=march["b"].pk)
    assert [t.organisation for t in b_only.organisations] == ["Cabinet Durand"]


def test_ratings_count_for_the_handler_at_resolution(
    march: dict[str, Any], team: dict[str, Any]
) -> None:
    report = time_report(MARCH)
    opinions = {o.technician: (o.satisfied, o.unsatisfied) for o in report.opinions}
    # Partagé (Tom's, satisfied), small (Léa's, satisfied), Cabinet Durand's (Tom's, not).
    assert opinions == {"Tom Martin": (1, 1), "Léa Roux": (1, 0)}
    technicians = {
        line.technician: (line.billable, line.tickets, line.satisfied, line.unsatisfied)
        for line in report.technicians
    }
    assert technicians == {"Tom Martin": (50 + 75, 3, 1, 1), "Léa Roux": (25, 2, 1, 0)}
    [comment] = report.comments
    assert (comment.technician, comment.organisation, comment.satisfied) == (
        "Tom Martin",
        "Cabinet Durand",
        False,
    )
    assert comment.comment == "Réponse trop lente <b>vraiment</b>"


def test_a_resolved_ticket_counts_as_pending_then_as_debited_for_the_same_amount(
    march: dict[str, Any],
) -> None:
    before = time_report(APRIL)
    total = before.organisations[0]
    assert (total.organisation_id, total.billable, total.pending, total.debited) == (
        march["a"].pk,
        15,
        15,
        0,
    )
    close_month(period=APRIL, now=paris(2026, 5, 1, 0, 5))
    after = time_report(APRIL)
    assert {t.organisation_id: t.billable for t in after.organisations} == ledger_debits(APRIL)
    assert after.organisations[0].debited == 15
    assert after.organisations[0].pending == 0


def test_many_tickets_of_several_technicians_equal_the_ledger_with_a_bounded_query_count(
    organisation: Any, other_organisation: Any, team: dict[str, Any]
) -> None:
    randomness = random.Random(15)
    technicians = [team["tom"], team["lea"], StaffFactory(first_name="Zoé", last_name="Petit")]
    reporters = [
        ClientFactory(organisation=organisation),
        ClientFactory(organisation=other_organisation),
    ]

    def month_of_tickets(count: int, day: int) -> None:
        for index in range(count):
            ticket = resolved_ticket(
                reporter=reporters[index % 2],
                technician=technicians[index % 3],
                resolved_at=paris(2026, 3, day, 10),
                minutes=tuple(randomness.randint(1, 50) for _ in range(randomness.randint(0, 2))),
                unbillable=(randomness.randint(1, 9),) if index % 4 == 0 else (),
            )
            Ticket.objects.filter(pk=ticket.pk).update(state=State.ASSIGNED)
            note_add(
                ticket=ticket,
                author=technicians[(index + 1) % 3],
                text="Aide",
                minutes_spent=randomness.randint(0, 20),
            )
            Ticket.objects.filter(pk=ticket.pk).update(
                state=State.RESOLVED, resolved_at=paris(2026, 3, day, 10)
            )

    month_of_tickets(4, 5)
    with CaptureQueriesContext(connection) as few:
        time_report(MARCH)
    month_of_tickets(26, 6)
    with CaptureQueriesContext(connection) as many:
        pending = time_report(MARCH)
    assert len(many) == len(few) <= 7, [q["sql"] for q in many.captured_queries]

    close_month(period=MARCH, now=MARCH_END)
    report = time_report(MARCH)
    assert {t.organisation_id: t.billable for t in report.organisations} == ledger_debits(MARCH)
    # What the report said would be debited was debited.
    assert {t.organisation_id: t.pending for t in pending.organisations} == ledger_debits(MARCH)
    for total in report.organisations:
        assert total.tickets == 15
        assert total.billable == sum(
            line.billable for line in report.lines if line.organisation_id == total.organisation_id
        )


def test_csv_has_french_headers_semicolons_and_a_bom(march: dict[str, Any]) -> None:
    content = report_csv(time_report(MARCH))
    assert content.startswith("\ufeff")
    rows = [line.split(";") for line in content.lstrip("\ufeff").splitlines()]
    assert rows[0] == CSV_HEADER
    assert rows[0][:4] == ["Mois", "Technicien", "Organisation", "Facturable (minutes)"]
    assert [
        "2026-03",
        "Tom Martin",
        "Boulangerie Martin",
        "50",
        "0,83",
        "70",
        "1,17",
        "2",
        "1",
        "0",
    ] in rows
    assert [
        "2026-03",
        "Tom Martin",
        "Cabinet Durand",
        "75",
        "1,25",
        "0",
        "0,00",
        "1",
        "0",
        "1",
    ] in rows
    assert [
        "2026-03",
        "Léa Roux",
        "Boulangerie Martin",
        "25",
        "0,42",
        "0",
        "0,00",
        "2",
        "1",
        "0",
    ] in rows
    assert len(rows) == 4


def test_csv_cells_that_look_like_formulas_are_neutralised(team: dict[str, Any]) -> None:
    hostile = OrganisationFactory(name='=HYPERLINK("http://x")')
    reporter = ClientFactory(organisation=hostile)
    resolved_ticket(
        reporter=reporter, technician=team["tom"], resolved_at=paris(2026, 3, 2), minutes=(5,)
    )
    content = report_csv(time_report(MARCH))
    assert "'=HYPERLINK" in content


def test_chart_has_one_bar_per_organisation_proportional_to_its_minutes(
    march: dict[str, Any],
) -> None:
    drawn = chart(time_report(MARCH))
    assert [bar.organisation for bar in drawn.bars] == ["Boulangerie Martin", "Cabinet Durand"]
    a, b = drawn.bars
    # Boulangerie: 75 billable + 70 non billable is the longest bar (400 px); Cabinet: 75 + 0.
    assert a.billable_width + a.non_billable_width == pytest.approx(400)
    assert a.billable_width / b.billable_width == pytest.approx(1)
    assert a.non_billable_width / a.billable_width == pytest.approx(70 / 75, rel=1e-3)
    assert b.non_billable_width == 0


def svg_of(body: str) -> ET.Element:
    found = re.search(
        r'<svg xmlns="http://www.w3.org/2000/svg"\s+class="time-report-svg".*?</svg>', body, re.S
    )
    assert found, "no <svg> in the page"
    return ET.fromstring(found.group(0))  # noqa: S314  (our own page, in a test)


NS = "{http://www.w3.org/2000/svg}"


def test_admin_page_shows_the_report_its_chart_and_the_csv(
    client: Client, march: dict[str, Any], staff_user: Any
) -> None:
    technician = StaffFactory(email="sam@atm-consulting.fr")  # no permission granted
    client.force_login(technician)
    response = client.get(PAGE, {"mois": "2026-03"})
    assert response.status_code == 200
    body = text(response)
    assert "Mars 2026" in body
    assert "1 h 15" in body
    assert "1 satisfait, 1 pas satisfait" in body
    # The comment, escaped.
    assert "Réponse trop lente &lt;b&gt;vraiment&lt;/b&gt;" in response.content.decode()
    svg = svg_of(response.content.decode())
    assert svg.get("role") == "img"
    assert svg.find(f"{NS}title").text == "Temps de mars 2026 par organisation"
    assert "Boulangerie Martin : 1 h 15 facturables" in (svg.find(f"{NS}desc").text or "")
    bars = svg.findall(f"{NS}g[@class='bar']")
    assert [bar.get("data-organisation") for bar in bars] == [
        "Boulangerie Martin",
        "Cabinet Durand",
    ]
    widths = [float(bar.find(f"{NS}rect[@class='bar-billable']").get("width")) for bar in bars]
    assert widths[0] == pytest.approx(widths[1])
    # No script, nothing from elsewhere.
    assert svg.findall(f".//{NS}script") == []

    response = client.get(PAGE, {"mois": "2026-03", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="rapport-temps-2026-03.csv"' in response["Content-Disposition"]
    assert response.content.decode().startswith("\ufeffMois;Technicien;Organisation")

    # Filters: one organisation, one technician.
    response = client.get(PAGE, {"mois": "2026-03", "organisation": march["b"].pk})
    assert [t.organisation for t in response.context["report"].organisations] == ["Cabinet Durand"]
    # The admin's index lists the page.
    assert PAGE in text(client.get("/admin/"))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"mois": "mars"}, "Mois attendu au format AAAA-MM (par exemple 2026-03)."),
        ({"mois": "2026-13"}, "Mois attendu au format AAAA-MM (par exemple 2026-03)."),
        ({"technicien": "abc"}, "Ce choix n&#x27;existe pas : choisissez dans la liste."),
        ({"organisation": "999999"}, "Ce choix n&#x27;existe pas : choisissez dans la liste."),
    ],
)
def test_bad_filters_are_a_french_message_with_the_input_kept(
    client: Client, staff_user: Any, params: dict[str, str], message: str
) -> None:
    client.force_login(staff_user)
    response = client.get(PAGE, params)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    if "mois" in params:
        assert f'value="{params["mois"]}"' in body


def test_a_client_never_reaches_the_report(client: Client, client_user: Any) -> None:
    client.force_login(client_user)
    response = client.get(PAGE, {"mois": "2026-03", "format": "csv"})
    assert response.status_code == 302
    assert "Mois;" not in response.content.decode()


def test_equal_time_gives_the_rounding_to_the_handler(
    client_user: Any, team: dict[str, Any]
) -> None:
    tom, lea = team["tom"], team["lea"]
    ticket = resolved_ticket(
        reporter=client_user, technician=lea, resolved_at=paris(2026, 3, 9), minutes=(10,)
    )
    Ticket.objects.filter(pk=ticket.pk).update(state=State.ASSIGNED)
    note_add(ticket=ticket, author=tom, text="Aide", minutes_spent=10)
    Ticket.objects.filter(pk=ticket.pk).update(state=State.RESOLVED)
    close_month(period=MARCH, now=MARCH_END)
    lines = {line.technician: line.billable for line in time_report(MARCH).lines}
    # 20 min → 30 debited; Léa (the handler) takes the 10 minutes of rounding, Tom keeps his 10.
    assert lines == {"Léa Roux": 20, "Tom Martin": 10}
    assert ledger_debits(MARCH) == {client_user.organisation_id: 30}


def test_a_long_detail_asks_for_a_filter_and_the_csv_keeps_every_line(
    client: Client, march: dict[str, Any], staff_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from allowances import time_report as module

    monkeypatch.setattr(module, "DETAIL_MAX", 2)
    client.force_login(staff_user)
    body = text(client.get(PAGE, {"mois": "2026-03"}))
    assert "3 lignes : choisissez un technicien ou une organisation pour les afficher" in body
    assert "Par technicien et organisation" in body
    csv_lines = client.get(PAGE, {"mois": "2026-03", "format": "csv"}).content.decode()
    assert len(csv_lines.splitlines()) == 1 + 3
    body = text(client.get(PAGE, {"mois": "2026-03", "organisation": march["b"].pk}))
    assert "choisissez un technicien" not in body
