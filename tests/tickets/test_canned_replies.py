"""Canned replies (« Réponses types »): placeholders filled for a ticket, their admin (staff only),
the picker on the ticket page and in the bulk actions that write a note, and the ticket page's
top (the client's last word, the note form) and time totals."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from notifications.models import Notification
from tests.factories import ClientFactory, StaffFactory, make_ticket
from tests.utils import text
from tickets.canned import CannedReply, fill_placeholders, unknown_placeholders
from tickets.models import Note, State, Ticket
from tickets.workflow import note_add

pytestmark = pytest.mark.django_db

LIST = "/admin/tickets/ticket/"
REPLIES = "/admin/tickets/cannedreply/"


def change_url(ticket: Ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


def texts_on(page: str) -> dict[str, str]:
    """The picker's texts, from the page's json_script."""
    found = re.search(
        r'<script id="canned-replies-texts" type="application/json">(.*?)</script>', page
    )
    assert found, "no canned replies' texts on the page"
    return json.loads(found[1])


@pytest.fixture
def staff(client: Any, staff_user: Any) -> Any:
    client.force_login(staff_user)
    return client


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "https://support.atm-consulting.fr"


# --- Placeholders ------------------------------------------------------------------------------


def test_every_placeholder_is_filled_for_the_ticket_and_the_technician(client_user, staff_user):
    ticket = make_ticket(reporter=client_user, summary="Export comptable vide")

    filled = fill_placeholders(
        "Bonjour {prénom} ({nom}, {organisation}),\n"
        "votre ticket {numéro} « {résumé} » : {lien}\n{technicien}",
        ticket=ticket,
        author=staff_user,
    )

    assert filled == (
        f"Bonjour Camille ({client_user.get_full_name()}, Boulangerie Martin),\n"
        f"votre ticket {ticket.display_number} « Export comptable vide » : "
        f"https://support.atm-consulting.fr/tickets/{ticket.number}/\n{staff_user.first_name}"
    )


@pytest.mark.parametrize(
    ("written", "filled"),
    [
        ("{Prénom}", "Camille"),
        ("{prenom}", "Camille"),
        ("{ PRÉNOM }", "Camille"),
        ("{{prénom}}", "Camille"),
        ("{numero}", "NUMBER"),
        ("{prénon}", "{prénon}"),  # a typo stays to be seen
        ("{date}", "{date}"),
        ("{0}", "{0}"),
        ("{}", "{}"),
        ("{ prénom", "{ prénom"),
        ("accolade seule {", "accolade seule {"),
    ],
)
def test_placeholders_read_loosely_and_unknown_ones_stay_visible(client_user, written, filled):
    ticket = make_ticket(reporter=client_user)

    expected = filled.replace("NUMBER", ticket.display_number)
    assert fill_placeholders(written, ticket=ticket) == expected


def test_a_value_holding_braces_is_not_read_again_and_no_name_falls_back(organisation):
    nameless = ClientFactory(organisation=organisation, first_name="", last_name="")
    ticket = make_ticket(reporter=nameless, summary="Le champ {prénom} s'affiche tel quel")

    assert fill_placeholders("Bonjour {prénom}, « {résumé} » {technicien}", ticket=ticket) == (
        "Bonjour Madame, Monsieur, « Le champ {prénom} s'affiche tel quel » "
    )


def test_unknown_placeholders_are_listed_once_as_written():
    assert unknown_placeholders("{Prénom} {prenon} {x} {prenon} {{ lien }}") == ["{prenon}", "{x}"]


# --- Their admin -------------------------------------------------------------------------------


def test_any_staff_member_manages_the_replies_and_a_client_never_reaches_them(client, client_user):
    technician = StaffFactory(is_superuser=False)  # no model permission granted: is_staff only
    client.force_login(technician)

    page = text(client.get(f"{REPLIES}add/"))
    assert "{prénom}" in page  # the help text says them
    assert "le prénom du client" in page
    response = client.post(
        f"{REPLIES}add/",
        {"title": "Accusé de réception", "text": "Bonjour {prénom},\r\nC'est noté.", "position": 2},
    )
    assert response.status_code == 302, text(response)
    reply = CannedReply.objects.get()
    assert (reply.title, reply.text, reply.is_active) == (
        "Accusé de réception",
        "Bonjour {prénom},\nC'est noté.",
        False,  # unticked box posted: the form says what it was sent
    )
    assert "Accusé de réception" in text(client.get(REPLIES))
    assert "Réponses types" in text(client.get("/admin/"))

    client.force_login(client_user)
    for url in (REPLIES, f"{REPLIES}add/", f"{REPLIES}{reply.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert not response["Location"].startswith(REPLIES), url  # sent out of the admin
    response = client.post(f"{REPLIES}{reply.pk}/change/", {"title": "Piraté", "text": "x"})
    assert response.status_code == 302
    assert CannedReply.objects.get().title == "Accusé de réception"


def test_a_reply_naming_an_unknown_placeholder_is_refused_with_the_input_kept(staff):
    response = staff.post(
        f"{REPLIES}add/",
        {
            "title": "Relance",
            "text": "Bonjour {prenon}, {date} ?",
            "is_active": "on",
            "position": 0,
        },
    )

    assert response.status_code == 200
    page = text(response)
    assert "Champs inconnus : {prenon}, {date}. Les champs possibles sont {prénom}" in page
    assert "Bonjour {prenon}, {date} ?" in page
    assert not CannedReply.objects.exists()


# --- The ticket page ---------------------------------------------------------------------------


def test_the_ticket_page_offers_the_active_replies_filled_for_this_ticket(
    staff, staff_user, client_user
):
    ticket = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)
    active = CannedReply.objects.create(
        title="Demande de version", text="Bonjour {prénom}, quelle version ({numéro}) ?"
    )
    CannedReply.objects.create(title="Ancienne formule", text="Retirée", is_active=False)

    page = text(staff.get(change_url(ticket)))

    assert "Demande de version" in page
    assert "Ancienne formule" not in page
    assert texts_on(page) == {
        str(active.pk): f"Bonjour Camille, quelle version ({ticket.display_number}) ?"
    }
    assert 'name="notes-0-canned_reply"' in page
    assert "js/canned_replies.js" in page
    # A closed ticket takes no note: no picker.
    closed = make_ticket(reporter=client_user, state=State.CLOSED)
    assert "canned_reply" not in text(staff.get(change_url(closed)))


def test_a_reply_chosen_but_not_inserted_writes_no_note_and_blocks_no_save(
    staff, staff_user, client_user
):
    ticket = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)
    reply = CannedReply.objects.create(title="Relance", text="Bonjour {prénom}")
    ticket.refresh_from_db()
    data = {
        "state": ticket.state,
        "handler": "",
        "category": ticket.category_id,
        "reproducibility": ticket.reproducibility,
        "impact": ticket.impact,
        "priority": 40,
        "summary": ticket.summary,
        "description": ticket.description,
        "steps_to_reproduce": "",
        "additional_information": "",
        "resolution": ticket.resolution,
        "seen_version": ticket.version,
        "notes-TOTAL_FORMS": 1,
        "notes-INITIAL_FORMS": 0,
        "notes-MIN_NUM_FORMS": 0,
        "notes-MAX_NUM_FORMS": 1,
        "notes-0-canned_reply": reply.pk,
        "notes-0-text": "",
        "notes-0-minutes_spent": 0,
        "notes-0-is_billable": "on",
        "_continue": "Enregistrer la note",
    }

    response = staff.post(change_url(ticket), data)

    assert response.status_code == 302, text(response)
    assert Ticket.objects.get(pk=ticket.pk).priority == 40
    assert not Note.objects.filter(ticket=ticket).exists()
    # With the reply inserted (and a reply retired meanwhile is no error), the note is saved.
    reply.is_active = False
    reply.save()
    data |= {"seen_version": ticket.version + 1, "notes-0-text": "Bonjour Camille"}
    response = staff.post(change_url(ticket), data)
    assert response.status_code == 302, text(response)
    assert Note.objects.get(ticket=ticket).text == "Bonjour Camille"


def test_the_client_last_word_and_the_note_form_come_first(staff, staff_user, client_user):
    ticket = make_ticket(reporter=client_user, description="Rien ne sort depuis ce matin.")
    page = text(staff.get(change_url(ticket)))
    # No note from the client yet: their report is their last word.
    top = page.index("Dernier message du client")
    assert top < page.index("Rien ne sort depuis ce matin.") < page.index('name="notes-0-text"')

    note_add(ticket=ticket, author=client_user, text="Toujours bloqué, merci de rappeler.")
    note_add(ticket=ticket, author=staff_user, text="Nous regardons.", minutes_spent=10)
    page = text(staff.get(change_url(ticket)))

    top = page.index("Dernier message du client")
    latest = page.index("Toujours bloqué, merci de rappeler.")
    form = page.index('name="notes-0-text"')
    save = page.index('value="Enregistrer la note"')
    treatment = page.index(">Traitement<")
    assert top < latest < form < save < treatment < page.index("Nous regardons.")


def test_the_thread_shows_each_note_time_and_the_ticket_billable_and_other_time(
    staff, staff_user, client_user
):
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
    note_add(ticket=ticket, author=staff_user, text="Analyse", minutes_spent=45)
    note_add(ticket=ticket, author=staff_user, text="Geste", minutes_spent=30, is_billable=False)
    note_add(ticket=ticket, author=staff_user, text="Piste", minutes_spent=20, is_private=True)

    page = text(staff.get(change_url(ticket)))

    assert "1 h 35 : 1 h 05 facturables, 30 min non facturables" in page
    for minutes, kind in (("45", "facturables"), ("30", "non facturables")):
        assert re.search(rf"{minutes} minutes\s+{kind}", page), (minutes, kind)
    untouched = make_ticket(reporter=client_user)
    assert "1 h" not in text(staff.get(change_url(untouched))).split(">Traitement<")[1][:3000]


# --- The bulk actions that write a note --------------------------------------------------------


def act(client: Any, action: str, tickets: list[Ticket], **data: Any) -> Any:
    return client.post(
        f"{LIST}?state=all",
        {"action": action, "_selected_action": [t.pk for t in tickets], **data},
        follow=True,
    )


def test_the_action_page_offers_the_replies_as_written_and_says_what_is_per_ticket(
    staff, client_user
):
    ticket = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)
    active = CannedReply.objects.create(title="Version ?", text="Bonjour {prénom}, ({numéro})")
    CannedReply.objects.create(title="Retirée", text="Non", is_active=False)

    page = text(act(staff, "ask_client", [ticket]))

    assert texts_on(page) == {str(active.pk): "Bonjour {prénom}, ({numéro})"}
    assert "Version ?" in page
    assert "Retirée" not in page
    assert "remplis pour chaque ticket : {prénom}, {nom}, {numéro}" in page
    assert "{technicien} est votre prénom" in page


def test_ask_client_with_a_canned_reply_writes_one_note_per_ticket_with_its_own_values(
    staff, staff_user, client_user, organisation
):
    other = ClientFactory(organisation=organisation, first_name="Léa")
    first = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)
    second = make_ticket(reporter=other, state=State.ASSIGNED, handler=staff_user)
    reply = CannedReply.objects.create(
        title="Version ?", text="Bonjour {prénom}, quelle version pour le {numéro} ?\n{technicien}"
    )

    # No script: the reply chosen and the note left empty, the reply is the note.
    page = text(act(staff, "ask_client", [first, second], apply="1", canned_reply=reply.pk))

    assert "Question posée, 2 tickets passés « Commentaire »" in page
    for ticket, name in ((first, "Camille"), (second, "Léa")):
        note = Note.objects.get(ticket=ticket)
        assert note.text == f"Bonjour {name}, quelle version pour le {ticket.display_number} ?\nTom"
        assert Ticket.objects.get(pk=ticket.pk).state == State.FEEDBACK
        # The client is mailed that very text (the outbox row of the note's event).
        assert Notification.objects.filter(event__note=note, recipient=ticket.reporter).exists()


def test_resolve_fills_the_placeholders_typed_in_the_note_for_each_ticket(
    staff, staff_user, client_user
):
    tickets = [
        make_ticket(reporter=client_user, state=State.ASSIGNED, handler=staff_user)
        for _ in range(2)
    ]
    unused = CannedReply.objects.create(title="Inutile", text="Jamais")

    act(
        staff,
        "resolve",
        tickets,
        apply="1",
        resolution="fixed",
        canned_reply=unused.pk,  # the typed note wins over a reply not inserted
        text="Le ticket {numéro} est corrigé : {lien} {inconnu}",
        minutes_spent="5",
        is_billable="on",
    )

    for ticket in tickets:
        assert Note.objects.get(ticket=ticket).text == (
            "Résolution : corrigé.\n\n"
            f"Le ticket {ticket.display_number} est corrigé : "
            f"https://support.atm-consulting.fr/tickets/{ticket.number}/ {{inconnu}}"
        )


def test_a_note_too_long_once_filled_is_refused_for_each_ticket_without_a_500(
    staff, staff_user, client_user
):
    ticket = make_ticket(reporter=client_user, state=State.ACKNOWLEDGED)

    page = text(act(staff, "ask_client", [ticket], apply="1", text="{lien}" * 3000))

    assert f"{ticket.display_number} : La note, ses champs remplis, dépasse 20\u00a0000" in page
    assert not Note.objects.filter(ticket=ticket).exists()
    assert Ticket.objects.get(pk=ticket.pk).state == State.ACKNOWLEDGED
