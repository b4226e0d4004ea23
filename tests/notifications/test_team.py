"""New tickets reach the team: staff's own choices (« Mes préférences »: every new ticket, of all
organisations or of chosen ones; client replies on tickets without handler; every ticket) and
the team's address, SUPPORT_TEAM_EMAIL, which is no account. Who gets a row, what the mail
says (through real SMTP), and the preference page."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import User
from mail.models import Status
from mail.sending import Outcome
from notifications.delivery import deliver
from notifications.models import Event, Kind, Notification, Reason
from notifications.selectors import TicketFacts, recipients_for
from tests.factories import CategoryFactory, ClientFactory, StaffFactory, make_ticket
from tests.notifications.conftest import notifications_muted
from tickets.models import Follower, State
from tickets.services import ticket_create
from tickets.workflow import note_add, ticket_assign, ticket_change_state

pytestmark = pytest.mark.django_db

TEAM = "equipe@atm-consulting.fr"
ALL = User.NewTickets.ALL
CHOSEN = User.NewTickets.CHOSEN


def report(reporter: Any, summary: str = "La caisse ne s'ouvre plus") -> Any:
    """A client reports a ticket, as the portal and e-mail in do (tickets.services)."""
    return ticket_create(
        reporter=reporter,
        category=CategoryFactory(name="Anomalie"),
        summary=summary,
        description="Depuis ce matin, le tiroir reste fermé.",
    )


def rows_of(kind: str) -> dict[str, str]:
    """The outbox rows of the (single) event of `kind`: address (user's or team's) → reason."""
    event = Event.objects.get(kind=kind)
    return {
        (n.recipient.email if n.recipient else n.address): n.reason
        for n in event.notifications.select_related("recipient")
    }


@pytest.fixture
def team(settings: Any) -> str:
    settings.SUPPORT_TEAM_EMAIL = TEAM
    settings.INBOUND_ADDRESS = ""
    return TEAM


@pytest.fixture
def desk(organisation: Any, other_organisation: Any) -> Any:
    """Technicians with each preference, and one with none."""

    class Desk:
        all_new = StaffFactory(email="tom@atm-consulting.fr", notify_new_tickets=ALL)
        chosen = StaffFactory(email="ines@atm-consulting.fr", notify_new_tickets=CHOSEN)
        replies = StaffFactory(email="hugo@atm-consulting.fr", notify_client_replies=True)
        every = StaffFactory(email="lise@atm-consulting.fr", follow_every_ticket=True)
        nothing = StaffFactory(email="marc@atm-consulting.fr")
        inactive = StaffFactory(
            email="ancien@atm-consulting.fr",
            notify_new_tickets=ALL,
            follow_every_ticket=True,
            notify_client_replies=True,
            is_active=False,
        )

    Desk.chosen.notify_organisations.set([organisation])
    return Desk


# --- who gets a row ------------------------------------------------------------------------


def test_new_ticket_reaches_every_staff_who_asked_for_it_and_the_team_address(
    desk, team, client_user
):
    report(client_user)

    assert rows_of(Kind.CREATED) == {
        desk.all_new.email: Reason.NEW_TICKET,
        desk.chosen.email: Reason.NEW_TICKET,  # Boulangerie Martin is one of theirs
        desk.every.email: Reason.EVERY_TICKET,
        TEAM: Reason.TEAM_ADDRESS,
    }
    team_row = Notification.objects.get(address=TEAM)
    assert team_row.recipient is None
    assert team_row.status == Status.QUEUED


def test_staff_who_chose_organisations_get_only_those_organisations_new_tickets(
    desk, other_organisation
):
    report(ClientFactory(organisation=other_organisation))

    assert set(rows_of(Kind.CREATED)) == {desk.all_new.email, desk.every.email}


def test_staff_with_several_organisations_get_one_row_for_a_ticket_of_any_of_them(
    desk, organisation, other_organisation
):
    desk.chosen.notify_organisations.set([organisation, other_organisation])
    report(ClientFactory(organisation=other_organisation))

    assert rows_of(Kind.CREATED)[desk.chosen.email] == Reason.NEW_TICKET
    assert Notification.objects.filter(recipient=desk.chosen).count() == 1


def test_new_ticket_preference_ignores_later_events_of_the_ticket(desk, team, client_user):
    ticket = report(client_user)
    Notification.objects.all().delete()

    ticket_change_state(ticket=ticket, to=State.ACKNOWLEDGED, by=desk.nothing)
    note_add(ticket=ticket, author=desk.nothing, text="Nous regardons.")

    for kind in (Kind.STATE_CHANGED, Kind.NOTE_ADDED):
        rows = rows_of(kind)
        assert desk.all_new.email not in rows
        assert desk.chosen.email not in rows
        assert TEAM not in rows  # the team's address hears of new tickets only
        assert rows[desk.every.email] == Reason.EVERY_TICKET


def test_client_reply_on_a_ticket_without_handler_reaches_staff_who_asked(desk, client_user):
    ticket = report(client_user)

    note_add(ticket=ticket, author=client_user, text="Toujours bloqué ce matin.")

    assert rows_of(Kind.NOTE_ADDED) == {
        desk.replies.email: Reason.CLIENT_REPLY,
        desk.every.email: Reason.EVERY_TICKET,
    }


def test_client_reply_on_a_handled_ticket_goes_to_its_handler_not_to_the_team(desk, client_user):
    ticket = report(client_user)
    ticket_assign(ticket=ticket, handler=desk.nothing, by=desk.nothing)

    note_add(ticket=ticket, author=client_user, text="Toujours bloqué ce matin.")

    assert rows_of(Kind.NOTE_ADDED) == {
        desk.nothing.email: Reason.HANDLER,
        desk.every.email: Reason.EVERY_TICKET,
    }


def test_a_staff_note_or_a_private_note_is_no_client_reply(desk, client_user, organisation):
    ticket = report(client_user)

    note_add(ticket=ticket, author=desk.nothing, text="Pouvez-vous redémarrer ?")
    assert desk.replies.email not in rows_of(Kind.NOTE_ADDED)
    Event.objects.filter(kind=Kind.NOTE_ADDED).delete()

    note_add(ticket=ticket, author=desk.nothing, text="Côté serveur, rien.", is_private=True)
    rows = rows_of(Kind.NOTE_ADDED)
    assert desk.replies.email not in rows
    # A staff preference is staff's: private notes included, clients still left out.
    assert rows[desk.every.email] == Reason.EVERY_TICKET
    assert client_user.email not in rows


def test_the_author_of_the_change_is_never_mailed_whatever_their_preferences(desk, client_user):
    ticket = report(client_user)

    ticket_change_state(ticket=ticket, to=State.ACKNOWLEDGED, by=desk.every)
    note_add(ticket=ticket, author=desk.every, text="Je m'en occupe.")

    for kind in (Kind.STATE_CHANGED, Kind.NOTE_ADDED):
        assert desk.every.email not in rows_of(kind)


def test_a_muted_ticket_stops_the_follow_every_ticket_mails(desk, client_user):
    ticket = report(client_user)
    Follower.objects.create(ticket=ticket, user=desk.every, muted=True)

    note_add(ticket=ticket, author=client_user, text="Toujours bloqué.")

    assert desk.every.email not in rows_of(Kind.NOTE_ADDED)


def test_clients_preferences_of_staff_fields_are_ignored(organisation, client_user):
    """The columns exist on every user; only staff's count (a client cannot set them)."""
    ClientFactory(
        email="lea@boulangerie-martin.fr",
        organisation=organisation,
        notify_new_tickets=ALL,
        follow_every_ticket=True,
        notify_client_replies=True,
    )
    report(client_user)

    assert Notification.objects.count() == 0


