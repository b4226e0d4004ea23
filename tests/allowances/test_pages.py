"""What clients see: the balance on Accueil, « Relevé d'heures » and its CSV, the ticket's time;
each organisation its own (another's month is 404), anonymous to login, staff to the admin."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from allowances.ledger import adjustment_create, revision_create
from allowances.models import Kind, LedgerEntry, StatementOptOut
from allowances.month_end import close_month
from allowances.periods import current_period, format_period, previous_period
from atm_support.minutes import MINUS
from tests.allowances.conftest import paris, resolved_ticket
from tests.factories import ClientFactory, StaffFactory
from tests.utils import text
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_month(organisation: Any, client_user: Any, staff_user: Any) -> dict[str, Any]:
    """Last month: 2 h allowance credited, two tickets closed at its end (1 h and 0 h 15)."""
    now = timezone.now()
    this_month = current_period(now)
    last_month = previous_period(this_month)
    before = previous_period(last_month)
    # The contract started two months ago (credited then), the month end ran on time since.
    revision_create(
        organisation=organisation,
        minutes_per_month=120,
        effective_from=before,
        by=staff_user,
        now=paris(before.year, before.month, 3),
    )
    close_month(period=before, now=now)
    resolved_at = paris(last_month.year, last_month.month, 15)
    big = resolved_ticket(
        reporter=client_user, resolved_at=resolved_at, minutes=(60,), summary="Zanzibar export"
    )
    small = resolved_ticket(
        reporter=client_user, resolved_at=resolved_at, minutes=(5,), summary="Zanzibar relance"
    )
    close_month(period=last_month, now=now)
    # Still open this month: 20 billable minutes, counted 30 when closed.
    open_ticket = resolved_ticket(reporter=client_user, resolved_at=now, minutes=(20,))
    return {
        "big": big,
        "small": small,
        "open": open_ticket,
        "last_month": last_month,
        "this_month": this_month,
    }


def test_accueil_shows_balance_credit_consumed_and_pending(
    client: Client, client_user: Any, closed_month: dict[str, Any]
) -> None:
    client.force_login(client_user)
    response = client.get("/")
    body = text(response)
    summary = response.context["balance"]
    # 2 h + 2 h (last month) - 1 h 15 + 2 h (this month)
    assert summary.balance == 120 + 120 - 75 + 120
    assert summary.credit == 120
    assert summary.consumed == 75
    assert summary.pending == 30
    assert 'id="balance"' in body
    assert "4 h 45" in body
    assert "Consommé en" in body
    assert "1 h 15" in body
    assert "0 h 30" in body
    assert "Relevé d'heures" in body
    assert "text-danger" not in body.split('id="balance"')[1].split(">")[0]


def test_a_negative_balance_is_red_and_says_so(
    client: Client, client_user: Any, organisation: Any, staff_user: Any
) -> None:
    adjustment_create(organisation=organisation, minutes=-90, memo="Dépassement", by=staff_user)
    client.force_login(client_user)
    body = text(client.get("/"))
    assert f"{MINUS}1 h 30" in body
    assert 'class="fs-5 text-danger"' in body
    assert "Dépassement" in body


def test_statements_list_and_one_month_with_links_to_the_tickets(
    client: Client, client_user: Any, closed_month: dict[str, Any]
) -> None:
    client.force_login(client_user)
    body = text(client.get("/releve-heures/"))
    last = format_period(closed_month["last_month"])
    assert f"/releve-heures/{last}/" in body
    assert "2 tickets" in body

    response = client.get(f"/releve-heures/{last}/")
    assert response.status_code == 200
    body = text(response)
    statement = response.context["statement"]
    assert (statement.opening, statement.credit, statement.debited) == (120, 120, 75)
    assert statement.closing == 165
    assert f'href="{closed_month["big"].get_absolute_url()}"' in body
    assert "Zanzibar export" in body
    assert f"{MINUS}1 h" in body
    assert f"{MINUS}0 h 15" in body


def test_statement_csv_export(
    client: Client, client_user: Any, closed_month: dict[str, Any]
) -> None:
    client.force_login(client_user)
    last = format_period(closed_month["last_month"])
    response = client.get(f"/releve-heures/{last}/csv/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"releve-heures-{last}.csv" in response["Content-Disposition"]
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Date", "Type", "Ticket", "Libellé", "Minutes", "Heures", "Solde (minutes)"]
    assert rows[1][1:] == ["Solde au début du mois", "", "", "", "", "120"]
    body = [row[1:] for row in rows[2:-1]]
    assert body[0][0] == "Crédit mensuel"
    assert body[0][3:] == ["120", "2,00", "240"]
    big = closed_month["big"]
    assert [big.display_number, f"{big.display_number} Zanzibar export", "-60", "-1,00", "180"] == (
        body[1][1:]
    )
    assert body[2][3:] == ["-15", "-0,25", "165"]
    assert rows[-1][1:] == ["Solde à la fin du mois", "", "", "", "", "165"]


def test_csv_cells_cannot_be_formulas(
    client: Client, client_user: Any, organisation: Any, staff_user: Any
) -> None:
    adjustment_create(organisation=organisation, minutes=30, memo="=HYPERLINK(1)", by=staff_user)
    client.force_login(client_user)
    month = format_period(current_period())
    content = client.get(f"/releve-heures/{month}/csv/").content.decode()
    assert "'=HYPERLINK(1)" in content


URLS = ["/releve-heures/", "/releve-heures/{month}/", "/releve-heures/{month}/csv/"]


@pytest.mark.parametrize("who", ["same", "other", "anonymous", "staff"])
@pytest.mark.parametrize("url", URLS)
def test_tenancy(
    who: str, url: str, closed_month: dict[str, Any], organisation: Any, other_organisation: Any
) -> None:
    browser = Client()
    if who == "same":
        browser.force_login(ClientFactory(organisation=organisation))
    elif who == "other":
        browser.force_login(ClientFactory(organisation=other_organisation))
    elif who == "staff":
        browser.force_login(StaffFactory())
    path = url.format(month=format_period(closed_month["last_month"]))
    response = browser.get(path)
    body = response.content.decode()
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/connexion/")
    elif who == "staff":
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    elif who == "other":
        # The list is theirs (empty); another organisation's month does not exist for them.
        assert response.status_code == (200 if path == "/releve-heures/" else 404)
        assert "Zanzibar" not in body
    else:
        assert response.status_code == 200
        assert path == "/releve-heures/" or "Zanzibar" in body


@pytest.mark.parametrize(
    "path", ["/releve-heures/2026-13/", "/releve-heures/1990-01/", "/releve-heures/2999-01/csv/"]
)
def test_months_without_a_statement_are_404(client: Client, client_user: Any, path: str) -> None:
    client.force_login(client_user)
    assert client.get(path).status_code == 404


def test_statement_mail_setting(client: Client, client_user: Any) -> None:
    client.force_login(client_user)
    assert client.get("/releve-heures/").context["wants_mail"] is True
    response = client.post("/releve-heures/", {})
    assert response.status_code == 302
    assert StatementOptOut.objects.filter(user=client_user).exists()
    assert client.get("/releve-heures/").context["wants_mail"] is False
    client.post("/releve-heures/", {"statement_mail": "on"})
    assert not StatementOptOut.objects.filter(user=client_user).exists()


def test_ticket_page_shows_the_time_spent_then_what_was_debited(
    client: Client, client_user: Any, closed_month: dict[str, Any], staff_user: Any
) -> None:
    client.force_login(client_user)
    open_ticket = closed_month["open"]
    note_add(ticket=open_ticket, author=staff_user, text="Secret", minutes_spent=3, is_private=True)
    body = text(client.get(open_ticket.get_absolute_url()))
    section = body.split('id="ticket-time"')[1].split("</dd>")[0]
    assert "0 h 23" in section
    assert "travail interne : 0 h 03" in section  # the private note's minutes, as one sum
    assert "sera décompté à la fin du mois : 0 h 30" in section  # Résolu: rounded at month end
    assert "Secret" not in body  # the private note's time counts, its text stays private

    small = closed_month["small"]
    body = text(client.get(small.get_absolute_url()))
    section = body.split('id="ticket-time"')[1].split("</dd>")[0]
    last = format_period(closed_month["last_month"])
    debit = LedgerEntry.objects.get(ticket=small, kind=Kind.DEBIT)
    day = timezone.localtime(debit.created_at).strftime("%d/%m/%Y")
    assert "0 h 05" in section  # the time spent
    assert f"décompté le {day} : 0 h 15" in section  # what the ledger debited, and when
    assert f"/releve-heures/{last}/" in section
    assert "sera décompté" not in section
