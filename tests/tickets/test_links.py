"""Links between tickets (MantisBT's relationships, « source <kind> target ») on both tickets'
pages, each way round, only towards a ticket the viewer may see; and the resolution.

A client never learns of a private ticket or of another organisation's through a link, not even
its number. Staff see every link on the admin's ticket page.
"""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from tests.factories import ClientFactory, make_ticket
from tests.utils import text
from tickets.models import LinkKind, Resolution, Ticket, TicketLink

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def links_on(browser: Client, ticket: Ticket) -> list[tuple[str, str]]:
    """The « Tickets liés » lines of the ticket page: (words, link target)."""
    response = browser.get(ticket.get_absolute_url())
    assert response.status_code == 200
    block = BeautifulSoup(response.content, "html.parser").find(id="ticket-links")
    if block is None:
        return []
    return [(" ".join(item.get_text(" ").split()), href_of(item)) for item in block.find_all("li")]


def href_of(item: Any) -> str:
    link = item.find("a")
    assert link is not None
    return str(link["href"])


@pytest.fixture
def pair(client_user: Any) -> tuple[Ticket, Ticket]:
    first = make_ticket(reporter=client_user, summary="Export comptable vide")
    second = make_ticket(reporter=client_user, summary="Export vide depuis la mise à jour")
    return first, second


@pytest.mark.parametrize(
    ("kind", "on_source", "on_target"),
    [
        (LinkKind.DUPLICATE_OF, "Doublon de", "A pour doublon"),
        (LinkKind.RELATED_TO, "Relatif à", "Relatif à"),
        (LinkKind.PARENT_OF, "Parent de", "Enfant de"),
    ],
)
def test_a_link_reads_on_both_tickets_each_way_round(client_user, pair, kind, on_source, on_target):
    source, target = pair
    TicketLink.objects.create(source=source, target=target, kind=kind)
    browser = signed_in(client_user)

    assert links_on(browser, source) == [
        (f"{on_source} {target.display_number} — {target.summary}", target.get_absolute_url())
    ]
    assert links_on(browser, target) == [
        (f"{on_target} {source.display_number} — {source.summary}", source.get_absolute_url())
    ]


def test_a_link_to_a_private_or_another_organisations_ticket_is_not_shown_at_all(
    client_user, other_organisation, pair
):
    shown, _second = pair
    hidden = make_ticket(reporter=client_user, summary="Migration interne Kerguelen")
    Ticket.objects.filter(pk=hidden.pk).update(is_private=True)
    elsewhere = make_ticket(
        reporter=ClientFactory(organisation=other_organisation), summary="Durand Zanzibar"
    )
    TicketLink.objects.create(source=shown, target=hidden, kind=LinkKind.DUPLICATE_OF)
    TicketLink.objects.create(source=elsewhere, target=shown, kind=LinkKind.PARENT_OF)
    TicketLink.objects.create(source=shown, target=_second, kind=LinkKind.RELATED_TO)

    page = text(signed_in(client_user).get(shown.get_absolute_url()))

    assert _second.display_number in page
    for other in (hidden, elsewhere):
        assert other.display_number not in page
        assert other.summary not in page
    assert "Doublon de" not in page
    assert "Enfant de" not in page


def test_a_new_link_shows_on_a_page_the_cache_kept(client_user, pair):
    source, target = pair
    browser = signed_in(client_user)
    assert links_on(browser, target) == []  # kept by the page cache

    TicketLink.objects.create(source=source, target=target, kind=LinkKind.DUPLICATE_OF)

    assert [words for words, _url in links_on(browser, target)] == [
        f"A pour doublon {source.display_number} — {source.summary}"
    ]


def test_the_resolution_shows_once_it_is_not_open(client_user, pair):
    ticket, _other = pair
    browser = signed_in(client_user)
    page = BeautifulSoup(browser.get(ticket.get_absolute_url()).content, "html.parser")
    assert page.find(id="ticket-resolution") is None

    ticket.resolution = Resolution.WONT_FIX
    ticket.save(update_fields=["resolution"])  # as the admin or the import, through signals

    page = BeautifulSoup(browser.get(ticket.get_absolute_url()).content, "html.parser")
    shown = page.find(id="ticket-resolution")
    assert shown is not None
    assert shown.get_text(strip=True) == "Ne sera pas corrigé"


def test_the_admin_lists_every_link_and_filters_by_resolution(
    staff_user, client_user, other_organisation, pair
):
    source, target = pair
    hidden = make_ticket(reporter=client_user, summary="Migration interne")
    Ticket.objects.filter(pk=hidden.pk).update(is_private=True, resolution=Resolution.SUSPENDED)
    elsewhere = make_ticket(reporter=ClientFactory(organisation=other_organisation))
    TicketLink.objects.create(source=source, target=target, kind=LinkKind.DUPLICATE_OF)
    TicketLink.objects.create(source=hidden, target=source, kind=LinkKind.PARENT_OF)
    TicketLink.objects.create(source=source, target=elsewhere, kind=LinkKind.RELATED_TO)
    browser = signed_in(staff_user)

    response = browser.get(f"/admin/tickets/ticket/{source.pk}/change/")
    block = BeautifulSoup(response.content, "html.parser").find(class_="ticket-links")
    assert block is not None
    lines = [" ".join(item.get_text(" ").split()) for item in block.find_all("li")]
    assert lines == [
        f"Doublon de {target.display_number} — {target.summary}",
        f"Enfant de {hidden.display_number} — Migration interne (privé)",
        f"Relatif à {elsewhere.display_number} — {elsewhere.summary}",
    ]
    assert [href_of(item) for item in block.find_all("li")] == [
        f"/admin/tickets/ticket/{other.pk}/change/" for other in (target, hidden, elsewhere)
    ]
    listing = text(
        browser.get("/admin/tickets/ticket/", {"state": "all", "resolution__exact": "80"})
    )
    assert hidden.display_number in listing
    assert source.display_number not in listing


def test_an_english_reader_reads_the_links_and_the_resolution_in_english(client_user, pair):
    source, target = pair
    client_user.language = "en"
    client_user.save(update_fields=["language"])
    TicketLink.objects.create(source=source, target=target, kind=LinkKind.DUPLICATE_OF)
    target.resolution = Resolution.NOT_A_BUG
    target.save(update_fields=["resolution"])
    browser = signed_in(client_user)

    assert [words for words, _url in links_on(browser, target)] == [
        f"Has duplicate {source.display_number} — {source.summary}"
    ]
    page = " ".join(text(browser.get(target.get_absolute_url())).split())
    assert "Linked tickets" in page
    assert "Not a bug" in page
