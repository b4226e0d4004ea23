"""What a notification says, sent in-process through real SMTP (deliver() is what the task runs)."""

from __future__ import annotations

import re
from email.utils import parseaddr
from pathlib import Path

import pytest
from django.utils import translation

from mail.models import Status
from mail.sending import Outcome
from notifications.delivery import STATE_COLOURS, deliver
from notifications.models import Notification
from tests.factories import make_ticket
from tests.notifications.conftest import notifications_muted
from tickets.models import State
from tickets.workflow import note_add, ticket_change_state

pytestmark = pytest.mark.django_db

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "portal.css"


def send_all() -> list[Outcome]:
    ids = Notification.objects.order_by("pk").values_list("pk", flat=True)
    return [deliver(pk).outcome for pk in ids]


def row_for(user) -> Notification:
    return Notification.objects.get(recipient=user)


def test_state_change_mail_has_subject_state_colour_actor_and_link(cast, smtp, settings):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)
    assert set(send_all()) == {Outcome.SENT}

    [mail] = smtp.to(cast.reporter.email)
    number = cast.ticket.display_number
    assert mail.subject == f"[ATM {number}] L'imprimante n'imprime plus — Commentaire"
    assert f"Alice Martin a passé le ticket {number} de « Affecté » à « Commentaire »." in mail.text
    assert "État : Commentaire (avant : Affecté)" in mail.text
    assert "Affecté à : Tom" in mail.text
    link = f"{settings.SITE_URL}/tickets/{cast.ticket.number}/"
    assert mail.links() == [link]
    assert "background-color: #e3b7eb" in mail.html
    assert ">Commentaire</span>" in mail.html
    assert f'href="{link}"' in mail.html
    assert "vous avez rapporté ce ticket" in mail.text
    # Headers: one Message-ID per outbox row, threaded per ticket, marked automatic.
    row = row_for(cast.reporter)
    assert mail.message["Message-ID"] == f"<notification-{row.pk}@atm-consulting.fr>"
    assert mail.message["References"] == f"<ticket-{cast.ticket.number}@atm-consulting.fr>"
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert parseaddr(str(mail.message["From"]))[1] == "support@atm-consulting.fr"
    assert row.status == Status.SENT
    assert row.sent_to == cast.reporter.email
    assert row.attempts == 1


def test_staff_are_sent_to_the_ticket_in_the_admin(cast, smtp, settings):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)
    send_all()

    [mail] = smtp.to(cast.handler.email)
    assert mail.links() == [f"{settings.SITE_URL}/admin/tickets/ticket/{cast.ticket.pk}/change/"]
    assert "ce ticket vous est affecté" in mail.text


def test_note_text_is_in_the_mail_and_escaped_in_html(cast, smtp):
    text = "Voir <b>ceci</b> & <script>alert('x')</script>\nDeuxième ligne"
    note_add(ticket=cast.ticket, author=cast.actor, text=text)
    send_all()

    [mail] = smtp.to(cast.reporter.email)
    assert mail.subject.endswith("— Nouvelle note")
    assert "Note de Alice Martin :" in mail.text
    assert text in mail.text.replace("\r\n", "\n")  # plain text: shown as typed
    assert "<script>" not in mail.html
    assert "<b>ceci</b>" not in mail.html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in mail.html
    assert "&lt;b&gt;ceci&lt;/b&gt; &amp; " in mail.html
    assert "<br>Deuxième ligne" in mail.html


def test_client_answer_is_one_mail_with_the_note_and_the_new_state(cast, smtp):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.handler)
    Notification.objects.all().delete()

    note_add(ticket=cast.ticket, author=cast.reporter, text="Voici la capture demandée.")
    send_all()

    [mail] = smtp.to(cast.handler.email)
    number = cast.ticket.display_number
    assert mail.subject == f"[ATM {number}] L'imprimante n'imprime plus — Affecté"
    assert f"a ajouté une note au ticket {number}, qui passe à « Affecté »." in mail.text
    assert "Voici la capture demandée." in mail.text
    assert "background-color: #c2dfff" in mail.html
    assert not smtp.to(cast.reporter.email)


def test_crlf_in_a_summary_cannot_inject_a_header(cast, smtp, organisation):
    with notifications_muted():
        ticket = make_ticket(
            reporter=cast.reporter,
            summary="Panne\r\nBcc: intrus@example.com\r\nX-Injected: oui",
        )
    ticket_change_state(ticket=ticket, to=State.ACKNOWLEDGED, by=cast.actor)
    send_all()

    [mail] = smtp.to(cast.reporter.email)
    number = ticket.display_number
    # (Python's header folding may double a space around an encoded word: compare words.)
    assert mail.subject.split() == (
        f"[ATM {number}] Panne Bcc: intrus@example.com X-Injected: oui — En analyse".split()
    )
    assert mail.message["X-Injected"] is None
    assert mail.message["Bcc"] is None
    assert mail.rcpt_tos == [cast.reporter.email]
    assert not smtp.to("intrus@example.com")
    # The summary keeps its line breaks where they are harmless: the body.
    assert "Panne\nBcc: intrus@example.com" in mail.text.replace("\r\n", "\n")


def test_mail_speaks_the_language_of_its_recipient(cast, smtp):
    cast.reporter.language = "en"
    cast.reporter.save()

    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)
    send_all()

    [english] = smtp.to(cast.reporter.email)
    [french] = smtp.to(cast.commenter.email)
    with translation.override("en"):
        label = str(State.FEEDBACK.label)
    assert english.subject.endswith(f"— {label}")
    assert english.text.startswith("Hello Camille,")
    assert "View the ticket:" in english.text
    assert french.text.startswith("Bonjour Camille,")
    assert "Voir le ticket :" in french.text


def test_organisation_wide_followers_are_told_how_to_stop(cast, smtp, settings):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)
    send_all()

    [mail] = smtp.to(cast.follower.email)
    assert "vous suivez tous les tickets de votre organisation" in mail.text
    assert f"{settings.SITE_URL}/mon-compte/" in mail.links()
    [reporter_mail] = smtp.to(cast.reporter.email)
    assert f"{settings.SITE_URL}/mon-compte/" not in reporter_mail.links()


def test_state_colours_are_the_portal_css_ones():
    css = CSS.read_text()
    for state, colour in STATE_COLOURS.items():
        assert re.search(rf"--state-{state.value}:\s*{colour};", css), state
    assert set(STATE_COLOURS) == set(State)


def test_a_row_already_sent_is_not_sent_again(cast, smtp):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)
    row = row_for(cast.reporter)

    assert deliver(row.pk).outcome == Outcome.SENT
    assert deliver(row.pk).outcome == Outcome.DONE_ALREADY
    assert len(smtp.to(cast.reporter.email)) == 1


def test_a_recipient_deactivated_before_sending_is_skipped(cast, smtp):
    ticket_change_state(ticket=cast.ticket, to=State.FEEDBACK, by=cast.actor)
    cast.commenter.is_active = False
    cast.commenter.save()

    assert deliver(row_for(cast.commenter).pk).outcome == Outcome.NO_ACCESS
    assert not smtp.to(cast.commenter.email)
    assert row_for(cast.commenter).status == Status.NO_ACCESS
