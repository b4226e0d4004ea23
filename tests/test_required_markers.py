"""Stars mark only the fields a person must fill, as in MantisBT: a field with a default
(Reproductibilité, Impact, Priorité, Langue) is not starred, and a form without its value keeps
the default instead of refusing it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.invitations import invite_client
from tests.factories import CategoryFactory
from tests.utils import text
from tickets.models import Impact, Priority, Reproducibility, Ticket

pytestmark = pytest.mark.django_db


def labels(page: str) -> dict[str, bool]:
    """Each field label of the page (by its text), and whether it carries crispy's star."""
    found = {}
    for match in re.finditer(r"<label\b[^>]*>(.*?)</label>", page, re.DOTALL):
        inner = match.group(1)
        name = re.sub(r"<[^>]+>", "", inner).replace("*", "").strip()
        found[name] = "asteriskField" in inner
    return found


def starred(page: str) -> set[str]:
    return {name for name, star in labels(page).items() if star}


def test_report_form_stars_only_category_summary_and_description(client, client_user) -> None:
    CategoryFactory(name="Anomalie")
    client.force_login(client_user)
    page = text(client.get("/tickets/nouveau/"))
    shown = labels(page)
    for label in ("Reproductibilité", "Impact", "Priorité", "Étapes pour reproduire"):
        assert label in shown, shown  # the label is there, without its star
    assert starred(page) == {"Catégorie", "Résumé", "Description"}


def test_report_without_the_defaulted_fields_takes_their_defaults(client, client_user) -> None:
    category = CategoryFactory(name="Anomalie")
    client.force_login(client_user)
    data: dict[str, Any] = {
        "category": category.pk,
        "summary": "La caisse ne s'ouvre plus",
        "description": "Depuis la mise à jour de ce matin.",
        "reproducibility": "",
        "impact": "",
    }  # priority absent, reproducibility and impact empty

    response = client.post("/tickets/nouveau/", data)

    assert response.status_code == 302, text(response)
    ticket = Ticket.objects.get()
    assert ticket.reproducibility == Reproducibility.HAVE_NOT_TRIED
    assert ticket.impact == Impact.MINOR
    assert ticket.priority == Priority.NORMAL


def test_report_still_refuses_a_value_outside_the_choices(client, client_user) -> None:
    category = CategoryFactory(name="Anomalie")
    client.force_login(client_user)
    response = client.post(
        "/tickets/nouveau/",
        {"category": category.pk, "summary": "Résumé", "description": "Texte", "impact": "999"},
    )
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in text(response)
    assert not Ticket.objects.exists()


def test_account_stars_what_must_be_typed_and_not_the_language(client, client_user) -> None:
    client.force_login(client_user)
    page = text(client.get("/mon-compte/"))
    shown = labels(page)
    assert shown["Langue de l'interface et des e-mails"] is False
    assert shown["Suivre tous les tickets de mon organisation"] is False  # a box: no star
    assert starred(page) == {
        # To change the address: the new one, and the password to confirm it.
        "Nouvelle adresse e-mail",
        "Mot de passe actuel",
        # To change the password.
        "Ancien mot de passe",
        "Nouveau mot de passe",
        "Confirmation du nouveau mot de passe",
    }


def test_account_language_without_a_value_keeps_the_current_one(client, client_user) -> None:
    client_user.language = "en"
    client_user.save(update_fields=["language"])
    client.force_login(client_user)
    client.post("/mon-compte/", {"action": "language", "language": ""})
    client_user.refresh_from_db()
    assert client_user.language == "en"


def test_invitation_stars_both_password_fields(client, organisation) -> None:
    issued = invite_client(email="lea@example.fr", organisation=organisation, send=False)
    page = text(client.get(f"/invitation/{issued.token}/"))
    assert starred(page) == {"Mot de passe", "Confirmation du mot de passe"}