def test_the_team_address_is_mailed_once_and_never_to_the_author(team, client_user, settings):
    # A technician whose own address is the team's: one row, as that user.
    tech = StaffFactory(email=TEAM, notify_new_tickets=ALL)
    report(client_user)
    assert rows_of(Kind.CREATED) == {TEAM: Reason.NEW_TICKET}
    assert Notification.objects.get().recipient == tech
    Event.objects.all().delete()

    # The ticket's reporter at the team's address (a test account): not mailed about it.
    tech.notify_new_tickets = User.NewTickets.NONE
    tech.save()
    settings.SUPPORT_TEAM_EMAIL = client_user.email
    report(client_user)
    assert Notification.objects.count() == 0


def test_no_team_address_when_unset_or_when_it_is_the_support_mailbox(client_user, settings):
    settings.SUPPORT_TEAM_EMAIL = ""
    report(client_user, "Premier")
    settings.SUPPORT_TEAM_EMAIL = "Support@ATM-consulting.fr"
    settings.INBOUND_ADDRESS = "support@atm-consulting.fr"
    report(client_user, "Second")

    assert Notification.objects.count() == 0


def test_recipients_for_without_a_kind_leaves_out_new_ticket_choices_and_the_team(
    desk, team, client_user
):
    """What the admin's ticket page shows (« destinataires des e-mails »): any event's."""
    with notifications_muted():
        ticket = report(client_user)
    facts = TicketFacts(ticket.pk, ticket.organisation_id, ticket.reporter_id, None, False)

    chosen = recipients_for(ticket=facts, actor_id=None)
    assert {r.user_id: r.reason for r in chosen} == {
        client_user.pk: Reason.REPORTER,
        desk.every.pk: Reason.EVERY_TICKET,
    }
    created = recipients_for(ticket=facts, actor_id=client_user.pk, kind=Kind.CREATED)
    assert created[-1] == (None, Reason.TEAM_ADDRESS, TEAM)
    assert client_user.pk not in {r.user_id for r in created}


