"""Ticket lists on a phone: each ticket a card that shows its number, its state (colour and
label), its whole summary and its date, none of them cut; the table stays a table on a desktop.

The sideways-scroll check of every portal page at every width is in test_accessibility.py (its
`check`, axe.WIDTHS); this file looks inside the lists, where a page that fits can still clip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.e2e.axe import PHONE, assert_accessible
from tests.factories import StaffFactory, make_ticket
from tickets.models import State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_SUMMARY = (
    "Export comptable en échec pour la clôture mensuelle : le fichier FEC s'arrête à la ligne 1204"
)

# For each row of a table: what a person reads of the number, the state, the summary and the
# date, whether each is shown, and whether its text is cut (its content wider or taller than its
# box, or the box running out of the window).
CELLS_JS = """([rowSelector, cells]) => {
    const limit = window.innerWidth;
    return [...document.querySelectorAll(rowSelector)].map(row => {
        const found = {};
        for (const [name, selector] of Object.entries(cells)) {
            const cell = row.querySelector(selector);
            if (!cell) { found[name] = null; continue; }
            const box = cell.getBoundingClientRect();
            const style = getComputedStyle(cell);
            found[name] = {
                text: cell.innerText.trim(),
                label: style.getPropertyValue('content'),
                shown: style.display !== 'none' && box.width > 0 && box.height > 0,
                clipped: cell.scrollWidth > cell.clientWidth + 1
                    || cell.scrollHeight > cell.clientHeight + 1
                    || box.right > limit + 1 || box.left < -1,
                background: getComputedStyle(row).backgroundColor,
                display: getComputedStyle(row).display,
            };
        }
        return found;
    });
}"""

LIST_CELLS = {
    "number": ".tl-number",
    "state": ".tl-state .state",
    "summary": ".tl-summary",
    "date": ".tl-updated",
}
BOX_CELLS = {
    "number": ".tt-number",
    "state": ".tt-state",
    "summary": ".summary",
    "date": ".tt-updated",
}


def cells(page: Page, rows: str, selectors: dict[str, str]) -> list[dict[str, Any]]:
    return list(page.evaluate(CELLS_JS, [rows, selectors]))


def assert_cards(rows: list[dict[str, Any]], where: str) -> None:
    assert rows, f"{where}: no ticket shown"
    for row in rows:
        for name, cell in row.items():
            assert cell is not None, f"{where}: no {name} cell in {row}"
            assert cell["shown"], f"{where}: the {name} is hidden: {row}"
            assert not cell["clipped"], f"{where}: the {name} is cut: {cell}"
            assert cell["display"] == "flex", f"{where}: the row is not a card: {cell}"


@pytest.fixture
def tickets(client_user: Any) -> list[Any]:
    handler = StaffFactory(first_name="Dominique", last_name="Lefèvre-Beauregard")
    return [
        make_ticket(reporter=client_user, summary=LONG_SUMMARY, state=State.FEEDBACK),
        make_ticket(
            reporter=client_user,
            summary="Écran figé",
            state=State.ASSIGNED,
            handler=handler,
        ),
        make_ticket(reporter=client_user, summary="Anticonstitutionnellementextraordinaire"),
    ]


def test_phone_lists_show_each_ticket_as_a_card_nothing_cut(
    audit_page: Callable[..., Page],
    live_server: Any,
    client_user: Any,
    tickets: list[Any],
    shoot: Any,
) -> None:
    page = audit_page(client_user, width=PHONE["width"], height=PHONE["height"])
    for path, rows, selectors, where in [
        ("/tickets/", ".tl-table tbody tr", LIST_CELLS, "afficher-les-tickets"),
        ("/mon-affichage/", ".ticket-table tbody tr", BOX_CELLS, "mon-affichage"),
    ]:
        page.goto(f"{live_server.url}{path}")
        found = cells(page, rows, selectors)
        assert_cards(found, where)
        by_number = {row["number"]["text"]: row for row in found}
        for ticket in tickets:
            row = by_number.get(ticket.display_number)
            assert row is not None, f"{where}: {ticket.display_number} missing from {by_number}"
            assert row["summary"]["text"] == ticket.summary  # the whole summary
            assert row["state"]["text"].startswith(ticket.get_state_display())
            # The date says what it is: « Mis à jour : 02/12/2026 14:05 ».
            assert row["date"]["text"][:2].isdigit(), row["date"]
        assert_accessible(page, f"{where}, cartes 375 px")
        shoot(page, f"widths-{where}-375")

    # A state's colour is the card's: the list's « Commentaire » row is purple, as its badge.
    page.goto(f"{live_server.url}/tickets/")
    feedback = page.locator(".tl-table tbody tr.state-feedback").first
    assert feedback.evaluate("row => getComputedStyle(row).backgroundColor") == "rgb(227, 183, 235)"
    # The sort links of the card's four columns stay on a phone, each one visible (a focusable
    # link hidden from the eye would trap a keyboard user).
    sort_links = page.locator(".tl-table thead th:not(.d-none) a.tl-sort")
    assert sort_links.count() == 4
    for index in range(sort_links.count()):
        assert sort_links.nth(index).is_visible()


def test_tablet_list_cards_also_show_priority_category_handler_and_notes(
    audit_page: Callable[..., Page],
    live_server: Any,
    client_user: Any,
    tickets: list[Any],
    shoot: Any,
) -> None:
    """At 768 px the list's eight columns do not fit its card: its rows are cards that keep every
    column, each with its caption; the boxes, five columns, stay tables."""
    page = audit_page(client_user, width=768)
    page.goto(f"{live_server.url}/tickets/")
    assert_cards(cells(page, ".tl-table tbody tr", LIST_CELLS), "afficher-les-tickets, 768 px")
    assigned = page.locator(".tl-table tbody tr.state-assigned")
    extras = assigned.locator(".tl-extra")
    assert extras.count() == 4
    for index in range(4):
        assert extras.nth(index).is_visible()
    captions = extras.evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert captions == ['"Priorité : "', '"Catégorie : "', '"Affecté à : "', '"Notes : "']
    assert "Dominique Lefèvre-Beauregard" in extras.nth(2).inner_text()
    assert_accessible(page, "afficher-les-tickets, cartes 768 px")
    shoot(page, "widths-afficher-les-tickets-768")
    page.goto(f"{live_server.url}/mon-affichage/")
    displays = page.eval_on_selector_all(
        ".ticket-table tbody tr", "rows => rows.map(r => getComputedStyle(r).display)"
    )
    assert set(displays) == {"table-row"}, displays


@pytest.mark.parametrize("width", [1200, 1280])
def test_wide_screens_keep_the_tables(
    audit_page: Callable[..., Page],
    live_server: Any,
    client_user: Any,
    tickets: list[Any],
    shoot: Any,
    width: int,
) -> None:
    page = audit_page(client_user, width=width)
    for path, rows, where in [
        ("/tickets/", ".tl-table tbody tr", "afficher-les-tickets"),
        ("/mon-affichage/", ".ticket-table tbody tr", "mon-affichage"),
    ]:
        page.goto(f"{live_server.url}{path}")
        displays = page.eval_on_selector_all(
            rows, "rows => rows.map(r => getComputedStyle(r).display)"
        )
        assert displays, where
        assert set(displays) == {"table-row"}, (where, displays)
        # The top bar's search fits: « Aller » is whole, inside the window.
        go = page.get_by_role("button", name="Aller").bounding_box()
        assert go is not None
        assert go["x"] + go["width"] <= width, go
        shoot(page, f"widths-{where}-{width}")


# Every table of the page, and how many pixels each one is wider than its card: a table that fits
# the page can still hide its last column behind a scroll bar inside its box (Mon affichage's
# « Mis à jour » at 1200 px once, pushed out by a summary of one long word).
TABLES_JS = """() => [...document.querySelectorAll('.table-responsive')].map(wrap => ({
    caption: (wrap.querySelector('caption') || {}).textContent?.trim() || '',
    hidden: wrap.scrollWidth - wrap.clientWidth,
    columns: [...wrap.querySelectorAll('thead th')]
        .filter(th => th.getBoundingClientRect().width > 0)
        .map(th => `${th.innerText.trim()} ${Math.round(th.getBoundingClientRect().width)} px`),
}))"""


@pytest.mark.parametrize("width", [768, 1024, 1200, 1280, 1440, 1920])
def test_no_ticket_table_scrolls_inside_its_card(
    audit_page: Callable[..., Page],
    live_server: Any,
    client_user: Any,
    tickets: list[Any],
    shoot: Any,
    width: int,
) -> None:
    page = audit_page(client_user, width=width)
    for path, where in [
        ("/", "accueil"),
        ("/mon-affichage/", "mon-affichage"),
        ("/tickets/", "afficher-les-tickets"),
    ]:
        page.goto(f"{live_server.url}{path}")
        shoot(page, f"widths-tables-{where}-{width}")
        tables = page.evaluate(TABLES_JS)
        assert tables, path
        cut = [table for table in tables if table["hidden"] > 1]
        assert not cut, f"{path} at {width} px: columns hidden inside their card: {cut}"
