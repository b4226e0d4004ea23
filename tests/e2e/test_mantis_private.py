"""After a MantisBT import, a client of the organisation signs in with Chromium and never meets a
private ticket or a private note (list, search, ticket page, Accueil's counts); staff see them in
the admin. The sources are on the real MariaDB: the French data set of tests/mantis/, and a small
one written below (two public bugs and a private one of « Boulangerie Martin ») that also checks
the CSV export, a `<script>` note shown as text and the admin's « Privé » column, with a
screenshot per step in var/screenshots/mantis_private_*.png."""

from __future__ import annotations

import html
import uuid
from collections import Counter
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.factories import PASSWORD
from tests.mantis.conftest import (  # noqa: F401
    SQL,
    MantisDatabase,
    _connect,
    drop_source,
    mantis_source,
    media,
)
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


# --- A small MantisBT of its own: one organisation, two public bugs, one private --------------

PRIVATE_BUG_WORD = "Confidentiel-Zebre"
PRIVATE_NOTE_WORD = "Secret-Okapi"
CLIENT = "lucie.martin@boulangerie-martin.fr"
DEVELOPER = "paul.dev@atm-consulting.fr"

SMALL_DATA_SET = """
INSERT INTO `mantis_project_table` (`id`, `name`, `status`, `enabled`, `view_state`, `access_min`,
  `file_path`, `description`, `category_id`, `inherit_global`) VALUES
(1, 'Boulangerie Martin', 10, 1, 10, 10, '', 'Assistance mensuelle', 1, 1);
INSERT INTO `mantis_user_table` (`id`, `username`, `realname`, `email`, `password`, `enabled`,
  `protected`, `access_level`, `login_count`, `cookie_string`, `last_visit`, `date_created`) VALUES
(2, 'paul', 'Paul Développeur', 'paul.dev@atm-consulting.fr', 'x', 1, 0, 55, 3, 'k2',
  UNIX_TIMESTAMP('2026-11-20 08:00:00'), UNIX_TIMESTAMP('2024-01-10 08:00:00')),
(3, 'lucie', 'Lucie Martin', 'lucie.martin@boulangerie-martin.fr', 'x', 1, 0, 25, 3, 'k3',
  UNIX_TIMESTAMP('2026-11-20 08:00:00'), UNIX_TIMESTAMP('2024-01-10 08:00:00'));
INSERT INTO `mantis_project_user_list_table` (`project_id`, `user_id`, `access_level`) VALUES
(1, 3, 25);
INSERT INTO `mantis_category_table` (`id`, `project_id`, `user_id`, `name`, `status`) VALUES
(2, 1, 0, 'Caisse', 1);
INSERT INTO `mantis_bug_text_table` (`id`, `description`, `steps_to_reproduce`,
  `additional_information`) VALUES
(1201, 'La caisse affiche un écran noir.', '', ''),
(1202, 'Le ticket de caisse sort sans logo.', '', ''),
(1203, 'Dossier Confidentiel-Zebre : marge du fournisseur.', '', '');
INSERT INTO `mantis_bug_table` (`id`, `project_id`, `reporter_id`, `handler_id`, `priority`,
  `severity`, `reproducibility`, `status`, `resolution`, `view_state`, `summary`, `category_id`,
  `bug_text_id`, `date_submitted`, `last_updated`) VALUES
(1201, 1, 3, 2, 30, 50, 10, 10, 10, 10, 'Écran noir sur la caisse', 2, 1201,
  UNIX_TIMESTAMP('2026-10-01 09:00:00'), UNIX_TIMESTAMP('2026-10-02 09:00:00')),
(1202, 1, 3, 0, 30, 50, 10, 10, 10, 10, 'Ticket de caisse sans logo', 2, 1202,
  UNIX_TIMESTAMP('2026-10-03 09:00:00'), UNIX_TIMESTAMP('2026-10-04 09:00:00')),
(1203, 1, 2, 2, 30, 50, 10, 10, 10, 50, 'Analyse Confidentiel-Zebre des marges', 2, 1203,
  UNIX_TIMESTAMP('2026-10-05 09:00:00'), UNIX_TIMESTAMP('2026-10-06 09:00:00'));
INSERT INTO `mantis_bugnote_text_table` (`id`, `note`) VALUES
(1, 'Note publique sur le dossier privé.'),
(2, 'Note interne : Secret-Okapi, client à relancer.'),
(3, 'Essai de code : <script>alert(1)</script>');
INSERT INTO `mantis_bugnote_table` (`id`, `bug_id`, `reporter_id`, `bugnote_text_id`,
  `view_state`, `note_type`, `note_attr`, `time_tracking`, `last_modified`,
  `date_submitted`) VALUES
(1, 1203, 2, 1, 10, 0, '', 0, UNIX_TIMESTAMP('2026-10-05 10:00:00'),
  UNIX_TIMESTAMP('2026-10-05 10:00:00')),
(2, 1201, 2, 2, 50, 0, '', 15, UNIX_TIMESTAMP('2026-10-02 10:00:00'),
  UNIX_TIMESTAMP('2026-10-02 10:00:00')),
(3, 1201, 3, 3, 10, 0, '', 0, UNIX_TIMESTAMP('2026-10-02 11:00:00'),
  UNIX_TIMESTAMP('2026-10-02 11:00:00'));
INSERT INTO `mantis_bug_file_table` (`id`, `bug_id`, `title`, `description`, `diskfile`,
  `filename`, `folder`, `filesize`, `file_type`, `content`, `date_added`, `user_id`,
  `bugnote_id`) VALUES
(1, 1203, '', '', 'd1d2d3d4', 'marges-Confidentiel-Zebre.csv', '', 18, 'text/csv',
  X'666f75726e6973736575723b6d617267650a', UNIX_TIMESTAMP('2026-10-05 09:30:00'), 2, 0);
"""


