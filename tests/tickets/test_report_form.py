from __future__ import annotations

import pytest

from tests.factories import CategoryFactory, StaffFactory
from tests.utils import text
from tickets.models import HistoryEntry, Impact, Priority, Reproducibility, State, Ticket

pytestmark = pytest.mark.django_db

URL = "/tickets/nouveau/"


@pytest.fixture
def category():
    return CategoryFactory(name="Anomalie")


def valid_post(chosen, **overrides):
    data = {
        "category": chosen.pk,
        "reproducibility": Reproducibility.ALWAYS,
        "impact": Impact.MAJOR,
        "priority": Priority.HIGH,
        "summary": "La facture ne s'imprime pas",
        "description": "Le bouton Imprimer ne fait rien.",
        "steps_to_reproduce": "1. Ouvrir une facture\n2. Cliquer sur Imprimer",
        "additional_information": "Contacter Léa au 01 02 03 04 05",
    }
    data.update(overrides)
    return data


def test_form_shows_mantis_fields_labels_and_defaults(client, client_user, category):
    CategoryFactory(name="Ancienne", is_active=False)
    client.force_login(client_user)
    response = client.get(URL)
    page = text(response)
    for label in [
        "Catégorie",
        "Reproductibilité",
        "Impact",
        "Priorité",
        "Résumé",
        "Description",
        "Étapes pour reproduire",
        "Informations complémentaires",
        "Joindre un fichier",
        "Soumettre le rapport",
    ]:
        assert label in page
    form = response.context["form"]
    assert form["reproducibility"].value() == Reproducibility.HAVE_NOT_TRIED
    assert form["impact"].value() == Impact.MINOR
    assert form["priority"].value() == Priority.NORMAL
    assert list(form.fields["category"].queryset) == [category]  # retired ones are not offered
    assert "Ancienne" not in page


def test_choices_are_written_as_the_list_and_the_ticket_page_write_them(
    client, client_user, category
):
    """« Normale » in the list and on the ticket page: the same in the form that chooses it."""
    client.force_login(client_user)
    page = text(client.get(URL))
    assert f'<option value="{Priority.NORMAL.value}" selected>Normale</option>' in page
    assert f'<option value="{Impact.MINOR.value}" selected>Mineur</option>' in page
    assert (
        f'<option value="{Reproducibility.HAVE_NOT_TRIED.value}" selected>Non essayé</option>'
        in page
    )
    assert ">normale<" not in page
    assert ">Urgente<" in page


def test_submit_creates_a_new_ticket_and_shows_its_number(client, client_user, category):
    client.force_login(client_user)

    response = client.post(URL, valid_post(category), follow=True)

    ticket = Ticket.objects.get()
    assert response.redirect_chain[-1][0] == ticket.get_absolute_url()
    page = text(response)
    assert f"Votre demande est enregistrée sous le numéro {ticket.display_number}" in page
    assert (ticket.state, ticket.reporter, ticket.organisation) == (
        State.NEW,
        client_user,
        client_user.organisation,
    )
    assert (ticket.impact, ticket.priority) == (Impact.MAJOR, Priority.HIGH)
    assert ticket.steps_to_reproduce.startswith("1. Ouvrir")
    assert HistoryEntry.objects.filter(ticket=ticket, field="created").exists()


@pytest.mark.parametrize("field", ["category", "summary", "description"])
def test_each_required_field_is_asked_in_french_and_nothing_typed_is_lost(
    client, client_user, category, field
):
    client.force_login(client_user)
    data = valid_post(category, **{field: ""})

    response = client.post(URL, data)

    assert response.status_code == 400
    page = text(response)
    assert "Ce champ est obligatoire." in page
    assert "Le rapport n'a pas été envoyé" in page
    for kept in ("summary", "description"):
        if kept != field:
            assert data[kept] in page
    assert "Contacter Léa au 01 02 03 04 05" in page
    assert not Ticket.objects.exists()


def test_whitespace_only_summary_is_refused(client, client_user, category):
    client.force_login(client_user)
    response = client.post(URL, valid_post(category, summary="   "))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_summary_over_128_characters_is_refused(client, client_user, category):
    client.force_login(client_user)
    response = client.post(URL, valid_post(category, summary="x" * 129))
    assert "au plus 128 caractères" in text(response)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("category", "999999"), ("category", "abc"), ("priority", "77"), ("impact", "x")],
)
def test_garbage_choices_are_refused_not_500(client, client_user, category, field, value):
    client.force_login(client_user)
    response = client.post(URL, valid_post(category, **{field: value}))
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in text(response)


def test_retired_category_cannot_be_forced(client, client_user):
    retired = CategoryFactory(name="Ancienne", is_active=False)
    client.force_login(client_user)
    response = client.post(URL, valid_post(retired))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_fields_a_client_may_not_set_are_ignored(client, client_user, category, other_organisation):
    staff = StaffFactory()
    client.force_login(client_user)
    client.post(
        URL,
        valid_post(
            category,
            organisation=other_organisation.pk,
            reporter=staff.pk,
            state=State.RESOLVED,
            handler=staff.pk,
            number=42,
        ),
    )
    ticket = Ticket.objects.get()
    assert ticket.organisation == client_user.organisation
    assert ticket.reporter == client_user
    assert ticket.state == State.NEW
    assert ticket.handler is None


def test_numbers_are_sequential(client, client_user, category):
    client.force_login(client_user)
    for _ in range(3):
        client.post(URL, valid_post(category))
    numbers = list(Ticket.objects.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + 3))
