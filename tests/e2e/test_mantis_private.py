"""After a MantisBT import, a client of the organisation signs in with Chromium and never meets a
private ticket or a private note (list, search, ticket page, Accueil's counts); staff see them in
the admin. The source is the French data set of tests/mantis/ on the real MariaDB."""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.factories import PASSWORD
from tests.mantis.conftest import MantisDatabase, mantis_source, media  # noqa: F401
from tests.mantis.test_import import run
from tickets.models import Note, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENT_EMAIL = "marie.martin@boulangerie-martin.fr"
PRIVATE_WORDS = ("Zebrure", "Kangourou", "Ornithorynque")


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe*", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#last-login")).to_be_visible()


def test_a_client_never_sees_mantis_private_data(
    page: Page,
    other_page: Any,
    live_server: Any,
    mantis_source: MantisDatabase,  # noqa: F811
    media: Any,  # noqa: F811
    staff_user: Any,
) -> None:
    run(mantis_source)
    marie = User.objects.get(email=CLIENT_EMAIL)
    marie.set_password(PASSWORD)
    marie.is_active = True
    marie.save()
    organisation = marie.organisation
    tickets = Ticket.objects.filter(organisation=organisation)
    private = list(tickets.filter(is_private=True))
    public = list(tickets.filter(is_private=False))
    assert private
    assert public
    private_notes = Note.objects.filter(organisation=organisation, is_private=True)
    assert private_notes.filter(ticket__is_private=False).exists()

    sign_in(page, live_server.url, CLIENT_EMAIL)

    # Accueil: the counts per state are those of the public tickets only.
    expected = Counter(ticket.state for ticket in public)
    shown = {
        element.get_attribute("data-state"): int(element.inner_text())
        for element in page.locator("#state-counts .total").all()
    }
    for state, total in shown.items():
        assert total == expected.get(state, 0), state
    assert sum(shown.values()) == len(public)
    for word in PRIVATE_WORDS:
        expect(page.locator("body")).not_to_contain_text(word)

    # The list: every public ticket, no private one.
    page.goto(f"{live_server.url}/tickets/?closed=on")  # closed ones too
    body = page.locator("body")
    for ticket in public:
        expect(body).to_contain_text(f"{ticket.number:07d}")
    for ticket in private:
        expect(body).not_to_contain_text(f"{ticket.number:07d}")
        expect(body).not_to_contain_text(ticket.summary)

    # A search for a word found only in private data finds nothing.
    for word in PRIVATE_WORDS:
        page.goto(f"{live_server.url}/tickets/?closed=on&q={word}")
        for ticket in tickets:
            expect(page.locator("main")).not_to_contain_text(f"{ticket.number:07d}")
        expect(page.locator("main")).not_to_contain_text(word)

    # The private ticket's address answers 404; a public ticket shows no private note.
    for ticket in private:
        response = page.goto(f"{live_server.url}{ticket.get_absolute_url()}")
        assert response is not None
        assert response.status == 404
    for note in private_notes.filter(ticket__is_private=False).select_related("ticket"):
        page.goto(f"{live_server.url}{note.ticket.get_absolute_url()}")
        expect(page.locator("main")).to_contain_text(note.ticket.summary)
        expect(page.locator("main")).not_to_contain_text(note.text[:40])

    # Staff see the private ticket and its text in the admin.
    admin = other_page()
    admin.goto(f"{live_server.url}/admin/login/?next=/admin/")
    admin.get_by_label("Adresse e-mail").fill(staff_user.email)
    admin.get_by_label("Mot de passe").fill(PASSWORD)
    admin.get_by_role("button", name="Connexion").click()
    for ticket in private:
        response = admin.goto(f"{live_server.url}/admin/tickets/ticket/{ticket.pk}/change/")
        assert response is not None
        assert response.status == 200
        assert html.escape(ticket.summary) in admin.content()
