"""« Réviser le forfait » in hours and minutes (#15): 2 heures and 30 minutes are stored as 150
minutes; the allowance in force fills the fields and the page says it as « 2 h 30 »; bad input gets
a French message beside its field, the input kept, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from allowances.ledger import revision_create
from allowances.models import AllowanceRevision
from allowances.periods import current_period, format_period
from tests.utils import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(staff_user: Any) -> Client:
    browser = Client(raise_request_exception=False)
    browser.force_login(staff_user)
    return browser


def url_of(organisation: Any) -> str:
    return f"/admin/allowances/organisationbalance/{organisation.pk}/reviser/"


def test_hours_and_minutes_are_stored_in_minutes(staff: Client, organisation: Any) -> None:
    response = staff.post(
        url_of(organisation),
        {"hours": "2", "minutes": "30", "effective_from": format_period(current_period())},
        follow=True,
    )
    assert response.status_code == 200
    revision = AllowanceRevision.objects.get(organisation_id=organisation.pk)
    assert revision.minutes_per_month == 150
    assert "2 h 30 par mois" in text(response)


@pytest.mark.parametrize(
    ("hours", "minutes", "stored"),
    [("3", "", 180), ("", "45", 45), ("0", "0", 0), ("1666", "0", 99_960), (" 7 ", "05", 425)],
)
def test_either_field_may_stay_empty(
    staff: Client, organisation: Any, hours: str, minutes: str, stored: int
) -> None:
    staff.post(
        url_of(organisation),
        {"hours": hours, "minutes": minutes, "effective_from": format_period(current_period())},
    )
    assert AllowanceRevision.objects.get(organisation_id=organisation.pk).minutes_per_month == (
        stored
    )


def test_the_allowance_in_force_fills_the_fields(
    staff: Client, organisation: Any, staff_user: Any
) -> None:
    revision_create(
        organisation=organisation,
        minutes_per_month=150,
        effective_from=current_period(),
        memo="",
        by=staff_user,
    )
    response = staff.get(url_of(organisation))
    page = text(response)
    assert "Forfait en vigueur ce mois-ci : 2 h 30 par mois." in page
    assert 'name="hours" value="2"' in page
    assert 'name="minutes" value="30"' in page
    # and the revisions' list says hours too
    assert "2 h 30" in text(staff.get("/admin/allowances/allowancerevision/"))


@pytest.mark.parametrize(
    ("hours", "minutes", "error"),
    [
        ("", "", "Indiquez le forfait en heures et minutes (0 et 0 pour aucun forfait)."),
        ("-2", "0", "Un forfait ne peut pas être négatif."),
        ("2", "-5", "Un forfait ne peut pas être négatif."),
        (
            "2",
            "90",
            "Les minutes vont de 0 à 59 : 90 minutes font 1 h 30, écrivez 1 en heures et 30 "
            "en minutes.",
        ),
        ("1667", "0", "Au plus 1666 heures par mois."),
        ("1666", "59", "Au plus 1666 heures par mois."),
        ("99999999999999999999999", "0", "Au plus 1666 heures par mois."),
        ("2,5", "0", "Indiquez un nombre entier d'heures, par exemple 2."),
        ("2", "trente", "Indiquez un nombre entier de minutes, de 0 à 59."),
    ],
)
def test_bad_input_is_said_in_french_and_kept(
    staff: Client, organisation: Any, hours: str, minutes: str, error: str
) -> None:
    response = staff.post(
        url_of(organisation),
        {"hours": hours, "minutes": minutes, "effective_from": format_period(current_period())},
    )
    assert response.status_code == 200
    page = text(response)
    assert error in page
    assert f'name="hours" value="{hours}"' in page or not hours
    assert not AllowanceRevision.objects.filter(organisation_id=organisation.pk).exists()
