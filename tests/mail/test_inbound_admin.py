"""« Courriels non rattachés »: staff attach a waiting mail to a ticket, open a ticket from it,
or dismiss it; every mail's .eml is for staff only."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from notifications.models import Inbound, InboundMail
from tests.factories import CategoryFactory, ClientFactory, StaffFactory, make_ticket
from tests.mail.test_inbound import PNG, message
from tickets.models import Attachment, Note, State, Ticket

pytestmark = pytest.mark.django_db


def waiting(raw: bytes, sender: str, subject: str = "Problème d'export") -> InboundMail:
    mail = InboundMail(
        key=f"{sender}-{subject}",
        sender=sender,
        subject=subject,
        size=len(raw),
        status=Inbound.UNATTACHED,
        reason=f"Expéditeur inconnu : {sender}.",
    )
    mail.raw.save("test.eml", ContentFile(raw), save=False)
    mail.save()
    return mail


@pytest.fixture
def tech(client):
    tech = StaffFactory()
    client.force_login(tech)
    return tech


def page(mail: InboundMail) -> str:
    return reverse("admin:notifications_unattachedmail_change", args=[mail.pk])


def test_the_list_shows_waiting_mails_only(client, tech):
    first = waiting(message(sender="a@inconnu.fr"), "a@inconnu.fr", "Premier")
    done = waiting(message(sender="b@inconnu.fr"), "b@inconnu.fr", "Déjà vu")
    done.status = Inbound.DISMISSED
    done.save()
    response = client.get(reverse("admin:notifications_unattachedmail_changelist"))
    assert response.status_code == 200
    assert "Premier" in response.text
    assert "Déjà vu" not in response.text
    assert first.sender in response.text


def test_attach_to_a_ticket_as_a_note_of_the_staff_member_naming_the_sender(
    client, tech, organisation
):
    ticket = make_ticket(reporter=ClientFactory(organisation=organisation))
    raw = message(
        sender="assistante@client.fr",
        text="Le problème revient.",
        files=[("capture.png", PNG, "image/png")],
    )
    mail = waiting(raw, "assistante@client.fr")
    response = client.get(page(mail))
    assert response.status_code == 200
    assert "Le problème revient." in response.text
    assert "Que faire de ce courriel ?" in response.text

    response = client.post(page(mail), {"decision": "attach", "ticket_number": ticket.number})
    assert response.status_code == 302
    note = Note.objects.get(ticket=ticket)
    assert note.author == tech
    assert note.text == "Courriel de assistante@client.fr :\n\nLe problème revient."
    assert Attachment.objects.get(note=note).original_name == "capture.png"
    mail.refresh_from_db()
    assert (mail.status, mail.ticket, mail.note, mail.handled_by) == (
        Inbound.NOTE,
        ticket,
        note,
        tech,
    )
    # It waits no more.
    assert client.get(page(mail)).status_code == 302


def test_attach_by_a_known_client_of_the_organisation_is_their_note(client, tech, organisation):
    known = ClientFactory(organisation=organisation, email="known@client.fr")
    ticket = make_ticket(reporter=known)
    mail = waiting(message(sender=known.email, text="Précision."), known.email)
    client.post(page(mail), {"decision": "attach", "ticket_number": ticket.number})
    assert Note.objects.get(ticket=ticket).author == known


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"decision": "attach"}, "Indiquez le numéro du ticket."),
        ({"decision": "attach", "ticket_number": "999999"}, "Aucun ticket ne porte le numéro"),
        ({"decision": "attach", "ticket_number": "abc"}, "Saisissez un nombre entier."),
        ({"decision": "open"}, "Choisissez le client au nom duquel l&#x27;ouvrir."),
        ({}, "Ce champ est obligatoire."),
    ],
)
def test_bad_input_is_answered_in_french_and_keeps_the_mail_waiting(client, tech, data, error):
    mail = waiting(message(sender="x@inconnu.fr"), "x@inconnu.fr")
    response = client.post(page(mail), data)
    assert response.status_code == 200
    assert error in response.text
    mail.refresh_from_db()
    assert mail.status == Inbound.UNATTACHED


def test_a_closed_ticket_is_refused(client, tech, organisation):
    ticket = make_ticket(reporter=ClientFactory(organisation=organisation))
    Ticket.objects.filter(pk=ticket.pk).update(state=State.CLOSED)
    mail = waiting(message(sender="x@inconnu.fr"), "x@inconnu.fr")
    response = client.post(page(mail), {"decision": "attach", "ticket_number": ticket.number})
    assert "est fermé : il n&#x27;accepte plus de note." in response.text
    assert not Note.objects.exists()


def test_open_a_ticket_in_a_clients_name(client, tech, organisation):
    reporter = ClientFactory(organisation=organisation)
    category = CategoryFactory()
    mail = waiting(
        message(sender="x@inconnu.fr", subject="Export bloqué", text="Rien ne sort."),
        "x@inconnu.fr",
    )
    response = client.post(
        page(mail), {"decision": "open", "reporter": reporter.pk, "category": category.pk}
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tickets_ticket_change", args=[ticket.pk])
    assert (ticket.reporter, ticket.category, ticket.summary, ticket.description) == (
        reporter,
        category,
        "Export bloqué",
        "Rien ne sort.",
    )
    mail.refresh_from_db()
    assert (mail.status, mail.ticket) == (Inbound.TICKET, ticket)


def test_dismiss_one_or_several(client, tech):
    one = waiting(message(sender="a@x.fr"), "a@x.fr", "Un")
    two = waiting(message(sender="b@x.fr"), "b@x.fr", "Deux")
    three = waiting(message(sender="c@x.fr"), "c@x.fr", "Trois")
    client.post(page(one), {"decision": "dismiss"})
    client.post(
        reverse("admin:notifications_unattachedmail_changelist"),
        {"action": "dismiss_selected", "_selected_action": [two.pk, three.pk]},
    )
    assert set(InboundMail.objects.values_list("status", flat=True)) == {Inbound.DISMISSED}
    # Nothing is deleted: every mail is still in « Courriels reçus ».
    response = client.get(reverse("admin:notifications_inboundmail_changelist"))
    assert all(subject in response.text for subject in ("Un", "Deux", "Trois"))


def test_the_eml_is_for_staff_only(client, organisation):
    raw = message(sender="a@x.fr")
    mail = waiting(raw, "a@x.fr")
    url = reverse("admin:notifications_inboundmail_eml", args=[mail.pk])
    client.force_login(ClientFactory(organisation=organisation))
    assert client.get(url).status_code == 302  # to the admin's login: not staff
    client.force_login(StaffFactory())
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert b"".join(response.streaming_content) == raw


def test_the_ticket_page_lists_the_mails_that_became_it(client, tech, organisation):
    ticket = make_ticket(reporter=ClientFactory(organisation=organisation))
    mail = waiting(message(sender="a@x.fr"), "a@x.fr")
    mail.status, mail.ticket = Inbound.TICKET, ticket
    mail.save()
    response = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert reverse("admin:notifications_inboundmail_eml", args=[mail.pk]) in response.text


def test_a_mail_a_colleague_decided_meanwhile_is_not_decided_twice(client, tech, organisation):
    ticket = make_ticket(reporter=ClientFactory(organisation=organisation))
    mail = waiting(message(sender="x@inconnu.fr", text="Une fois."), "x@inconnu.fr")
    stale = InboundMail.objects.get(pk=mail.pk)
    from notifications import inbound

    inbound.dismiss(mail, by=StaffFactory())  # the colleague, a second earlier
    with pytest.raises(inbound.WorkflowError, match="déjà été traité"):
        inbound.attach(stale, ticket=ticket, by=tech, incoming=inbound_incoming(stale))
    assert not Note.objects.exists()
    assert InboundMail.objects.get(pk=mail.pk).status == Inbound.DISMISSED


def inbound_incoming(mail):
    from notifications.admin_inbound import read_incoming

    return read_incoming(mail)


def test_a_mail_that_failed_waits_for_staff_too(client, tech, organisation):
    ticket = make_ticket(reporter=ClientFactory(organisation=organisation))
    mail = waiting(message(sender="x@inconnu.fr", text="Perdu ?"), "x@inconnu.fr")
    mail.status, mail.reason = Inbound.FAILED, "RuntimeError: disque plein"
    mail.save()
    listing = client.get(reverse("admin:notifications_unattachedmail_changelist"))
    assert "RuntimeError: disque plein" in listing.text
    client.post(page(mail), {"decision": "attach", "ticket_number": ticket.number})
    assert Note.objects.get(ticket=ticket).text.endswith("Perdu ?")
