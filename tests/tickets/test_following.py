"""« Suivre ce ticket », « Ne plus suivre ce ticket » and a colleague added as follower: the
ticket page's section, its POSTs, who is mailed, and another organisation refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from atm_support.celery import app as celery_app
from notifications.models import Notification, Reason
from notifications.selectors import TicketFacts, recipients_for
from tests.factories import ClientFactory, StaffFactory, make_ticket
from tests.utils import text
from tickets.following import FollowingError, ticket_follow, ticket_unfollow
from tickets.models import Follower, State
from tickets.workflow import note_add, ticket_change_state


@pytest.fixture
def colleague(organisation: Any) -> Any:
    return ClientFactory(
        email="julie@boulangerie-martin.fr",
        first_name="Julie",
        last_name="Comptable",
        organisation=organisation,
    )


@pytest.fixture
def stranger(other_organisation: Any) -> Any:
    return ClientFactory(
        email="marc@cabinet-durand.fr", first_name="Marc", organisation=other_organisation
    )


@pytest.fixture
def eager() -> Iterator[None]:
    """Mails leave in-process after commit, as without a broker (tests/notifications)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def following_url(ticket: Any) -> str:
    return reverse("tickets:following", args=[ticket.number])


def facts(ticket: Any) -> TicketFacts:
    return TicketFacts(
        ticket.pk, ticket.organisation_id, ticket.reporter_id, ticket.handler_id, ticket.is_private
    )


def recipients(ticket: Any, actor: Any = None, private: bool = False) -> dict[int | None, Reason]:
    chosen = recipients_for(
        ticket=facts(ticket), actor_id=actor.pk if actor else None, private=private
    )
    return {r.user_id: r.reason for r in chosen}


