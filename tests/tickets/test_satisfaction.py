"""« Donner votre avis »: a client rates the answer to a Résolu ticket of their organisation, from
the ticket page or the resolution mail's signed link; anything else is refused in French."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client

from notifications.delivery import deliver
from notifications.models import Notification
from tests.factories import ClientFactory, StaffFactory, make_ticket
from tests.utils import path_of, text
from tickets.models import State, Ticket
from tickets.satisfaction import (
    _SALT,
    COMMENT_MAX,
    LINK_MAX_AGE,
    Rating,
    rating_path,
    rating_token,
)
from tickets.workflow import ticket_change_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def technician() -> Any:
    return StaffFactory(email="tom@atm-consulting.fr", first_name="Tom", last_name="Martin")


@pytest.fixture
def resolved(client_user: Any, technician: Any) -> Ticket:
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=technician)
    return ticket_change_state(ticket=ticket, to=State.RESOLVED, by=technician)


def rating_url(ticket: Ticket) -> str:
    return f"/tickets/{ticket.number}/avis/"


def post(client: Client, ticket: Ticket, **data: str) -> Any:
    return client.post(rating_url(ticket), data)


def test_resolved_ticket_page_offers_the_form_and_a_rating_is_saved_for_its_handler(
    client: Client, client_user: Any, resolved: Ticket, technician: Any
) -> None:
    client.force_login(client_user)
    page = text(client.get(resolved.get_absolute_url()))
    assert "Votre avis" in page
    assert "La réponse vous convient-elle ?" in page
    assert f'action="{rating_url(resolved)}"' in page

    response = post(client, resolved, opinion="satisfait", comment="  Merci, rapide !  ")
    assert response.status_code == 302
    assert response["Location"] == resolved.get_absolute_url() + "#avis"
    rating = Rating.objects.get()
    assert (rating.ticket_id, rating.user_id, rating.handler_id) == (
        resolved.pk,
        client_user.pk,
        technician.pk,
    )
    assert rating.satisfied is True
    assert rating.comment == "Merci, rapide !"
    page = text(client.get(resolved.get_absolute_url()))
    assert "Merci pour votre avis." in page
    assert "Vous êtes satisfait de la réponse." in page
    assert "Modifier mon avis" in page
    # Without the message, the page comes from the page cache: the rating's save renewed it.
    page = text(client.get(resolved.get_absolute_url()))
    assert "Merci pour votre avis." not in page
    assert "Vous êtes satisfait de la réponse." in page


def test_a_second_submission_changes_the_same_rating(
    client: Client, client_user: Any, resolved: Ticket
) -> None:
    client.force_login(client_user)
    post(client, resolved, opinion="satisfait")
    response = post(client, resolved, opinion="pas-satisfait", comment="Finalement non")
    assert response.status_code == 302
    rating = Rating.objects.get()  # still one row
    assert (rating.satisfied, rating.comment) == (False, "Finalement non")
    assert "Merci, votre avis est modifié." in text(client.get(resolved.get_absolute_url()))


def test_each_colleague_gives_their_own_rating(
    client: Client, client_user: Any, resolved: Ticket
) -> None:
    colleague = ClientFactory(organisation=client_user.organisation)
    client.force_login(client_user)
    post(client, resolved, opinion="satisfait")
    client.force_login(colleague)
    post(client, resolved, opinion="pas-satisfait")
    assert sorted(Rating.objects.values_list("user_id", "satisfied")) == sorted(
        [(client_user.pk, True), (colleague.pk, False)]
    )


@pytest.mark.parametrize("state", [State.ASSIGNED, State.FEEDBACK, State.NEW])
def test_only_a_resolved_ticket_is_rated(client: Client, client_user: Any, state: str) -> None:
    ticket = make_ticket(reporter=client_user, state=state)
    client.force_login(client_user)
    assert "Votre avis" not in text(client.get(ticket.get_absolute_url()))
    response = post(client, ticket, opinion="satisfait")
    assert response.status_code == 409
    assert "Un avis se donne sur un ticket résolu ; celui-ci ne l'est pas (ou plus)." in text(
        response
    )
    assert client.get(rating_url(ticket)).status_code == 409
    assert not Rating.objects.exists()


def test_a_closed_ticket_keeps_its_rating_unchanged(
    client: Client, client_user: Any, resolved: Ticket
) -> None:
    client.force_login(client_user)
    post(client, resolved, opinion="satisfait")
    Ticket.objects.filter(pk=resolved.pk).update(state=State.CLOSED)
    response = post(client, resolved, opinion="pas-satisfait")
    assert response.status_code == 409
    assert "Ce ticket est fermé : votre avis ne peut plus être modifié." in text(response)
    assert Rating.objects.get().satisfied is True


def test_another_organisation_and_staff_cannot_rate(
    client: Client, resolved: Ticket, other_organisation: Any, technician: Any
) -> None:
    client.force_login(ClientFactory(organisation=other_organisation))
    assert post(client, resolved, opinion="satisfait").status_code == 404
    assert client.get(rating_url(resolved)).status_code == 404
    client.force_login(technician)
    response = post(client, resolved, opinion="satisfait")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert not Rating.objects.exists()


def test_signed_out_visitor_is_sent_to_sign_in(client: Client, resolved: Ticket) -> None:
    response = client.get(rating_url(resolved) + "?jeton=x")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choisissez « Satisfait » ou « Pas satisfait »."),
        ({"opinion": "peut-être"}, "Choisissez « Satisfait » ou « Pas satisfait »."),
        (
            {"opinion": "satisfait", "comment": "é" * (COMMENT_MAX + 1)},
            "Ce champ contient 2\u00a0001 caractères ; 2\u00a0000 au plus.",
        ),
    ],
)
def test_bad_input_is_a_french_message_with_the_comment_kept(
    client: Client, client_user: Any, resolved: Ticket, data: dict[str, str], message: str
) -> None:
    client.force_login(client_user)
    data = {"comment": "Mon texte", **data}
    response = post(client, resolved, **data)
    assert response.status_code == 400
    body = text(response)
    assert message in body
    assert data["comment"] in body
    assert not Rating.objects.exists()


def test_mail_link_opens_the_form_for_its_recipient(
    client: Client, client_user: Any, resolved: Ticket
) -> None:
    client.force_login(client_user)
    response = client.get(rating_path(ticket=resolved, user=client_user))
    assert response.status_code == 200
    body = text(response)
    assert "Donner votre avis" in body
    assert 'name="opinion"' in body


def test_forged_link_is_refused_in_french(
    client: Client, client_user: Any, resolved: Ticket
) -> None:
    client.force_login(client_user)
    token = rating_token(ticket=resolved, user=client_user)
    for forged in (token[:-2] + "xx", "nimportequoi", signing.dumps({"t": resolved.pk, "u": 1})):
        response = client.get(rating_url(resolved), {"jeton": forged})
        assert response.status_code == 400
        assert "Ce lien n'est pas valide" in text(response)
        assert 'name="opinion"' not in text(response)
    # A valid token for another ticket is no token for this one.
    other = make_ticket(reporter=client_user, state=State.RESOLVED)
    response = client.get(
        rating_url(resolved), {"jeton": rating_token(ticket=other, user=client_user)}
    )
    assert response.status_code == 400


def test_another_users_link_is_refused(client: Client, client_user: Any, resolved: Ticket) -> None:
    colleague = ClientFactory(organisation=client_user.organisation)
    client.force_login(colleague)
    response = client.get(rating_path(ticket=resolved, user=client_user))
    assert response.status_code == 403
    assert "Ce lien a été envoyé à une autre personne" in text(response)


def test_expired_link_is_refused_in_french(
    client: Client, client_user: Any, resolved: Ticket
) -> None:
    class Past(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time() - LINK_MAX_AGE.total_seconds()) - 60)

    token = Past(salt=_SALT).sign_object({"t": resolved.pk, "u": client_user.pk})
    client.force_login(client_user)
    response = client.get(rating_url(resolved), {"jeton": token})
    assert response.status_code == 400
    assert "Ce lien a expiré." in text(response)


def test_resolution_mail_has_the_rating_link_for_clients_only(
    client: Client, client_user: Any, technician: Any, smtp: Any, settings: Any
) -> None:
    ticket = make_ticket(reporter=client_user, state=State.ASSIGNED, handler=technician)
    actor = StaffFactory(first_name="Alice", last_name="Durand")
    ticket_change_state(ticket=ticket, to=State.RESOLVED, by=actor)
    for pk in Notification.objects.values_list("pk", flat=True):
        deliver(pk)
    [mail] = smtp.to(client_user.email)
    assert "La réponse vous convient-elle ? Donner votre avis :" in mail.text
    [link] = [url for url in mail.links() if "/avis/" in url]
    assert link.startswith(f"{settings.SITE_URL}/tickets/{ticket.number}/avis/?jeton=")
    assert ">Donner votre avis</a>" in mail.html
    [staff_mail] = smtp.to(technician.email)
    assert "avis" not in staff_mail.text.lower()
    # The link works for its recipient.
    client.force_login(client_user)
    assert client.get(path_of(link)).status_code == 200
    # Another change of state does not carry it.
    smtp.clear()
    Notification.objects.all().delete()
    ticket_change_state(ticket=ticket, to=State.FEEDBACK, by=actor)
    for pk in Notification.objects.values_list("pk", flat=True):
        deliver(pk)
    [later] = smtp.to(client_user.email)
    assert "Donner votre avis" not in later.text
    assert not [url for url in later.links() if "/avis/" in url]
