"""Staff in the admin: organisations by balance, one organisation's ledger and revisions,
adjustments (memo required) and revisions through their forms."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from allowances.ledger import adjustment_create, revision_create
from allowances.models import AllowanceMail, AllowanceRevision, Kind, LedgerEntry
from allowances.periods import current_period, format_period, next_period
from atm_support.minutes import MINUS
from mail.models import Status
from tests.factories import ClientFactory, OrganisationFactory, StaffFactory
from tests.utils import text

pytestmark = pytest.mark.django_db

LIST = "/admin/allowances/organisationbalance/"


@pytest.fixture
def technician_client(client: Client) -> tuple[Client, Any]:
    """A staff member without any permission granted (not a superuser)."""
    technician = StaffFactory(email="tom@atm-consulting.fr")
    client.force_login(technician)
    return client, technician


@pytest.fixture
def three(staff_user: Any) -> list[Any]:
    rich = OrganisationFactory(name="Riche")
    poor = OrganisationFactory(name="Pauvre")
    middle = OrganisationFactory(name="Moyen")
    for organisation, minutes in ((rich, 600), (poor, -45), (middle, 30)):
        adjustment_create(organisation=organisation, minutes=minutes, memo="Reprise", by=staff_user)
    return [rich, poor, middle]


def test_organisations_by_balance_lowest_first_negative_in_red(
    technician_client: tuple[Client, Any], three: list[Any]
) -> None:
    client, _ = technician_client
    response = client.get(LIST)
    assert response.status_code == 200
    names = [o.name for o in response.context["cl"].result_list]
    assert names == ["Pauvre", "Moyen", "Riche"]
    body = text(response)
    assert f'<strong class="allowance-negative">{MINUS}0 h 45</strong>' in body
    assert "allowances/admin.css" in body
    assert "10 h" in body
    # Filtered by level: only the overage.
    response = client.get(LIST + "?level=negative")
    assert [o.name for o in response.context["cl"].result_list] == ["Pauvre"]


def test_organisation_page_shows_ledger_and_revisions(
    technician_client: tuple[Client, Any], three: list[Any], staff_user: Any
) -> None:
    client, _ = technician_client
    poor = three[1]
    revision_create(
        organisation=poor,
        minutes_per_month=120,
        effective_from=next_period(current_period()),
        by=staff_user,
        memo="Contrat renouvelé",
    )
    body = text(client.get(f"{LIST}{poor.pk}/change/"))
    assert "Reprise" in body
    assert "Contrat renouvelé" in body
    assert "Ajuster le solde" in body
    assert "Réviser le forfait" in body


def test_adjustment_form_requires_a_memo_then_writes_the_entry(
    technician_client: tuple[Client, Any], three: list[Any]
) -> None:
    client, technician = technician_client
    poor = three[1]
    url = f"{LIST}{poor.pk}/ajuster/"
    response = client.post(url, {"minutes": "60", "memo": ""})
    assert response.status_code == 200
    assert "Ce champ est obligatoire" in text(response)
    assert LedgerEntry.objects.filter(organisation=poor).count() == 1
    response = client.post(url, {"minutes": "60", "memo": "Geste commercial"})
    assert response.status_code == 302
    entry = LedgerEntry.objects.filter(organisation=poor).latest("pk")
    assert (entry.kind, entry.minutes, entry.memo, entry.author) == (
        Kind.ADJUSTMENT,
        60,
        "Geste commercial",
        technician,
    )
    assert entry.period == current_period()


def test_revision_form_for_the_current_month_adjusts_the_credit(
    technician_client: tuple[Client, Any], staff_user: Any
) -> None:
    client, _ = technician_client
    organisation = OrganisationFactory(name="Nouveau client")
    url = f"{LIST}{organisation.pk}/reviser/"
    form = client.get(url).context["form"]
    months = [value for value, _label in form.fields["effective_from"].choices]
    assert months[0] == format_period(current_period())
    assert len(months) == 13
    response = client.post(
        url, {"hours": "2", "minutes": "0", "effective_from": months[0], "memo": "Signature"}
    )
    assert response.status_code == 302
    # A new contract: this month is credited at once.
    assert list(
        LedgerEntry.objects.filter(organisation_id=organisation.pk).values_list("kind", "minutes")
    ) == [(Kind.CREDIT, 120)]
    client.post(url, {"hours": "3", "minutes": "0", "effective_from": months[0]})
    assert list(
        LedgerEntry.objects.filter(organisation_id=organisation.pk).values_list("kind", "minutes")
    ) == [(Kind.CREDIT, 120), (Kind.ADJUSTMENT, 60)]
    assert AllowanceRevision.objects.filter(organisation_id=organisation.pk).count() == 2
    # A past month is not offered, and refused if forced.
    response = client.post(url, {"hours": "1", "minutes": "0", "effective_from": "2000-01"})
    assert response.status_code == 200
    assert AllowanceRevision.objects.filter(organisation_id=organisation.pk).count() == 2


def test_ledger_cannot_be_edited_in_the_admin(
    technician_client: tuple[Client, Any], three: list[Any]
) -> None:
    client, _ = technician_client
    entry = LedgerEntry.objects.first()
    assert entry is not None
    assert client.get("/admin/allowances/ledgerentry/").status_code == 200
    assert client.get("/admin/allowances/ledgerentry/add/").status_code == 403
    assert client.get(f"/admin/allowances/ledgerentry/{entry.pk}/delete/").status_code == 403
    response = client.post(f"/admin/allowances/ledgerentry/{entry.pk}/change/", {"minutes": 1})
    assert response.status_code == 403
    assert LedgerEntry.objects.get(pk=entry.pk).minutes == entry.minutes


def test_clients_never_reach_the_admin_pages(client: Client, three: list[Any]) -> None:
    client.force_login(ClientFactory())
    response = client.get(LIST)
    assert response.status_code == 302
    assert not response["Location"].startswith(LIST)


def test_failed_mails_can_be_sent_again(
    technician_client: tuple[Client, Any], three: list[Any], client_user: Any
) -> None:
    client, _ = technician_client
    mail = AllowanceMail.objects.create(
        kind="statement",
        organisation=client_user.organisation,
        recipient=client_user,
        period=current_period(),
        balance=0,
        status=Status.FAILED,
        attempts=10,
    )
    client.post(
        "/admin/allowances/allowancemail/",
        {"action": "resend", "_selected_action": [mail.pk]},
    )
    mail.refresh_from_db()
    assert mail.status in {Status.QUEUED, Status.SENT}
    assert mail.attempts <= 1


def test_the_organisation_page_links_to_its_hours(
    technician_client: tuple[Client, Any], three: list[Any], staff_user: Any
) -> None:
    client, _ = technician_client
    poor = three[1]
    staff_user.is_superuser = True  # the organisations' admin asks for Django permissions
    staff_user.save(update_fields=["is_superuser"])
    client.force_login(staff_user)
    body = text(client.get(f"/admin/accounts/organisation/{poor.pk}/change/"))
    assert f"{MINUS}0 h 45" in body
    assert f'href="{LIST}{poor.pk}/change/"' in body


def test_the_organisation_page_of_accounts_shows_the_balance_and_the_way_to_the_ledger(
    admin_client: Client, three: list[Any]
) -> None:
    """accounts' organisation page knows nothing of hours: allowances adds the line."""
    poor = three[1]
    response = admin_client.get(f"/admin/accounts/organisation/{poor.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    line = body[body.index('class="form-row field-hours"') :]
    line = line[: line.index("</fieldset>")]
    assert "<label>Crédit d&#x27;heures" in line
    assert f"{MINUS}0 h 45" in line
    assert f'href="/admin/allowances/organisationbalance/{poor.pk}/change/"' in line
    assert "solde, écritures, ajustements et forfait" in line
    # After the tickets' line, as when accounts' admin wrote it itself.
    assert body.index("field-tickets") < body.index("field-hours")
