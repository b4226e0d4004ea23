"""Statement and warning mails, through a real SMTP server: content, recipients, once only."""

from __future__ import annotations

from typing import Any

import pytest

from allowances.ledger import adjustment_create, revision_create
from allowances.mails import deliver
from allowances.models import AllowanceMail, MailKind, StatementOptOut
from allowances.month_end import close_month
from allowances.tasks import send_allowance_mails
from atm_support.minutes import MINUS
from mail.models import Status
from mail.outbox import sweep
from mail.sending import Outcome
from tests.allowances.conftest import month, paris, resolved_ticket
from tests.conftest import SMTPSink
from tests.factories import ClientFactory, OrganisationFactory, StaffFactory
from tests.utils import path_of

pytestmark = pytest.mark.django_db

APRIL_1 = paris(2026, 4, 1, 0, 5)


def send_queued() -> int:
    """What a worker does with the rows (the test's transaction never commits)."""
    ids = list(
        AllowanceMail.objects.filter(status=Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return int(send_allowance_mails.apply(args=(ids,)).get())


@pytest.fixture
def march(organisation: Any, client_user: Any, staff_user: Any, settings: Any) -> Any:
    settings.SITE_URL = "https://support.example.test"
    revision_create(
        organisation=organisation,
        minutes_per_month=120,
        effective_from=month(2026, 3),
        by=staff_user,
        now=paris(2026, 3, 2),
    )
    tickets = [
        resolved_ticket(
            reporter=client_user,
            resolved_at=paris(2026, 3, 12),
            minutes=(50,),
            summary="Facture en double",
        ),
        resolved_ticket(
            reporter=client_user,
            resolved_at=paris(2026, 3, 20),
            minutes=(10,),
            summary="Export vide",
        ),
    ]
    return tickets


def test_one_statement_per_client_lists_the_debited_tickets_the_credit_and_the_balance(
    smtp: SMTPSink, march: list[Any], client_user: Any, organisation: Any
) -> None:
    close_month(now=APRIL_1)
    assert send_queued() == 1
    [mail] = smtp.to(client_user.email)
    assert mail.subject == "[ATM] Relevé d'heures de mars 2026 — Boulangerie Martin"
    text = mail.text
    assert f"{march[0].display_number} Facture en double : 1 h" in text
    assert f"{march[1].display_number} Export vide : 0 h 15" in text
    assert "Total décompté : 1 h 15" in text
    assert "Crédit de avril 2026 : +2 h" in text
    # 2 h credited in March, 1 h 15 debited, 2 h credited for April.
    assert "Nouveau solde : 2 h 45" in text
    links = mail.links()
    assert f"https://support.example.test{march[0].get_absolute_url()}" in links
    assert "https://support.example.test/releve-heures/2026-03/" in links
    assert "Facture en double" in mail.html
    # Never twice: a second delivery of the same rows sends nothing.
    assert send_queued() == 0
    for row in AllowanceMail.objects.all():
        assert deliver(row.pk).outcome == Outcome.DONE_ALREADY
    assert len(smtp.to(client_user.email)) == 1


def test_statement_link_opens_the_statement_for_the_client(
    smtp: SMTPSink, march: list[Any], client_user: Any, client: Any
) -> None:
    close_month(now=APRIL_1)
    send_queued()
    [mail] = smtp.to(client_user.email)
    url = next(link for link in mail.links() if "/releve-heures/2026-03/" in link)
    client.force_login(client_user)
    response = client.get(path_of(url))
    assert response.status_code == 200
    assert "Facture en double" in response.content.decode()


def test_statement_is_in_the_recipients_language(
    smtp: SMTPSink, march: list[Any], organisation: Any
) -> None:
    english = ClientFactory(organisation=organisation, email="john@boulangerie-martin.fr")
    english.language = "en"
    english.save(update_fields=["language"])
    close_month(now=APRIL_1)
    send_queued()
    [mail] = smtp.to(english.email)
    assert "March 2026" in mail.subject
    assert "New balance: 2 h 45" in mail.text


def test_a_user_who_opted_out_after_the_month_end_is_not_mailed(
    smtp: SMTPSink, march: list[Any], client_user: Any
) -> None:
    close_month(now=APRIL_1)
    StatementOptOut.objects.create(user_id=client_user.pk)
    send_queued()
    assert smtp.to(client_user.email) == []
    assert AllowanceMail.objects.get().status == Status.CANCELLED


def test_a_statement_is_not_mailed_to_a_client_moved_or_deactivated_after_the_month_end(
    smtp: SMTPSink, march: list[Any], organisation: Any, client_user: Any
) -> None:
    """The notifications' send-time rule: no access to the organisation any more, no mail, and
    the row says so (NO_ACCESS, never retried) rather than looking like a failure."""
    colleague = ClientFactory(organisation=organisation, email="lea@boulangerie-martin.fr")
    close_month(now=APRIL_1)
    client_user.organisation = OrganisationFactory(name="Cabinet Durand")
    client_user.save(update_fields=["organisation"])
    colleague.is_active = False
    colleague.save(update_fields=["is_active"])
    send_queued()
    assert smtp.to(client_user.email) == []
    assert smtp.to(colleague.email) == []
    rows = AllowanceMail.objects.filter(recipient__in=[client_user, colleague])
    assert sorted(rows.values_list("status", flat=True)) == [Status.NO_ACCESS] * 2
    reasons = sorted(rows.values_list("last_error", flat=True))
    assert "compte désactivé" in reasons[0] or "compte désactivé" in reasons[1]
    assert any("organisation" in reason for reason in reasons)


def test_balance_warnings_once_per_crossing_to_clients_and_staff(
    smtp: SMTPSink, organisation: Any, client_user: Any, staff_user: Any, settings: Any
) -> None:
    settings.SITE_URL = "https://support.example.test"
    other_client = ClientFactory()  # another organisation: never told
    technician = StaffFactory(email="tom@atm-consulting.fr")
    now = paris(2026, 5, 10)
    revision_create(
        organisation=organisation,
        minutes_per_month=300,
        effective_from=month(2026, 5),
        by=staff_user,
        now=now,
    )  # credited 5 h now: fine
    adjustment_create(
        organisation=organisation, minutes=-200, memo="Reprise", by=staff_user, now=now
    )
    assert not AllowanceMail.objects.exists()  # 1 h 40 left: above 20 % of 5 h (1 h)
    adjustment_create(
        organisation=organisation, minutes=-45, memo="Reprise", by=staff_user, now=now
    )
    adjustment_create(
        organisation=organisation, minutes=-10, memo="Reprise", by=staff_user, now=now
    )
    # 55 min then 45 min left: one « low » crossing, not two.
    assert set(AllowanceMail.objects.values_list("kind", flat=True)) == {MailKind.LOW}
    assert AllowanceMail.objects.count() == 3  # the client and the two staff members
    send_queued()
    [low] = smtp.to(client_user.email)
    assert "bientôt épuisé" in low.subject
    assert "il reste 0 h 55" in low.text
    assert len(smtp.to(technician.email)) == 1
    assert len(smtp.to(staff_user.email)) == 1
    assert "/admin/allowances/organisationbalance/" in smtp.to(technician.email)[0].text
    assert smtp.to(other_client.email) == []

    adjustment_create(
        organisation=organisation, minutes=-60, memo="Reprise", by=staff_user, now=now
    )
    adjustment_create(
        organisation=organisation, minutes=-60, memo="Reprise", by=staff_user, now=now
    )
    send_queued()
    negative = smtp.to(client_user.email)[1:]
    assert [mail.subject for mail in negative] == [
        "[ATM] Crédit d'heures dépassé — Boulangerie Martin"
    ]
    assert f"le solde est de {MINUS}0 h 15" in negative[0].text

    # Back above the threshold, then down again: a new crossing, a new mail.
    adjustment_create(organisation=organisation, minutes=600, memo="Geste", by=staff_user, now=now)
    adjustment_create(
        organisation=organisation, minutes=-600, memo="Annulé", by=staff_user, now=now
    )
    send_queued()
    assert len(smtp.to(client_user.email)) == 3


def test_a_failed_smtp_send_is_retried_and_the_sweeper_takes_lost_rows(
    march: list[Any], client_user: Any, settings: Any
) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 1},  # nobody listens
        }
    }
    close_month(now=APRIL_1)
    row = AllowanceMail.objects.get()
    delivery = deliver(row.pk)
    assert delivery.outcome == Outcome.RETRY
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.QUEUED, 1)
    assert "ConnectionRefused" in row.last_error or "Errno" in row.last_error
    # Overdue rows are handed to the workers again by the sweeper.
    assert sweep(AllowanceMail, older_than=-3600) == 1
