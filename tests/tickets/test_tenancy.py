"""Every portal URL, for the same organisation, another one, anonymous and staff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from tests.factories import ClientFactory, StaffFactory, make_ticket
from tests.utils import text
from tickets.models import Attachment, Ticket
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar-confidentiel"  # words only organisation A's pages may contain


@dataclass
class World:
    ticket: Ticket
    public_file: Attachment
    private_file: Attachment


def attach(ticket: Ticket, by: Any, note: Any = None) -> Attachment:
    attachment = Attachment(
        ticket=ticket,
        note=note,
        original_name=f"{SECRET}.txt",
        content_type="text/plain",
        size=6,
        uploaded_by=by,
    )
    attachment.file.save("x.txt", ContentFile(b"secret"), save=False)
    attachment.save()
    return attachment


@pytest.fixture
def world(client_user: Any, settings: Any, tmp_path: Any) -> World:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    tech = StaffFactory()
    ticket = make_ticket(reporter=client_user, summary=f"{SECRET} facture", description=SECRET)
    note_add(ticket=ticket, author=tech, text=f"{SECRET} public")
    private = note_add(ticket=ticket, author=tech, text="interne", is_private=True)
    return World(
        ticket=ticket,
        public_file=attach(ticket, client_user),
        private_file=attach(ticket, tech, note=private),
    )


# (name, url, kind): "tab" pages answer 200 to every client and show only their own data;
# "object" pages answer 200 in the same organisation and 404 elsewhere.
URLS: list[tuple[str, Callable[[World], str], str]] = [
    ("accueil", lambda w: "/", "tab"),
    ("mon affichage", lambda w: "/mon-affichage/", "tab"),
    ("liste", lambda w: "/tickets/", "tab"),
    ("recherche texte", lambda w: "/tickets/?q=facture", "tab"),
    ("export csv", lambda w: "/tickets/?format=csv&q=facture", "tab"),
    ("ouvrir un ticket", lambda w: "/tickets/nouveau/", "tab"),
    ("mon compte", lambda w: "/mon-compte/", "tab"),
    ("ticket", lambda w: w.ticket.get_absolute_url(), "object"),
    ("pièce jointe", lambda w: f"/pieces-jointes/{w.public_file.pk}/", "object"),
    ("miniature", lambda w: f"/pieces-jointes/{w.public_file.pk}/miniature/", "thumbnail"),
]


def client_for(kind: str, organisation: Any, other_organisation: Any, owner: Any) -> Client:
    browser = Client()
    if kind == "same":
        browser.force_login(ClientFactory(organisation=organisation))
    elif kind == "other":
        browser.force_login(ClientFactory(organisation=other_organisation))
    elif kind == "staff":
        browser.force_login(StaffFactory())
    return browser


@pytest.mark.parametrize("who", ["same", "other", "anonymous", "staff"])
@pytest.mark.parametrize(("name", "url", "kind"), URLS, ids=[u[0] for u in URLS])
def test_tenancy_matrix(world, organisation, other_organisation, client_user, who, name, url, kind):
    browser = client_for(who, organisation, other_organisation, client_user)
    response = browser.get(url(world))
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode(errors="replace")

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/connexion/")
    elif who == "staff" and not url(world).startswith("/pieces-jointes/"):
        assert response.status_code == 302  # staff work in the admin
        assert response["Location"] == "/admin/"
    elif who == "other":
        assert SECRET not in body
        assert response.status_code == (200 if kind == "tab" else 404)
    elif kind == "thumbnail":  # a text file has no thumbnail, whoever asks
        assert response.status_code == 404
    else:
        assert response.status_code == 200


def test_same_organisation_sees_its_data_in_the_tabs(world, client, client_user):
    colleague = ClientFactory(organisation=client_user.organisation)
    client.force_login(colleague)
    for url in ("/mon-affichage/", "/tickets/", world.ticket.get_absolute_url()):
        assert SECRET in text(client.get(url)), url
    assert dict((s.value, n) for s, n in client.get("/").context["counts"])["new"] == 1


def test_counts_of_another_organisation_stay_hidden(world, client, other_organisation):
    client.force_login(ClientFactory(organisation=other_organisation))
    response = client.get("/")
    assert dict((s.value, n) for s, n in response.context["counts"])["new"] == 0


def test_private_note_file_is_hidden_from_clients_and_open_to_staff(world, client, client_user):
    url = f"/pieces-jointes/{world.private_file.pk}/"
    client.force_login(client_user)
    assert client.get(url).status_code == 404
    staff = Client()
    staff.force_login(StaffFactory())
    assert staff.get(url).status_code == 200


def test_quick_search_never_jumps_to_another_organisations_ticket(
    world, client, other_organisation
):
    client.force_login(ClientFactory(organisation=other_organisation))
    response = client.get("/recherche/", {"q": world.ticket.display_number})
    assert response["Location"].startswith("/tickets/?q=")


def test_note_on_another_organisations_ticket_is_404(world, client, other_organisation):
    client.force_login(ClientFactory(organisation=other_organisation))
    response = client.post(world.ticket.get_absolute_url(), {"action": "note", "text": "intrus"})
    assert response.status_code == 404
    assert world.ticket.notes.filter(text="intrus").count() == 0