@pytest.fixture
def small_mantis() -> Any:
    """MantisBT's schema (tests/mantis/sql/schema_2x.sql, untouched) and the data set above in a
    MariaDB database of this test, dropped after it."""
    name = f"mantis_t6_{uuid.uuid4().hex[:12]}"
    server = _connect()
    try:
        with server.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        server.close()
    source = MantisDatabase(name, Path("/nonexistent"))
    try:
        source.execute((SQL / "schema_2x.sql").read_text(encoding="utf-8"))
        source.execute(SMALL_DATA_SET)
        yield source
    finally:
        drop_source(source)


def test_the_data_set_holds_the_words_checked() -> None:
    for word in (PRIVATE_BUG_WORD, PRIVATE_NOTE_WORD, CLIENT, DEVELOPER):
        assert word in SMALL_DATA_SET


def activate(email: str) -> User:
    user = User.objects.get(email=email)
    user.set_password(PASSWORD)
    user.is_active = True
    user.save()
    return user


def test_private_mantis_bug_and_note_stay_with_staff(
    page: Page,
    other_page: Any,
    live_server: Any,
    small_mantis: MantisDatabase,
    media: Any,  # noqa: F811
    shoot: Any,
) -> None:
    call_command("import_mantis", "--source", small_mantis.url, stdout=StringIO())
    client = activate(CLIENT)
    assert client.organisation is not None
    assert client.organisation.name == "Boulangerie Martin"
    assert set(Ticket.objects.values_list("number", "is_private")) == {
        (1201, False),
        (1202, False),
        (1203, True),
    }
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    url = live_server.url

    sign_in(page, url, CLIENT)
    # Accueil: two tickets counted, not three.
    shown = [int(total) for total in page.locator("#state-counts .total").all_inner_texts()]
    assert sum(shown) == 2, shown
    expect(page.locator("body")).not_to_contain_text(PRIVATE_BUG_WORD)
    shoot(page, "mantis_private_accueil")

    page.goto(f"{url}{reverse('tickets:my_view')}")
    main = page.locator("main")
    expect(main).to_contain_text("0001201")
    expect(main).not_to_contain_text("0001203")
    expect(main).not_to_contain_text(PRIVATE_BUG_WORD)
    shoot(page, "mantis_private_mon_affichage")

    # « Afficher les tickets »: the two public ones under their MantisBT numbers.
    page.goto(f"{url}{reverse('tickets:list')}?closed=on")
    main = page.locator("main")
    expect(main).to_contain_text("0001201")
    expect(main).to_contain_text("0001202")
    expect(main).to_contain_text("Écran noir sur la caisse")
    expect(main).not_to_contain_text("0001203")
    expect(main).not_to_contain_text(PRIVATE_BUG_WORD)
    shoot(page, "mantis_private_liste")
    # Its CSV export, fetched with the browser's session: the two public rows only.
    export = page.get_by_role("link", name="Exporter en CSV")
    expect(export).to_be_visible()
    href = export.get_attribute("href")
    assert href is not None
    csv_response = page.request.get(urljoin(page.url, href))
    assert csv_response.status == 200
    exported = csv_response.body().decode("utf-8-sig")
    assert "0001201" in exported
    assert "0001202" in exported
    assert "0001203" not in exported
    assert PRIVATE_BUG_WORD not in exported
    assert len([line for line in exported.splitlines() if line.strip()]) == 3  # header + 2

    # The private bug's word finds nothing, in the list's search and in the quick search.
    page.goto(f"{url}{reverse('tickets:list')}?closed=on&q={PRIVATE_BUG_WORD}")
    expect(page.locator("main")).not_to_contain_text("0001203")
    expect(page.locator("main")).not_to_contain_text("0001201")
    shoot(page, "mantis_private_recherche")
    page.goto(f"{url}{reverse('tickets:quick_search')}?q=1203")
    expect(page.locator("main")).not_to_contain_text(PRIVATE_BUG_WORD)

    # The private ticket's address: the French 404, nothing of it.
    response = page.goto(f"{url}{reverse('tickets:detail', kwargs={'number': 1203})}")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(PRIVATE_BUG_WORD)
    shoot(page, "mantis_private_404")

    # The public bug: its public notes (the <script> as text, no dialog), not the private one.
    page.goto(f"{url}{reverse('tickets:detail', kwargs={'number': 1201})}")
    main = page.locator("main")
    expect(main).to_contain_text("Écran noir sur la caisse")
    expect(main).to_contain_text("Essai de code : <script>alert(1)</script>")
    expect(main).not_to_contain_text(PRIVATE_NOTE_WORD)
    expect(main).not_to_contain_text("Privée")
    shoot(page, "mantis_private_ticket_public")
    assert dialogs == []

    # Staff (the imported developer): the private ticket in the admin, marked private.
    activate(DEVELOPER)
    admin = other_page()
    admin.goto(f"{url}/admin/login/?next=/admin/tickets/ticket/")
    admin.get_by_label("Adresse e-mail").fill(DEVELOPER)
    admin.get_by_label("Mot de passe").fill(PASSWORD)
    admin.get_by_role("button", name="Connexion").click()
    admin.goto(f"{url}/admin/tickets/ticket/")
    row = admin.locator("#result_list tbody tr").filter(has_text="0001203")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(PRIVATE_BUG_WORD)
    expect(row.locator("td.field-is_private img[alt='True']")).to_have_count(1)
    expect(admin.locator("#result_list thead")).to_contain_text("Privé")
    public_row = admin.locator("#result_list tbody tr").filter(has_text="0001201")
    expect(public_row.locator("td.field-is_private img[alt='False']")).to_have_count(1)
    shoot(admin, "mantis_private_admin")
    note = Note.objects.get(ticket__number=1201, is_private=True)
    assert PRIVATE_NOTE_WORD in note.text
    assert Ticket.objects.get(number=1203).attachments.count() == 1