def test_ticket_opened_by_mail_reaches_the_team_as_a_portal_one(desk, team, client_user):
    """notifications/inbound.py opens tickets through tickets.services.ticket_create."""
    from notifications.inbound import _create

    _create(
        client_user,
        category=CategoryFactory(name="Anomalie"),
        summary="Par e-mail",
        description="Bonjour, plus rien ne marche.",
        files=[],
    )

    rows = rows_of(Kind.CREATED)
    assert rows[TEAM] == Reason.TEAM_ADDRESS
    assert rows[desk.all_new.email] == Reason.NEW_TICKET
    assert rows[client_user.email] == Reason.ACKNOWLEDGEMENT


def test_a_row_names_a_user_or_an_address_never_both_nor_neither(client_user, staff_user):
    with notifications_muted():
        ticket = make_ticket(reporter=client_user)
    event = Event.objects.create(ticket=ticket, kind=Kind.CREATED)
    for fields in ({"recipient": staff_user, "address": TEAM}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Notification.objects.create(event=event, reason=Reason.TEAM_ADDRESS, **fields)
    Notification.objects.create(event=event, reason=Reason.TEAM_ADDRESS, address=TEAM)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(event=event, reason=Reason.TEAM_ADDRESS, address=TEAM)


# --- what the mails say, through real SMTP -------------------------------------------------


def test_new_ticket_mails_the_opted_in_technician_and_the_team_address(
    desk, team, client_user, smtp, settings
):
    settings.INBOUND_ADDRESS = "support@atm-consulting.fr"  # Reply-To for users only
    ticket = report(client_user)

    outcomes = [deliver(pk).outcome for pk in Notification.objects.values_list("pk", flat=True)]
    assert set(outcomes) == {Outcome.SENT}

    admin_link = f"{settings.SITE_URL}/admin/tickets/ticket/{ticket.pk}/change/"
    preferences = f"{settings.SITE_URL}/admin/mes-preferences/"
    [mail] = smtp.to(desk.all_new.email)
    assert mail.subject.startswith(f"[ATM {ticket.display_number}] La caisse ne s'ouvre plus")
    assert mail.text.startswith("Bonjour Tom,")
    assert f"a ouvert le ticket {ticket.display_number}" in mail.text
    assert "vous avez choisi de recevoir les nouveaux tickets" in mail.text
    assert f"Pour changer ce réglage : {preferences}" in mail.text
    assert admin_link in mail.links()
    assert f'href="{preferences}"' in mail.html
    assert mail.message["Reply-To"]

    [mail] = smtp.to(TEAM)
    assert mail.text.startswith("Bonjour,")
    assert "l'adresse de l'équipe ATM (réglage SUPPORT_TEAM_EMAIL du serveur)" in mail.text
    assert mail.links() == [admin_link]
    assert mail.message["Reply-To"] is None  # no user for a signed reply address
    assert "répondez simplement" not in mail.text
    row = Notification.objects.get(address=TEAM)
    assert (row.status, row.sent_to, row.attempts) == (Status.SENT, TEAM, 1)

    [mail] = smtp.to(desk.every.email)
    assert "vous suivez tous les tickets (réglage dans « Mes préférences »" in mail.text


def test_team_address_is_staff_at_sending_time_a_private_ticket_still_leaves(
    team, client_user, smtp
):
    ticket = report(client_user)
    ticket.is_private = True
    ticket.save(update_fields=["is_private"])

    [row] = Notification.objects.all()
    assert deliver(row.pk).outcome == Outcome.SENT
    assert len(smtp.to(TEAM)) == 1


def test_client_reply_mail_says_why_and_links_the_preferences(desk, client_user, smtp):
    ticket = report(client_user)
    Notification.objects.all().delete()
    note_add(ticket=ticket, author=client_user, text="Toujours bloqué ce matin.")

    [row] = Notification.objects.filter(recipient=desk.replies)
    assert deliver(row.pk).outcome == Outcome.SENT
    [mail] = smtp.to(desk.replies.email)
    assert "Toujours bloqué ce matin." in mail.text
    assert "réponses des clients sur les tickets sans responsable" in mail.text


# --- « Mes préférences » ---------------------------------------------------------------------

URL = "/admin/mes-preferences/"


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def test_preferences_page_is_linked_from_the_admin_and_shows_the_choices(client, staff_user):
    client.force_login(staff_user)
    assert reverse("admin_preferences") == URL
    assert f'href="{URL}"' in text(client.get("/admin/"))

    page = text(client.get(URL))
    assert "<h1>Mes préférences</h1>" in page
    for label in (
        "Nouveaux tickets",
        "Tous les nouveaux tickets",
        "Ceux des organisations choisies",
        "Réponses des clients sur les tickets sans responsable",
        "Suivre tous les tickets",
    ):
        assert label in page


def test_staff_saves_chosen_organisations_then_all_which_forgets_the_list(
    client, staff_user, organisation, other_organisation
):
    client.force_login(staff_user)
    response = client.post(
        URL,
        {
            "notify_new_tickets": "chosen",
            "notify_organisations": [organisation.pk],
            "notify_client_replies": "on",
        },
        follow=True,
    )
    assert "Vos préférences de notification sont enregistrées." in text(response)
    staff_user.refresh_from_db()
    assert staff_user.notify_new_tickets == CHOSEN
    assert list(staff_user.notify_organisations.all()) == [organisation]
    assert staff_user.notify_client_replies
    assert not staff_user.follow_every_ticket

    client.post(URL, {"notify_new_tickets": "all", "notify_organisations": [organisation.pk]})
    staff_user.refresh_from_db()
    assert staff_user.notify_new_tickets == ALL
    assert not staff_user.notify_organisations.exists()
    assert not staff_user.notify_client_replies  # unticked


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"notify_new_tickets": "chosen"}, "Cochez au moins une organisation"),
        ({"notify_new_tickets": "toujours"}, "Choix inconnu : « toujours »."),
        ({}, "Choisissez quels nouveaux tickets recevoir."),
        (
            {"notify_new_tickets": "chosen", "notify_organisations": ["999999"]},
            "Cette organisation n'existe pas (ou plus).",
        ),
        (
            {"notify_new_tickets": "chosen", "notify_organisations": ["abc"]},
            "« abc » n'est pas une organisation.",
        ),
    ],
)
def test_bad_input_is_refused_in_french_and_kept(client, staff_user, data, message):
    client.force_login(staff_user)
    data = {**data, "follow_every_ticket": "on"}

    response = client.post(URL, data)

    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert "Corrigez les erreurs ci-dessous." in page
    # What was typed is kept: the ticked box stays ticked.
    assert re.search(r'name="follow_every_ticket"[^>]*checked', page)
    staff_user.refresh_from_db()
    assert (staff_user.notify_new_tickets, staff_user.follow_every_ticket) == ("none", False)


def test_a_client_never_reaches_the_preferences_page(client, client_user):
    client.force_login(client_user)

    for response in (client.get(URL), client.post(URL, {"notify_new_tickets": "all"})):
        assert response.status_code == 302
        assert not response["Location"].startswith(URL)
    client_user.refresh_from_db()
    assert client_user.notify_new_tickets == User.NewTickets.NONE


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