@pytest.mark.django_db
def test_colleague_follows_and_stops_through_the_ticket_page(client, client_user, colleague):
    ticket = make_ticket(reporter=client_user)
    client.force_login(colleague)

    page = text(client.get(ticket.get_absolute_url()))
    assert "Suivi du ticket" in page
    assert "Suivre ce ticket" in page
    assert "Ne plus suivre ce ticket" not in page

    response = client.post(following_url(ticket), {"action": "follow"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("#suivi")
    page = text(response)
    assert "Vous suivez ce ticket" in page
    assert "Ne plus suivre ce ticket" in page
    row = Follower.objects.get(ticket=ticket, user=colleague)
    assert (row.muted, row.added_by) == (False, colleague)
    # The page kept before the follow is not served again.
    assert "Ne plus suivre ce ticket" in text(client.get(ticket.get_absolute_url()))

    response = client.post(following_url(ticket), {"action": "unfollow"}, follow=True)
    assert "Vous ne suivez plus ce ticket." in text(response)
    assert Follower.objects.get(ticket=ticket, user=colleague).muted is True
    assert colleague.pk not in recipients(ticket)
    page = text(client.get(ticket.get_absolute_url()))
    assert "Suivre ce ticket" in page
    assert "Ne plus suivre ce ticket" not in page


@pytest.mark.django_db
def test_reporter_adds_a_colleague_who_is_then_listed_and_mailed(client, client_user, colleague):
    ticket = make_ticket(reporter=client_user)
    client.force_login(client_user)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert f'<option value="{colleague.pk}">Julie Comptable</option>' in page

    response = client.post(
        following_url(ticket), {"action": "add", "user": str(colleague.pk)}, follow=True
    )

    assert "Julie Comptable suit maintenant ce ticket." in text(response)
    row = Follower.objects.get(ticket=ticket, user=colleague)
    assert row.added_by == client_user
    assert recipients(ticket)[colleague.pk] == Reason.FOLLOWER
    body = client.get(ticket.get_absolute_url()).content.decode()
    assert f'<option value="{colleague.pk}">' not in body  # already follows: not offered again
    assert 'value="remove"' in body

    response = client.post(
        following_url(ticket), {"action": "remove", "user": str(colleague.pk)}, follow=True
    )
    assert "Julie Comptable ne suit plus ce ticket." in text(response)
    assert not Follower.objects.filter(ticket=ticket, user=colleague).exists()
    assert colleague.pk not in recipients(ticket)


@pytest.mark.django_db
def test_another_organisations_user_or_ticket_is_refused_and_nothing_written(
    client, client_user, stranger, organisation
):
    ticket = make_ticket(reporter=client_user)
    theirs = make_ticket(reporter=stranger)
    inactive = ClientFactory(organisation=organisation, is_active=False)
    staff = StaffFactory()
    client.force_login(client_user)

    for user in (stranger, inactive, staff):
        response = client.post(
            following_url(ticket), {"action": "add", "user": str(user.pk)}, follow=True
        )
        assert response.status_code == 200
        assert "Choisissez un collègue de votre organisation." in text(response)
    for value in ("", "abc", "99999999", "1e3"):
        response = client.post(following_url(ticket), {"action": "add", "user": value})
        assert response.status_code == 302
    assert client.post(following_url(theirs), {"action": "follow"}).status_code == 404
    assert (
        client.post(following_url(theirs), {"action": "add", "user": str(stranger.pk)}).status_code
        == 404
    )
    assert client.get(following_url(ticket)).status_code == 405
    assert not Follower.objects.exists()
    # The other organisation's users are never offered.
    assert "marc@cabinet-durand.fr" not in client.get(ticket.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_posts_need_the_csrf_token(client_user):
    from django.test import Client

    ticket = make_ticket(reporter=client_user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(client_user)
    assert browser.post(following_url(ticket), {"action": "unfollow"}).status_code == 403
    assert not Follower.objects.exists()


@pytest.mark.django_db
def test_services_refuse_what_the_tenancy_forbids(client_user, colleague, stranger):
    ticket = make_ticket(reporter=client_user)
    with pytest.raises(FollowingError):
        ticket_follow(ticket=ticket, user=stranger, by=client_user)
    with pytest.raises(FollowingError):
        ticket_follow(ticket=ticket, user=colleague, by=stranger)
    # A colleague cannot silence the reporter's own ticket for them.
    with pytest.raises(FollowingError):
        ticket_unfollow(ticket=ticket, user=client_user, by=colleague)
    assert not Follower.objects.exists()
    # Staff may follow any ticket (MantisBT's monitors are imported so).
    staff = StaffFactory()
    ticket_follow(ticket=ticket, user=staff, by=staff)
    assert recipients(ticket)[staff.pk] == Reason.FOLLOWER


@pytest.mark.django_db
def test_unfollow_wins_over_every_derived_reason_but_the_handler(organisation, client_user):
    watcher = ClientFactory(organisation=organisation, follow_all_tickets=True)
    tech = StaffFactory()
    ticket = make_ticket(reporter=client_user, handler=tech, state=State.ASSIGNED)
    note_add(ticket=ticket, author=tech, text="Je regarde.")
    assert set(recipients(ticket)) == {client_user.pk, watcher.pk, tech.pk}

    for user in (client_user, watcher, tech):
        ticket_unfollow(ticket=ticket, user=user, by=user)
    note_add(ticket=ticket, author=client_user, text="Toujours en panne.")  # a note re-adds nobody

    assert recipients(ticket) == {tech.pk: Reason.HANDLER}
    ticket_follow(ticket=ticket, user=client_user, by=client_user)
    assert recipients(ticket)[client_user.pk] == Reason.REPORTER


@pytest.mark.django_db
def test_a_private_note_never_reaches_a_client_follower(client_user, colleague):
    tech = StaffFactory()
    ticket = make_ticket(reporter=client_user)
    ticket_follow(ticket=ticket, user=colleague, by=client_user)
    assert set(recipients(ticket, actor=tech, private=True)) == set()
    assert set(recipients(ticket, actor=tech)) == {client_user.pk, colleague.pk}
    assert colleague.pk not in recipients(ticket, actor=colleague)  # never the author
    # A follower deactivated afterwards hears nothing.
    colleague.is_active = False
    colleague.save(update_fields=["is_active"])
    assert set(recipients(ticket, actor=tech)) == {client_user.pk}


@pytest.mark.django_db(transaction=True)
def test_added_colleague_gets_the_next_note_and_state_mails_and_the_unfollowed_reporter_none(
    eager, smtp, client, client_user, colleague
):
    tech = StaffFactory(first_name="Tom", last_name="Technicien")
    ticket = make_ticket(reporter=client_user)
    client.force_login(client_user)
    client.post(following_url(ticket), {"action": "add", "user": str(colleague.pk)})
    client.post(following_url(ticket), {"action": "unfollow"})

    note_add(ticket=ticket, author=tech, text="Pouvez-vous redémarrer l'imprimante ?")
    ticket_change_state(ticket=ticket, to=State.FEEDBACK, by=tech)

    mails = smtp.to(colleague.email)
    assert len(mails) == 2
    assert any("Pouvez-vous redémarrer l'imprimante ?" in mail.text for mail in mails)
    assert any(mail.subject.endswith("— Commentaire") for mail in mails)
    for mail in mails:  # why they get it, and how to stop: never « tous les tickets »
        assert "parce que vous suivez ce ticket" in mail.text
        assert "Ne plus suivre ce ticket" in mail.html
        assert "tous les tickets de votre organisation" not in mail.text
    assert smtp.to(client_user.email) == []
    assert set(
        Notification.objects.filter(recipient=colleague).values_list("reason", flat=True)
    ) == {Reason.FOLLOWER}
    assert not Notification.objects.filter(recipient=client_user).exists()


@pytest.mark.django_db
def test_staff_see_who_is_mailed_and_who_stopped_on_the_admin_ticket_page(
    client, client_user, colleague
):
    tech = StaffFactory(first_name="Tom", last_name="Technicien")
    ticket = make_ticket(reporter=client_user, handler=tech, state=State.ASSIGNED)
    ticket_follow(ticket=ticket, user=colleague, by=client_user)
    ticket_unfollow(ticket=ticket, user=client_user, by=client_user)
    client.force_login(tech)

    page = text(client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])))

    assert "Destinataires des e-mails" in page
    assert "Tom Technicien (responsable du ticket)" in page
    assert "Julie Comptable (suit ce ticket)" in page
    assert f"ne suit plus : {client_user}" in page
    assert f"{client_user} (rapporteur)" not in page
