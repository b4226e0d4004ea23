"""« Afficher les tickets » in Chromium, on a phone and on a desktop."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from tests.tickets.test_list import URL, many_tickets
from tickets.models import State


def open_page(browser: Browser, live_server: Any, user: Any, width: int) -> tuple[Page, list[str]]:
    """A signed-in page, and the console errors it collects (a CSP violation shows there)."""
    session = Client()
    session.force_login(user)
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_list_in_a_browser_on_a_phone_and_a_desktop(browser, live_server, client_user):
    # Commentaire: the widest state badge, the widest table.
    many_tickets(
        60,
        client_user,
        summary="Export comptable en échec pour la clôture mensuelle",
        state=State.FEEDBACK,
    )
    many_tickets(2, client_user, summary="Écran figé")

    phone, phone_errors = open_page(browser, live_server, client_user, 375)
    phone.goto(f"{live_server.url}{URL}")
    # No sideways scrolling of the page: the table scrolls inside its own box.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The filters are folded on a phone, and unfold.
    expect(phone.get_by_label("Texte", exact=True)).to_be_hidden()
    phone.get_by_role("button", name="Afficher / masquer").click()
    search = phone.get_by_label("Texte", exact=True)
    expect(search).to_be_visible()
    search.fill("comptable")
    expect(search).to_have_value("comptable")
    phone.get_by_role("button", name="Filtrer").click()
    expect(phone).to_have_url(re.compile(r"q=comptable"))
    expect(phone.locator("#tl-results-title")).to_contain_text("60 tickets")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone_errors == []

    desktop, desktop_errors = open_page(browser, live_server, client_user, 1280)
    desktop.goto(f"{live_server.url}{URL}?q=comptable")
    desktop.locator("th.tl-col-number a").click()
    expect(desktop.locator("th.tl-col-number")).to_have_attribute("aria-sort", "ascending")
    desktop.get_by_role("link", name="Suivante »").click()
    expect(desktop).to_have_url(re.compile(r"page=2"))
    expect(desktop).to_have_url(re.compile(r"q=comptable"))
    expect(desktop).to_have_url(re.compile(r"sort=number"))
    expect(desktop.locator("tbody tr")).to_have_count(10)
    assert desktop_errors == []
